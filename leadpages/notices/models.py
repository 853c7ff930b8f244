"""Versioned privacy notices, one series per language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadpages.db import Base, utcnow


class PrivacyNotice(Base):
    """The exact text of the operator's privacy notice as shown, in one language and version."""

    __tablename__ = "privacy_notices"
    __table_args__ = (
        UniqueConstraint("language", "version"),
        UniqueConstraint("language", "digest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(2))
    version: Mapped[int]
    #: The rendered HTML body, exactly as people read it; never edited once stored.
    body: Mapped[str] = mapped_column(Text)
    #: SHA-256 of the body, so a changed text always becomes a new version.
    digest: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
