"""An objection: a keyed hash of one identifier, what it objects to, and where it came from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadpages.db import Base, utcnow

#: ads: ad audiences; marketing-email: emails about similar projects; all: every processing
#: that rests on legitimate interest (categorising included).
SCOPES = ("ads", "marketing-email", "all")
#: form: the box on a lead form; link: one-click link in an email; page: /<lang>/object;
#: partner: a partner through the API; staff: a letter or call entered by staff.
SOURCES = ("form", "link", "page", "partner", "staff")
IDENTIFIER_KINDS = ("email", "phone")


class Objection(Base):
    """One identifier's objection. Outlives the person's leads: only the keyed hash is kept."""

    __tablename__ = "objections"
    __table_args__ = (
        CheckConstraint("scope IN ('ads', 'marketing-email', 'all')", name="scope"),
        CheckConstraint("source IN ('form', 'link', 'page', 'partner', 'staff')", name="source"),
        CheckConstraint("kind IN ('email', 'phone')", name="kind"),
        Index("ix_objections_key", "key", "withdrawn_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(5))
    #: HMAC-SHA256 (LEADPAGES_REGISTER_KEY) of the canonical identifier, hex; never the identifier.
    key: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10))
    #: The partner that passed it on (source `partner`).
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    #: Free reference for staff entries ("letter of 2026-11-20"); never the identifier itself.
    note: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the person confirmed a withdrawal by the emailed link; the row stays as proof.
    withdrawn_at: Mapped[datetime | None]
