"""Lead intake: the one place where a submitted form becomes a lead and its outbox rows."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from leadpages.arrangements import services as arrangements
from leadpages.arrangements.models import Arrangement
from leadpages.categories import services as categories
from leadpages.db import begin_write, utcnow
from leadpages.delivery.services import enqueue_lead
from leadpages.identifiers import canonical_email
from leadpages.leads import consents
from leadpages.leads.models import Lead
from leadpages.notices.services import current_notice
from leadpages.objections import services as objections
from leadpages.objections.keys import person_keys
from leadpages.projects import services as projects
from leadpages.projects.models import Project


class IntakeClosed(Exception):
    """The project takes no requests now (closed, draft, or no arrangement in force)."""


@dataclass(frozen=True)
class LeadInput:
    """What a person gave, validated and normalised by the form (or, later, the API)."""

    first_name: str
    last_name: str
    email: str
    phone: str
    postcode: str | None = None
    country: str | None = None
    budget_amount: Decimal | None = None
    budget_currency: str | None = None
    preferred_location: str | None = None
    bedrooms: int | None = None
    garden: str | None = None
    timeframe: str | None = None
    contact_preference: str | None = None
    message: str | None = None
    marketing_email_opt_in: bool = False
    ads_objected: bool = False
    ads_consented: bool = False


#: The longest message a lead keeps from repeated submissions (each is at most 2000).
MAX_MERGED_MESSAGE = 6000

#: The optional details a later submission may add to an earlier lead.
DETAILS = (
    "postcode", "country", "budget_amount", "budget_currency", "preferred_location", "bedrooms",
    "garden", "timeframe", "contact_preference",
)


@dataclass(frozen=True)
class Intake:
    """The outcome: the lead, and whether this submission created it."""

    lead: Lead
    created: bool


@dataclass(frozen=True)
class Terms:
    """What a submission is captured under: the arrangement in force and the notice shown."""

    arrangement: Arrangement
    notice_id: int


def capture_terms(session: Session, project: Project, lang: str,
                  now: datetime | None = None) -> Terms:
    """The terms for a submission now, or IntakeClosed saying why the project takes none.

    Only reads (but for storing a new notice version when its text changed), so a caller may
    look them up before the short write transaction of submit_lead.
    """
    arrangement = arrangements.in_force(session, project.partner_id, now or utcnow())
    blocker = projects.intake_blocker(project, arrangement)
    if blocker is not None or arrangement is None:
        raise IntakeClosed(blocker)
    return Terms(arrangement, current_notice(session, lang).id)


def submit_lead(
    session: Session,
    project: Project,
    data: LeadInput,
    *,
    lang: str,
    campaign_code: str | None,
    source_ip: str | None,
    terms: Terms | None = None,
    now: datetime | None = None,
) -> Intake:
    """Store a submission as a new lead with its outbox rows, or fold it into the person's lead.

    A second submission by the same email or phone for the same project within the duplicate
    window is the same lead: nothing new is delivered, new optional details are added, and a
    newly ticked opt-in or objection is recorded (an objection is never undone this way).
    `terms` from capture_terms, if the caller looked them up already. Flushes; the caller commits.
    """
    now = now or utcnow()
    begin_write(session)
    projects.lock_for_intake(session, project)
    terms = terms or capture_terms(session, project, lang, now)
    canonical = canonical_email(data.email)
    basis = current_app.config["AUDIENCE_BASIS"]
    keys = person_keys(data.email, data.phone)
    if data.ads_objected and basis == "legitimate-interest":
        # The form's box is a channel of the register (before the lead exists, so that the
        # partner is told only about leads it already has).
        objections.record_objection(session, keys=keys, scope="ads", source="form", now=now)
    earlier = find_duplicate(session, project, canonical, data.phone, now)
    if earlier is not None:
        merge_submission(earlier, data, now)
        session.flush()
        return Intake(earlier, created=False)

    values = {f.name: getattr(data, f.name) for f in fields(data)}
    lead = Lead(
        **values,
        project=project,
        project_id=project.id,
        partner_id=project.partner_id,
        email_canonical=canonical,
        email_key=keys.get("email"),
        phone_key=keys.get("phone"),
        campaign_code=campaign_code,
        language=lang,
        marketing_email_text_version=consents.MARKETING_EMAIL.version,
        audience_basis=basis,
        ads_text_version=consents.ads_choice(basis).version,
        notice_id=terms.notice_id,
        arrangement=terms.arrangement,
        source_ip=source_ip,
        created_at=now,
        updated_at=now,
        last_submitted_at=now,
    )
    session.add(lead)
    session.flush()
    categories.tag_new_lead(session, lead, now)
    enqueue_lead(session, lead)
    return Intake(lead, created=True)


def find_duplicate(
    session: Session, project: Project, email_key: str, phone: str, now: datetime
) -> Lead | None:
    """The person's lead for this project within the duplicate window, by email or phone."""
    window = timedelta(days=current_app.config["DUPLICATE_WINDOW_DAYS"])
    return session.scalars(
        select(Lead)
        .where(
            Lead.project_id == project.id,
            Lead.status != "erased",
            Lead.created_at >= now - window,
            or_(Lead.email_canonical == email_key, Lead.phone == phone),
        )
        .order_by(Lead.created_at.desc())
        .limit(1)
    ).first()


def merge_submission(lead: Lead, data: LeadInput, now: datetime) -> None:
    """Add what a repeated submission brings to the lead it repeats."""
    for name in DETAILS:
        value = getattr(data, name)
        if value is not None and getattr(lead, name) is None:
            setattr(lead, name, value)
    if data.message and data.message not in (lead.message or ""):
        merged = f"{lead.message}\n\n{data.message}" if lead.message else data.message
        # Repeats add to the message up to a bound, so resubmitting cannot grow it forever.
        if len(merged) <= MAX_MERGED_MESSAGE:
            lead.message = merged
    lead.marketing_email_opt_in = lead.marketing_email_opt_in or data.marketing_email_opt_in
    lead.ads_objected = lead.ads_objected or data.ads_objected
    lead.ads_consented = (lead.ads_consented or data.ads_consented) and not lead.ads_objected
    lead.submission_count += 1
    lead.last_submitted_at = now
    lead.updated_at = now


def forget_source_ips(session: Session, older_than_days: int, now: datetime | None = None) -> int:
    """Erase the source IP of leads captured more than `older_than_days` ago; returns how many.

    The privacy notice promises LEADPAGES_IP_RETENTION_DAYS; the worker runs this regularly.
    """
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    result = session.execute(
        update(Lead).where(Lead.source_ip.is_not(None), Lead.created_at < cutoff)
        .values(source_ip=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# Reading leads for a partner. Every surface (portal, API, export) goes through these, so the
# tenant seal (DESIGN.md rule 7) is one condition in one place, and so is rule 6: a restricted
# (or erased) lead is stored only, never shown, exported or pulled.
SHARED_STATUSES = ("new",)


def partner_leads_query(partner_id: int, *, project_slug: str | None = None,
                        since: datetime | None = None, until: datetime | None = None,
                        search: str | None = None, delivery_status: str | None = None) -> Any:
    """The partner's own leads, newest first, with optional filters (a SELECT to page over)."""
    from leadpages.delivery.models import Delivery
    from leadpages.projects.models import Project as ProjectModel

    query = select(Lead).where(Lead.partner_id == partner_id, Lead.status.in_(SHARED_STATUSES))
    if project_slug:
        query = query.join(ProjectModel, Lead.project_id == ProjectModel.id).where(
            ProjectModel.slug == project_slug)
    if since:
        query = query.where(Lead.created_at >= since)
    if until:
        query = query.where(Lead.created_at < until)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(or_(
            func.lower(Lead.first_name).like(pattern), func.lower(Lead.last_name).like(pattern),
            func.lower(Lead.email).like(pattern), Lead.phone.like(pattern),
        ))
    if delivery_status:
        query = query.where(Lead.id.in_(
            select(Delivery.lead_id).where(Delivery.partner_id == partner_id,
                                           Delivery.status == delivery_status)))
    return query.order_by(Lead.created_at.desc(), Lead.id.desc())


def get_partner_lead(session: Session, partner_id: int, public_id: str) -> Lead | None:
    """One of the partner's own leads by its public id; another partner's does not exist."""
    return session.scalar(select(Lead).where(
        Lead.public_id == public_id, Lead.partner_id == partner_id,
        Lead.status.in_(SHARED_STATUSES)))


def partner_lead_public_ids(session: Session, partner_id: int,
                            lead_ids: Any) -> dict[int, str]:
    """{lead id: public id} for those of `lead_ids` that are the partner's own shared leads."""
    wanted = {lead_id for lead_id in lead_ids if lead_id is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Lead.id, Lead.public_id).where(
        Lead.id.in_(wanted), Lead.partner_id == partner_id, Lead.status.in_(SHARED_STATUSES)))
    return {int(lead_id): str(public_id) for lead_id, public_id in rows}
