"""A lead's story in time order, for staff: capture, deliveries and notices to the partner,
categories, objections, audiences, mailings and the audit events about it.

Read-only: each part is read from the model that records it (or the service that reads it), and
nothing here names the person beyond the lead itself (register keys only link the rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from leadpages.audiences.models import Audience, AudienceExport, AudienceMember
from leadpages.audiences.services import person_members
from leadpages.audit.models import AuditEvent
from leadpages.categories import services as categories
from leadpages.delivery.models import Delivery
from leadpages.leads.models import Lead
from leadpages.mailings.models import Mailing, MailingRecipient
from leadpages.objections.models import Objection

#: Delivery kinds that carry the lead itself; every other kind is a notice about it.
LEAD_KINDS = ("lead.created",)


@dataclass(frozen=True)
class Event:
    """One thing that happened to the lead: when, what (a kind the page labels), and facts."""

    at: datetime
    kind: str
    facts: dict[str, Any] = field(default_factory=dict)
    #: Ties events of one thing together (the same delivery, audience, mailing).
    order: int = 0


def person_keys(lead: Lead) -> dict[str, str]:
    """The lead's register keys, {kind: key}, as the register and audiences know the person."""
    return {kind: key for kind, key in (("email", lead.email_key), ("phone", lead.phone_key))
            if key}


def timeline(session: Session, lead: Lead) -> list[Event]:
    """Every event of the lead, oldest first."""
    events: list[Event] = [Event(lead.created_at, "captured", {
        "project": lead.project.slug,
        "arrangement": lead.arrangement.version if lead.arrangement else None,
        "notice": f"{lead.notice.language} v{lead.notice.version}" if lead.notice else None,
        "language": lead.language, "campaign": lead.campaign_code,
        "submissions": lead.submission_count})]
    if lead.submission_count > 1 and lead.last_submitted_at != lead.created_at:
        events.append(Event(lead.last_submitted_at, "resubmitted",
                            {"submissions": lead.submission_count}))
    events += _deliveries(session, lead)
    for change, code in categories.history(session, lead):
        events.append(Event(change.at, change.action, {"category": code,
                                                       "reason": change.reason}))
    keys = list(person_keys(lead).values())
    if keys:
        events += _objections(session, keys)
        events += _audiences(session, keys)
        events += _mailings(session, lead, keys)
    for audit in session.scalars(select(AuditEvent).where(AuditEvent.subject == f"lead:{lead.id}")
                                 .order_by(AuditEvent.id)):
        events.append(Event(audit.at, "audit", {"action": audit.action, "actor": audit.actor}))
    return sorted(events, key=lambda e: (e.at, e.order))


def _deliveries(session: Session, lead: Lead) -> list[Event]:
    events: list[Event] = []
    rows = session.scalars(select(Delivery).where(Delivery.lead_id == lead.id)
                           .options(selectinload(Delivery.history), selectinload(Delivery.partner))
                           .order_by(Delivery.id))
    for delivery in rows:
        notice = delivery.kind not in LEAD_KINDS
        base = {"kind": delivery.kind, "channel": delivery.channel,
                "partner": delivery.partner.legal_name, "delivery": delivery.id}
        events.append(Event(delivery.created_at, "notice.queued" if notice else "delivery.queued",
                            base, order=1))
        for attempt in delivery.history:
            events.append(Event(attempt.started_at, "delivery.attempt", {
                **base, "outcome": attempt.outcome, "status_code": attempt.status_code,
                "error": attempt.error, "duration_ms": attempt.duration_ms}, order=2))
        if delivery.status == "delivered" and delivery.delivered_at is not None:
            events.append(Event(delivery.delivered_at, "delivery.delivered", base, order=3))
        elif delivery.status == "dead":
            last = delivery.history[-1].started_at if delivery.history else delivery.created_at
            events.append(Event(last, "delivery.dead", {**base, "error": delivery.last_error},
                                order=3))
    return events


def _objections(session: Session, keys: list[str]) -> list[Event]:
    events: list[Event] = []
    for row in session.scalars(select(Objection).where(Objection.key.in_(keys))
                               .order_by(Objection.received_at, Objection.id)):
        facts = {"identifier": row.kind, "scope": row.scope, "source": row.source,
                 "note": row.note}
        events.append(Event(row.received_at, "objected", facts))
        if row.withdrawn_at is not None:
            events.append(Event(row.withdrawn_at, "withdrawn", facts))
    return events


def _audiences(session: Session, keys: list[str]) -> list[Event]:
    events: list[Event] = []
    rows = session.execute(
        select(AudienceMember, Audience, AudienceExport)
        .join(Audience, Audience.id == AudienceMember.audience_id)
        .join(AudienceExport, AudienceExport.id == AudienceMember.added_in)
        .where(person_members(session, keys)))
    for member, audience, export in rows:
        facts = {"audience": audience.name, "audience_id": audience.id,
                 "platform": audience.platform, "export": export.id,
                 "file": export.file_name}
        events.append(Event(export.finished_at or export.started_at, "exported", facts))
        if member.removal_due_at is not None:
            events.append(Event(member.removal_due_at, "removal-due", facts))
    return events


def _mailings(session: Session, lead: Lead, keys: list[str]) -> list[Event]:
    events: list[Event] = []
    rows = session.execute(
        select(MailingRecipient, Mailing)
        .join(Mailing, Mailing.id == MailingRecipient.mailing_id)
        .where(or_(MailingRecipient.lead_id == lead.id, MailingRecipient.email_key.in_(keys)))
        .order_by(MailingRecipient.id))
    for recipient, mailing in rows:
        at = recipient.sent_at or mailing.started_at or mailing.created_at
        events.append(Event(at, "mailing", {
            "mailing": mailing.id, "project": mailing.target_project.slug,
            "status": recipient.status, "reason": recipient.reason}))
    return events
