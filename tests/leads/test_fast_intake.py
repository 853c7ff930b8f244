"""The intake service (leads.services.store_submission): what it reads in its transaction, and
what it writes without loading the lead back.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpages.categories import services as categories
from leadpages.db import utcnow
from leadpages.delivery import services as delivery
from leadpages.delivery.models import Delivery
from leadpages.leads.models import Lead
from leadpages.leads.services import (
    IntakeClosed,
    IntakeStale,
    LeadInput,
    find_duplicate,
    intake_turn,
    store_submission,
    submit_lead,
)
from leadpages.notices.models import PrivacyNotice
from leadpages.projects import services as projects
from leadpages.projects.models import ProjectText

PERSON = LeadInput(first_name="Jan", last_name="Janssens", email="Jan.Janssens@Example.com",
                   phone="+32470123456", postcode="9000", country="BE",
                   budget_amount=Decimal("350000.00"), budget_currency="EUR", bedrooms=2,
                   message="Graag.\nDank!", marketing_email_opt_in=True)


@pytest.fixture(autouse=True)
def _app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_stored_lead_and_its_payload_are_what_loading_it_gives(
        session: Session, make_partner: Any, make_project: Any) -> None:
    partner = make_partner(webhook_url="https://crm.partner.example/hook", email_recipients=[])
    project = make_project(partner=partner)
    categories.set_project_categories(session, project, ["residential", "luxury"])
    intake = submit_lead(session, project, PERSON, lang="fr", campaign_code="c1",
                         source_ip="192.0.2.7")
    session.commit()
    lead = intake.lead
    session.refresh(lead)
    assert intake.created
    assert (lead.email, lead.email_canonical, lead.phone) == (
        "Jan.Janssens@Example.com", "jan.janssens@example.com", "+32470123456")
    assert (lead.language, lead.campaign_code, lead.source_ip) == ("fr", "c1", "192.0.2.7")
    assert lead.budget_amount == Decimal("350000.00")
    assert lead.message == "Graag.\nDank!"
    assert lead.email_key
    assert lead.phone_key
    assert len(lead.public_id) == 32
    assert lead.arrangement is not None
    assert lead.arrangement.partner_id == partner.id
    assert lead.notice.language == "fr"
    assert [c.code for c in lead.categories] == ["luxury", "residential"]
    assert sorted((e.action, code, e.reason) for e, code in categories.history(session, lead)
                  ) == [("tagged", "luxury", "capture"), ("tagged", "residential", "capture")]
    [row] = session.scalars(select(Delivery).where(Delivery.lead_id == lead.id))
    body = json.loads(row.payload)
    assert (row.kind, row.channel, row.partner_id) == ("lead.created", "webhook", partner.id)
    assert body["type"] == "lead.created"
    assert body["data"] == delivery.lead_data(lead)
    assert body["data"]["project"]["title"] == project.text("fr").title


def test_a_project_without_the_language_names_itself_by_its_first_text(
        session: Session, make_partner: Any, make_project: Any) -> None:
    project = make_project(partner=make_partner(webhook_url="https://crm.partner.example/h",
                                                email_recipients=[]), languages=["nl"])
    project.texts.append(ProjectText(language="en", title="Added later"))
    session.flush()
    lead = submit_lead(session, project, PERSON, lang="fr", campaign_code=None,
                       source_ip=None).lead
    payload = json.loads(session.scalars(select(Delivery.payload)).one())
    assert payload["data"] == delivery.lead_data(lead)
    assert payload["data"]["project"]["title"] == project.texts[0].title


def test_a_project_that_takes_no_requests_stores_nothing(
        session: Session, make_partner: Any, make_project: Any) -> None:
    for project in (make_project(status="closed"), make_project(status="draft"),
                    make_project(partner=make_partner(arrangement=False))):
        with pytest.raises(IntakeClosed):
            store_submission(session, project.id, PERSON, lang="en", campaign_code=None,
                             source_ip=None)
        session.rollback()
    with pytest.raises(IntakeClosed):
        store_submission(session, 999_999, PERSON, lang="en", campaign_code=None,
                         source_ip=None)
    session.rollback()
    assert count(session, Lead) == 0


def test_a_form_read_before_the_project_changed_is_refused(session: Session,
                                                           make_project: Any) -> None:
    project = make_project()
    seen = projects.intake_project(session, project.slug)
    assert seen is not None
    assert seen.is_published
    project.optional_fields = ["budget"]
    session.commit()
    with pytest.raises(IntakeStale):
        store_submission(session, project.id, PERSON, lang="en", campaign_code=None,
                         source_ip=None, seen=seen)
    session.rollback()
    assert count(session, Lead) == 0
    fresh = projects.intake_project(session, project.slug)
    assert fresh is not None
    assert fresh.optional_fields == {"budget"}
    store_submission(session, project.id, PERSON, lang="en", campaign_code=None,
                     source_ip=None, seen=fresh)
    assert count(session, Lead) == 1


def test_a_changed_notice_is_stored_in_the_intakes_transaction(
        app: Flask, session: Session, make_project: Any) -> None:
    project = make_project()
    app.config["OPERATOR_PRIVACY_EMAIL"] = "dpo@operator.example"
    try:
        stored = store_submission(session, project.id, PERSON, lang="nl", campaign_code=None,
                                  source_ip=None)
    finally:
        app.config["OPERATOR_PRIVACY_EMAIL"] = "privacy@leadpages.example"
    session.commit()
    lead = session.get_one(Lead, stored.lead_id)
    assert "dpo@operator.example" in lead.notice.body
    assert count(session, PrivacyNotice) == 1


def test_the_duplicate_rule_by_email_or_phone_within_the_window(
        session: Session, make_project: Any) -> None:
    project, other = make_project(), make_project()
    now = utcnow()
    first = store_submission(session, project.id, PERSON, lang="en", campaign_code=None,
                             source_ip=None, now=now - timedelta(hours=2))
    by_phone = store_submission(
        session, project.id, LeadInput(first_name="J", last_name="J", email="x@example.com",
                                       phone=PERSON.phone), lang="en", campaign_code=None,
        source_ip=None, now=now)
    assert (first.created, by_phone.created) == (True, False)
    assert by_phone.lead_id == first.lead_id
    assert store_submission(session, other.id, PERSON, lang="en", campaign_code=None,
                            source_ip=None, now=now).created  # another project
    lead = session.get_one(Lead, first.lead_id)
    assert find_duplicate(session, project, "jan.janssens@example.com", "+3200", now) == lead
    assert find_duplicate(session, project, "jan.janssens@example.com", "+3200",
                          now + timedelta(days=40)) is None  # after the window
    lead.status = "erased"
    session.flush()
    assert find_duplicate(session, project, "jan.janssens@example.com", "+3200", now) is None
    assert store_submission(session, project.id, PERSON, lang="en", campaign_code=None,
                            source_ip=None, now=now).created


def test_under_consent_only_a_ticked_box_is_categorised(
        app: Flask, session: Session, make_project: Any) -> None:
    project = make_project()
    app.config["AUDIENCE_BASIS"] = "consent"
    try:
        silent = store_submission(session, project.id, PERSON, lang="en", campaign_code=None,
                                  source_ip=None)
        agreed = store_submission(
            session, project.id, LeadInput(first_name="A", last_name="B",
                                           email="agreed@example.com", phone="+32471000000",
                                           ads_consented=True),
            lang="en", campaign_code=None, source_ip=None)
    finally:
        app.config["AUDIENCE_BASIS"] = "legitimate-interest"
    session.expire_all()
    assert [c.code for c in session.get_one(Lead, silent.lead_id).categories] == []
    assert [c.code for c in session.get_one(Lead, agreed.lead_id).categories] == ["residential"]


def _locked(path: str) -> bool:
    """Whether another holder has the file's lock (a second open file, as another process)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_intakes_take_turns_on_sqlite(session: Session, make_project: Any) -> None:
    """The turn is held from the write transaction's start to its end, also on an error."""
    project = make_project()
    url = session.get_bind().engine.url
    if url.get_backend_name() != "sqlite":
        with intake_turn(session):
            store_submission(session, project.id, PERSON, lang="en", campaign_code=None,
                             source_ip=None)
            assert not session.info  # nothing to hold: PostgreSQL's row lock orders intakes
        return
    path = f"{url.database}.intake-lock"
    session.commit()
    with intake_turn(session):
        assert not _locked(path)  # not before the write transaction begins
        store_submission(session, project.id, PERSON, lang="en", campaign_code=None,
                         source_ip=None)
        assert _locked(path)
        session.commit()
    assert not _locked(path)
    project.status = "closed"
    with pytest.raises(IntakeClosed), intake_turn(session):  # given back on the way out
        store_submission(session, project.id, PERSON, lang="en", campaign_code=None,
                         source_ip=None)
    session.rollback()
    assert not _locked(path)
