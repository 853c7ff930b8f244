"""Which leads carry which categories (DESIGN.md rule 4): the one place that tags and untags.

A lead takes its project's categories at capture and nothing else, never anything derived from
what the person wrote. It is tagged only while categorising is allowed for it (its basis allows
it and the person is not in the objection register); every change is written to the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Select, delete, insert, or_, select
from sqlalchemy.orm import Session

from leadpages.categories.models import CategoryEvent, lead_categories
from leadpages.db import begin_write, utcnow
from leadpages.leads.models import Lead
from leadpages.objections import services as objections
from leadpages.projects.models import Category, Project, project_categories


class CategoryError(ValueError):
    """A category change that cannot be made as asked; says why."""


def may_categorise(lead: Lead) -> bool:
    """Whether the lead's own choices allow categorising it (the register is checked apart).

    Under consent, only a lead that ticked the consent box; under legitimate interest, every
    lead that did not tick the objection box. Only leads that are neither restricted nor erased.
    """
    if lead.status != "new":
        return False
    if lead.audience_basis == "consent":
        return lead.ads_consented
    return not lead.ads_objected


def _categorisable_leads(lead_ids: Sequence[int] | None = None, project_id: int | None = None
                         ) -> Select[int]:
    """SELECT of the ids of leads that may carry categories now (choices and register)."""
    query = select(Lead.id).where(
        Lead.status == "new",
        or_(
            (Lead.audience_basis == "consent") & Lead.ads_consented,
            (Lead.audience_basis != "consent") & ~Lead.ads_objected,
        ),
        ~objections.lead_objected("categorise"),
    )
    if project_id is not None:
        query = query.where(Lead.project_id == project_id)
    if lead_ids is not None:
        query = query.where(Lead.id.in_(lead_ids))
    return query


def tag_new_lead(session: Session, lead: Lead, now: datetime | None = None) -> list[Category]:
    """Give a just captured lead its project's categories, when it may carry them."""
    if not may_categorise(lead) or objections.objected(
            session, [lead.email_key, lead.phone_key], "categorise"):
        return []
    categories = list(lead.project.categories)
    _tag(session, [(lead.id, c.id) for c in categories], "capture", now or utcnow())
    session.expire(lead, ["categories"])
    return categories


def set_project_categories(session: Session, project: Project, codes: Iterable[str],
                           now: datetime | None = None) -> tuple[list[str], list[str]]:
    """Give `project` exactly the categories `codes` and re-tag its leads; (added, removed).

    Every lead of the project that may carry categories gets the new ones and loses the old,
    each change in the history with the reason `project-changed`.
    """
    wanted = sorted(set(codes))
    if not wanted:
        raise CategoryError("a project needs at least one category")
    begin_write(session)
    known = {c.code: c for c in session.scalars(select(Category).where(Category.code.in_(wanted)))}
    unknown = [code for code in wanted if code not in known]
    if unknown:
        listed = ", ".join(session.scalars(select(Category.code).order_by(Category.code)))
        raise CategoryError(f"unknown categor{'y' if len(unknown) == 1 else 'ies'} "
                            f"{', '.join(unknown)}; the list is: {listed}")
    current = {c.code: c for c in project.categories}
    added = [known[code] for code in wanted if code not in current]
    removed = [c for code, c in current.items() if code not in known]
    project.categories = [known[code] for code in wanted]
    session.flush()
    now = now or utcnow()
    if removed:
        tagged = session.execute(
            select(lead_categories.c.lead_id, lead_categories.c.category_id)
            .join(Lead, Lead.id == lead_categories.c.lead_id)
            .where(Lead.project_id == project.id,
                   lead_categories.c.category_id.in_([c.id for c in removed]))).all()
        _untag(session, [(int(a), int(b)) for a, b in tagged], "project-changed", now)
    if added:
        lead_ids = [int(i) for i in session.scalars(
            _categorisable_leads(project_id=project.id))]
        _tag(session, [(lead_id, c.id) for lead_id in lead_ids for c in added],
             "project-changed", now)
    return [c.code for c in added], [c.code for c in removed]


def untag_person(session: Session, keys: Iterable[str], now: datetime | None = None) -> int:
    """Take every category off the leads of the person with these register keys; how many."""
    keys = [k for k in keys if k]
    if not keys:
        return 0
    tagged = session.execute(
        select(lead_categories.c.lead_id, lead_categories.c.category_id)
        .join(Lead, Lead.id == lead_categories.c.lead_id)
        .where(or_(Lead.email_key.in_(keys), Lead.phone_key.in_(keys)))).all()
    pairs = [(int(a), int(b)) for a, b in tagged]
    _untag(session, pairs, "objection", now or utcnow())
    return len(pairs)


def retag_person(session: Session, keys: Iterable[str], now: datetime | None = None) -> int:
    """After a withdrawn objection: tag the person's leads again where they may carry tags."""
    keys = [k for k in keys if k]
    if not keys:
        return 0
    person = select(Lead.id).where(or_(Lead.email_key.in_(keys), Lead.phone_key.in_(keys)))
    lead_ids = [int(i) for i in session.scalars(person)]
    allowed = [int(i) for i in session.scalars(
        _categorisable_leads(lead_ids=lead_ids))]
    if not allowed:
        return 0
    rows = session.execute(
        select(Lead.id, project_categories.c.category_id)
        .join(project_categories, project_categories.c.project_id == Lead.project_id)
        .where(Lead.id.in_(allowed))).all()
    have = set(session.execute(select(lead_categories.c.lead_id, lead_categories.c.category_id)
                               .where(lead_categories.c.lead_id.in_(allowed))).tuples())
    pairs = [(int(a), int(b)) for a, b in rows if (a, b) not in have]
    _tag(session, pairs, "withdrawal", now or utcnow())
    return len(pairs)


def history(session: Session, lead: Lead) -> list[tuple[CategoryEvent, str]]:
    """The lead's tagging history, oldest first, with each category's code."""
    return [(event, code) for event, code in session.execute(
        select(CategoryEvent, Category.code)
        .join(Category, Category.id == CategoryEvent.category_id)
        .where(CategoryEvent.lead_id == lead.id).order_by(CategoryEvent.id)).tuples()]


def _tag(session: Session, pairs: list[tuple[int, int]], reason: str, now: datetime) -> None:
    if not pairs:
        return
    session.execute(insert(lead_categories),
                    [{"lead_id": lead, "category_id": category} for lead, category in pairs])
    _record(session, pairs, "tagged", reason, now)


def _untag(session: Session, pairs: list[tuple[int, int]], reason: str, now: datetime) -> None:
    if not pairs:
        return
    for lead, category in pairs:
        session.execute(delete(lead_categories).where(lead_categories.c.lead_id == lead,
                                                      lead_categories.c.category_id == category))
    _record(session, pairs, "untagged", reason, now)


def _record(session: Session, pairs: list[tuple[int, int]], action: str, reason: str,
            now: datetime) -> None:
    session.execute(insert(CategoryEvent), [
        {"lead_id": lead, "category_id": category, "action": action, "reason": reason, "at": now}
        for lead, category in pairs])
