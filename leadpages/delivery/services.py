"""Writing the outbox: the messages that must reach a partner, in the caller's transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadpages.delivery.models import Delivery
from leadpages.leads.models import Lead


def enqueue_lead(session: Session, lead: Lead, kind: str = "lead.created") -> list[Delivery]:
    """Queue `kind` for `lead` on every channel its partner has; flushed, never committed."""
    partner = lead.project.partner
    rows = []
    if partner.webhook_url:
        rows.append(Delivery(kind=kind, lead_id=lead.id, partner_id=partner.id, channel="webhook"))
    if partner.email_recipients:
        rows.append(Delivery(kind=kind, lead_id=lead.id, partner_id=partner.id, channel="email"))
    session.add_all(rows)
    session.flush()
    return rows
