"""Staff's lead search across every partner: by person (register keys), name, project, status.

An email address or phone number is matched in canonical form through its register key (the
keyed hash every lead stores, leadpages.objections.keys), so any spelling finds the person and
the typed value is never compared or stored as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, false, func, or_, select

from leadpages.leads.models import LEAD_STATUSES, Lead
from leadpages.objections.keys import email_key, phone_key


@dataclass(frozen=True)
class LeadFilters:
    """What staff search by; every field optional."""

    email: str | None = None
    phone: str | None = None
    name: str | None = None
    project_id: int | None = None
    partner_id: int | None = None
    status: str | None = None
    created_from: date | None = None
    created_to: date | None = None

    def used(self) -> list[str]:
        """The names of the filters given (for the audit log: never their values)."""
        return [name for name, value in vars(self).items() if value not in (None, "")]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def search_query(filters: LeadFilters) -> Select[Any]:
    """The leads that match every filter given, newest first (a SELECT of Lead for paginate).

    A phone that is no valid number matches nothing rather than everything.
    """
    query = select(Lead)
    if filters.email:
        query = query.where(Lead.email_key == email_key(filters.email))
    if filters.phone:
        key = phone_key(filters.phone)
        query = query.where(Lead.phone_key == key) if key else query.where(false())
    if filters.name:
        pattern = f"%{_escape_like(' '.join(filters.name.split()).lower())}%"
        full = func.lower(Lead.first_name + " " + Lead.last_name)
        query = query.where(or_(full.like(pattern, escape="\\"),
                                func.lower(Lead.last_name).like(pattern, escape="\\")))
    if filters.project_id is not None:
        query = query.where(Lead.project_id == filters.project_id)
    if filters.partner_id is not None:
        query = query.where(Lead.partner_id == filters.partner_id)
    if filters.status:
        if filters.status not in LEAD_STATUSES:
            raise ValueError(f"status must be one of {', '.join(LEAD_STATUSES)}")
        query = query.where(Lead.status == filters.status)
    if filters.created_from is not None:
        query = query.where(Lead.created_at >= _start_of(filters.created_from))
    if filters.created_to is not None:
        query = query.where(Lead.created_at < _start_of(filters.created_to + timedelta(days=1)))
    return query.order_by(Lead.created_at.desc(), Lead.id.desc())
