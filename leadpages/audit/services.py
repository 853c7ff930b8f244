"""Writing and checking the audit log: one function every surface calls, `record`.

Each event's hash covers the previous event's hash and its own fields, so removing, inserting or
changing an event anywhere breaks the chain from there on, which `verify` finds. Appends are
serialised (PostgreSQL: a transaction advisory lock; SQLite has one writer anyway), so the chain
never forks. `record` flushes and never commits: the event lands with the action it describes.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from leadpages.audit.models import AuditEvent
from leadpages.db import utcnow
from leadpages.staff.models import StaffUser

#: Arbitrary, fixed: the key of PostgreSQL's advisory lock that serialises appends.
_LOCK_KEY = 7_311_001


def cli_actor(by: str | None = None) -> str:
    """How a command-line action is named: "cli:<who>", the --by name or the system user."""
    return f"cli:{(by or getpass.getuser()).strip()}"


def actor_label(actor: StaffUser | str | None) -> str:
    """How an actor is named in the log: "Name <email>" for staff, else the given label."""
    if isinstance(actor, StaffUser):
        return f"{actor.name} <{actor.email}>"
    return actor or "system"


def _digest(prev_hash: str, at: datetime, actor_id: int | None, actor: str, action: str,
            subject: str, detail: dict[str, Any]) -> str:
    body = json.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), actor_id, actor, action, subject,
         detail],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def record(session: Session, actor: StaffUser | str | None, action: str, subject: str = "",
           **detail: Any) -> AuditEvent:
    """Append one event: `actor` did `action` (e.g. "lead.view") on `subject` (e.g. "lead:42").

    `detail` holds facts about the action (counts, field names, a reason); never an email
    address, phone number or other identifier of a person.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    last = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    prev_hash = last or ""
    at = utcnow()
    actor_id = actor.id if isinstance(actor, StaffUser) else None
    label = actor_label(actor)
    clean = json.loads(json.dumps(detail, default=str))
    event = AuditEvent(at=at, actor_id=actor_id, actor=label, action=action, subject=subject,
                       detail=clean, prev_hash=prev_hash,
                       hash=_digest(prev_hash, at, actor_id, label, action, subject, clean))
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of `verify`: how many events were checked, and the first that does not fit."""

    checked: int
    broken_at: int | None

    @property
    def is_intact(self) -> bool:
        return self.broken_at is None


def verify(session: Session) -> ChainCheck:
    """Walk the whole log in order and check every link and every hash."""
    prev_hash = ""
    checked = 0
    query = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)
    events = session.scalars(query)
    try:
        for event in events:
            expected = _digest(prev_hash, event.at, event.actor_id, event.actor, event.action,
                               event.subject, event.detail)
            if event.prev_hash != prev_hash or event.hash != expected:
                return ChainCheck(checked, event.id)
            prev_hash = event.hash
            checked += 1
    finally:
        events.close()  # a server-side cursor on PostgreSQL, left early on a break
    return ChainCheck(checked, None)


def events_query(*, action: str | None = None, subject: str | None = None,
                 actor_id: int | None = None) -> Any:
    """Events newest first, filtered, for the log's screen."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if subject:
        query = query.where(AuditEvent.subject == subject)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    return query
