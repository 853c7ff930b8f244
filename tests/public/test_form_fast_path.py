"""The form's fast path: a valid submission answered before Flask, exactly as Flask answers it.

pages.SubmissionServer takes a valid POST when this process has the project's intake facts
cached (the first POST of a project goes through Flask, which caches them). It must store the
same lead, outbox rows and categories and give the same answer, count the request once against
the same rate limit, and hand every other request to Flask.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import VALID, hidden_inputs, text_of
from werkzeug.middleware.proxy_fix import ProxyFix

from leadpages import create_app
from leadpages.arrangements import services as arrangements
from leadpages.categories import services as categories
from leadpages.db import utcnow
from leadpages.delivery import services as delivery
from leadpages.delivery.models import Delivery
from leadpages.leads.models import Lead
from leadpages.objections import services as objections
from leadpages.public import pages
from leadpages.web.ratelimit import RouteLimit

PERSON = {**VALID, "email": "marie.dubois@example.com", "phone": "0470 99 88 77"}
DETAILS = {"postcode": "9000", "country": "BE", "budget_amount": "350.000",
           "budget_currency": "EUR", "bedrooms": "2", "garden": "yes", "timeframe": "6m",
           "contact_preference": "visit", "message": "Graag een brochure.\nDank!",
           "marketing_email": "y"}


@pytest.fixture
def cached(app: Flask) -> Iterator[None]:
    """Landing pages and intake facts kept for a minute; five submissions a minute."""
    app.config.update(PAGE_CACHE_SECONDS=60, RATELIMIT_LEADS="5 per minute")
    yield
    app.config.update(PAGE_CACHE_SECONDS=0, RATELIMIT_LEADS="1000 per minute")


@pytest.fixture
def flask_answers(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The form submissions that reached Flask's view (the fast path answers the others)."""
    seen: list[str] = []
    view = app.view_functions["public.submit"]

    @functools.wraps(view)  # the same name: still exempt from the CSRF extension
    def spy(lang: str, slug: str) -> Any:
        seen.append(slug)
        return view(lang=lang, slug=slug)

    monkeypatch.setitem(app.view_functions, "public.submit", spy)
    return seen


@pytest.fixture
def post(client: Any) -> Callable[..., Any]:
    """Open the page in `lang` and send its form with `fields` over PERSON."""

    def send(project: Any, lang: str = "nl", query: str = "", **fields: Any) -> Any:
        page = client.get(f"/{lang}/p/{project.slug}{query}")
        data = {**hidden_inputs(page.get_data(as_text=True)), **PERSON, **fields}
        return client.post(f"/{lang}/p/{project.slug}",
                           data={k: v for k, v in data.items() if v is not None})

    return send


def warm(post: Callable[..., Any], project: Any) -> None:
    """One submission through Flask, which caches the project's intake facts."""
    assert post(project, email="first@example.com", phone="0471 00 00 01").status_code == 303


def stored(session: Session, project: Any, email: str = PERSON["email"],
           merged: bool = False) -> dict[str, Any]:
    """The lead of `email` for `project`, its outbox rows and categories, comparable."""
    session.expire_all()
    lead = session.scalars(select(Lead).where(Lead.project_id == project.id,
                                              Lead.email == email)).one()
    varying = {"id", "public_id", "project_id", "created_at", "updated_at", "last_submitted_at"}
    columns = {c.key: getattr(lead, c.key) for c in Lead.__table__.columns
               if c.key not in varying}
    rows = list(session.scalars(select(Delivery).where(Delivery.lead_id == lead.id)
                                .order_by(Delivery.channel)))
    outbox = []
    for row in rows:
        body = json.loads(row.payload)
        if not merged:  # (a repeat adds to the lead; the message sent keeps what it was)
            # Exactly what the partner gets for this lead in every other channel (API, CSV).
            assert body["data"] == delivery.lead_data(lead)
        assert body["type"] == "lead.created"
        outbox.append((row.kind, row.channel, row.status, row.attempts, row.partner_id,
                       row.message_id.startswith("msg_"), row.lead_id == lead.id,
                       body["data"]["id"] == lead.public_id))
    return {"lead": columns, "outbox": outbox,
            "categories": [c.code for c in lead.categories],
            "history": [(e.action, code, e.reason) for e, code in categories.history(session,
                                                                                     lead)]}


def comparable(response: Any, project: Any) -> dict[str, Any]:
    headers = [(k, v) for k, v in response.headers.items()
               if k not in ("X-RateLimit-Reset", "Retry-After")]
    body = response.get_data(as_text=True).replace(project.slug, "<slug>")
    location = response.headers.get("Location", "").replace(project.slug, "<slug>")
    headers = [(k, location if k == "Location" else v) for k, v in headers]
    return {"status": response.status, "headers": headers, "body": body,
            "reset": abs(int(response.headers["X-RateLimit-Reset"]) - utcnow().timestamp()) < 70,
            "retry_after": 0 < int(response.headers["Retry-After"]) <= 60}


@pytest.mark.usefixtures("cached")
def test_fast_path_stores_and_answers_exactly_as_flask(
        app: Flask, session: Session, make_partner: Any, make_project: Any, post: Any,
        flask_answers: list[str]) -> None:
    partner = make_partner(webhook_url="https://crm.partner.example/hook",
                           email_recipients=["sales@partner.example"])
    by_flask, by_fast_path = make_project(partner=partner), make_project(partner=partner)
    for project in (by_flask, by_fast_path):
        categories.set_project_categories(session, project, ["residential", "luxury"])
    session.commit()

    flask_answer = post(by_flask, query="?c=spring-meta", **DETAILS)
    warm(post, by_fast_path)
    fast_answer = post(by_fast_path, query="?c=spring-meta", **DETAILS)

    assert flask_answers == [by_flask.slug, by_fast_path.slug]  # the last one never did
    assert fast_answer.status_code == 303
    assert fast_answer.headers["Location"] == f"/nl/p/{by_fast_path.slug}/thanks"
    expected, got = comparable(flask_answer, by_flask), comparable(fast_answer, by_fast_path)
    # One more request from this address by then: the counter says so, the rest is equal.
    assert (dict(expected["headers"])["X-RateLimit-Remaining"],
            dict(got["headers"])["X-RateLimit-Remaining"]) == ("4", "2")
    assert [k for k, _ in got["headers"]] == [k for k, _ in expected["headers"]]
    for answer in (expected, got):
        answer["headers"] = [h for h in answer["headers"] if h[0] != "X-RateLimit-Remaining"]
    assert got == expected

    flask_lead, fast_lead = stored(session, by_flask), stored(session, by_fast_path)
    assert fast_lead == flask_lead
    assert fast_lead["lead"]["campaign_code"] == "spring-meta"
    assert fast_lead["lead"]["source_ip"] == "127.0.0.1"
    assert fast_lead["categories"] == ["luxury", "residential"]
    assert [row[1] for row in fast_lead["outbox"]] == ["email", "webhook"]


@pytest.mark.usefixtures("cached")
def test_objection_box_register_and_duplicates_on_the_fast_path(
        app: Flask, session: Session, make_project: Any, post: Any,
        flask_answers: list[str]) -> None:
    project = make_project()
    warm(post, project)
    assert post(project, ads_objection="y").status_code == 303
    objected = stored(session, project)
    assert objected["lead"]["ads_objected"] is True
    assert objected["categories"] == []
    assert objected["history"] == []
    keys = [objected["lead"]["email_key"], objected["lead"]["phone_key"]]
    assert objections.objected(session, keys, "ads")  # the form's box is in the register

    # Someone in the register is not categorised, however the address is written.
    with app.app_context():
        objections.record_objection(session, email="Someone.Else@Example.com", scope="ads",
                                    source="page")
    session.commit()
    assert post(project, email="someone.else@example.com", phone="0470 55 44 33",
                marketing_email="y").status_code == 303
    registered = stored(session, project, "someone.else@example.com")
    assert registered["categories"] == []
    assert registered["lead"]["ads_objected"] is False

    # The same person again: one lead, with what the repeat adds, delivered once.
    assert post(project, email="SOMEONE.ELSE@example.com ", phone="0470 11 11 11",
                message="Also parking.").status_code == 303
    again = stored(session, project, "someone.else@example.com", merged=True)
    assert again["lead"]["submission_count"] == 2
    assert again["lead"]["message"] == "Also parking."
    assert len(again["outbox"]) == 1
    assert flask_answers == [project.slug]


@pytest.mark.usefixtures("cached")
def test_closed_project_or_new_arrangement_is_never_missed(
        session: Session, make_project: Any, post: Any, flask_answers: list[str]) -> None:
    project = make_project()
    warm(post, project)
    partner = project.partner
    draft = arrangements.create_draft(session, partner,
                                      arrangements.default_content(partner, "Operator BV"))
    arrangements.activate(session, draft, operator_signer="O", operator_signer_role="CEO",
                          partner_signer="P", partner_signer_role="Director",
                          signed_at=utcnow() - timedelta(seconds=1),
                          effective_from=utcnow() - timedelta(seconds=1))
    session.commit()
    assert post(project).status_code == 303
    assert stored(session, project)["lead"]["arrangement_id"] == draft.id
    assert flask_answers == [project.slug]  # the fast path read the arrangement itself

    project.status = "closed"
    session.commit()
    closed = post(project, email="late@example.com", phone="0470 22 22 22")
    assert closed.status_code == 303
    assert closed.headers["Location"] == f"/nl/p/{project.slug}"  # the page, no form
    assert closed.headers["X-RateLimit-Remaining"] == "2"  # counted once, by the fast path
    assert flask_answers == [project.slug, project.slug]
    session.expire_all()
    assert session.scalars(select(Lead).where(Lead.email == "late@example.com")).first() is None


@pytest.mark.usefixtures("cached")
def test_a_changed_form_is_read_again_by_flask(session: Session, make_project: Any, post: Any,
                                               flask_answers: list[str]) -> None:
    project = make_project()
    warm(post, project)
    project.optional_fields = ["budget"]  # no message any more
    session.commit()
    answer = post(project, message="Ignored now", budget_amount="400000")
    assert answer.status_code == 303
    assert answer.headers["X-RateLimit-Remaining"] == "3"  # counted once, by the fast path
    lead = stored(session, project)["lead"]
    assert (lead["message"], str(lead["budget_amount"])) == (None, "400000.00")
    assert flask_answers == [project.slug, project.slug]
    assert post(project, email="next@example.com", phone="0470 33 33 33").status_code == 303
    assert flask_answers == [project.slug, project.slug]  # cached again, fast again


INVALID = [
    ({"first_name": ""}, 422, "Vul dit veld in."),
    ({"email": "jan@"}, 422, "Vul een geldig e-mailadres in"),
    ({"phone": "12"}, 422, "Vul een geldig telefoonnummer in"),
    ({"postcode": "123"}, 422, "Vul een geldige postcode in"),
    ({"contact_preference": "carrier-pigeon"}, 422, "Kies een van de mogelijkheden."),
    ({"message": "hi\x07there"}, 422, "Verwijder de speciale of onzichtbare tekens."),
    ({"website": "http://spam.example"}, 422, "We konden dit formulier niet aanvaarden"),
    ({"token": "1700000000000.forged"}, 422, "Dit formulier was verlopen"),
]


@pytest.mark.usefixtures("cached")
@pytest.mark.parametrize(("fields", "status", "message"), INVALID)
def test_every_invalid_submission_goes_to_flask(
        session: Session, make_project: Any, post: Any, flask_answers: list[str],
        fields: dict[str, str], status: int, message: str) -> None:
    project = make_project()
    warm(post, project)
    answer = post(project, **fields)
    assert answer.status_code == status
    assert message in text_of(answer)
    assert answer.headers["X-RateLimit-Remaining"] == "3"  # counted once
    assert flask_answers == [project.slug, project.slug]
    session.expire_all()
    assert session.scalars(select(Lead).where(Lead.email == PERSON["email"])).first() is None


@pytest.mark.usefixtures("cached")
def test_other_requests_go_to_flask(app: Flask, client: Any, session: Session,
                                    make_project: Any, post: Any,
                                    flask_answers: list[str]) -> None:
    project = make_project()
    warm(post, project)
    page = hidden_inputs(client.get(f"/nl/p/{project.slug}").get_data(as_text=True))
    form = {**page, **PERSON}
    # Not urlencoded: Flask reads it (and takes it).
    multipart = client.post(f"/nl/p/{project.slug}", data=form,
                            content_type="multipart/form-data")
    assert multipart.status_code == 303
    # Too large, or in a language the page is not in, or for no such page.
    assert client.post(f"/nl/p/{project.slug}",
                       data={**form, "message": "x" * 70_000}).status_code == 413
    assert client.post(f"/xx/p/{project.slug}", data=form).status_code == 404
    assert client.post("/nl/p/no-such-project", data=form).status_code == 404
    # No cookie: the form again, with what was typed.
    client.delete_cookie("lp_form")
    no_cookie = client.post(f"/nl/p/{project.slug}",
                            data={**form, "email": "cookieless@example.com"})
    assert no_cookie.status_code == 422
    assert 'value="cookieless@example.com"' in no_cookie.get_data(as_text=True)
    # (the language is not a route at all: no view)
    assert flask_answers == [project.slug] * 3 + ["no-such-project", project.slug]


@pytest.mark.usefixtures("cached")
def test_too_fast_goes_to_flask(app: Flask, make_project: Any, post: Any,
                                flask_answers: list[str]) -> None:
    project = make_project()
    warm(post, project)
    app.config["FORM_MIN_SECONDS"] = 30
    try:
        answer = post(project)
    finally:
        app.config["FORM_MIN_SECONDS"] = 0
    assert answer.status_code == 422
    assert flask_answers == [project.slug, project.slug]


@pytest.mark.usefixtures("cached")
def test_both_ways_share_one_rate_limit_and_count_once(
        app: Flask, session: Session, make_project: Any, post: Any,
        flask_answers: list[str]) -> None:
    project = make_project()
    app.config["RATELIMIT_LEADS"] = "4 per minute; 100 per hour"
    warm(post, project)  # 1, Flask
    assert post(project, first_name="").status_code == 422  # 2, fast path then Flask
    answers = [post(project, email=f"p{n}@example.com", phone=f"0470 00 00 1{n}")
               for n in range(3)]  # 3 and 4 by the fast path, 5 is one too many
    assert [a.status_code for a in answers] == [303, 303, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["1", "0", "0"]
    assert all(a.headers["X-RateLimit-Limit"] == "4" for a in answers)
    limited = answers[-1]
    assert "Wacht een minuut en verstuur het formulier dan opnieuw" in text_of(limited)
    assert 'value="p2@example.com"' in limited.get_data(as_text=True)  # what was typed
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert flask_answers == [project.slug] * 3  # the warm-up, the error, the 429
    session.expire_all()
    assert session.scalars(select(Lead).where(Lead.email == "p2@example.com")).first() is None


def test_without_the_cache_every_submission_goes_to_flask(make_project: Any, post: Any,
                                                          flask_answers: list[str]) -> None:
    project = make_project()
    assert [post(project, email=f"n{n}@example.com", phone=f"0470 00 00 2{n}").status_code
            for n in range(2)] == [303, 303]
    assert flask_answers == [project.slug, project.slug]


def test_the_fast_path_sits_behind_the_proxy_fix(tmp_path: Any, database_url: str) -> None:
    from support import base_overrides

    behind = create_app({**base_overrides(tmp_path, database_url), "TRUSTED_PROXIES": 1})
    assert isinstance(behind.wsgi_app, ProxyFix)
    assert isinstance(behind.wsgi_app.app, pages.FastPath)
    direct = create_app(base_overrides(tmp_path, database_url))
    assert isinstance(direct.wsgi_app, pages.FastPath)


def test_the_limit_mirrors_only_the_plain_set_up(app: Flask) -> None:
    from leadpages.extensions import limiter

    limit = RouteLimit(limiter, "public.submit", lambda: "5 per minute")
    assert limit.mirrors()
    limiter.request_filter(lambda: False)
    try:
        assert not limit.mirrors()  # a set-up it does not reproduce: Flask answers
    finally:
        limiter._request_filters.pop()
    assert limit.mirrors()


@pytest.mark.parametrize("body", [
    b"a=1&b=&c&a=2", b"name=Jan+de+Vries&city=Gent%20centrum", b"x=%ZZ%2&y=%e2%82%ac",
    b"k%C3%A9=v%C3%A9;semi=colon", b"=empty-key&&&", "naïve=ça".encode(), b"",
])
def test_the_body_is_read_as_flask_reads_it(app: Flask, body: bytes) -> None:
    with app.test_request_context("/nl/p/x", method="POST", data=body,
                                  content_type="application/x-www-form-urlencoded"):
        from flask import request

        flask_form = request.form
        assert pages.urlencoded_form(body) == flask_form
    assert pages.urlencoded_form(b"bad=\xff\xfe") is None  # not UTF-8: Flask answers it
