"""Which leads carry which categories (DESIGN.md rule 4): the one place that tags and untags.

A lead takes its project's categories at capture and nothing else, never anything derived from
what the person wrote. It is tagged only while categorising is allowed for it (its basis allows
it and the person is not in the objection register); every change is written to the history.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Select, Table, delete, func, insert, or_, select
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
    categories = list(lead.project.categories)
    if not tag_captured(session, lead, [c.id for c in categories], now):
        return []
    session.expire(lead, ["categories"])
    return categories


def tag_captured(session: Session, lead: Lead, category_ids: Sequence[int],
                 now: datetime | None = None, *, objected: bool | None = None) -> bool:
    """tag_new_lead's rule, given the ids of the project's categories; whether it tagged.

    For intake, which reads the ids with the project in its write transaction, and may read the
    register's answer there too (`objected`, from objections.objected_condition for "categorise"
    and the lead's keys); otherwise it is asked here.
    """
    if not may_categorise(lead):
        return False
    if objected is None:
        objected = objections.objected(session, [lead.email_key, lead.phone_key], "categorise")
    if objected:
        return False
    _tag(session, [(lead.id, category_id) for category_id in category_ids], "capture",
         now or utcnow())
    return True


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
    # The leads' actual tags decide, not only the project's old list: a project whose list was
    # changed some other way (its leads not re-tagged) is brought in line, never tagged twice.
    have = {(int(a), int(b)) for a, b in session.execute(
        select(lead_categories.c.lead_id, lead_categories.c.category_id)
        .join(Lead, Lead.id == lead_categories.c.lead_id)
        .where(Lead.project_id == project.id))}
    keep = {c.id for c in known.values()}
    _untag(session, sorted(pair for pair in have if pair[1] not in keep), "project-changed", now)
    lead_ids = [int(i) for i in session.scalars(_categorisable_leads(project_id=project.id))]
    _tag(session, [(lead_id, known[code].id) for lead_id in lead_ids for code in wanted
                   if (lead_id, known[code].id) not in have], "project-changed", now)
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
                               .where(lead_categories.c.lead_id.in_(allowed))))
    pairs = [(int(a), int(b)) for a, b in rows if (a, b) not in have]
    _tag(session, pairs, "withdrawal", now or utcnow())
    return len(pairs)


def history(session: Session, lead: Lead) -> list[tuple[CategoryEvent, str]]:
    """The lead's tagging history, oldest first, with each category's code."""
    return [(event, code) for event, code in session.execute(
        select(CategoryEvent, Category.code)
        .join(Category, Category.id == CategoryEvent.category_id)
        .where(CategoryEvent.lead_id == lead.id).order_by(CategoryEvent.id))]


# --- The closed list, kept by staff --------------------------------------------------------------

#: A category code: lower-case letters, digits and hyphens, starting with a letter or digit.
CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
#: Words that make an export name suggest something about the people rather than the property
#: (income, age, family, health, beliefs, origin, sexuality): ad platforms forbid targeting by
#: these, and DESIGN.md section 7 says an export name never suggests them. Whole words, in
#: English, Dutch and French; a word that starts with one of STEMS counts too.
SENSITIVE_WORDS = frozenset((
    "rich", "richest", "poor", "age", "aged", "senior", "seniors", "elderly", "young", "youth",
    "retiree", "retirees", "race", "gay", "lesbian", "lgbt", "lgbtq", "queer", "family",
    "families", "kids", "children", "child", "single", "singles", "married", "widow", "widows",
    "health", "medical", "sick", "faith", "belief", "beliefs", "politics", "political", "expat",
    "expats", "foreigner", "foreigners", "migrant", "migrants", "men", "women", "male",
    "female",
    # Dutch
    "rijk", "rijke", "rijken", "armen", "bejaard", "bejaarden", "gezin", "gezinnen", "kinderen",
    "ouderen", "jongeren",
    # French
    "riche", "riches", "aisé", "aisés", "aisée", "aisées", "pauvre", "pauvres", "famille",
    "familles", "enfants", "âgé", "âgés", "jeunes", "retraité", "retraités",
))
STEMS: tuple[str, ...] = (
         "wealth", "income", "affluen", "millionai", "salar", "retire", "pension", "religi",
         "ethnic", "disab", "pregnan", "divorc", "immigra", "christian", "muslim", "islam",
         "jewish", "catholi", "sexual", "inkomen", "welgesteld", "vermogen", "revenu", "fortun",
         "handicap", "nationalit")


#: Money troubles and the rest, added to the lists above.
SENSITIVE_WORDS = SENSITIVE_WORDS | frozenset((
    "credit", "broke", "arm", "krediet", "godsdienst", "gezondheid", "zwanger", "crédit",
    "santé", "enceinte", "malade", "malades", "ziek", "zieken",
))
STEMS = (*STEMS, "debt", "loan", "schuld", "lening", "dette", "prêt")


def _plain(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word)
                   if not unicodedata.combining(c))


#: The same lists without accents, so that "ages" is caught as "âgés" is, and the reverse.
_PLAIN_WORDS = frozenset(_plain(w) for w in SENSITIVE_WORDS)
_PLAIN_STEMS = tuple(_plain(s) for s in STEMS)


def sensitive_words(name: str) -> list[str]:
    """The words of `name` that suggest a personal trait of the audience (empty: neutral).

    Accents do not matter. The parts of a hyphenated word are tried against the stems
    ("low-income" suggests income) but not the whole words, so that a property type such as
    "single-family" stays neutral.
    """
    found = []
    for word in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", name.lower()):
        plain = _plain(word)
        if plain in _PLAIN_WORDS or plain.startswith(_PLAIN_STEMS):
            found.append(word)
            continue
        if "-" in word:
            found.extend(p for p in word.split("-") if _plain(p).startswith(_PLAIN_STEMS))
    return found


def check_export_name(name: str) -> str:
    """The export name, trimmed, or CategoryError: empty, too long, or not neutral."""
    name = " ".join(name.split())
    if not name:
        raise CategoryError("the export name is empty")
    if len(name) > 80:
        raise CategoryError(f"the export name is longer than 80 characters ({len(name)})")
    if found := sensitive_words(name):
        raise CategoryError(
            f"the export name {name!r} suggests something about people ({', '.join(found)}), "
            "not about the property; ad platforms forbid targeting by income, age, family, "
            "health, beliefs or origin: name the kind of property instead")
    return name


def _check_description(description: str) -> str:
    description = " ".join(description.split())
    if not description:
        raise CategoryError("the description is empty")
    if len(description) > 300:
        raise CategoryError(f"the description is longer than 300 characters "
                            f"({len(description)})")
    return description


def add_category(session: Session, code: str, export_name: str, description: str) -> Category:
    """Add a category to the closed list; CategoryError (nothing written) says what to fix."""
    if not CODE.fullmatch(code):
        raise CategoryError(f"the code {code!r} must be 1 to 40 lower-case letters, digits or "
                            "hyphens, starting with a letter or digit")
    export_name = check_export_name(export_name)
    description = _check_description(description)
    begin_write(session)
    if session.scalar(select(Category.id).where(Category.code == code)) is not None:
        raise CategoryError(f"the category {code} exists already; change it with `edit`")
    category = Category(code=code, export_name=export_name, description=description)
    session.add(category)
    session.flush()
    return category


def edit_category(session: Session, code: str, *, export_name: str | None = None,
                  description: str | None = None) -> Category:
    """Change a category's export name and/or description (its code never changes)."""
    if export_name is None and description is None:
        raise CategoryError("give a new export name, a new description, or both")
    checked_name = check_export_name(export_name) if export_name is not None else None
    checked_description = _check_description(description) if description is not None else None
    begin_write(session)
    category = session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise CategoryError(f"there is no category {code!r}")
    if checked_name is not None:
        category.export_name = checked_name
    if checked_description is not None:
        category.description = checked_description
    session.flush()
    return category


def overview(session: Session) -> list[tuple[Category, int, int]]:
    """Every category with how many projects have it and how many leads carry it now."""
    projects = (select(func.count()).select_from(project_categories)
                .where(project_categories.c.category_id == Category.id).scalar_subquery())
    leads = (select(func.count()).select_from(lead_categories)
             .where(lead_categories.c.category_id == Category.id).scalar_subquery())
    return [(c, int(p), int(n)) for c, p, n in session.execute(
        select(Category, projects, leads).order_by(Category.code))]


# Built once (every captured lead is tagged); Core on the session's connection: plain inserts,
# not the ORM's bulk path.
_INSERT_TAGS = insert(lead_categories)
_INSERT_EVENTS = insert(cast(Table, CategoryEvent.__table__))


def _tag(session: Session, pairs: list[tuple[int, int]], reason: str, now: datetime) -> None:
    if not pairs:
        return
    session.connection().execute(
        _INSERT_TAGS, [{"lead_id": lead, "category_id": category} for lead, category in pairs])
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
    session.connection().execute(_INSERT_EVENTS, [
        {"lead_id": lead, "category_id": category, "action": action, "reason": reason, "at": now}
        for lead, category in pairs])
