"""Lead intake: the one place where a submitted form becomes a lead and its outbox rows."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from flask import current_app
from sqlalchemy import (
    Connection,
    Row,
    String,
    Table,
    bindparam,
    func,
    insert,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from leadpages.arrangements import services as arrangements
from leadpages.arrangements.models import Arrangement
from leadpages.categories import services as categories
from leadpages.db import UTCDateTime, begin_write, utcnow
from leadpages.delivery import services as delivery
from leadpages.delivery.models import Delivery
from leadpages.identifiers import canonical_email
from leadpages.leads import consents
from leadpages.leads.models import Lead
from leadpages.notices import services as notices
from leadpages.notices.models import PrivacyNotice
from leadpages.notices.services import current_notice
from leadpages.objections import services as objections
from leadpages.objections.keys import person_keys
from leadpages.partners.models import Partner
from leadpages.projects import services as projects
from leadpages.projects.models import Project, ProjectText, project_categories
from leadpages.projects.services import IntakeProject


class IntakeClosed(Exception):
    """The project takes no requests now (closed, draft, or no arrangement in force)."""


class IntakeStale(Exception):
    """The project changed since the caller read it (its languages or form): read it again."""


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
class Stored:
    """The outcome without loading the lead: its id, and whether this submission created it."""

    lead_id: int
    created: bool


class _WriterQueue:
    """One intake at a time on this machine's SQLite database, the next one woken at once.

    SQLite lets one transaction write at a time. A second writer's BEGIN IMMEDIATE sleeps in
    SQLite's busy handler (1, 2, 5, 10 ms, ...) and tries again, so with two web workers taking
    leads, each wait lasts whole milliseconds after the lock was freed. Intakes queue on a lock
    of a file beside the database instead (flock, and a thread lock for threads of one process):
    the kernel wakes the next one as soon as the lock is released. SQLite's own lock stays the
    authority for every writer; this only orders the intakes among themselves.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def take(self) -> int:
        self._threads.acquire()
        try:
            fd = self._fd
            if fd is None or self._pid != os.getpid():
                # Opened in each process: a copy inherited through fork would share one lock.
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                self._fd, self._pid = fd, os.getpid()
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        return fd

    def give_back(self, fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


_queues: dict[str, _WriterQueue] = {}
_TURN = "leadpages.intake_turn"


@contextmanager
def intake_turn(session: Session) -> Iterator[None]:
    """Storing and committing one submission, in turn with the other intakes (SQLite files).

    Wrap store_submission and the commit (or rollback) that ends its transaction: the turn is
    taken when the write transaction begins and given back here. Nothing on other databases:
    PostgreSQL's row lock wakes the next intake itself.
    """
    url = session.get_bind().engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield
        return
    path = f"{url.database}.intake-lock"
    queue = _queues.get(path) or _queues.setdefault(path, _WriterQueue(path))
    taken: list[int] = []

    def take() -> None:
        if not taken:  # once per turn, however many transactions it holds
            taken.append(queue.take())

    session.info[_TURN] = take
    try:
        yield
    finally:
        del session.info[_TURN]
        for fd in taken:
            queue.give_back(fd)


def submit_lead(
    session: Session,
    project: Project,
    data: LeadInput,
    *,
    lang: str,
    campaign_code: str | None,
    source_ip: str | None,
    now: datetime | None = None,
) -> Intake:
    """store_submission for a loaded project, returning the lead as a model."""
    stored = store_submission(session, project.id, data, lang=lang, campaign_code=campaign_code,
                              source_ip=source_ip, now=now)
    return Intake(session.get_one(Lead, stored.lead_id), stored.created)


# The intake's statements, built once: on the path every lead takes, building and compiling a
# statement costs more than the database takes to run it. Core, on the session's connection.
_projects, _partners, _texts = Project.__table__, Partner.__table__, ProjectText.__table__
_leads, _deliveries = cast(Table, Lead.__table__), cast(Table, Delivery.__table__)
_notices = PrivacyNotice.__table__
_in_force = Arrangement.__table__.alias("in_force")

#: The person's lead for the project within the duplicate window, by email or by phone: two
#: look-ups by index (an OR of the two would read every lead of the project), newest first.
_matches = union_all(*(
    select(_leads.c.id, _leads.c.created_at).where(
        _leads.c.project_id == bindparam("project_id"), column == bindparam(name),
        _leads.c.status != "erased", _leads.c.created_at >= bindparam("since"))
    for column, name in ((_leads.c.email_canonical, "email"), (_leads.c.phone, "phone"))
)).subquery("matches")
_DUPLICATE = select(_matches.c.id).order_by(_matches.c.created_at.desc()).limit(1)

#: Everything a submission is captured under, read in its write transaction in one statement:
#: the project (locked on PostgreSQL, so that a duplicate sent twice at once is one lead; SQLite
#: transactions hold the write lock from their start), its partner's channels, the arrangement
#: in force, the title in the language, the notice version shown, the person's earlier lead
#: (the duplicate rule), whether the register stops categorising the person (asked here, in
#: the write transaction, before the lead is tagged), and one row per category.
_STATE = (
    select(
        _projects.c.status, _projects.c.slug, _projects.c.partner_id, _projects.c.languages,
        _projects.c.optional_fields, _partners.c.slug.label("partner_slug"),
        _partners.c.webhook_url, _partners.c.email_recipients,
        _in_force.c.id.label("arrangement_id"), _in_force.c.version, _in_force.c.digest,
        _texts.c.title, project_categories.c.category_id,
        select(_notices.c.id).where(
            _notices.c.language == bindparam("lang"),
            _notices.c.digest == bindparam("notice_digest"),
        ).scalar_subquery().label("notice_id"),
        _DUPLICATE.scalar_subquery().label("duplicate_id"),
        objections.objected_condition([bindparam("email_key", type_=String),
                                       bindparam("phone_key", type_=String)],
                                      "categorise").label("objected"),
    )
    .select_from(
        _projects.join(_partners, _partners.c.id == _projects.c.partner_id)
        .outerjoin(_in_force, _in_force.c.id == arrangements.in_force_id(
            _projects.c.partner_id, bindparam("now", type_=UTCDateTime())))
        .outerjoin(_texts, (_texts.c.project_id == _projects.c.id)
                   & (_texts.c.language == bindparam("lang")))
        .outerjoin(project_categories, project_categories.c.project_id == _projects.c.id)
    )
    .where(_projects.c.id == bindparam("project_id"))
    .with_for_update(of=_projects)
)

_INSERT_LEAD = insert(_leads)
_INSERT_DELIVERY = insert(_deliveries)


def store_submission(
    session: Session,
    project_id: int,
    data: LeadInput,
    *,
    lang: str,
    campaign_code: str | None,
    source_ip: str | None,
    now: datetime | None = None,
    seen: IntakeProject | None = None,
) -> Stored:
    """Store a submission as a new lead with its outbox rows, or fold it into the person's lead.

    Everything it decides by is read in its own write transaction: the project must take
    requests (else IntakeClosed), and the lead records the arrangement in force and the notice
    version shown. `seen`: the project as the caller validated the form against; if its
    languages or form changed since, IntakeStale (the caller validates again). A second
    submission by the same email or phone for the same project within the duplicate window is
    the same lead: nothing new is delivered, new optional details are added, and a newly ticked
    opt-in or objection is recorded (an objection is never undone this way). A ticked objection
    box is recorded in the register before the lead is stored or merged. The new lead takes its
    project's categories unless its choices or the register say no (categories.tag_captured),
    and gets one outbox row per channel of its partner. Core statements on the session's
    connection, the lead not loaded back (submit_lead loads it). Flushes; the caller commits.
    """
    now = now or utcnow()
    # What needs no database is done before the write transaction, which holds a lock.
    basis = current_app.config["AUDIENCE_BASIS"]
    keys = person_keys(data.email, data.phone)
    values = {
        **vars(data),  # LeadInput's fields
        "project_id": project_id,
        "email_canonical": canonical_email(data.email),
        "email_key": keys.get("email"),
        "phone_key": keys.get("phone"),
        "campaign_code": campaign_code,
        "language": lang,
        "marketing_email_text_version": consents.MARKETING_EMAIL.version,
        "audience_basis": basis,
        "ads_text_version": consents.ads_choice(basis).version,
        "status": "new",
        "source_ip": source_ip,
        "submission_count": 1,
        "created_at": now,
        "updated_at": now,
        "last_submitted_at": now,
    }
    asked = {"project_id": project_id, "lang": lang, "now": now,
             "notice_digest": notices.notice_digest(lang),
             "email": values["email_canonical"], "phone": data.phone,
             "since": now - timedelta(days=current_app.config["DUPLICATE_WINDOW_DAYS"]),
             "email_key": values["email_key"], "phone_key": values["phone_key"]}

    session.flush()  # what the caller changed through the session, the statements below see
    if not session.in_transaction() and (take_turn := session.info.get(_TURN)):
        take_turn()  # intake_turn: in turn with the other intakes, until the caller commits
    begin_write(session)
    connection = session.connection()
    rows = connection.execute(_STATE, asked).all()
    if not rows:
        raise IntakeClosed(f"project {project_id} does not exist")
    state = rows[0]
    closed = projects.blocker(state.status, state.slug, state.partner_slug,
                              state.arrangement_id is not None)
    if closed is not None:
        raise IntakeClosed(closed)
    if seen is not None and (seen.languages != tuple(state.languages)
                             or seen.optional_fields != frozenset(state.optional_fields)):
        raise IntakeStale(state.slug)

    if data.ads_objected and basis == "legitimate-interest":
        # The form's box is a channel of the register (before the lead exists, so that the
        # partner is told only about leads it already has).
        objections.record_objection(session, keys=keys, scope="ads", source="form", now=now)
    if state.duplicate_id is not None:
        lead = session.get_one(Lead, state.duplicate_id)
        could = categories.may_categorise(lead)
        merge_submission(lead, data, now)
        session.flush()
        if not could and categories.may_categorise(lead):
            # A repeat that newly gives consent (consent basis): tagged now, as at capture.
            categories.tag_new_lead(session, lead, now)
        return Stored(lead.id, created=False)

    values.update(partner_id=state.partner_id, arrangement_id=state.arrangement_id,
                  notice_id=state.notice_id or current_notice(session, lang).id)
    inserted = connection.execute(_INSERT_LEAD, values)
    lead_id = int(cast(Row[Any], inserted.inserted_primary_key)[0])
    written = cast(dict[str, Any], inserted.last_inserted_params())  # one row: a mapping
    # The stored lead as the category rule and the partner's payload read it: the values just
    # written (with the column defaults, public_id), not loaded back. Both only read attributes,
    # and the record has each one they read (tests/leads/test_fast_intake.py: the payload
    # equals lead_data of the lead loaded back).
    lead = cast(Lead, SimpleNamespace(
        **written, id=lead_id,
        project=_Project(state.slug, _text(connection, project_id, lang, state.title)),
        arrangement=SimpleNamespace(version=state.version, digest=state.digest)))
    # A ticked objection box was recorded after the register was read, but such a lead is not
    # categorised anyway (its own choice); tag_captured decides on both.
    categories.tag_captured(session, lead, [r.category_id for r in rows
                                            if r.category_id is not None], now,
                            objected=state.objected)
    channels = delivery.channels_of(cast(Partner, SimpleNamespace(
        webhook_url=state.webhook_url, email_recipients=state.email_recipients)))
    if channels:
        payload = delivery.event_body("lead.created", delivery.lead_data(lead))
        connection.execute(_INSERT_DELIVERY, [
            {"kind": "lead.created", "lead_id": lead_id, "partner_id": state.partner_id,
             "channel": channel, "payload": payload} for channel in channels])
        delivery.notify(session)
    return Stored(lead_id, created=True)


@dataclass(frozen=True)
class _Text:
    language: str
    title: str


@dataclass(frozen=True)
class _Project:
    """A project as lead_data reads it (Project.slug, .text(lang), .texts)."""

    slug: str
    only: _Text

    @property
    def texts(self) -> list[_Text]:
        return [self.only]

    def text(self, lang: str) -> _Text | None:
        return self.only if self.only.language == lang else None


def _text(connection: Connection, project_id: int, lang: str, title: str | None) -> _Text:
    """The project's text in `lang` for the payload; the first text if it has none in `lang`."""
    if title is not None:
        return _Text(lang, title)
    first = connection.execute(select(_texts.c.language, _texts.c.title)
                               .where(_texts.c.project_id == project_id)
                               .order_by(_texts.c.id).limit(1)).one()
    return _Text(first.language, first.title)


def find_duplicate(
    session: Session, project: Project, email_key: str, phone: str, now: datetime
) -> Lead | None:
    """The person's lead for this project within the duplicate window, by email or phone."""
    window = timedelta(days=current_app.config["DUPLICATE_WINDOW_DAYS"])
    found = session.connection().execute(_DUPLICATE, {
        "project_id": project.id, "email": email_key, "phone": phone,
        "since": now - window}).scalar()
    return None if found is None else session.get(Lead, found)


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
