"""Audit events, each chained to the one before by a hash, so a gap or an edit shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from leadpages.db import Base, utcnow


class AuditEvent(Base):
    """One staff action on personal data (or on who may act): who, what, on what, when.

    Rows are only ever inserted: database triggers refuse UPDATE and DELETE (migration 0006).
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The staff user who acted; None for the command line or the system.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    #: A readable name of the actor as it was then ("Ann Peeters <ann@...>", "cli:root").
    actor: Mapped[str] = mapped_column(String(300))
    #: Dotted verb, such as "lead.view", "objection.add", "audience.export".
    action: Mapped[str] = mapped_column(String(60), index=True)
    #: What was acted on, as "<kind>:<id>" ("lead:42", "partner:7"); "" when nothing in particular.
    subject: Mapped[str] = mapped_column(String(120), index=True, default="")
    #: Facts about the action; never an email address, phone number or other identifier.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The previous event's hash ("" for the first) and this event's SHA-256 over it and its fields.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
