"""The portal holds SQLite's single write lock only for its writes, never for slow work.

Lead intake waits for that lock, so a portal POST checks its form, hashes or checks a password
and looks up a webhook host in a read first, then takes the lock (begin_write) right before it
writes. `write_log` (conftest) records the order; every "write" must start a transaction of its
own, since begin_write inside an open read does nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from portal_support import PASSWORD, csrf_token
from support import text_of

from leadpages.accounts import apikeys
from leadpages.accounts.models import PartnerUser
from leadpages.extensions import db
from leadpages.partners.models import Partner

WRONG = "wrong Password 123"


@pytest.fixture
def signed_in(browser: Any, make_user: Any, make_partner: Any) -> Any:
    partner = make_partner()
    browser.user = make_user(partner)
    browser.signed_in_as(browser.user)
    browser.partner = partner
    return browser


def fresh(app: Any, model: Any, row_id: int) -> Any:
    with app.app_context():
        found = db.session.get(model, row_id)
        assert found is not None
        return found


def test_a_wrong_password_is_checked_before_the_lock_and_still_counted(
        app: Any, browser: Any, make_user: Any, write_log: list[str]) -> None:
    user = make_user()
    write_log.clear()
    assert browser.sign_in(user.email, WRONG).status_code == 422
    assert write_log == ["password check", "write"]
    assert fresh(app, PartnerUser, user.id).failed_logins == 1


def test_a_right_password_is_checked_before_the_lock(app: Any, browser: Any, make_user: Any,
                                                     write_log: list[str]) -> None:
    user = make_user()
    write_log.clear()
    assert browser.sign_in(user.email, PASSWORD).status_code == 303
    assert write_log == ["password check", "write"]
    assert fresh(app, PartnerUser, user.id).last_login_at is not None


def test_an_unknown_address_writes_nothing(browser: Any, write_log: list[str]) -> None:
    assert browser.sign_in("nobody@partner.example", PASSWORD).status_code == 422
    # (The first unknown address of the process also makes the dummy hash it is checked against.)
    assert [event for event in write_log if event != "password hash"] == ["password check"]


@pytest.mark.parametrize("path", [
    "/portal/sign-out", "/portal/sign-out-everywhere", "/portal/api-keys",
    "/portal/api-keys/1/revoke", "/portal/deliveries/1/replay", "/portal/settings/webhook",
    "/portal/settings/webhook/ping", "/portal/settings/webhook/rotate", "/portal/settings/email",
])
def test_a_post_without_a_signed_in_user_takes_no_lock(browser: Any, write_log: list[str],
                                                        path: str) -> None:
    response = browser.post(path, {"name": "x", "url": "", "recipients": ""})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/portal/sign-in")
    assert write_log == []


def test_a_reset_password_is_hashed_before_the_lock(app: Any, browser: Any, make_user: Any,
                                                    write_log: list[str]) -> None:
    from leadpages.accounts import services as accounts

    user = make_user()
    with app.test_request_context():
        token = accounts.reset_token(user)
    url = f"/portal/reset-password/{token}"
    new = "a Brand new one 2026"
    write_log.clear()
    response = browser.post(url, {"password": new, "confirm": new})
    assert response.status_code == 303
    assert write_log == ["password hash", "write"]
    assert fresh(app, PartnerUser, user.id).session_version == user.session_version + 1
    # Used once: the link is refused now, and refusing takes no lock.
    write_log.clear()
    assert browser.post(url, {"password": new, "confirm": new}).status_code == 400
    assert write_log == []


def test_a_reset_password_too_weak_takes_no_lock(browser: Any, app: Any, make_user: Any,
                                                 write_log: list[str]) -> None:
    from leadpages.accounts import services as accounts

    user = make_user()
    with app.test_request_context():
        token = accounts.reset_token(user)
    write_log.clear()
    response = browser.post(f"/portal/reset-password/{token}",
                            {"password": "short", "confirm": "short"})
    assert response.status_code == 422
    assert write_log == []


def test_a_reset_email_is_queued_in_a_write_of_its_own(app: Any, browser: Any, make_user: Any,
                                                       write_log: list[str]) -> None:
    user = make_user()
    write_log.clear()
    assert browser.post("/portal/forgot-password", {"email": user.email}).status_code == 200
    assert write_log == ["write"]
    write_log.clear()
    assert browser.post("/portal/forgot-password",
                        {"email": "nobody@partner.example"}).status_code == 200
    assert write_log == []


def test_the_webhook_host_is_looked_up_before_the_lock(app: Any, signed_in: Any,
                                                       write_log: list[str]) -> None:
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    try:
        write_log.clear()
        response = signed_in.post("/portal/settings/webhook",
                                  {"url": "http://127.0.0.1:8123/hook"})
    finally:
        app.config["WEBHOOK_ALLOW_LOOPBACK"] = False
    assert response.status_code == 200
    # Looked up in the read, then quickly again by the service that saves it.
    assert write_log == ["dns", "write", "dns"]
    assert fresh(app, Partner, signed_in.partner.id).webhook_url == "http://127.0.0.1:8123/hook"


def test_a_refused_webhook_host_takes_no_lock(signed_in: Any, write_log: list[str]) -> None:
    write_log.clear()
    response = signed_in.post("/portal/settings/webhook", {"url": "http://10.1.2.3/hook"})
    assert response.status_code == 422
    assert "not a public address" in text_of(response)
    assert write_log == ["dns"]


def test_turning_webhooks_off_needs_no_look_up(app: Any, signed_in: Any, session: Any,
                                               write_log: list[str]) -> None:
    signed_in.partner.webhook_url = "http://127.0.0.1:9/"
    session.flush()
    write_log.clear()
    assert signed_in.post("/portal/settings/webhook", {"url": ""}).status_code == 303
    assert write_log == ["write"]
    assert fresh(app, Partner, signed_in.partner.id).webhook_url is None


def test_every_signed_in_write_starts_a_transaction_of_its_own(
        app: Any, signed_in: Any, session: Any, make_project: Any, make_lead: Any,
        make_dead_letter: Any, write_log: list[str]) -> None:
    dead = make_dead_letter(make_lead(make_project(partner=signed_in.partner)))
    key, _plain = apikeys.issue_key(session, signed_in.partner, "Old CRM")
    signed_in.partner.webhook_url = "http://127.0.0.1:9/"
    session.flush()
    for path, data in [
        (f"/portal/deliveries/{dead.id}/replay", {}),
        ("/portal/settings/webhook/ping", {}),
        ("/portal/settings/webhook/rotate", {}),
        ("/portal/settings/email", {"recipients": "a@partner.example"}),
        ("/portal/api-keys", {"name": "CRM sync"}),
        (f"/portal/api-keys/{key.id}/revoke", {}),
    ]:
        write_log.clear()
        response = signed_in.post(path, data)
        assert response.status_code in (200, 303), path
        assert write_log == ["write"], path


def test_a_form_with_errors_takes_no_lock(signed_in: Any, write_log: list[str]) -> None:
    for path, data in [("/portal/api-keys", {"name": ""}),
                       ("/portal/settings/webhook", {"url": "x" * 501})]:
        write_log.clear()
        assert signed_in.post(path, data).status_code == 422, path
        assert write_log == [], path


def test_a_post_without_its_csrf_token_takes_no_lock(signed_in: Any,
                                                     write_log: list[str]) -> None:
    csrf_token(signed_in.client)  # a session with a token, just not sent
    write_log.clear()
    response = signed_in.client.post("/portal/settings/webhook/rotate")
    assert response.status_code == 400
    assert write_log == []
