"""Partner-scoped reads the portal needs beside the domain services' own.

Each takes the partner's id and cannot return another partner's rows (DESIGN.md rule 7).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from leadpages.delivery.models import Delivery
from leadpages.delivery.services import partner_deliveries_query
from leadpages.projects.models import Project
from leadpages.web.pagination import Page, paginate

__all__ = ["Page", "paginate"]



def partner_projects(session: Session, partner_id: int) -> list[tuple[str, str]]:
    """The partner's projects as (slug, title) pairs, for the lead filter."""
    projects = session.scalars(
        select(Project).where(Project.partner_id == partner_id)
        .options(selectinload(Project.texts)).order_by(Project.slug))
    return [(project.slug, _title(project)) for project in projects]


def _title(project: Project) -> str:
    text = project.text("en") or (project.texts[0] if project.texts else None)
    return f"{text.title} ({project.slug})" if text else project.slug


def lead_deliveries(session: Session, partner_id: int, lead_id: int) -> list[Delivery]:
    """A lead's deliveries with their attempts, oldest first, from the partner's own outbox."""
    query = (partner_deliveries_query(partner_id).where(Delivery.lead_id == lead_id)
             .options(selectinload(Delivery.history)).order_by(None)
             .order_by(Delivery.created_at, Delivery.id))
    return list(session.scalars(query))


def delivery_states(session: Session, partner_id: int,
                    lead_ids: list[int]) -> dict[int, list[Delivery]]:
    """For each of these leads, its deliveries (channel and status), for the lead list."""
    found: dict[int, list[Delivery]] = defaultdict(list)
    if lead_ids:
        query = partner_deliveries_query(partner_id).where(Delivery.lead_id.in_(lead_ids))
        for delivery in session.scalars(query.order_by(None).order_by(Delivery.id)):
            if delivery.lead_id is not None:
                found[delivery.lead_id].append(delivery)
    return found
