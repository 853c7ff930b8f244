"""Signing in to the workspace: password, then the TOTP code or its enrolment; expiry; roles."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from admin_support import PASSWORD, StaffBrowser, code_for, csrf_token
from support import text_of

from leadpages.audit.models import AuditEvent
from leadpages.extensions import db
from leadpages.staff.models import StaffUser

WRONG = "wrong Password 123"


def reload(app: Any, user: StaffUser) -> StaffUser:
    with app.app_context():
        found = db.session.get(StaffUser, user.id)
        assert found is not None
        return found


@pytest.fixture
def browser(client: Any) -> StaffBrowser:
    return StaffBrowser(client)


def test_password_then_code_opens_the_workspace(app: Any, browser: StaffBrowser,
                                                make_staff: Any) -> None:
    user = make_staff("marketer", name="Mia Marketer")
    first = browser.post("/admin/sign-in", {"email": user.email.upper(), "password": PASSWORD})
    assert first.status_code == 303
    assert first.headers["Location"].startswith("/admin/sign-in/code")
    # The password alone opens nothing.
    assert browser.get("/admin/").status_code == 303
    second = browser.post("/admin/sign-in/code", {"code": code_for(user)})
    assert second.status_code == 303
    assert second.headers["Location"] == "/admin/"
    home = browser.get("/admin/")
    assert home.status_code == 200
    assert home.headers["Cache-Control"] == "no-store"
    assert "Mia Marketer" in text_of(home)
    stored = reload(app, user)
    assert stored.last_login_at is not None
    with app.app_context():
        events = db.session.query(AuditEvent).filter_by(action="staff.sign-in").all()
        assert [event.subject for event in events] == [f"staff:{user.id}"]


def test_wrong_password_is_refused_and_counted(app: Any, browser: StaffBrowser,
                                               make_staff: Any) -> None:
    user = make_staff()
    response = browser.post("/admin/sign-in", {"email": user.email, "password": WRONG})
    assert response.status_code == 422
    assert "The email address or password is not right" in text_of(response)
    assert f'value="{user.email}"' in response.get_data(as_text=True)
    assert reload(app, user).failed_logins == 1


def test_five_failures_lock_the_account_even_for_the_right_password(
        app: Any, browser: StaffBrowser, make_staff: Any) -> None:
    user = make_staff()
    for _ in range(5):
        browser.post("/admin/sign-in", {"email": user.email, "password": WRONG})
    assert reload(app, user).locked_until is not None
    response = browser.post("/admin/sign-in", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 422


def test_wrong_codes_count_towards_the_lock(app: Any, browser: StaffBrowser,
                                            make_staff: Any) -> None:
    user = make_staff()
    browser.post("/admin/sign-in", {"email": user.email, "password": PASSWORD})
    right = code_for(user)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = browser.post("/admin/sign-in/code", {"code": wrong})
    assert response.status_code == 422
    assert "That code is not right" in text_of(response)
    assert reload(app, user).failed_logins == 1
    for _ in range(4):
        browser.post("/admin/sign-in/code", {"code": "000000" if right != "000000" else "111111"})
    assert reload(app, user).locked_until is not None
    # Locked: even the right code is refused now.
    assert browser.post("/admin/sign-in/code", {"code": right}).status_code == 422
    assert browser.get("/admin/").status_code == 303


def test_a_code_works_only_once(app: Any, make_staff: Any) -> None:
    user = make_staff()
    first = StaffBrowser(app.test_client()).sign_in(user)
    assert first.get("/admin/").status_code == 200
    other = StaffBrowser(app.test_client())
    other.post("/admin/sign-in", {"email": user.email, "password": PASSWORD})
    replay = other.post("/admin/sign-in/code", {"code": code_for(user)})
    assert replay.status_code == 422
    assert other.get("/admin/").status_code == 303


def test_first_sign_in_enrols_with_a_qr_code_drawn_on_the_page(
        app: Any, browser: StaffBrowser, make_staff: Any) -> None:
    user = make_staff("privacy", enrolled=False)
    browser.post("/admin/sign-in", {"email": user.email, "password": PASSWORD})
    page = browser.get("/admin/sign-in/code")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<svg" in body  # the QR code, drawn here: no image from elsewhere
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', body)
    assert secret
    assert reload(app, user).totp_enabled_at is None
    # A wrong code does not enrol.
    assert browser.post("/admin/sign-in/code", {"code": "12345"}).status_code == 422
    done = browser.post("/admin/sign-in/code", {"code": pyotp.TOTP(secret.group(1)).now()})
    assert done.status_code == 303
    stored = reload(app, user)
    assert stored.totp_enabled_at is not None
    assert stored.totp_secret == secret.group(1)
    assert browser.get("/admin/").status_code == 200


def test_the_code_must_follow_the_password_soon(app: Any, browser: StaffBrowser,
                                                make_staff: Any, monkeypatch: Any) -> None:
    user = make_staff()
    browser.post("/admin/sign-in", {"email": user.email, "password": PASSWORD})
    later = time.time() + 301
    monkeypatch.setattr(time, "time", lambda: later)
    response = browser.post("/admin/sign-in/code", {"code": code_for(user, 10)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/sign-in"


def test_without_a_session_pages_send_to_sign_in_and_back(app: Any, browser: StaffBrowser,
                                                          make_staff: Any) -> None:
    response = browser.get("/admin/staff?x=1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/sign-in?next=/admin/staff?x%3D1"
    user = make_staff("admin")
    form = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="/admin/staff?x=1"' in form
    browser.post("/admin/sign-in", {"email": user.email, "password": PASSWORD,
                                    "next": "/admin/staff?x=1"})
    done = browser.post("/admin/sign-in/code", {"code": code_for(user), "next": "/admin/staff"})
    assert done.headers["Location"] == "/admin/staff"


def test_next_never_leaves_the_workspace(app: Any, browser: StaffBrowser,
                                         make_staff: Any) -> None:
    user = make_staff()
    browser.post("/admin/sign-in", {"email": user.email, "password": PASSWORD})
    done = browser.post("/admin/sign-in/code", {"code": code_for(user),
                                                "next": "//evil.example/admin/"})
    assert done.headers["Location"] == "/admin/"


@pytest.mark.parametrize(("minutes", "hours", "signed_in"),
                         [(29, 0, True), (31, 0, False), (0, 8.1, False)])
def test_sessions_end_when_idle_or_old(app: Any, make_staff: Any, monkeypatch: Any,
                                       minutes: int, hours: float, signed_in: bool) -> None:
    browser = StaffBrowser(app.test_client()).sign_in(make_staff())
    start = time.time()
    if hours:
        # Active all along, a request every 20 minutes, until the session is too old.
        steps = int(hours * 3)
        for step in range(1, steps + 1):
            monkeypatch.setattr(time, "time", lambda s=step: start + s * 1200)
            expected = 200 if step * 1200 < 8 * 3600 else 303
            assert browser.get("/admin/").status_code == expected
        return
    monkeypatch.setattr(time, "time", lambda: start + minutes * 60)
    assert browser.get("/admin/").status_code == (200 if signed_in else 303)


def test_sign_out_ends_the_session_and_every_copy_of_its_cookie(app: Any,
                                                                make_staff: Any) -> None:
    browser = StaffBrowser(app.test_client()).sign_in(make_staff())
    copy = browser.client.get_cookie("lp_session")
    assert copy is not None
    response = browser.post("/admin/sign-out")
    assert response.status_code == 303
    assert browser.get("/admin/").status_code == 303
    thief = app.test_client()
    thief.set_cookie("lp_session", copy.value)
    assert thief.get("/admin/").status_code == 303


def test_a_right_password_does_not_reset_the_count_of_wrong_codes(
        app: Any, browser: StaffBrowser, make_staff: Any) -> None:
    user = make_staff()
    wrong = f"{(int(code_for(user)) + 500_000) % 1_000_000:06d}"
    for _ in range(3):
        browser.post("/admin/sign-in", {"email": user.email, "password": PASSWORD})
        for _ in range(2):
            browser.post("/admin/sign-in/code", {"code": wrong})
    stored = reload(app, user)
    assert stored.locked_until is not None  # five wrong codes in a row, passwords between
    assert stored.last_login_at is None  # a password alone is not a sign-in


def test_each_step_of_the_sign_in_gets_a_new_csrf_secret(app: Any, browser: StaffBrowser,
                                                         make_staff: Any) -> None:
    user = make_staff()
    browser.client.get("/admin/sign-in")
    with browser.client.session_transaction() as cookie:
        before = cookie["csrf_token"]  # one someone could have planted in the browser
    assert browser.post("/admin/sign-in", {"email": user.email,
                                           "password": PASSWORD}).status_code == 303
    with browser.client.session_transaction() as cookie:
        assert cookie.get("csrf_token") != before
    browser.post("/admin/sign-in/code", {"code": code_for(user)})
    with browser.client.session_transaction() as cookie:
        middle = cookie.get("csrf_token")
    assert browser.get("/admin/").status_code == 200
    with browser.client.session_transaction() as cookie:
        assert cookie.get("csrf_token") not in (before, None)
        assert middle is None or cookie.get("csrf_token") != before


def test_sign_out_needs_the_csrf_token(app: Any, make_staff: Any) -> None:
    browser = StaffBrowser(app.test_client()).sign_in(make_staff())
    assert browser.client.post("/admin/sign-out").status_code == 400
    assert browser.get("/admin/").status_code == 200


@pytest.mark.parametrize(("role", "allowed", "refused"), [
    ("marketer", "/admin/", "/admin/staff"),
    ("privacy", "/admin/audit", "/admin/staff"),
    ("marketer", "/admin/", "/admin/audit"),
    ("admin", "/admin/staff", None),
])
def test_each_role_sees_only_its_part(staff_browser: Any, role: str, allowed: str,
                                      refused: str | None) -> None:
    browser = staff_browser(role)
    assert browser.get(allowed).status_code == 200
    if refused:
        response = browser.get(refused)
        assert response.status_code == 403
        assert "Your role does not give access to this page." in text_of(response)
        assert f'href="{refused}"' not in browser.get("/admin/").get_data(as_text=True)


def test_portal_and_workspace_sessions_live_side_by_side(app: Any, make_staff: Any) -> None:
    browser = StaffBrowser(app.test_client()).sign_in(make_staff())
    with browser.client.session_transaction() as cookie:
        cookie["portal"] = {"user": 1}
    browser.post("/admin/sign-out")
    with browser.client.session_transaction() as cookie:
        assert cookie.get("portal") == {"user": 1}
        assert "staff" not in cookie
    # And the other way round: signing out of the portal leaves the workspace signed in.
    again = StaffBrowser(app.test_client()).sign_in(make_staff())
    with again.client.session_transaction() as cookie:
        cookie["portal"] = {"user": 1, "version": 1, "at": 0}
    again.get("/portal/leads")  # an invalid portal session is forgotten, only it
    assert again.get("/admin/").status_code == 200


def test_the_sign_in_form_has_labels_and_a_token(client: Any) -> None:
    body = client.get("/admin/sign-in").get_data(as_text=True)
    assert '<label for="email">' in body
    assert '<label for="password">' in body
    assert csrf_token(client)
