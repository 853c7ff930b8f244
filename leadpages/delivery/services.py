"""Writing the outbox and acting on it: what must reach a partner, and replays of dead letters.

Everything here runs in the caller's transaction (flush, never commit); the worker
(leadpages.delivery.worker) sends what was committed.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from leadpages.db import utcnow
from leadpages.delivery.models import Delivery, DeliveryAttempt
from leadpages.leads.models import Lead
from leadpages.partners.models import Partner

#: The version of the `data` object of lead events; documented in docs/webhooks.md.
PAYLOAD_VERSION = 1
#: PostgreSQL channel on which committed outbox rows wake the workers.
CHANNEL = "leadpages_outbox"


def notify(session: Session) -> None:
    """Wake the workers when this transaction commits (PostgreSQL; SQLite workers poll)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))


class DeliveryError(ValueError):
    """A delivery action is not possible as asked; says why."""


def lead_data(lead: Lead) -> dict[str, Any]:
    """A lead as partners receive it, in every channel (webhook, email, API, CSV)."""
    project = lead.project
    text = project.text(lead.language) or project.texts[0]
    arrangement = lead.arrangement
    return {
        "schema_version": PAYLOAD_VERSION,
        "id": lead.public_id,
        "created_at": lead.created_at.isoformat(),
        "language": lead.language,
        "project": {"slug": project.slug, "title": text.title},
        "campaign": lead.campaign_code,
        "contact": {
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "email": lead.email,
            "phone": lead.phone,
        },
        "details": {
            "postcode": lead.postcode,
            "country": lead.country,
            "budget": ({"amount": str(lead.budget_amount), "currency": lead.budget_currency}
                       if lead.budget_amount is not None else None),
            "preferred_location": lead.preferred_location,
            "bedrooms": lead.bedrooms,
            "garden": lead.garden,
            "timeframe": lead.timeframe,
            "contact_preference": lead.contact_preference,
            "message": lead.message,
        },
        "arrangement": ({"version": arrangement.version, "digest": arrangement.digest}
                        if arrangement else None),
    }


def event_body(kind: str, data: dict[str, Any], at: datetime | None = None) -> str:
    """The JSON body of one event, as the Standard Webhooks specification shapes it."""
    body = {"type": kind, "timestamp": (at or utcnow()).isoformat(), "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def channels_of(partner: Partner) -> list[str]:
    """The channels a partner receives events through."""
    return [channel for channel, configured in (("webhook", partner.webhook_url),
                                                ("email", partner.email_recipients))
            if configured]


def enqueue_lead(session: Session, lead: Lead, kind: str = "lead.created",
                 data: dict[str, Any] | None = None) -> list[Delivery]:
    """Queue `kind` for `lead` on every channel its partner has; flushed, never committed.

    `data` is the event's data; by default the whole lead (lead_data), as lead.created sends.
    """
    partner = lead.project.partner
    payload = event_body(kind, data if data is not None else lead_data(lead))
    rows = [Delivery(kind=kind, lead_id=lead.id, partner_id=partner.id, partner=partner,
                     channel=channel, payload=payload)
            for channel in channels_of(partner)]
    session.add_all(rows)
    session.flush()
    if rows:
        notify(session)
    return rows


def enqueue_ping(session: Session, partner: Partner) -> Delivery:
    """Queue a `ping` to the partner's webhook, to test its receiver."""
    if not partner.webhook_url:
        raise DeliveryError("set a webhook URL first")
    data = {"partner": partner.slug, "message": "Test message from Leadpages."}
    row = Delivery(kind="ping", partner_id=partner.id, partner=partner, channel="webhook",
                   payload=event_body("ping", data))
    session.add(row)
    session.flush()
    notify(session)
    return row


def undeliverable(delivery: Delivery) -> str | None:
    """Why this message may not be sent now, or None (DESIGN.md rule 6, at the moment of acting).

    A restricted or erased lead is stored only: its lead events are not sent, however and
    whenever they were queued.
    """
    if delivery.kind == "lead.created" and delivery.lead_id is not None:
        lead = delivery.lead
        if lead is not None and lead.status != "new":
            return f"the lead is {lead.status}: stored only, not sent"
    return None


def retry_deadline(delivery: Delivery, window: timedelta) -> datetime:
    """Until when a failing delivery is retried: the window from its queueing or last replay."""
    replays = [a.started_at for a in delivery.history if a.outcome == "replayed"]
    return max([delivery.created_at, *replays]) + window


def replay(session: Session, delivery: Delivery, by: str) -> Delivery:
    """Send a dead letter again, with the same message id; the history says who asked."""
    if delivery.status != "dead":
        raise DeliveryError(f"only dead letters can be replayed; this one is {delivery.status}")
    refusal = undeliverable(delivery)
    if refusal:
        raise DeliveryError(refusal)
    now = utcnow()
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.lease_until = None
    delivery.history.append(DeliveryAttempt(started_at=now, outcome="replayed",
                                            error=f"replayed by {by}"))
    session.flush()
    notify(session)
    return delivery


def partner_deliveries_query(partner_id: int, status: str | None = None) -> Any:
    """The partner's own deliveries, newest first, optionally of one status."""
    query = select(Delivery).where(Delivery.partner_id == partner_id)
    if status:
        query = query.where(Delivery.status == status)
    return query.order_by(Delivery.created_at.desc(), Delivery.id.desc())


def get_partner_delivery(session: Session, partner_id: int, delivery_id: int) -> Delivery | None:
    """One of the partner's own deliveries; another partner's does not exist."""
    return session.scalar(select(Delivery).where(Delivery.id == delivery_id,
                                                 Delivery.partner_id == partner_id))
