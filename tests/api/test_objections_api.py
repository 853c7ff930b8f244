"""POST /api/v1/objections: a partner passes on an objection; the answer tells it nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpages.delivery.models import Delivery
from leadpages.objections.keys import person_keys
from leadpages.objections.models import Objection

PATH = "/objections"


def objections_of(session: Session) -> list[Objection]:
    session.expire_all()
    return list(session.scalars(select(Objection).order_by(Objection.id)))


def objected_deliveries(session: Session) -> list[Delivery]:
    session.expire_all()
    return list(session.scalars(select(Delivery).where(Delivery.kind == "lead.objected")
                                .order_by(Delivery.id)))


def test_records_the_objection_and_echoes_no_identifier(
        api: Any, make_partner: Any, make_key: Any, session: Session, app: Flask,
        documented: Any) -> None:
    partner = make_partner()
    key = make_key(partner)

    response = api.post(PATH, key, json={"email": "Caller.One@Example.com",
                                         "phone": "0470 99 94 01", "scope": "ads",
                                         "note": "call of 2026-11-20"})

    assert response.status_code == 201
    body = documented(response, PATH, "post")
    assert body == {"recorded": True, "scope": "ads", "identifiers": ["email", "phone"]}
    text = response.get_data(as_text=True)
    assert "Caller" not in text
    assert "470" not in text
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        keys = person_keys("caller.one@example.com", "+32470999401")
    assert {(row.kind, row.key, row.scope, row.source, row.partner_id, row.note)
            for row in objections_of(session)} == {
        (kind, keys[kind], "ads", "partner", partner.id, "call of 2026-11-20")
        for kind in ("email", "phone")}


def test_every_partner_with_a_lead_of_the_person_is_told_and_no_other(
        api: Any, make_partner: Any, make_project: Any, make_lead: Any, make_key: Any,
        session: Session) -> None:
    caller = make_partner()  # received no lead of the person
    with_lead = [make_partner(webhook_url=f"https://crm{n}.example/hook") for n in (1, 2)]
    bystander = make_partner()
    leads = [make_lead(make_project(partner=partner), email="shared.person@example.com",
                       phone="+32470999402") for partner in with_lead]
    # The same person written otherwise reaches the same leads.
    other = make_lead(make_project(partner=bystander), email="someone.else@example.com")
    assert objected_deliveries(session) == []

    response = api.post(PATH, make_key(caller), json={"email": "SHARED.person@example.com"})

    assert response.status_code == 201
    rows = objected_deliveries(session)
    told = {(row.partner_id, row.lead_id, row.channel) for row in rows}
    assert told == {(partner.id, lead.id, channel)
                    for partner, lead in zip(with_lead, leads, strict=True)
                    for channel in ("webhook", "email")}
    assert {row.partner_id for row in rows}.isdisjoint({caller.id, bystander.id})
    assert other.id not in {row.lead_id for row in rows}
    # Passing it on again tells no one twice.
    api.post(PATH, make_key(caller), json={"phone": "+32 470 99 94 02"})
    assert len(objected_deliveries(session)) == len(rows)


def test_the_answer_is_the_same_for_a_known_and_an_unknown_person(
        api: Any, make_partner: Any, make_project: Any, make_lead: Any, make_key: Any) -> None:
    make_lead(make_project(), email="known.person@example.com")
    key = make_key(make_partner())

    known = api.post(PATH, key, json={"email": "known.person@example.com"})
    unknown = api.post(PATH, key, json={"email": "unknown.person@example.com"})
    repeated = api.post(PATH, key, json={"email": "known.person@example.com"})

    assert known.status_code == unknown.status_code == repeated.status_code == 201
    assert known.get_json() == unknown.get_json() == repeated.get_json()


def test_the_webhook_payload_is_the_documented_lead_objected(
        api: Any, make_partner: Any, make_project: Any, make_lead: Any, make_key: Any,
        session: Session, openapi: dict[str, Any]) -> None:
    project = make_project(partner=make_partner(webhook_url="https://crm.example/hook"))
    lead = make_lead(project, email="payload.person@example.com")
    api.post(PATH, make_key(make_partner()), json={"email": "payload.person@example.com",
                                                   "scope": "marketing-email"})
    [row] = [row for row in objected_deliveries(session) if row.channel == "webhook"]

    event = json.loads(row.payload)
    registry: Registry[Any] = Registry().with_resource(
        "urn:doc", DRAFT202012.create_resource(openapi))
    validator = Draft202012Validator({"$ref": "urn:doc#/components/schemas/WebhookEvent"},
                                     registry=registry,
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert not sorted(validator.iter_errors(event), key=str)
    assert event["type"] == "lead.objected"
    assert event["data"]["id"] == lead.public_id
    assert event["data"]["project"] == {"slug": project.slug}
    assert event["data"]["scope"] == "marketing-email"
    assert "lead.objected" in openapi["webhooks"]
    # The person's identifiers are not in it: the partner has them already.
    assert "payload.person" not in row.payload


@pytest.mark.parametrize(("body", "details"), [
    ({}, {"email": "give an email address, a phone number, or both",
          "phone": "give an email address, a phone number, or both"}),
    ({"email": None, "phone": None}, {"email": "give an email address, a phone number, or both",
                                      "phone": "give an email address, a phone number, or both"}),
    ({"email": "not-an-address"}, {"email": "is not a valid email address, such as "
                                            "name@example.com"}),
    ({"phone": "12"}, {"phone": "is not a valid phone number, such as +32470123456 (a number "
                                "without a country code is read as one in BE)"}),
    ({"email": 42}, {"email": "must be a string (or null)"}),
    ({"email": "  "}, {"email": "must not be empty; leave the field out or send null"}),
    ({"email": "a@example.com", "scope": "everything"},
     {"scope": "must be one of ads, marketing-email, all"}),
    ({"email": "a@example.com", "note": "x" * 201}, {"note": "must be at most 200 characters"}),
    ({"email": "a@example.com", "note": "bell\u0007"},
     {"note": "must not hold control or invisible characters"}),
    ({"email": "a@example.com", "name": "Jan"},
     {"name": "is not a field of this request; it takes email, phone, scope, note"}),
])
def test_bad_fields_are_named_and_nothing_is_recorded(
        api: Any, make_partner: Any, make_key: Any, session: Session, documented: Any,
        body: dict[str, Any], details: dict[str, str]) -> None:
    response = api.post(PATH, make_key(make_partner()), json=body)

    assert response.status_code == 422
    error = documented(response, PATH, "post")["error"]
    assert error["code"] == "invalid_fields"
    assert error["details"] == details
    assert objections_of(session) == []


@pytest.mark.parametrize(("data", "content_type"), [
    ("{not json", "application/json"),
    ('["a@example.com"]', "application/json"),
    ("email=a@example.com", "application/x-www-form-urlencoded"),
    ('{"email": "a@example.com"}', "text/plain"),
])
def test_a_body_that_is_no_json_object_is_a_400(api: Any, make_partner: Any, make_key: Any,
                                                session: Session, documented: Any, data: str,
                                                content_type: str) -> None:
    response = api.post(PATH, make_key(make_partner()), data=data,
                        headers={"Content-Type": content_type})

    assert response.status_code == 400
    assert documented(response, PATH, "post")["error"]["code"] == "invalid_json"
    assert objections_of(session) == []


def test_needs_a_key(api: Any, session: Session, documented: Any, make_partner: Any,
                     make_key: Any) -> None:
    key = make_key(make_partner())
    for sent in (None, "lp_not_a_real_key"):
        response = api.post(PATH, sent, json={"email": "a@example.com"})
        assert response.status_code == 401
        assert documented(response, PATH, "post")["error"]["code"] == "unauthorized"
    assert objections_of(session) == []
    assert api.post(PATH, key, json={"email": "a@example.com"}).status_code == 201


def test_oversized_body_is_refused(api: Any, make_partner: Any, make_key: Any, app: Flask,
                                   session: Session, documented: Any) -> None:
    size = app.config["MAX_CONTENT_LENGTH"]
    response = api.post(PATH, make_key(make_partner()),
                        json={"email": "a@example.com", "note": "x" * size})

    assert response.status_code == 413
    documented(response, PATH, "post")
    assert objections_of(session) == []


def test_the_write_starts_a_transaction_of_its_own(api: Any, make_partner: Any,
                                                   make_key: Any, monkeypatch: Any) -> None:
    from leadpages.objections import services

    events: list[str] = []
    real = services.begin_write

    def begin(session: Any) -> None:
        events.append("write joined a read" if session.in_transaction() else "write")
        real(session)

    monkeypatch.setattr(services, "begin_write", begin)
    assert api.post(PATH, make_key(make_partner()), json={"email": "a@example.com"}
                    ).status_code == 201
    assert events == ["write"]
