"""The objection register for staff: look-ups by hashed identifier, and objections entered."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from admin_support import StaffBrowser
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpages.audit.models import AuditEvent
from leadpages.delivery.models import Delivery
from leadpages.leads.models import Lead
from leadpages.objections import services as objections
from leadpages.objections.models import Objection
from leadpages.projects.models import Project


def _audit(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_lookup_found_and_not_found(app: Flask, privacy_officer: StaffBrowser,
                                    session: Session) -> None:
    with app.app_context():
        objections.record_objection(session, email="ann.objector@example.com", scope="ads",
                                    source="page")
        session.commit()
    found = privacy_officer.post("/admin/register", {"lookup-email": " ANN.Objector@Example.com"})
    assert found.status_code == 200
    html = found.get_data(as_text=True)
    assert "In the register" in html
    assert "ads" in html
    assert "page" in html
    assert "ann.objector" not in html.lower()  # what was typed is not shown back

    missing = privacy_officer.post("/admin/register", {"lookup-phone": "0470 00 00 01"})
    assert "Not in the register" in missing.get_data(as_text=True)

    events = _audit(session, "register.lookup")
    assert [(e.detail["kinds"], e.detail["found"]) for e in events] == [
        (["email"], True), (["phone"], False)]
    assert "ann" not in str([e.detail for e in events]).lower()


def test_lookup_needs_a_valid_identifier(privacy_officer: StaffBrowser) -> None:
    answer = privacy_officer.post("/admin/register", {"lookup-email": "not an address"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "is not a valid email address" in html
    assert 'value="not an address"' in html


def test_staff_objection_untags_and_tells_the_partner(
        app: Flask, privacy_officer: StaffBrowser, make_project: Callable[..., Project],
        lead_of: Callable[..., Lead], session: Session) -> None:
    lead = lead_of(make_project(), email="bert.letter@example.com", phone="0470 21 21 21")
    assert [c.code for c in lead.categories] == ["residential"]

    answer = privacy_officer.post("/admin/register/objections", {
        "add-email": "Bert.Letter@EXAMPLE.com", "add-scope": "all",
        "add-note": "letter of 2026-11-20"})
    assert answer.status_code == 303
    assert "1 leads untagged" in privacy_officer.get("/admin/register").get_data(as_text=True)

    session.expire_all()
    rows = session.scalars(select(Objection)).all()
    assert [(r.kind, r.scope, r.source) for r in rows] == [("email", "all", "staff")]
    assert rows[0].note is not None
    assert rows[0].note.startswith("letter of 2026-11-20 (entered by")
    refreshed = session.get(Lead, lead.id)
    assert refreshed is not None
    assert refreshed.categories == []
    notices = session.scalars(select(Delivery).where(Delivery.kind == "lead.objected")).all()
    assert [d.lead_id for d in notices] == [lead.id]
    with app.app_context():
        assert objections.objected(session, [lead.email_key], "ads")

    [event] = _audit(session, "objection.add")
    assert event.detail["untagged"] == 1
    assert event.detail["partners_notified"] == 1
    assert "bert" not in f"{event.subject} {event.detail}".lower()


@pytest.mark.parametrize(("data", "message"), [
    ({}, "give an email address, a phone number, or both"),
    ({"add-email": "bert@"}, "is not a valid email address"),
    ({"add-phone": "12"}, "is not a valid phone number"),
    ({"add-email": "ok@example.com", "add-note": ""}, "Fill in this field."),
])
def test_bad_objection_is_422_and_keeps_what_was_typed(
        privacy_officer: StaffBrowser, session: Session, data: dict[str, str],
        message: str) -> None:
    form = {"add-scope": "ads", "add-note": "call of today", **data}
    answer = privacy_officer.post("/admin/register/objections", form)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in html
    for value in data.values():
        if value:
            assert f'value="{value}"' in html
    assert session.scalar(select(func.count()).select_from(Objection)) == 0
    assert _audit(session, "objection.add") == []


def test_register_is_for_admins_and_the_privacy_officer(marketer: StaffBrowser,
                                                        admin: StaffBrowser) -> None:
    assert marketer.get("/admin/register").status_code == 403
    assert marketer.post("/admin/register/objections", {"add-email": "x@example.com"}
                         ).status_code == 403
    assert admin.get("/admin/register").status_code == 200
