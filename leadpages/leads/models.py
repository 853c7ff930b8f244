"""Leads: what a person gave on a project's form, with the texts they were shown."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from leadpages.arrangements.models import Arrangement
from leadpages.db import Base, utcnow
from leadpages.notices.models import PrivacyNotice
from leadpages.projects.models import Category, Project

LEAD_STATUSES = ("new", "restricted", "erased")


def _public_id() -> str:
    return uuid.uuid4().hex


class Lead(Base):
    """A complete, validated request for information about one project."""

    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint("status IN ('new', 'restricted', 'erased')", name="status"),
        CheckConstraint("audience_basis IN ('legitimate-interest', 'consent')",
                        name="audience_basis"),
        # The duplicate check looks a person up per project by either identifier.
        Index("ix_leads_project_email", "project_id", "email_canonical"),
        Index("ix_leads_project_phone", "project_id", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The identifier partners see (API, webhook, CSV); the integer id never leaves the database.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=_public_id)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    #: Copied from the project at capture: the tenant this lead belongs to, for good.
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    #: The campaign code the visitor arrived with (`?c=` or `utm_campaign`), if any.
    campaign_code: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))

    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    #: Canonical form (trimmed, lower-case, gmail rule) used to recognise the same person.
    email_canonical: Mapped[str] = mapped_column(String(254))
    #: E.164, e.g. +32470123456.
    phone: Mapped[str] = mapped_column(String(20))
    #: Register keys (keyed hashes, leadpages.objections.keys) of the canonical email and phone:
    #: how the objection register and audiences recognise the person.
    email_key: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_key: Mapped[str | None] = mapped_column(String(64), index=True)
    postcode: Mapped[str | None] = mapped_column(String(12))
    country: Mapped[str | None] = mapped_column(String(2))
    budget_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    budget_currency: Mapped[str | None] = mapped_column(String(3))
    preferred_location: Mapped[str | None] = mapped_column(String(120))
    bedrooms: Mapped[int | None]
    garden: Mapped[str | None] = mapped_column(String(12))
    timeframe: Mapped[str | None] = mapped_column(String(20))
    contact_preference: Mapped[str | None] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)

    #: Opt-in to emails about similar projects, and the version of the box's text shown.
    marketing_email_opt_in: Mapped[bool] = mapped_column(default=False)
    marketing_email_text_version: Mapped[str] = mapped_column(String(40))
    #: The audience basis in force at capture decides which of the two boxes was shown.
    audience_basis: Mapped[str] = mapped_column(String(20))
    ads_objected: Mapped[bool] = mapped_column(default=False)
    ads_consented: Mapped[bool] = mapped_column(default=False)
    ads_text_version: Mapped[str] = mapped_column(String(40))
    #: The joint-controller arrangement in force when the lead was captured: the terms it was
    #: shared under. Empty only for leads captured before arrangements existed.
    arrangement_id: Mapped[int | None] = mapped_column(ForeignKey("arrangements.id"))
    #: The operator's privacy notice (language and version) shown beside the form.
    notice_id: Mapped[int] = mapped_column(ForeignKey("privacy_notices.id"))

    status: Mapped[str] = mapped_column(String(12), default="new")
    #: Kept for a short period (LEADPAGES_IP_RETENTION_DAYS) for abuse handling and proof.
    source_ip: Mapped[str | None] = mapped_column(String(45))
    #: How many times the person sent the form for this project within the duplicate window.
    submission_count: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship()
    notice: Mapped[PrivacyNotice] = relationship()
    arrangement: Mapped[Arrangement | None] = relationship()
    #: The categories the lead carries now (leadpages.categories decides them).
    categories: Mapped[list[Category]] = relationship(secondary="lead_categories",
                                                      viewonly=True, order_by=Category.code)

    def __repr__(self) -> str:
        return f"<Lead {self.public_id} project={self.project_id}>"
