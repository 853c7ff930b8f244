"""Forgotten passwords: the same answer for every address, an emailed link that works once."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from portal_support import PASSWORD
from sqlalchemy import func, select
from support import text_of

from leadpages.accounts.models import PartnerUser
from leadpages.extensions import db
from leadpages.mail.models import OutboundEmail

NEW_PASSWORD = "a Brand new one 2026"


def outbox(app: Any) -> list[OutboundEmail]:
    with app.app_context():
        return list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))


def reset_link(email: OutboundEmail) -> str:
    found = re.search(r"http://127\.0\.0\.1:8000(/portal/reset-password/\S+)", email.text)
    assert found, email.text
    return found.group(1)


def ask_for_reset(browser: Any, email: str) -> Any:
    return browser.post("/portal/forgot-password", {"email": email})


def test_known_and_unknown_addresses_get_the_same_answer(app: Any, browser: Any,
                                                        make_user: Any) -> None:
    user = make_user()
    known = ask_for_reset(browser, user.email)
    unknown = ask_for_reset(browser, "nobody@partner.example")
    assert known.status_code == unknown.status_code == 200
    assert text_of(known).replace(user.email, "X") == text_of(unknown).replace(
        "nobody@partner.example", "X")
    assert "If " in text_of(known)
    assert "we have sent a link" in text_of(known)
    [email] = outbox(app)
    assert email.to == user.email


def test_reset_email_is_queued_with_text_and_html(app: Any, browser: Any,
                                                 make_user: Any) -> None:
    user = make_user(email="Pia@Partner.example")
    ask_for_reset(browser, "  PIA@partner.EXAMPLE ")
    [email] = outbox(app)
    assert email.to == "pia@partner.example"
    assert email.status == "pending"
    assert "Reset your partner portal password" in email.subject
    link = reset_link(email)
    assert email.html is not None
    assert f'href="http://127.0.0.1:8000{link}"' in email.html
    assert user.name in email.text


def test_a_bad_address_gets_an_error_and_sends_nothing(app: Any, browser: Any) -> None:
    response = ask_for_reset(browser, "not an address")
    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert 'value="not an address"' in response.get_data(as_text=True)
    assert outbox(app) == []


def test_the_whole_reset_flow(app: Any, browser: Any, other_browser: Any,
                              make_user: Any) -> None:
    user = make_user()
    other_browser.signed_in_as(user)  # another device, signed in before the reset
    assert other_browser.get("/portal/leads").status_code == 200

    ask_for_reset(browser, user.email)
    link = reset_link(outbox(app)[0])
    form = browser.get(link)
    assert form.status_code == 200
    assert user.email in text_of(form)
    assert form.headers["Cache-Control"] == "no-store"

    mismatch = browser.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 422
    assert "The two passwords are not the same" in text_of(mismatch)
    weak = browser.post(link, {"password": "short", "confirm": "short"})
    assert weak.status_code == 422
    assert "at least 12 characters" in text_of(weak)

    done = browser.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303
    assert done.headers["Location"] == "/portal/sign-in"

    # The old session on the other device is over; the old password no longer works.
    assert other_browser.get("/portal/leads").status_code == 303
    assert browser.sign_in(user.email, PASSWORD).status_code == 422
    assert browser.sign_in(user.email, NEW_PASSWORD).status_code == 303

    # The link worked once.
    again = browser.get(link)
    assert again.status_code == 400
    assert "This link no longer works" in text_of(again)
    reuse = browser.post(link, {"password": "Another one 2027!", "confirm": "Another one 2027!"})
    assert reuse.status_code == 400
    browser.post("/portal/sign-out")
    assert browser.sign_in(user.email, NEW_PASSWORD).status_code == 303


def test_reset_unlocks_a_locked_account(app: Any, browser: Any, make_user: Any) -> None:
    user = make_user()
    for _ in range(5):
        browser.sign_in(user.email, "wrong Password 1")
    ask_for_reset(browser, user.email)
    link = reset_link(outbox(app)[0])
    browser.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert browser.sign_in(user.email, NEW_PASSWORD).status_code == 303


def test_an_older_link_dies_when_a_newer_one_is_used(app: Any, browser: Any,
                                                    make_user: Any) -> None:
    user = make_user()
    ask_for_reset(browser, user.email)
    ask_for_reset(browser, user.email)
    first, second = (reset_link(email) for email in outbox(app))
    assert browser.post(second, {"password": NEW_PASSWORD,
                                 "confirm": NEW_PASSWORD}).status_code == 303
    assert browser.get(first).status_code == 400


def test_a_link_expires_after_an_hour(app: Any, browser: Any, make_user: Any,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    user = make_user()
    ask_for_reset(browser, user.email)
    link = reset_link(outbox(app)[0])
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600 - 30)
    assert browser.get(link).status_code == 200
    monkeypatch.setattr(time, "time", lambda: real() + 3600 + 30)
    assert browser.get(link).status_code == 400
    response = browser.post(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    monkeypatch.undo()
    assert browser.sign_in(user.email, PASSWORD).status_code == 303


@pytest.mark.parametrize("token", ["garbage", "eyJ1IjoxLCJ2IjoxfQ.abc.def", "x" * 300])
def test_forged_links_do_not_work(browser: Any, token: str) -> None:
    response = browser.get(f"/portal/reset-password/{token}")
    assert response.status_code == 400
    assert "This link no longer works" in text_of(response)


def test_forgot_password_is_limited_per_address(app: Any, browser: Any, make_user: Any) -> None:
    user = make_user()
    app.config["RATELIMIT_PORTAL_FORGOT"] = "2 per 15 minutes"
    try:
        codes = [ask_for_reset(browser, user.email).status_code for _ in range(3)]
    finally:
        del app.config["RATELIMIT_PORTAL_FORGOT"]
    assert codes == [200, 200, 429]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 2


def test_reset_changes_the_stored_hash_only(app: Any, browser: Any, make_user: Any) -> None:
    user = make_user()
    before = user.password_hash
    ask_for_reset(browser, user.email)
    browser.post(reset_link(outbox(app)[0]), {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    with app.app_context():
        after = db.session.get(PartnerUser, user.id)
        assert after.password_hash != before
        assert after.password_hash.startswith("scrypt:")
        assert NEW_PASSWORD not in after.password_hash
        assert after.session_version == user.session_version + 1
