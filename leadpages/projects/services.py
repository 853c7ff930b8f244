"""Finding projects for the public site and deciding whether a project takes requests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, selectinload

from leadpages.arrangements import services as arrangements
from leadpages.arrangements.models import Arrangement
from leadpages.projects.models import Project

PUBLIC_STATUSES = ("published", "closed")


def get_public_project(session: Session, slug: str, *, for_page: bool = True) -> Project | None:
    """A published or closed project by slug; drafts do not exist for the public.

    `for_page` loads what the page shows (photos, categories); intake needs only the texts.
    """
    if for_page:
        options = [selectinload(Project.texts), selectinload(Project.photos),
                   selectinload(Project.categories)]
    else:
        # Intake needs only the texts: one query, joined, instead of two.
        options = [joinedload(Project.texts)]
    return session.scalars(
        select(Project)
        .where(Project.slug == slug, Project.status.in_(PUBLIC_STATUSES))
        .options(*options)
    ).unique().first()


def list_published(session: Session) -> list[Project]:
    """Published projects, newest first, for the home page."""
    return list(
        session.scalars(
            select(Project)
            .where(Project.status == "published")
            .options(selectinload(Project.texts), selectinload(Project.photos))
            .order_by(Project.created_at.desc(), Project.id.desc())
        )
    )


def intake_blocker(project: Project, arrangement: Arrangement | None) -> str | None:
    """Why the project takes no leads now, or None when its form is open.

    The one rule every surface asks (DESIGN.md rule 3): the project is published and its partner
    has a signed arrangement in force (`arrangement`, as arrangements.in_force found it).
    """
    return blocker(project.status, project.slug, project.partner.slug, arrangement is not None)


def blocker(status: str, slug: str, partner_slug: str, has_arrangement: bool) -> str | None:
    """intake_blocker on plain values, for intake that reads them without loading the models."""
    if status != "published":
        return f"project {slug} is {status}"
    if not has_arrangement:
        return (f"partner {partner_slug} has no active joint-controller arrangement; "
                f"see `leadpages arrangement list --partner {partner_slug}`")
    return None


def accepts_leads(session: Session, project: Project) -> bool:
    """Whether the project's form is open now."""
    return intake_blocker(project, arrangements.in_force(session, project.partner_id)) is None


@dataclass(frozen=True)
class IntakeProject:
    """What the form's submission needs to know of a project before its write transaction.

    Small and immutable, so a web process may keep it for a few seconds (public.pages keeps it
    beside the landing page); the intake reads it all again, fresh, in its write transaction,
    and refuses a submission that it no longer fits (leads.services.store_submission).
    """

    id: int
    slug: str
    status: str
    languages: tuple[str, ...]
    optional_fields: frozenset[str]

    @property
    def is_published(self) -> bool:
        return self.status == "published"


_INTAKE_PROJECT = (
    select(Project.id, Project.slug, Project.status, Project.languages, Project.optional_fields)
    .where(Project.slug == bindparam("slug"), Project.status.in_(PUBLIC_STATUSES))
)


def intake_project(session: Session, slug: str) -> IntakeProject | None:
    """The public project `slug` as intake sees it; None for none (drafts do not exist)."""
    row = session.execute(_INTAKE_PROJECT, {"slug": slug}).first()
    if row is None:
        return None
    return IntakeProject(row.id, row.slug, row.status, tuple(row.languages),
                         frozenset(row.optional_fields))
