"""Which categories each lead carries now, and every change to that, with its reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from leadpages.db import Base, utcnow

lead_categories = Table(
    "lead_categories",
    Base.metadata,
    Column("lead_id", ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True, index=True),
)

#: capture: the lead's project categories when it came in; project-changed: staff changed
#: the project's categories; objection / withdrawal: the person objected or withdrew it.
REASONS = ("capture", "project-changed", "objection", "withdrawal")


class CategoryEvent(Base):
    """One tag put on or taken off a lead; the history is append-only."""

    __tablename__ = "category_events"
    __table_args__ = (
        CheckConstraint("action IN ('tagged', 'untagged')", name="action"),
        CheckConstraint("reason IN ('capture', 'project-changed', 'objection', 'withdrawal')",
                        name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    action: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
