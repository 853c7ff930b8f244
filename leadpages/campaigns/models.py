"""Campaigns of a project on one channel, each with its own tracking code."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from leadpages.db import Base, utcnow
from leadpages.projects.models import Project

CHANNELS = ("meta", "google", "newsletter", "other")


class Campaign(Base):
    """Ads or a mailing bringing visitors to one project's page; leads and visits carry its code."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("channel IN ('meta', 'google', 'newsletter', 'other')", name="channel"),
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR starts_on <= ends_on",
                        name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    name: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(12))
    #: The `?c=` code in its links, unique over all projects: what leads and visit totals store.
    code: Mapped[str] = mapped_column(String(64), unique=True)
    utm_source: Mapped[str] = mapped_column(String(100))
    utm_medium: Mapped[str] = mapped_column(String(100))
    utm_campaign: Mapped[str] = mapped_column(String(100))
    utm_content: Mapped[str | None] = mapped_column(String(100))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    project: Mapped[Project] = relationship()
