"""Audiences, each export of one, and who is in the audience on the platform's side."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from leadpages.db import Base, utcnow
from leadpages.projects.models import Category

PLATFORMS = ("meta", "google", "csv")
EXPORT_STATUSES = ("running", "written", "below-minimum", "refused", "failed")

audience_categories = Table(
    "audience_categories",
    Base.metadata,
    Column("audience_id", ForeignKey("audiences.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)


class Audience(Base):
    """Staff's definition: leads in these categories and this window, for one platform."""

    __tablename__ = "audiences"
    __table_args__ = (
        CheckConstraint("platform IN ('meta', 'google', 'csv')", name="platform"),
        CheckConstraint("window_days BETWEEN 1 AND 540", name="window_days"),
        CheckConstraint("min_size >= 1", name="min_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Also the name shown on the ad platform: never suggests income or a sensitive trait.
    name: Mapped[str] = mapped_column(String(80), unique=True)
    platform: Mapped[str] = mapped_column(String(8))
    window_days: Mapped[int]
    min_size: Mapped[int] = mapped_column(default=100)
    #: The platform's id of the uploaded audience (Meta custom audience id), for direct upload.
    platform_audience_id: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    categories: Mapped[list[Category]] = relationship(secondary=audience_categories,
                                                      order_by=Category.code)


class AudienceExport(Base):
    """One run of an export: counts, who ran it, the files' digests; never an identifier."""

    __tablename__ = "audience_exports"
    __table_args__ = (
        CheckConstraint(
            "status IN ('running', 'written', 'below-minimum', 'refused', 'failed')",
            name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    audience_id: Mapped[int] = mapped_column(ForeignKey("audiences.id", ondelete="CASCADE"),
                                             index=True)
    run_by: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="running")
    #: Why nothing was written (refused, below-minimum, failed).
    reason: Mapped[str | None] = mapped_column(Text)
    #: People in the upload file.
    included: Mapped[int] = mapped_column(default=0)
    #: Leads left out, per reason: {"objected": 3, "restricted": 1, ...}.
    excluded: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    #: People in the removal file (exported before, no longer eligible).
    removed: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_digest: Mapped[str | None] = mapped_column(String(64))
    removal_file_name: Mapped[str | None] = mapped_column(String(200))
    removal_digest: Mapped[str | None] = mapped_column(String(64))
    #: Direct upload: not-configured, sent, or the error.
    upload: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    audience: Mapped[Audience] = relationship()


PHONE_INDEX = "ix_audience_members_phone"


class AudienceMember(Base):
    """A person last sent to the platform in this audience, as the platform's hashed row.

    Kept so that a later export can send their removal even after their lead is erased; the
    register keys let an objection mark them for removal at once. A person is found by email
    through the primary key (every audience id with the key: audiences are few), by phone
    through its index; a separate email index would cost a first export of a million people a
    fifth of its time (`make bench`).
    """

    __tablename__ = "audience_members"
    __table_args__ = (Index(PHONE_INDEX, "phone_key"),)

    audience_id: Mapped[int] = mapped_column(ForeignKey("audiences.id", ondelete="CASCADE"),
                                             primary_key=True)
    #: Register key of the canonical email: one member per person and audience.
    email_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    phone_key: Mapped[str | None] = mapped_column(String(64))
    #: The row as written in the platform's file (hashed identifiers), JSON.
    row: Mapped[str] = mapped_column(Text)
    added_in: Mapped[int] = mapped_column(ForeignKey("audience_exports.id"))
    #: Set when the person objected: their removal is due in the next removal file or sync.
    removal_due_at: Mapped[datetime | None]
