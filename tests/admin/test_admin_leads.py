"""Lead search across partners and a lead's timeline, for admins and the privacy officer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from admin_support import StaffBrowser
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpages.audiences import services as audiences
from leadpages.audit.models import AuditEvent
from leadpages.delivery.worker import Worker
from leadpages.leads.models import Lead
from leadpages.objections import services as objections
from leadpages.projects.models import Project


def _audit_text(session: Session) -> str:
    session.expire_all()
    return " ".join(f"{e.action} {e.subject} {e.detail}" for e in
                    session.scalars(select(AuditEvent)))


def test_search_finds_any_spelling_of_email_and_phone_across_partners(
        privacy_officer: StaffBrowser, make_project: Callable[..., Project],
        lead_of: Callable[..., Lead], session: Session) -> None:
    mine = lead_of(make_project(), email="Mary.Smith+ads@GoogleMail.com",
                   phone="0470 99 88 77", first_name="Mary", last_name="Smith")
    other = lead_of(make_project(), email="someone.else@example.com", phone="0470 11 22 33",
                    first_name="Otto", last_name="Other")
    assert mine.partner_id != other.partner_id

    by_email = privacy_officer.post("/admin/leads", {"email": "marysmith@gmail.com"})
    assert by_email.status_code == 200
    html = by_email.get_data(as_text=True)
    assert f"/admin/leads/{mine.id}" in html
    assert f"/admin/leads/{other.id}" not in html

    by_phone = privacy_officer.post("/admin/leads",
                                    {"phone": "+32470998877"}).get_data(as_text=True)
    assert f"/admin/leads/{mine.id}" in by_phone
    assert f"/admin/leads/{other.id}" not in by_phone
    by_phone = privacy_officer.post("/admin/leads",
                                    {"phone": "0032470998877"}).get_data(as_text=True)
    assert f"/admin/leads/{mine.id}" in by_phone

    # Staff see the leads of every partner: the other partner's lead by name fragment.
    by_name = privacy_officer.post("/admin/leads", {"name": "otto oth"}).get_data(as_text=True)
    assert f"/admin/leads/{other.id}" in by_name
    assert f"/admin/leads/{mine.id}" not in by_name
    everyone = privacy_officer.get("/admin/leads").get_data(as_text=True)
    assert f"/admin/leads/{other.id}" in everyone
    assert f"/admin/leads/{mine.id}" in everyone
    by_partner = privacy_officer.post("/admin/leads", {"partner": str(other.partner_id),
                                                       "status": "new"})
    assert f"/admin/leads/{mine.id}" not in by_partner.get_data(as_text=True)

    # Searches are audited with the filters used, never with what was typed.
    text = _audit_text(session)
    assert "lead.search" in text
    assert "'email'" in text
    assert "'phone'" in text
    for typed in ("marysmith", "gmail", "470998877", "otto"):
        assert typed not in text.lower()


@pytest.mark.parametrize(("query", "message", "kept"), [
    ({"created_from": "yesterday"}, "Not a valid date value", 'value="yesterday"'),
    ({"phone": "12"}, "is not a valid phone number", 'value="12"'),
    ({"email": "nobody"}, "is not a valid email address", 'value="nobody"'),
])
def test_bad_search_input_is_422(privacy_officer: StaffBrowser, session: Session,
                                 query: dict[str, str], message: str, kept: str) -> None:
    answer = privacy_officer.post("/admin/leads", query)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in html
    assert kept in html
    assert "lead.search" not in _audit_text(session)


def test_timeline_shows_capture_delivery_tags_objection_and_export(
        app: Flask, privacy_officer: StaffBrowser, make_project: Callable[..., Project],
        lead_of: Callable[..., Lead], session: Session, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "AUDIENCE_PATH", str(tmp_path / "audiences"))
    project = make_project()
    lead = lead_of(project, email="Tina.Timeline@example.com", phone="0470 55 44 33")
    with app.app_context():
        audience = audiences.define_audience(session, name="Timeline buyers", platform="meta",
                                             categories=["residential"], window_days=30,
                                             min_size=1, created_by="tester")
        session.commit()
        Worker(app, name="test-worker").turn()  # delivers lead.created by email
        done = audiences.export_audience(session, audience, run_by="tester")
        assert done.status == "written"
        assert done.included == 1
        objections.record_objection(session, email="tina.timeline@EXAMPLE.com", scope="all",
                                    source="staff", note="letter of 2026-11-20")
        session.commit()

    page = privacy_officer.get(f"/admin/leads/{lead.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Tina" in html
    for kind in ("event-captured", "event-delivery-queued", "event-delivery-attempt",
                 "event-delivery-delivered", "event-tagged", "event-untagged",
                 "event-objected", "event-exported", "event-removal-due",
                 "event-notice-queued", "event-audit"):
        assert kind in html, kind
    assert "Timeline buyers" in html
    assert "letter of 2026-11-20" in html
    assert "lead.objected" in html

    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "lead.view")).all()
    assert [e.subject for e in events] == [f"lead:{lead.id}"]
    assert "tina" not in _audit_text(session).lower()


def test_marketer_cannot_search_leads_and_strangers_sign_in(
        marketer: StaffBrowser, client: Any) -> None:
    assert marketer.get("/admin/leads").status_code == 403
    assert marketer.get("/admin/leads/1").status_code == 403
    answer = client.get("/admin/leads")
    assert answer.status_code == 303
    assert "/admin/sign-in" in answer.headers["Location"]


def test_unknown_lead_is_404(admin: StaffBrowser) -> None:
    assert admin.get("/admin/leads/999999").status_code == 404


def test_pages_of_a_search_are_asked_by_post_too(
        privacy_officer: StaffBrowser, make_project: Callable[..., Project],
        submit: Callable[..., Any]) -> None:
    project = make_project()
    for n in range(52):
        assert submit(project, first_name="Paged", last_name=f"Person{n:02d}",
                      email=f"paged{n}@example.com",
                      phone=f"+3247055{n:04d}").status_code in (302, 303)
    first = privacy_officer.post("/admin/leads", {"name": "paged"}).get_data(as_text=True)
    assert "52 leads found." in first
    assert 'name="page" value="2"' in first  # a button of the search form, not a link
    assert "?name=" not in first
    second = privacy_officer.post("/admin/leads", {"name": "paged", "page": "2"})
    page = second.get_data(as_text=True)
    assert "Page 2 of 2" in page
    assert page.count("Paged Person") == 2
