"""Signing in and out: passwords, the account lock, the per-address limit, session expiry."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from portal_support import PASSWORD, csrf_token
from support import text_of

from leadpages.accounts.models import PartnerUser
from leadpages.db import utcnow
from leadpages.extensions import db

WRONG = "wrong Password 123"
FAILED = "The email address or password is not right"


def reload(app: Any, user: PartnerUser) -> PartnerUser:
    with app.app_context():
        found = db.session.get(PartnerUser, user.id)
        assert found is not None
        return found


def test_sign_in_with_the_right_password_opens_the_portal(app: Any, browser: Any,
                                                         make_user: Any) -> None:
    user = make_user()
    response = browser.sign_in(user.email.upper() + "  ", PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/portal/leads"
    page = browser.get("/portal/leads")
    assert page.status_code == 200
    assert user.partner.legal_name in text_of(page)
    assert page.headers["Cache-Control"] == "no-store"
    assert reload(app, user).last_login_at is not None


def test_sign_in_page_is_accessible_and_not_cached(browser: Any) -> None:
    page = browser.get("/portal/sign-in")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert '<label for="email">' in body
    assert '<label for="password">' in body
    assert 'autocomplete="current-password"' in body
    assert 'name="csrf_token"' in body


def test_wrong_password_is_refused_with_the_email_kept(app: Any, browser: Any,
                                                      make_user: Any) -> None:
    user = make_user()
    response = browser.sign_in(user.email, WRONG)
    assert response.status_code == 422
    assert FAILED in text_of(response)
    assert f'value="{user.email}"' in response.get_data(as_text=True)
    assert WRONG not in response.get_data(as_text=True)
    assert browser.get("/portal/leads").status_code == 303
    assert reload(app, user).failed_logins == 1


def test_unknown_email_gets_the_same_answer(browser: Any, make_user: Any) -> None:
    user = make_user()
    unknown = browser.sign_in("nobody@partner.example", PASSWORD)
    known = browser.sign_in(user.email, WRONG)
    assert unknown.status_code == known.status_code == 422
    assert FAILED in text_of(unknown)
    assert text_of(unknown).replace("nobody@partner.example", user.email) == text_of(known)


def test_empty_fields_get_errors_beside_them(browser: Any) -> None:
    response = browser.post("/portal/sign-in", {"email": "", "password": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="email-error"' in body
    assert 'id="password-error"' in body
    assert 'aria-invalid="true"' in body


def test_five_failures_lock_the_account_even_for_the_right_password(app: Any, browser: Any,
                                                                    make_user: Any) -> None:
    user = make_user()
    for attempt in range(4):
        assert browser.sign_in(user.email, WRONG).status_code == 422
        assert reload(app, user).failed_logins == attempt + 1
        assert reload(app, user).locked_until is None
    assert browser.sign_in(user.email, WRONG).status_code == 422
    locked = reload(app, user)
    assert locked.locked_until is not None
    assert timedelta(minutes=14) < locked.locked_until - utcnow() <= timedelta(minutes=15)
    refused = browser.sign_in(user.email, PASSWORD)
    assert refused.status_code == 422
    assert "locked for 15 minutes" in text_of(refused)
    assert browser.get("/portal/leads").status_code == 303


def test_the_lock_ends_after_15_minutes(app: Any, browser: Any, make_user: Any) -> None:
    user = make_user()
    for _ in range(5):
        browser.sign_in(user.email, WRONG)
    with app.app_context():
        found = db.session.get(PartnerUser, user.id)
        found.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert browser.sign_in(user.email, PASSWORD).status_code == 303
    after = reload(app, user)
    assert (after.failed_logins, after.locked_until) == (0, None)


def test_a_success_resets_the_failure_count(app: Any, browser: Any, make_user: Any) -> None:
    user = make_user()
    for _ in range(4):
        browser.sign_in(user.email, WRONG)
    assert browser.sign_in(user.email, PASSWORD).status_code == 303
    assert reload(app, user).failed_logins == 0


def test_failed_sign_ins_from_one_address_are_limited(app: Any, browser: Any,
                                                      make_user: Any) -> None:
    users = [make_user() for _ in range(3)]
    app.config["RATELIMIT_PORTAL_SIGN_IN"] = "4 per 15 minutes"
    try:
        # Spread over several accounts, so no account lock is what stops them.
        codes = [browser.sign_in(users[n % 3].email, WRONG).status_code for n in range(4)]
        limited = browser.sign_in(users[0].email, PASSWORD)
    finally:
        del app.config["RATELIMIT_PORTAL_SIGN_IN"]
    assert codes == [422] * 4
    assert limited.status_code == 429
    assert "Too many attempts" in text_of(limited)
    assert "Retry-After" in limited.headers


def test_successful_sign_ins_do_not_use_up_the_limit(app: Any, browser: Any,
                                                     make_user: Any) -> None:
    user = make_user()
    app.config["RATELIMIT_PORTAL_SIGN_IN"] = "2 per 15 minutes"
    try:
        codes = [browser.sign_in(user.email, PASSWORD).status_code for _ in range(4)]
    finally:
        del app.config["RATELIMIT_PORTAL_SIGN_IN"]
    assert codes == [303] * 4


def test_sign_in_returns_to_the_page_asked_for(browser: Any, make_user: Any) -> None:
    user = make_user()
    first = browser.get("/portal/deliveries?status=dead")
    assert first.status_code == 303
    assert first.headers["Location"].startswith("/portal/sign-in?next=")
    page = browser.get(first.headers["Location"])
    assert 'value="/portal/deliveries?status=dead"' in page.get_data(as_text=True)
    response = browser.post("/portal/sign-in", {"email": user.email, "password": PASSWORD,
                                                "next": "/portal/deliveries?status=dead"})
    assert response.headers["Location"] == "/portal/deliveries?status=dead"


def test_sign_in_never_redirects_off_the_portal(browser: Any, make_user: Any) -> None:
    user = make_user()
    for target in ("https://evil.example/", "//evil.example/portal/", "/\\evil.example",
                   "/en/p/x", "javascript:alert(1)"):
        response = browser.post("/portal/sign-in", {"email": user.email, "password": PASSWORD,
                                                    "next": target})
        assert response.headers["Location"] == "/portal/leads", target


def test_sign_out_ends_the_session(browser: Any, make_user: Any) -> None:
    browser.signed_in_as(make_user())
    assert browser.get("/portal/leads").status_code == 200
    response = browser.post("/portal/sign-out")
    assert response.status_code == 303
    assert response.headers["Location"] == "/portal/sign-in"
    assert "You are signed out" in text_of(browser.get("/portal/sign-in"))
    assert browser.get("/portal/leads").status_code == 303


def test_sign_out_needs_the_csrf_token(browser: Any, make_user: Any) -> None:
    browser.signed_in_as(make_user())
    assert browser.client.post("/portal/sign-out").status_code == 400
    assert browser.get("/portal/leads").status_code == 200


def test_sign_in_needs_the_csrf_token(browser: Any, make_user: Any) -> None:
    user = make_user()
    response = browser.client.post("/portal/sign-in", data={"email": user.email,
                                                            "password": PASSWORD})
    assert response.status_code == 400
    assert browser.get("/portal/leads").status_code == 303


def test_session_ends_after_the_configured_hours(app: Any, browser: Any,
                                                make_user: Any) -> None:
    browser.signed_in_as(make_user())
    hours = app.config["PORTAL_SESSION_HOURS"]
    with browser.client.session_transaction() as cookie:
        cookie["portal"] = {**cookie["portal"], "at": time.time() - hours * 3600 + 60}
    assert browser.get("/portal/leads").status_code == 200
    with browser.client.session_transaction() as cookie:
        cookie["portal"] = {**cookie["portal"], "at": time.time() - hours * 3600 - 1}
    response = browser.get("/portal/leads")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/portal/sign-in")
    assert "Your session has ended" in text_of(browser.get(response.headers["Location"]))
    with browser.client.session_transaction() as cookie:
        assert "portal" not in cookie


def test_a_sign_in_time_in_the_future_is_not_trusted(browser: Any, make_user: Any) -> None:
    browser.signed_in_as(make_user())
    with browser.client.session_transaction() as cookie:
        cookie["portal"] = {**cookie["portal"], "at": time.time() + 10 * 24 * 3600}
    assert browser.get("/portal/leads").status_code == 303


@pytest.mark.parametrize("value", ["garbled", {"user": "1", "version": 1, "at": 0},
                                   {"version": 1}, None])
def test_a_malformed_session_is_refused(browser: Any, make_user: Any, value: Any) -> None:
    user = make_user()
    browser.signed_in_as(user)
    with browser.client.session_transaction() as cookie:
        if isinstance(value, dict) and "at" in value:
            value = {**value, "at": time.time()}
        cookie["portal"] = value
    assert browser.get("/portal/leads").status_code == 303


def test_a_session_of_another_version_is_refused(browser: Any, make_user: Any) -> None:
    browser.signed_in_as(make_user())
    with browser.client.session_transaction() as cookie:
        cookie["portal"] = {**cookie["portal"], "version": cookie["portal"]["version"] + 1}
    assert browser.get("/portal/leads").status_code == 303


def test_signed_in_visitor_skips_the_sign_in_page(browser: Any, make_user: Any) -> None:
    browser.signed_in_as(make_user())
    response = browser.get("/portal/sign-in")
    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/leads"


def test_portal_root_leads_to_the_lead_list(browser: Any, make_user: Any) -> None:
    browser.signed_in_as(make_user())
    assert browser.get("/portal/").headers["Location"] == "/portal/leads"


def test_csrf_helper_reads_a_token(client: Any) -> None:
    assert len(csrf_token(client)) > 20


def copy_session_cookie(source: Any, target: Any) -> None:
    """Put `source`'s session cookie in `target`, as someone who copied it would."""
    name = source.client.application.config["SESSION_COOKIE_NAME"]
    cookie = source.client.get_cookie(name)
    assert cookie is not None
    target.client.set_cookie(name, cookie.value, domain=cookie.domain)


def test_sign_out_ends_this_browser_only(browser: Any, other_browser: Any,
                                         make_user: Any) -> None:
    user = make_user()
    browser.signed_in_as(user)
    copy_session_cookie(browser, other_browser)
    assert other_browser.get("/portal/leads").status_code == 200
    assert browser.post("/portal/sign-out").status_code == 303
    assert browser.get("/portal/leads").status_code == 303
    # A copy of the cookie is still valid: that is what "Sign out everywhere" is for.
    assert other_browser.get("/portal/leads").status_code == 200


def test_sign_out_everywhere_ends_copied_cookies_and_other_devices(
        app: Any, browser: Any, other_browser: Any, make_user: Any) -> None:
    user = make_user()
    browser.signed_in_as(user)
    copied = type(other_browser)(app.test_client())
    copy_session_cookie(browser, copied)
    other_browser.signed_in_as(user)  # another device
    assert copied.get("/portal/leads").status_code == 200
    page = browser.get("/portal/leads").get_data(as_text=True)
    assert 'action="/portal/sign-out-everywhere"' in page

    response = browser.post("/portal/sign-out-everywhere")

    assert response.status_code == 303
    assert response.headers["Location"] == "/portal/sign-in"
    assert "You are signed out on every device." in text_of(browser.get("/portal/sign-in"))
    for device in (browser, copied, other_browser):
        refused = device.get("/portal/leads")
        assert refused.status_code == 303
        assert refused.headers["Location"].startswith("/portal/sign-in")
    after = reload(app, user)
    assert after.session_version == user.session_version + 1
    assert after.password_hash == user.password_hash
    # The password still works: signing in again starts a fresh, valid session.
    assert browser.sign_in(user.email, PASSWORD).status_code == 303
    assert browser.get("/portal/leads").status_code == 200


def test_sign_out_everywhere_needs_the_csrf_token(app: Any, browser: Any,
                                                  make_user: Any) -> None:
    user = make_user()
    browser.signed_in_as(user)
    assert browser.client.post("/portal/sign-out-everywhere").status_code == 400
    assert browser.get("/portal/leads").status_code == 200
    assert reload(app, user).session_version == user.session_version
