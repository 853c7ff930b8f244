"""The one-click link of every email, /u/<token>: no sign-in, no cookie, no JavaScript."""

from __future__ import annotations

from typing import Any

import pytest
from itsdangerous import URLSafeSerializer
from support import text_of

from leadpages.categories.models import lead_categories
from leadpages.objections import links


@pytest.fixture
def person(keys_of: Any) -> dict[str, str]:
    return keys_of("one.click@example.com", "+32470999101")


@pytest.fixture
def token(in_app: Any, person: dict[str, str]) -> str:
    return str(in_app(links.one_click_token, person))


def test_get_explains_and_changes_nothing(client: Any, token: str, register: Any) -> None:
    response = client.get(f"/u/{token}")

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert "<script" not in body
    assert f'<form method="post" action="/u/{token}?lang=en">' in body
    assert '<button type="submit" class="button">Stop all direct marketing</button>' in body
    assert "Nothing changes until you press the button" in text_of(response)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "Accept-Language" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"  # the token stays out of caches
    assert register() == []  # a mail scanner opening the link objects to nothing


def test_the_button_objects_to_everything_without_cookie_or_sign_in(
        client: Any, token: str, person: dict[str, str], register: Any, make_project: Any,
        make_lead: Any, session: Any, deliveries: Any) -> None:
    lead = make_lead(make_project(), email="one.click@example.com", phone="+32470999101")
    client.get(f"/u/{token}")  # what a browser does first; it gets no cookie to send back

    response = client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Your objection is recorded" in text_of(response)
    assert {(row.kind, row.key, row.scope, row.source) for row in register()} == {
        ("email", person["email"], "all", "link"), ("phone", person["phone"], "all", "link")}
    assert not session.execute(lead_categories.select().where(
        lead_categories.c.lead_id == lead.id)).all()
    assert [row.lead_id for row in deliveries("lead.objected")] == [lead.id]


def test_rfc_8058_one_click_post_from_a_mail_client(app: Any, token: str,
                                                    register: Any) -> None:
    # What a mail provider sends: a form post with this one field, no cookie, no token, no
    # Origin; multipart (RFC 8058 section 3.2) or urlencoded.
    fresh = app.test_client(use_cookies=False)
    multipart = fresh.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"},
                           content_type="multipart/form-data")
    assert multipart.status_code == 200
    urlencoded = fresh.post(f"/u/{token}", data="List-Unsubscribe=One-Click",
                            content_type="application/x-www-form-urlencoded",
                            headers={"Sec-Fetch-Site": "cross-site"})  # e.g. a webmail
    assert urlencoded.status_code == 200
    # Idempotent: the second post added nothing.
    assert len(register()) == 2


def test_language_from_the_browser_or_the_link(client: Any, token: str) -> None:
    french = client.get(f"/u/{token}", headers={"Accept-Language": "fr-BE,fr;q=0.9"})
    assert '<html lang="fr">' in french.get_data(as_text=True)

    dutch = client.get(f"/u/{token}?lang=nl", headers={"Accept-Language": "fr"})
    body = dutch.get_data(as_text=True)
    assert '<html lang="nl">' in body
    # The language switcher stays on this page.
    assert f'href="/u/{token}?lang=fr"' in body
    assert "Vary" not in dutch.headers or "Accept-Language" not in dutch.headers["Vary"]

    done = client.post(f"/u/{token}?lang=fr")
    assert '<html lang="fr">' in done.get_data(as_text=True)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_token_that_is_not_ours_is_a_404_in_the_visitors_language(
        app: Any, client: Any, in_app: Any, person: dict[str, str], register: Any,
        method: str) -> None:
    forged = URLSafeSerializer("another-secret-key-of-someone-else-0123456789",
                               salt=links.ONE_CLICK_SALT).dumps(person)
    withdrawal = in_app(links.withdrawal_token, person)  # ours, but for another purpose
    for bad in (forged, withdrawal, "garbage", forged[:-3]):
        response = client.open(f"/u/{bad}", method=method, headers={"Accept-Language": "fr"})
        assert response.status_code == 404, bad
        body = response.get_data(as_text=True)
        assert '<html lang="fr">' in body
        assert "Page introuvable" in body
        assert "Set-Cookie" not in response.headers
    assert register() == []
