"""Finding projects for the public site and deciding whether a project takes requests."""

from __future__ import annotations

from sqlalchemy import select
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
    if project.status != "published":
        return f"project {project.slug} is {project.status}"
    if arrangement is None:
        return (f"partner {project.partner.slug} has no active joint-controller arrangement; "
                f"see `leadpages arrangement list --partner {project.partner.slug}`")
    return None


def accepts_leads(session: Session, project: Project) -> bool:
    """Whether the project's form is open now."""
    return intake_blocker(project, arrangements.in_force(session, project.partner_id)) is None


def lock_for_intake(session: Session, project: Project) -> None:
    """Serialise lead intake for one project, so a duplicate sent twice at once is one lead.

    On PostgreSQL this takes the project row's lock until commit; SQLite transactions already
    start with the write lock (begin_write), so there it is not needed.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Project.id).where(Project.id == project.id).with_for_update())
