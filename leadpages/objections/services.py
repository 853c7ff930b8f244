"""The objection register: record, check and withdraw objections (DESIGN.md rule 5).

`objected` (one person; `objected_condition` is the same question as SQL) and `lead_objected`
(a condition over leads, for queries) are the only ways to ask whether the register stops an
action. Every retargeting action (categorising, an
audience export or upload, a mailing and each single email in it) asks at the moment it acts.
Both fail closed: a person with no usable key counts as an objector.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from leadpages.db import begin_write, utcnow
from leadpages.identifiers import canonical_phone
from leadpages.leads.models import Lead
from leadpages.objections.keys import person_keys
from leadpages.objections.models import SCOPES, SOURCES, Objection

#: Which objection scopes stop an action. Categorising is stopped by any objection: it exists
#: only to build audiences and mailings, and objection to direct marketing is absolute.
ACTIONS: dict[str, tuple[str, ...]] = {
    "ads": ("ads", "all"),
    "marketing-email": ("marketing-email", "all"),
    "categorise": SCOPES,
}


class ObjectionError(ValueError):
    """An objection that cannot be recorded as given; says what to fix.

    Its message is translatable: str(error) reads in the locale in force when it is shown.
    """


def identifier_problems(email: str | None, phone: str | None) -> dict[str, str]:
    """What is wrong with identifiers typed by staff or sent by a partner, per field.

    In the current locale: the reader's language in the workspace, English in the API and the
    commands (leadpages.i18n.select_locale). The API and the CLI check with this before they
    record; the public page checks with the lead form's validators. Empty means usable.
    """
    problems: dict[str, str] = {}
    if email is not None:
        try:
            if len(email) > 254:
                raise EmailNotValidError("too long")
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            problems["email"] = _("is not a valid email address, such as name@example.com")
    region = current_app.config["PHONE_REGION"]
    if phone is not None and (len(phone) > 32 or canonical_phone(phone, region) is None):
        problems["phone"] = _("is not a valid phone number, such as +32470123456 (a number "
                              "without a country code is read as one in %(region)s)",
                              region=region)
    if not email and not phone and not problems:
        problems["email"] = problems["phone"] = _(
            "give an email address, a phone number, or both")
    return problems


def _active(action: str) -> ColumnElement[bool]:
    # The scopes spelled out rather than IN (...): statements built once (objected's, lead
    # intake's) then run without re-rendering their SQL for a list parameter each time.
    scopes = or_(*(Objection.scope == scope for scope in ACTIONS[action]))
    return Objection.withdrawn_at.is_(None) & scopes


def objected(session: Session, keys: Iterable[str | None], action: str) -> bool:
    """Whether the person with these register keys objected to `action`; True without keys."""
    present = [k for k in keys if k]
    if not present:
        return True
    return bool(session.scalar(_objected_statement(action, len(present)),
                               {f"key{n}": key for n, key in enumerate(present)}))


def objected_condition(keys: Sequence[ColumnElement[Any]], action: str) -> ColumnElement[bool]:
    """objected's question as SQL, over key expressions (bound parameters) that may be NULL.

    For a statement that asks it along with other things (lead intake reads it with the
    project, in its write transaction). True, like objected, when no key is given.
    """
    return or_(and_(*(key.is_(None) for key in keys)),
               exists().where(Objection.key.in_(keys), _active(action)))


@cache
def _objected_statement(action: str, count: int) -> Select[Any]:
    # Built once per action and number of keys: it runs for every lead captured.
    keys: list[ColumnElement[Any]] = [bindparam(f"key{n}", type_=String) for n in range(count)]
    return select(objected_condition(keys, action))


def lead_objected(action: str) -> ColumnElement[bool]:
    """A condition over Lead rows: true when the lead's person objected to `action`.

    For queries that pick many leads at once (exports, mailings, re-tagging). A lead without
    register keys counts as objected (fail closed).
    """
    by_email = exists().where(Objection.key == Lead.email_key, _active(action))
    by_phone = exists().where(Objection.key == Lead.phone_key, _active(action))
    return or_(Lead.email_key.is_(None), by_email, by_phone)


@dataclass
class Recorded:
    """What recording an objection did."""

    keys: dict[str, str]
    new: list[Objection] = field(default_factory=list)
    untagged: int = 0
    removals_queued: int = 0
    partners_notified: int = 0


def record_objection(
    session: Session,
    *,
    email: str | None = None,
    phone: str | None = None,
    keys: dict[str, str] | None = None,
    scope: str = "all",
    source: str,
    partner_id: int | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Recorded:
    """Put a person in the register and act on it at once, in the caller's transaction.

    Identifiers are given as `email` and/or `phone` (any spelling), or as register `keys`
    (a one-click link carries only those). The objection holds for every action that starts
    after this transaction commits; it also takes the categories off the person's leads,
    marks them for removal from every audience they were exported into, and queues
    `lead.objected` to each partner that received one of their leads. Idempotent: objecting
    twice adds nothing. Flushes; the caller commits.
    """
    if scope not in SCOPES:
        raise ObjectionError(_l("scope must be one of %(scopes)s", scopes=", ".join(SCOPES)))
    if source not in SOURCES:
        raise ObjectionError(_l("source must be one of %(sources)s",
                                sources=", ".join(SOURCES)))
    if note is not None and len(note) > 200:
        raise ObjectionError(_l("the note is longer than %(limit)d characters", limit=200))
    found = dict(keys or {})
    found.update(person_keys(email, phone))
    if phone and "phone" not in found:
        raise ObjectionError(_l("the phone number is not a valid number"))
    if not found:
        raise ObjectionError(_l("give an email address or a phone number"))
    now = now or utcnow()
    begin_write(session)
    result = Recorded(keys=found)
    for kind, key in found.items():
        covered = session.scalar(select(exists().where(
            Objection.key == key, Objection.withdrawn_at.is_(None),
            Objection.scope.in_((scope, "all")))))
        if not covered:
            objection = Objection(kind=kind, key=key, scope=scope, source=source,
                                  partner_id=partner_id, note=note, received_at=now)
            session.add(objection)
            result.new.append(objection)
    session.flush()
    _act_on(session, result, scope, now)
    return result


def _act_on(session: Session, result: Recorded, scope: str, now: datetime) -> None:
    from leadpages.audiences.models import AudienceMember
    from leadpages.audiences.services import person_members
    from leadpages.categories import services as categories
    from leadpages.delivery.models import Delivery
    from leadpages.delivery.services import enqueue_lead

    keys = list(result.keys.values())
    result.untagged = categories.untag_person(session, keys, now)
    if scope in ACTIONS["ads"]:
        queued = session.execute(
            update(AudienceMember)
            .where(person_members(session, keys), AudienceMember.removal_due_at.is_(None))
            .values(removal_due_at=now))
        result.removals_queued = int(getattr(queued, "rowcount", 0) or 0)
    told = exists().where(Delivery.lead_id == Lead.id, Delivery.kind == "lead.objected")
    leads = session.scalars(select(Lead).where(
        or_(Lead.email_key.in_(keys), Lead.phone_key.in_(keys)), Lead.status == "new", ~told))
    for lead in leads:
        data = {"schema_version": 1, "id": lead.public_id,
                "project": {"slug": lead.project.slug}, "scope": scope,
                "objected_at": now.isoformat()}
        if enqueue_lead(session, lead, "lead.objected", data):
            result.partners_notified += 1


def withdraw(session: Session, keys: dict[str, str], now: datetime | None = None) -> int:
    """End the person's objections (after they confirmed by the emailed link); how many.

    The rows stay, with the time of withdrawal, as the proof of what held when. The person's
    leads are tagged again where their own choices allow it.
    """
    from leadpages.categories import services as categories

    now = now or utcnow()
    begin_write(session)
    values = [k for k in keys.values() if k]
    ended = session.execute(
        update(Objection).where(Objection.key.in_(values), Objection.withdrawn_at.is_(None))
        .values(withdrawn_at=now))
    count = int(getattr(ended, "rowcount", 0) or 0)
    if count:
        categories.retag_person(session, values, now)
    return count


def lookup(session: Session, *, email: str | None = None, phone: str | None = None
           ) -> list[Objection]:
    """The register's rows for these identifiers (any spelling), newest first."""
    keys = list(person_keys(email, phone).values())
    if not keys:
        return []
    return list(session.scalars(select(Objection).where(Objection.key.in_(keys))
                                .order_by(Objection.received_at.desc(), Objection.id.desc())))


def active_objections(session: Session, keys: dict[str, str]) -> list[Objection]:
    """The objections in force for these register keys, oldest first (what a withdrawal ends)."""
    values = [k for k in keys.values() if k]
    if not values:
        return []
    return list(session.scalars(
        select(Objection).where(Objection.key.in_(values), Objection.withdrawn_at.is_(None))
        .order_by(Objection.received_at, Objection.id)))


def fill_lead_keys(session: Session, batch: int = 1000) -> int:
    """Compute the register keys of leads stored without them (before the register existed)."""
    from leadpages.objections.keys import email_key, phone_key

    done = 0
    while True:
        rows = session.execute(select(Lead.id, Lead.email, Lead.phone)
                               .where(Lead.email_key.is_(None)).limit(batch)).all()
        if not rows:
            return done
        for lead_id, email, phone in rows:
            session.execute(update(Lead).where(Lead.id == lead_id).values(
                email_key=email_key(email), phone_key=phone_key(phone)))
        done += len(rows)
