"""Withdrawing an objection: asked on a page, confirmed only by the link sent to the address."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from support import text_of

from leadpages.objections import links
from leadpages.objections.services import objected

LINK = re.compile(r"http://127\.0\.0\.1:8000(/(?:en|fr|nl)/object/withdraw/[^\s\"<]+)")


def object_(client: Any, **fields: str) -> None:
    assert client.post("/en/object", data=fields).status_code == 303


def ask(client: Any, email: str, lang: str = "en", **headers: str) -> Any:
    return client.post(f"/{lang}/object/withdraw", data={"email": email}, headers=headers)


def test_withdrawal_by_the_emailed_link(client: Any, register: Any, outbox: Any,
                                        session: Any, keys_of: Any) -> None:
    object_(client, email="anna.w@example.com", phone="+32470999201", scope="all")
    assert client.get("/en/object/withdraw").status_code == 200

    answer = ask(client, "Anna.W@Example.com")  # any spelling of the address

    assert answer.status_code == 200
    assert "If we hold an objection for Anna.W@Example.com, we have sent a link" in (
        text_of(answer))
    withdrawal = outbox()[-1]
    assert withdrawal.to == "Anna.W@Example.com"
    assert withdrawal.subject == "Confirm withdrawing your objection"
    assert withdrawal.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/u/" in withdrawal.text  # every email to a person carries the one-click link
    match = LINK.search(withdrawal.text)
    assert match is not None
    link = match.group(1)
    assert register()[0].withdrawn_at is None  # asking changes nothing

    page = client.get(link)
    assert page.status_code == 200
    assert "All direct marketing" in text_of(page)
    assert "Set-Cookie" not in page.headers
    assert register()[0].withdrawn_at is None  # opening the link changes nothing either

    done = client.post(link)

    assert done.status_code == 200
    assert "Your objection is withdrawn" in text_of(done)
    email_row, phone_row = register()
    assert email_row.withdrawn_at is not None
    # A link sent to an address proves nothing about the phone number: that one stays.
    assert phone_row.withdrawn_at is None
    keys = keys_of("anna.w@example.com", "+32470999201")
    assert not objected(session, [keys["email"]], "ads")
    assert objected(session, [keys["phone"]], "ads")
    # Used again: nothing left to withdraw, said plainly.
    again = client.post(link)
    assert again.status_code == 200
    assert "Nothing to withdraw" in text_of(again)


def test_the_answer_does_not_tell_whether_an_objection_exists(client: Any,
                                                              outbox: Any) -> None:
    object_(client, email="known@example.com", scope="ads")
    sent_before = len(outbox())

    known = ask(client, "known@example.com")
    unknown = ask(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 200
    assert text_of(known).replace("known@", "X@") == text_of(unknown).replace("nobody@", "X@")
    assert [row.to for row in outbox()[sent_before:]] == ["known@example.com"]


def test_the_page_says_how_a_phone_objection_is_withdrawn(client: Any) -> None:
    text = text_of(client.get("/en/object/withdraw"))

    assert "recorded for a phone number cannot be confirmed by email" in text
    assert "privacy@" in text


def test_request_errors_keep_what_was_typed(client: Any, outbox: Any) -> None:
    response = ask(client, "anna@", lang="fr")

    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'value="anna@"' in body
    assert "Saisissez une adresse e-mail valide" in body
    assert ask(client, "").status_code == 422
    assert outbox() == []


def test_requests_from_another_site_are_refused(client: Any, outbox: Any) -> None:
    object_(client, email="forged@example.com", scope="all")
    before = len(outbox())

    assert ask(client, "forged@example.com", **{"Sec-Fetch-Site": "cross-site"}
               ).status_code == 403
    assert len(outbox()) == before


def old_token(app: Any, keys: dict[str, str], age: float) -> str:
    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - age)

    serializer = URLSafeTimedSerializer(str(app.config["REGISTER_KEY"]),
                                        salt=links.WITHDRAWAL_SALT, signer=Then)
    return serializer.dumps(keys)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_expired_or_bad_link_changes_nothing(app: Any, client: Any, register: Any,
                                                keys_of: Any, method: str) -> None:
    object_(client, email="late@example.com", scope="all")
    keys = {"email": keys_of("late@example.com")["email"]}
    expired = old_token(app, keys, links.WITHDRAWAL_SECONDS + 60)
    with app.app_context():
        one_click = links.one_click_token(keys)  # ours, but not a withdrawal link

    for token in (expired, one_click, "garbage", expired[:-2]):
        response = client.open(f"/nl/object/withdraw/{token}", method=method)
        assert response.status_code == 400, token
        body = response.get_data(as_text=True)
        assert '<html lang="nl">' in body
        assert 'href="/nl/object/withdraw"' in body  # ask for a new link
    assert register()[0].withdrawn_at is None
    # A day short of expiry, the same link still works.
    fresh = old_token(app, keys, links.WITHDRAWAL_SECONDS - 86400)
    assert client.open(f"/nl/object/withdraw/{fresh}", method=method).status_code == 200


def test_confirming_from_another_site_is_refused(app: Any, client: Any, register: Any,
                                                 keys_of: Any) -> None:
    object_(client, email="csrf@example.com", scope="all")
    with app.app_context():
        token = links.withdrawal_token({"email": keys_of("csrf@example.com")["email"]})

    response = client.post(f"/en/object/withdraw/{token}",
                           headers={"Origin": "https://evil.example"})

    assert response.status_code == 403
    assert register()[0].withdrawn_at is None
