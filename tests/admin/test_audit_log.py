"""The audit log: every append is chained; the database refuses changes; a forgery shows."""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DatabaseError
from support import text_of

from leadpages.audit import services as audit
from leadpages.audit.models import AuditEvent


def test_events_chain_and_verify(session: Any, make_staff: Any) -> None:
    user = make_staff("privacy")
    first = audit.record(session, user, "lead.view", "lead:1")
    second = audit.record(session, "cli", "objection.add", "", scope="ads")
    assert second.prev_hash == first.hash
    assert first.actor == f"{user.name} <{user.email}>"
    assert second.detail == {"scope": "ads"}
    check = audit.verify(session)
    assert check.is_intact
    assert check.checked >= 2


#: Every statement that could remove or change events; TRUNCATE exists on PostgreSQL only.
CHANGES = ["UPDATE audit_events SET action = 'nothing'", "DELETE FROM audit_events"]
if os.environ.get("LEADPAGES_TEST_DATABASE_URL", "").startswith("postgresql"):
    CHANGES.append("TRUNCATE audit_events")


@pytest.mark.parametrize("statement", CHANGES)
def test_the_database_refuses_to_change_or_remove_events(session: Any, make_staff: Any,
                                                         statement: str) -> None:
    audit.record(session, make_staff(), "lead.view", "lead:1")
    with pytest.raises(DatabaseError, match="append-only"), session.begin_nested():
        session.execute(text(statement))
    assert session.query(AuditEvent).filter_by(action="lead.view").count() == 1


def test_a_forged_event_breaks_the_chain_from_there(session: Any, make_staff: Any) -> None:
    user = make_staff()
    audit.record(session, user, "lead.view", "lead:1")
    last = audit.record(session, user, "lead.view", "lead:2")
    # Someone with database access slips in an event without knowing how hashes are made.
    session.execute(insert(AuditEvent).values(
        at=last.at, actor="forger", action="lead.view", subject="lead:3", detail={},
        prev_hash=last.hash, hash="0" * 64))
    audit.record(session, user, "lead.view", "lead:4")
    check = audit.verify(session)
    assert not check.is_intact
    forged = session.query(AuditEvent).filter_by(actor="forger").one()
    assert check.broken_at == forged.id


def test_the_log_page_shows_events_and_the_chain(privacy_officer: Any, session: Any) -> None:
    audit.record(session, "cli", "objection.add", "lead:7", scope="all")
    page = privacy_officer.get("/admin/audit?subject=lead:7")
    assert page.status_code == 200
    body = text_of(page)
    assert "objection.add" in body
    assert "scope: all" in body
    assert "is intact" not in body  # checked only when asked
    assert "is intact" in text_of(privacy_officer.get("/admin/audit?verify=1"))
    assert "staff.sign-in" not in body  # filtered to the subject


def test_marketers_do_not_see_the_log(marketer: Any) -> None:
    assert marketer.get("/admin/audit").status_code == 403
