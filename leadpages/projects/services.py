"""Finding projects for the public site and deciding whether a project takes requests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from leadpages.arrangements import services as arrangements
from leadpages.projects.models import Project

PUBLIC_STATUSES = ("published", "closed")


def get_public_project(session: Session, slug: str) -> Project | None:
    """A published or closed project by slug; drafts do not exist for the public."""
    return session.scalar(
        select(Project)
        .where(Project.slug == slug, Project.status.in_(PUBLIC_STATUSES))
        .options(selectinload(Project.texts), selectinload(Project.photos),
                 selectinload(Project.categories))
    )


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


def intake_blocker(session: Session, project: Project) -> str | None:
    """Why the project takes no leads now, or None when its form is open.

    The one rule every surface asks (DESIGN.md rule 3): the project is published and its partner
    has a signed arrangement in force.
    """
    if project.status != "published":
        return f"project {project.slug} is {project.status}"
    if arrangements.in_force(session, project.partner_id) is None:
        return (f"partner {project.partner.slug} has no active joint-controller arrangement; "
                f"see `leadpages arrangement list --partner {project.partner.slug}`")
    return None


def accepts_leads(session: Session, project: Project) -> bool:
    """Whether the project's form is open now."""
    return intake_blocker(session, project) is None


def lock_for_intake(session: Session, project: Project) -> None:
    """Serialise lead intake for one project, so a duplicate sent twice at once is one lead.

    On PostgreSQL this takes the project row's lock until commit; SQLite transactions already
    start with the write lock (see leadpages.db), so there it changes nothing.
    """
    session.execute(select(Project.id).where(Project.id == project.id).with_for_update())
