"""Anonymous daily visit totals: a count per day, project and campaign code, nothing else."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadpages.db import Base


class VisitTotal(Base):
    """How many landing-page views a project had on one UTC day from one campaign code."""

    __tablename__ = "visit_totals"
    __table_args__ = (UniqueConstraint("day", "project_id", "campaign_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    #: The campaign code, or the empty string for visits that came with none.
    campaign_code: Mapped[str] = mapped_column(String(64), default="")
    count: Mapped[int] = mapped_column(default=0)
