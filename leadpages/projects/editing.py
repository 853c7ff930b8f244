"""Staff edit projects: every field, the texts per language, photos, publish and close.

Every change saves a ProjectVersion: a full snapshot of the page as it then was, numbered per
project. Checks come first and raise ProjectError (a field and a message for the person);
writers flush, the caller commits. A page that visitors may see is rendered from a cache
(public.pages.PageCache): after a commit, call `forget_public_pages` so that it shows at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from leadpages.arrangements import services as arrangements
from leadpages.categories import services as categories
from leadpages.errors import FieldError
from leadpages.i18n import LANGUAGES
from leadpages.leads.forms import COUNTRIES, CURRENCIES, OPTIONAL_FIELDS
from leadpages.leads.models import Lead
from leadpages.media.images import ImageRejected, StoredPhoto
from leadpages.partners.models import Partner
from leadpages.projects import services as projects
from leadpages.projects.models import (
    Category,
    Project,
    ProjectPhoto,
    ProjectText,
    ProjectVersion,
)
from leadpages.projects.vocabulary import UNIT_TYPES
from leadpages.staff.models import StaffUser

#: A page's address: lower-case letters, digits and single hyphens between them.
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_LENGTH = (3, 80)
#: The largest price the column holds (Numeric(14, 2)).
PRICE_LIMIT = Decimal("999999999999")
TEXT_LIMITS = {"title": 160, "tagline": 300, "description": 20_000}

#: The messages for ImageRejected reasons, in the staff member's language.
IMAGE_MESSAGES = {
    "not_image": _l("The file is not an image."),
    "unsupported": _l("The image format is not supported; please use JPEG, PNG or WebP."),
    "too_large": _l("The image is too large (at most 25 MB and 40 megapixels)."),
    "too_small": _l("The image is too small; a photo must be at least 480 by 270 pixels."),
    "corrupt": _l("The image file is damaged or incomplete."),
}


class ProjectError(FieldError):
    """A change that cannot be made as asked: which field, and a message for the person."""


@dataclass
class ProjectFields:
    """Everything of a project but its texts, photos and categories, as staff typed it."""

    partner_id: int
    slug: str
    city: str
    street: str = ""
    postcode: str = ""
    country: str = "BE"
    units_total: int | None = None
    units_available: int | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    currency: str = "EUR"
    unit_types: list[str] = field(default_factory=list)
    delivery_date: date | None = None
    languages: list[str] = field(default_factory=lambda: list(LANGUAGES))
    optional_fields: list[str] = field(default_factory=list)


@dataclass
class TextFields:
    """A page's texts in one language."""

    title: str = ""
    tagline: str = ""
    description: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.title or self.tagline or self.description)


# --- Checks --------------------------------------------------------------------------------------

def check_slug(session: Session, slug: str, project: Project | None = None) -> str:
    """The slug, if well-formed and not another project's; else ProjectError."""
    slug = slug.strip()
    if not (SLUG_LENGTH[0] <= len(slug) <= SLUG_LENGTH[1]) or not SLUG.fullmatch(slug):
        raise ProjectError("slug", _l(
            "Use 3 to 80 lower-case letters, digits and hyphens, such as residentie-parkzicht."))
    taken = session.scalar(select(Project.id).where(Project.slug == slug))
    if taken is not None and (project is None or taken != project.id):
        raise ProjectError("slug", _l("Another project has this address already."))
    return slug


def was_published(session: Session, project: Project) -> bool:
    """Whether the page is or ever was public (a draft re-opened after closing was)."""
    if project.status != "draft":
        return True
    return session.scalar(select(exists().where(
        ProjectVersion.project_id == project.id, ProjectVersion.action == "published"))) or False


def check_fields(session: Session, fields: ProjectFields,
                 project: Project | None = None) -> ProjectFields:
    """The fields made tidy, or ProjectError for the first one that is wrong."""
    if session.get(Partner, fields.partner_id) is None:
        raise ProjectError("partner_id", _l("Choose a partner."))
    if project is not None and fields.partner_id != project.partner_id and (
            was_published(session, project) or lead_count(session, project)):
        raise ProjectError("partner_id", _l(
            "The partner of a page that was published or has leads cannot change."))
    fields.slug = check_slug(session, fields.slug, project)
    if (project is not None and fields.slug != project.slug
            and was_published(session, project)):
        raise ProjectError("slug", _l(
            "The address of a published or closed page cannot change: ads link to it."))
    fields.street, fields.postcode = fields.street.strip(), fields.postcode.strip()
    fields.city = fields.city.strip()
    if not fields.city:
        raise ProjectError("city", _l("Fill in this field."))
    if len(fields.street) > 200 or len(fields.city) > 120 or len(fields.postcode) > 12:
        bad = ("street" if len(fields.street) > 200 else
               "city" if len(fields.city) > 120 else "postcode")
        raise ProjectError(bad, _l("This is too long."))
    if fields.country not in COUNTRIES:
        raise ProjectError("country", _l("Choose a country from the list."))
    for name in ("units_total", "units_available"):
        value = getattr(fields, name)
        if value is not None and not 0 <= value <= 100_000:
            raise ProjectError(name, _l("Give a number from 0 to 100000."))
    if (fields.units_total is not None and fields.units_available is not None
            and fields.units_available > fields.units_total):
        raise ProjectError("units_available", _l("More units are available than there are."))
    for name in ("price_min", "price_max"):
        value = getattr(fields, name)
        if value is not None and not Decimal(0) <= value <= PRICE_LIMIT:
            raise ProjectError(name, _l("Give a price of 0 or more, without a currency sign."))
    if (fields.price_min is not None and fields.price_max is not None
            and fields.price_min > fields.price_max):
        raise ProjectError("price_max", _l("The highest price is below the lowest."))
    if fields.currency not in CURRENCIES:
        raise ProjectError("currency", _l("Choose a currency from the list."))
    if unknown := [t for t in fields.unit_types if t not in UNIT_TYPES]:
        raise ProjectError("unit_types", _l("Unknown unit type: %(codes)s",
                                            codes=", ".join(unknown)))
    fields.unit_types = [t for t in UNIT_TYPES if t in fields.unit_types]
    fields.languages = [lang for lang in LANGUAGES if lang in fields.languages]
    if not fields.languages:
        raise ProjectError("languages", _l("Choose at least one language."))
    if unknown := [f for f in fields.optional_fields if f not in OPTIONAL_FIELDS]:
        raise ProjectError("optional_fields", _l("Unknown form field: %(codes)s",
                                                 codes=", ".join(unknown)))
    fields.optional_fields = [f for f in OPTIONAL_FIELDS if f in fields.optional_fields]
    if fields.delivery_date is not None and not 1990 <= fields.delivery_date.year <= 2100:
        raise ProjectError("delivery_date", _l("Give a date between 1990 and 2100."))
    return fields


def check_texts(texts: Mapping[str, TextFields]) -> dict[str, TextFields]:
    """The texts, trimmed; a text with any content needs a title. ProjectError otherwise."""
    checked = {}
    for lang in LANGUAGES:
        text = texts.get(lang) or TextFields()
        text = TextFields(" ".join(text.title.split()), " ".join(text.tagline.split()),
                          text.description.strip().replace("\r\n", "\n"))
        for name, limit in TEXT_LIMITS.items():
            if len(getattr(text, name)) > limit:
                raise ProjectError(f"{lang}_{name}", _l("At most %(limit)d characters.",
                                                        limit=limit))
        if not text.is_empty and not text.title:
            raise ProjectError(f"{lang}_title", _l("A page in this language needs a title."))
        checked[lang] = text
    return checked


def check_categories(session: Session, codes: Iterable[str]) -> list[str]:
    """The category codes, all from the closed list and at least one; else ProjectError."""
    wanted = sorted(set(codes))
    if not wanted:
        raise ProjectError("categories", _l("Choose at least one category."))
    known = set(session.scalars(select(Category.code).where(Category.code.in_(wanted))))
    if unknown := [code for code in wanted if code not in known]:
        raise ProjectError("categories", _l("Unknown category: %(codes)s",
                                            codes=", ".join(unknown)))
    return wanted


def publish_blocker(session: Session, project: Project, languages: Sequence[str] | None = None,
                    texts: Mapping[str, TextFields] | None = None) -> Any | None:
    """Why the page could not take leads once published (a message), or None when it could.

    The arrangement rule is projects.services.blocker's, the one every surface asks.
    """
    languages = list(project.languages if languages is None else languages)
    if not languages:
        return _l("The page has no language.")
    for lang in languages:
        if texts is not None:
            title = texts[lang].title if lang in texts else ""
        else:
            text = project.text(lang)
            title = text.title if text else ""
        if not title:
            return _l("The page has no title in %(language)s: write its texts first, or "
                      "untick the language.", language=lang.upper())
    if not project.categories:
        return _l("The project has no category.")
    arrangement = arrangements.in_force(session, project.partner_id)
    if projects.blocker("published", project.slug, project.partner.slug,
                        arrangement is not None) is not None:
        return _l("%(partner)s has no joint-controller arrangement in force, so the page could "
                  "not take requests. Sign and activate its arrangement first.",
                  partner=project.partner.legal_name)
    return None


# --- Changes -------------------------------------------------------------------------------------

def create_project(session: Session, fields: ProjectFields, texts: Mapping[str, TextFields],
                   category_codes: Iterable[str], by: StaffUser | None) -> Project:
    """A new draft project with its texts and categories; version 1."""
    fields = check_fields(session, fields)
    checked = check_texts(texts)
    codes = check_categories(session, category_codes)
    project = Project(status="draft")
    _apply(project, fields)
    project.partner = session.get(Partner, fields.partner_id)  # type: ignore[assignment]
    _apply_texts(project, checked)
    session.add(project)
    session.flush()
    categories.set_project_categories(session, project, codes)
    save_version(session, project, "created", by)
    return project


def update_project(session: Session, project: Project, fields: ProjectFields,
                   texts: Mapping[str, TextFields], category_codes: Iterable[str],
                   by: StaffUser | None) -> bool:
    """Change every field, text and category of `project`; whether anything changed.

    A page visitors can see (published or closed) keeps a title in each of its languages.
    """
    fields = check_fields(session, fields, project)
    checked = check_texts(texts)
    codes = check_categories(session, category_codes)
    if project.status != "draft":
        for lang in fields.languages:
            if not checked[lang].title:
                raise ProjectError(f"{lang}_title", _l(
                    "The page is public in this language: it needs a title."))
    before = snapshot(project)
    if fields.partner_id != project.partner_id:
        project.partner = session.get(Partner, fields.partner_id)  # type: ignore[assignment]
    _apply(project, fields)
    _apply_texts(project, checked)
    session.flush()
    if sorted(c.code for c in project.categories) != codes:
        categories.set_project_categories(session, project, codes)
    if snapshot(project) == before:
        return False
    save_version(session, project, "saved", by)
    return True


def publish(session: Session, project: Project, by: StaffUser | None) -> None:
    """Publish the page; ProjectError("status", why) when it could not take leads."""
    if project.status == "published":
        raise ProjectError("status", _l("The page is published already."))
    reason = publish_blocker(session, project)
    if reason is not None:
        raise ProjectError("status", reason)
    project.status = "published"
    session.flush()
    save_version(session, project, "published", by)


def close(session: Session, project: Project, by: StaffUser | None) -> None:
    """Close the page: it stays online, says it takes no requests, and takes none."""
    if project.status != "published":
        raise ProjectError("status", _l("Only a published page can be closed."))
    project.status = "closed"
    session.flush()
    save_version(session, project, "closed", by)


def reopen(session: Session, project: Project, by: StaffUser | None) -> None:
    """Take a closed page back to a draft (offline), to be edited and published again."""
    if project.status != "closed":
        raise ProjectError("status", _l("Only a closed page can be taken back to a draft."))
    project.status = "draft"
    session.flush()
    save_version(session, project, "reopened", by)


def image_message(error: ImageRejected) -> Any:
    """The person's message for a refused upload, in their language."""
    return IMAGE_MESSAGES.get(error.reason, str(error))


def add_photos(session: Session, project: Project,
               stored: Sequence[tuple[StoredPhoto, tuple[float, float]]],
               by: StaffUser | None) -> list[ProjectPhoto]:
    """Add stored photos (each with its focus) after the project's others; one version."""
    position = max((p.position for p in project.photos), default=-1) + 1
    added = []
    for offset, (photo, (focus_x, focus_y)) in enumerate(stored):
        row = ProjectPhoto(position=position + offset, key=photo.key, width=photo.width,
                           height=photo.height, widths=list(photo.widths), alt={},
                           focus_x=_fraction(focus_x), focus_y=_fraction(focus_y))
        project.photos.append(row)
        added.append(row)
    session.flush()
    save_version(session, project, "photos", by)
    return added


def update_photo(session: Session, photo: ProjectPhoto, alt: Mapping[str, str],
                 focus_x: float, focus_y: float, by: StaffUser | None) -> bool:
    """Set a photo's alternative texts and focus (fractions 0..1); whether anything changed."""
    cleaned = {}
    for lang in LANGUAGES:
        text = " ".join((alt.get(lang) or "").split())
        if len(text) > 300:
            raise ProjectError(f"alt_{lang}", _l("At most %(limit)d characters.", limit=300))
        if text:
            cleaned[lang] = text
    for name, value in (("focus_x", focus_x), ("focus_y", focus_y)):
        if not 0 <= value <= 1:
            raise ProjectError(name, _l("Give a percentage from 0 to 100."))
    if (photo.alt, photo.focus_x, photo.focus_y) == (cleaned, focus_x, focus_y):
        return False
    photo.alt, photo.focus_x, photo.focus_y = cleaned, _fraction(focus_x), _fraction(focus_y)
    session.flush()
    save_version(session, photo.project, "photos", by)
    return True


def move_photo(session: Session, photo: ProjectPhoto, step: int, by: StaffUser | None) -> bool:
    """Move a photo one place earlier (-1) or later (+1); whether it moved. The first is the
    page's main photo."""
    ordered = sorted(photo.project.photos, key=lambda p: (p.position, p.id))
    index = ordered.index(photo)
    target = index + step
    if step not in (-1, 1) or not 0 <= target < len(ordered):
        return False
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, each in enumerate(ordered):
        each.position = position
    session.flush()
    session.expire(photo.project, ["photos"])
    save_version(session, photo.project, "photos", by)
    return True


def remove_photo(session: Session, photo: ProjectPhoto, by: StaffUser | None) -> None:
    """Take a photo off the page (its files stay: another page may show the same picture)."""
    project = photo.project
    project.photos.remove(photo)
    for position, each in enumerate(sorted(project.photos, key=lambda p: (p.position, p.id))):
        each.position = position
    session.flush()
    save_version(session, project, "photos", by)


# --- Versions ------------------------------------------------------------------------------------

def snapshot(project: Project) -> dict[str, Any]:
    """Every field, text, photo and category of the project, as plain JSON values."""
    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value.quantize(Decimal(1)) if value == value.to_integral()
                       else value.quantize(Decimal("0.01")))
        if isinstance(value, date):
            return value.isoformat()
        return value

    return {
        "partner": project.partner.slug if project.partner else None,
        "slug": project.slug,
        "status": project.status,
        **{name: plain(getattr(project, name)) for name in (
            "street", "postcode", "city", "country", "units_total", "units_available",
            "price_min", "price_max", "currency", "delivery_date")},
        "unit_types": list(project.unit_types or []),
        "languages": list(project.languages or []),
        "optional_fields": list(project.optional_fields or []),
        "texts": {t.language: {"title": t.title, "tagline": t.tagline,
                               "description": t.description}
                  for t in sorted(project.texts, key=lambda t: t.language)},
        "photos": [{"key": p.key, "alt": dict(p.alt or {}), "focus_x": p.focus_x,
                    "focus_y": p.focus_y}
                   for p in sorted(project.photos, key=lambda p: (p.position, p.id or 0))],
        "categories": sorted(c.code for c in project.categories),
    }


def save_version(session: Session, project: Project, action: str,
                 by: StaffUser | None) -> ProjectVersion:
    """Keep the project's state now as its next version."""
    last = session.scalar(select(func.max(ProjectVersion.number))
                          .where(ProjectVersion.project_id == project.id))
    version = ProjectVersion(project_id=project.id, number=(last or 0) + 1, action=action,
                             snapshot=snapshot(project), created_by_id=by.id if by else None)
    session.add(version)
    session.flush()
    return version


def list_versions(session: Session, project: Project) -> list[ProjectVersion]:
    """The project's versions, newest first."""
    return list(session.scalars(select(ProjectVersion)
                                .where(ProjectVersion.project_id == project.id)
                                .order_by(ProjectVersion.number.desc())))


def get_version(session: Session, project: Project, number: int) -> ProjectVersion | None:
    """Version `number` of the project, or None."""
    return session.scalar(select(ProjectVersion).where(
        ProjectVersion.project_id == project.id, ProjectVersion.number == number))


@dataclass(frozen=True)
class Change:
    """One field that differs between two versions: its path (e.g. texts.en.title)."""

    field: str
    before: Any
    after: Any


def compare(older: Mapping[str, Any] | None, newer: Mapping[str, Any]) -> list[Change]:
    """The fields that differ between two snapshots (older None: everything is new)."""
    before, after = _flatten(older or {}), _flatten(newer)
    return [Change(name, before.get(name), after.get(name))
            for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)]


def _flatten(snap: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in snap.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        elif key == "photos" and isinstance(value, list):
            for index, photo in enumerate(value, 1):
                flat.update(_flatten(photo, f"photos.{index}."))
            if not value:
                flat[name] = []
        else:
            flat[name] = value
    return flat


# --- Reading -------------------------------------------------------------------------------------

def lead_count(session: Session, project: Project) -> int:
    """How many leads the project has."""
    return int(session.scalar(select(func.count()).select_from(Lead)
                              .where(Lead.project_id == project.id)) or 0)


def lead_counts(session: Session, project_ids: Sequence[int]) -> dict[int, int]:
    """Leads per project, for a list."""
    if not project_ids:
        return {}
    return {int(pid): int(n) for pid, n in session.execute(
        select(Lead.project_id, func.count()).where(Lead.project_id.in_(project_ids))
        .group_by(Lead.project_id))}


def fields_of(project: Project) -> ProjectFields:
    """The project's fields, as an edit form starts from."""
    return ProjectFields(
        partner_id=project.partner_id, slug=project.slug, city=project.city,
        street=project.street or "", postcode=project.postcode or "", country=project.country,
        units_total=project.units_total, units_available=project.units_available,
        price_min=project.price_min, price_max=project.price_max, currency=project.currency,
        unit_types=list(project.unit_types or []), delivery_date=project.delivery_date,
        languages=list(project.languages or []),
        optional_fields=list(project.optional_fields or []))


def forget_public_pages(app: Flask) -> None:
    """Drop this process's rendered landing pages, so that the change shows at once here.

    Other processes drop theirs within LEADPAGES_PAGE_CACHE_SECONDS (their pages expire).
    """
    cache = app.extensions.get("leadpages.pages")
    if cache is not None:
        cache.clear()


def parse_price(value: str) -> Decimal | None:
    """A price as typed (`450000`, `450 000`, `450.000,50`), or None for nothing typed."""
    text = value.replace(" ", "").replace("\u00a0", "").replace("€", "")
    if not text:
        return None
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif text.count(".") > 1 or re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise ProjectError("price", _l("Give a price of 0 or more, without a currency sign.")
                           ) from None
    if not price.is_finite():
        raise ProjectError("price", _l("Give a price of 0 or more, without a currency sign."))
    return price.quantize(Decimal("0.01"))


def _fraction(value: float) -> float:
    return round(min(max(float(value), 0.0), 1.0), 3)


def _apply(project: Project, fields: ProjectFields) -> None:
    project.partner_id = fields.partner_id
    project.slug = fields.slug
    project.street = fields.street or None
    project.postcode = fields.postcode or None
    project.city = fields.city
    project.country = fields.country
    project.units_total = fields.units_total
    project.units_available = fields.units_available
    project.price_min = fields.price_min
    project.price_max = fields.price_max
    project.currency = fields.currency
    project.unit_types = list(fields.unit_types)
    project.delivery_date = fields.delivery_date
    project.languages = list(fields.languages)
    project.optional_fields = list(fields.optional_fields)


def _apply_texts(project: Project, texts: Mapping[str, TextFields]) -> None:
    for lang, text in texts.items():
        row = project.text(lang)
        if text.is_empty:
            if row is not None:
                project.texts.remove(row)
            continue
        if row is None:
            row = ProjectText(language=lang)
            project.texts.append(row)
        row.title, row.tagline, row.description = text.title, text.tagline, text.description
