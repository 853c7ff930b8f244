"""Delivery health per partner: success rate, latency, failures by reason, dead letters.

Computed from the outbox (Delivery) and its history (DeliveryAttempt) over a period, with SQL
that SQLite and PostgreSQL both run; the percentiles are taken in Python over the period's rows.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from leadpages.db import utcnow
from leadpages.delivery.models import Delivery, DeliveryAttempt
from leadpages.leads.models import Lead

#: The periods a person can choose, in days.
PERIODS = (1, 7, 30)
DEFAULT_DAYS = 7
#: At most this many dead letters are listed (the count says how many there are in all).
DEAD_LETTER_LIMIT = 100


@dataclass(frozen=True)
class Failure:
    """Failed tries of one kind: a stable code, what a person reads, and how many."""

    code: str
    label: Any
    count: int


@dataclass
class Health:
    """A partner's deliveries queued in the period, and its dead letters now."""

    days: int
    since: datetime
    total: int = 0
    delivered: int = 0
    pending: int = 0
    dead: int = 0
    #: Median and 95th percentile, in seconds, from the lead's capture (or, for a message that
    #: carries no lead, from its queueing) to its delivery; None without a delivered message.
    median_seconds: float | None = None
    p95_seconds: float | None = None
    failures: list[Failure] = field(default_factory=list)
    dead_letters: list[Delivery] = field(default_factory=list)
    dead_letter_count: int = 0

    @property
    def success_rate(self) -> float | None:
        """Delivered as a share of the period's messages that are done: delivered or dead.

        Messages still being tried are neither (a retry may yet deliver them); None if no
        message of the period is done yet.
        """
        done = self.delivered + self.dead
        return self.delivered / done if done else None


def period_days(value: Any) -> int:
    """A period from a request argument: one of PERIODS, else the default."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_DAYS
    return days if days in PERIODS else DEFAULT_DAYS


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (`share` from 0 to 1) of `values`; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


_HTTP = re.compile(r"^HTTP (\d{3})")


def failure_reason(status_code: int | None, error: str | None) -> tuple[str, Any]:
    """A failed try's reason as (code, readable label), from what the worker recorded."""
    text = (error or "").lower()
    code = status_code
    if code is None and (found := _HTTP.match(error or "")):
        code = int(found.group(1))
    if code is not None:
        if 300 <= code < 400:
            return "redirect", _l("Redirect not followed")
        if code in (408, 429):
            return f"http-{code}", (_l("HTTP 408: the receiver timed out") if code == 408
                                    else _l("HTTP 429: too many requests"))
        if 400 <= code < 500:
            return f"http-{code}", _l("HTTP %(code)d: refused by the receiver", code=code)
        return f"http-{code}", _l("HTTP %(code)d: error at the receiver", code=code)
    if text.startswith("no answer within") or "timeout" in text or "timed out" in text:
        return "timeout", _l("No answer in time (timeout)")
    if "connection refused" in text or "econnrefused" in text:
        return "refused", _l("Connection refused")
    if "name or service not known" in text or "nameresolution" in text or (
        "cannot be found" in text
    ):
        return "dns", _l("Host not found")
    if "ssl" in text or "certificate" in text:
        return "tls", _l("Secure connection (TLS) failed")
    if text.startswith("webhook url refused"):
        return "address", _l("Webhook address refused")
    if "no webhook url" in text or "no signing secret" in text or "no email recipients" in text:
        return "unconfigured", _l("Channel no longer set up")
    if "stored only" in text:
        return "withheld", _l("Not sent: the lead is restricted or erased")
    if "connection" in text:
        return "connection", _l("Connection failed")
    if text.startswith("internal error"):
        return "internal", _l("Internal error")
    if "smtp" in text or "mail" in text or "recipient" in text:
        return "email", _l("Email not accepted")
    return "other", _l("Other error")


def partner_health(session: Session, partner_id: int, days: int = DEFAULT_DAYS,
                   now: datetime | None = None) -> Health:
    """The delivery health of one partner over the last `days` days."""
    now = now or utcnow()
    since = now - timedelta(days=days)
    health = Health(days=days, since=since)
    in_period = (Delivery.partner_id == partner_id, Delivery.created_at >= since,
                 Delivery.created_at <= now)
    for status, count in session.execute(
        select(Delivery.status, func.count()).where(*in_period).group_by(Delivery.status)
    ):
        setattr(health, status, count)
    health.total = health.delivered + health.pending + health.dead
    latencies: list[float] = []
    for delivered_at, queued_at, captured_at, kind in session.execute(
        select(Delivery.delivered_at, Delivery.created_at, Lead.created_at, Delivery.kind)
        .outerjoin(Lead, Lead.id == Delivery.lead_id)
        .where(*in_period, Delivery.status == "delivered")
    ):
        if delivered_at is not None:
            # A new lead counts from its capture; a notice about an older lead (objected,
            # erased...) from when the notice was queued, not from the lead's capture.
            start = captured_at if kind == "lead.created" and captured_at else queued_at
            latencies.append((delivered_at - start).total_seconds())
    if latencies:
        health.median_seconds = statistics.median(latencies)
        health.p95_seconds = percentile(latencies, 0.95)
    counts: dict[str, int] = {}
    labels: dict[str, Any] = {}
    for status_code, error, number in session.execute(
        select(DeliveryAttempt.status_code, DeliveryAttempt.error, func.count())
        .join(Delivery, Delivery.id == DeliveryAttempt.delivery_id)
        .where(Delivery.partner_id == partner_id, DeliveryAttempt.started_at >= since,
               DeliveryAttempt.started_at <= now,
               DeliveryAttempt.outcome.in_(("retry", "dead")))
        .group_by(DeliveryAttempt.status_code, DeliveryAttempt.error)
    ):
        code, label = failure_reason(status_code, error)
        counts[code] = counts.get(code, 0) + number
        labels[code] = label
    health.failures = sorted((Failure(code, labels[code], count)
                              for code, count in counts.items()),
                             key=lambda failure: (-failure.count, failure.code))
    health.dead_letter_count = dead_letter_counts(session, [partner_id]).get(partner_id, 0)
    health.dead_letters = dead_letters(session, partner_id)
    return health


def dead_letters(session: Session, partner_id: int,
                 limit: int = DEAD_LETTER_LIMIT) -> list[Delivery]:
    """The partner's dead letters (whenever queued), newest first."""
    return list(session.scalars(
        select(Delivery).where(Delivery.partner_id == partner_id, Delivery.status == "dead")
        .order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit)))


def dead_letter_counts(session: Session, partner_ids: list[int] | None = None) -> dict[int, int]:
    """How many dead letters each partner has now (partners without any are left out)."""
    query = select(Delivery.partner_id, func.count()).where(Delivery.status == "dead")
    if partner_ids is not None:
        query = query.where(Delivery.partner_id.in_(partner_ids))
    return dict(session.execute(query.group_by(Delivery.partner_id)).all())


@dataclass(frozen=True)
class Summary:
    """A partner's line in the list: messages queued in the period, and how many arrived."""

    total: int
    delivered: int
    dead: int = 0

    @property
    def success_rate(self) -> float | None:
        """Delivered as a share of those done, delivered or dead (None if none is done yet)."""
        done = self.delivered + self.dead
        return self.delivered / done if done else None


def summaries(session: Session, days: int = DEFAULT_DAYS,
              now: datetime | None = None) -> dict[int, Summary]:
    """Per partner, its deliveries queued in the last `days` days and how many arrived."""
    now = now or utcnow()
    delivered = func.sum(case((Delivery.status == "delivered", 1), else_=0))
    dead = func.sum(case((Delivery.status == "dead", 1), else_=0))
    rows = session.execute(
        select(Delivery.partner_id, func.count(), delivered, dead)
        .where(Delivery.created_at >= now - timedelta(days=days), Delivery.created_at <= now)
        .group_by(Delivery.partner_id))
    return {partner_id: Summary(total, int(done or 0), int(lost or 0))
            for partner_id, total, done, lost in rows}
