"""A mailing about a project to people who opted in on similar ones, and each recipient."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from leadpages.db import Base, utcnow
from leadpages.projects.models import Category, Project

mailing_categories = Table(
    "mailing_categories",
    Base.metadata,
    Column("mailing_id", ForeignKey("mailings.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)


class Mailing(Base):
    """Staff's choice of a target project and the source categories whose people hear of it."""

    __tablename__ = "mailings"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'sending', 'sent')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    status: Mapped[str] = mapped_column(String(8), default="draft")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    #: Counts: {"sent": n, "skipped:objected": n, ...}.
    report: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)

    target_project: Mapped[Project] = relationship()
    categories: Mapped[list[Category]] = relationship(secondary=mailing_categories,
                                                      order_by=Category.code)


class MailingRecipient(Base):
    """One person a mailing is for; one row (one email) per person, whatever their leads."""

    __tablename__ = "mailing_recipients"
    __table_args__ = (
        UniqueConstraint("mailing_id", "email_key"),
        CheckConstraint("status IN ('queued', 'sent', 'skipped', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailings.id", ondelete="CASCADE"),
                                            index=True)
    #: The person's most recent eligible lead: the address, name and language to write in.
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    email_key: Mapped[str] = mapped_column(String(64))
    phone_key: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8), default="queued")
    #: Why it was skipped or failed (objected, restricted, erased, smtp error...).
    reason: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
