"""The public objection page /<lang>/object: no JavaScript, no cookie, errors kept in place."""

from __future__ import annotations

import re
from typing import Any

from support import text_of

from leadpages.categories.models import lead_categories
from leadpages.objections.links import one_click_url

PAGE = "/en/object"


def post(client: Any, lang: str = "en", headers: dict[str, str] | None = None,
         **fields: str) -> Any:
    return client.post(f"/{lang}/object", data=fields, headers=headers or {})


def test_page_works_without_javascript_and_sets_no_cookie(client: Any) -> None:
    response = client.get(PAGE)

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert "<script" not in body
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert '<form class="lead" method="post" action="/en/object"' in body
    # The three scopes, the widest chosen by default; labels tied to their inputs.
    assert re.search(r'<input checked id="scope-0" name="scope" type="radio" value="all">', body)
    for value in ("ads", "marketing-email"):
        assert f'value="{value}"' in body
    assert '<label for="email">' in body
    assert '<label for="phone">' in body
    assert 'href="/en/object/withdraw"' in body


def test_footer_of_every_page_links_to_it(client: Any, make_project: Any) -> None:
    project = make_project()
    for url in ("/fr/", f"/fr/p/{project.slug}", f"/fr/p/{project.slug}/thanks"):
        assert 'href="/fr/object"' in client.get(url).get_data(as_text=True), url


def test_objection_is_recorded_acted_on_and_confirmed_by_email(
        client: Any, session: Any, make_project: Any, make_lead: Any, register: Any,
        outbox: Any, deliveries: Any, keys_of: Any, in_app: Any) -> None:
    lead = make_lead(make_project(), email="Mary.Smith@example.com", phone="+32470999001")
    assert session.execute(lead_categories.select().where(
        lead_categories.c.lead_id == lead.id)).all()  # tagged at capture

    response = post(client, email=" mary.smith@EXAMPLE.com ", phone="0470 99 90 01",
                    scope="all")

    assert response.status_code == 303
    assert response.headers["Location"] == "/en/object/recorded/all"
    assert "Set-Cookie" not in response.headers
    rows = register()
    keys = keys_of("mary.smith@example.com", "+32470999001")
    assert {(row.kind, row.key, row.scope, row.source) for row in rows} == {
        ("email", keys["email"], "all", "page"), ("phone", keys["phone"], "all", "page")}
    # Acted on in the same transaction: untagged, and the partner told.
    assert not session.execute(lead_categories.select().where(
        lead_categories.c.lead_id == lead.id)).all()
    told = deliveries("lead.objected")
    assert [row.lead_id for row in told] == [lead.id]
    # One confirmation, to the address as typed, with the one-click headers.
    [email] = outbox()
    assert email.to == "mary.smith@EXAMPLE.com"
    assert email.subject == "Your objection is recorded"
    link = in_app(one_click_url, keys)
    assert email.headers == {"List-Unsubscribe": f"<{link}>",
                             "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    assert "http://127.0.0.1:8000/en/object/withdraw" in email.text
    assert f"{link}?lang=en" in email.text
    assert "for the phone number you gave as well" in email.text
    assert email.html is not None
    assert "<img" not in email.html

    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    text = text_of(page)
    for expected in ("Your objection is recorded", "no emails about similar projects",
                     "ask the platform to remove you", "tell the developers",
                     "Withdraw an objection"):
        assert expected in text


def test_objecting_again_records_and_sends_nothing_more(client: Any, register: Any,
                                                       outbox: Any) -> None:
    assert post(client, email="again@example.com", scope="ads").status_code == 303
    assert post(client, email="Again@Example.com", scope="ads").status_code == 303

    assert len(register()) == 1
    assert len(outbox()) == 1
    # A wider scope is new: recorded, and confirmed.
    assert post(client, email="again@example.com", scope="all").status_code == 303
    assert [row.scope for row in register()] == ["ads", "all"]
    assert len(outbox()) == 2


def test_phone_only_sends_no_email(client: Any, register: Any, outbox: Any) -> None:
    response = post(client, phone="+32 470 99 90 02", scope="marketing-email")

    assert response.headers["Location"] == "/en/object/recorded/marketing-email"
    assert [(row.kind, row.scope) for row in register()] == [("phone", "marketing-email")]
    assert outbox() == []
    text = text_of(client.get(response.headers["Location"]))
    assert "send you no emails about similar projects" in text
    assert "ad platform" not in text  # only what this scope does


def test_errors_in_french_keep_what_was_typed(client: Any, register: Any,
                                              outbox: Any) -> None:
    response = post(client, "fr", email="marie@", phone="12", scope="ads")

    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert '<html lang="fr">' in body
    assert 'value="marie@"' in body
    assert 'value="12"' in body
    assert re.search(r'<input checked id="scope-1" name="scope" type="radio" value="ads">', body)
    # Beside each field, tied to it, and listed at the top.
    assert re.search(r'aria-describedby="email-error"[^>]*aria-invalid="true"', body)
    assert '<p class="error" id="email-error">Saisissez une adresse e-mail valide' in body
    assert 'id="phone-error"' in body
    assert 'role="alert"' in body
    assert 'href="#email"' in body
    assert register() == []
    assert outbox() == []


def test_at_least_one_identifier_is_asked(client: Any, register: Any) -> None:
    response = post(client, email=" ", phone="", scope="all")

    assert response.status_code == 422
    assert 'id="email-error">Fill in your email address or your phone number, or both.' in (
        response.get_data(as_text=True))
    assert register() == []


def test_scope_not_offered_is_refused(client: Any, register: Any) -> None:
    response = post(client, email="x@example.com", scope="everything")

    assert response.status_code == 422
    assert "Choose one of the options." in response.get_data(as_text=True)
    assert register() == []


def test_robot_filling_the_trap_is_refused(client: Any, register: Any) -> None:
    response = post(client, email="bot@example.com", scope="all", website="http://spam")

    assert response.status_code == 422
    assert register() == []


def test_posts_from_another_site_are_refused(client: Any, register: Any) -> None:
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                    {"Origin": "https://evil.example"}, {"Origin": "null"}):
        response = post(client, headers=headers, email="victim@example.com", scope="all")
        assert response.status_code == 403, headers
        assert "another website" in response.get_data(as_text=True)
    assert register() == []
    # The browser's own same-origin post, and a program's post without either header, pass.
    for headers in ({"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://localhost"}, {}):
        assert post(client, headers=headers, email="me@example.com",
                    scope="all").status_code == 303, headers


def test_rate_limit_keeps_what_was_typed(app: Any, client: Any, monkeypatch: Any,
                                         register: Any) -> None:
    monkeypatch.setitem(app.config, "RATELIMIT_LEADS", "2 per minute")
    for n in range(2):
        assert post(client, email=f"p{n}@example.com", scope="all").status_code == 303

    response = post(client, email="third@example.com", scope="ads")

    assert response.status_code == 429
    body = response.get_data(as_text=True)
    assert "Wait a minute" in body
    assert 'value="third@example.com"' in body
    assert len(register()) == 2


def test_recorded_page_of_an_unknown_scope_does_not_exist(client: Any) -> None:
    assert client.get("/en/object/recorded/everything").status_code == 404


def test_confirmation_email_leaves_with_the_one_click_headers(
        client: Any, sent_mail: Any) -> None:
    post(client, "nl", email="joke.confirm@example.com", scope="all")

    [message] = sent_mail("joke.confirm@example.com")

    assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/u/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    assert "/u/" in text
    assert "?lang=nl" in text
    assert "http://127.0.0.1:8000/nl/object/withdraw" in text
