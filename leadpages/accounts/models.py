"""People and programs that act for a partner: portal users and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from leadpages.db import Base, utcnow
from leadpages.partners.models import Partner


class PartnerUser(Base):
    """Someone who signs in to the partner portal; sees only their partner's data."""

    __tablename__ = "partner_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    #: Stored lower-case; unique across all partners.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: werkzeug's scrypt hash; never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Changes on every password change, which ends every session signed in before it.
    session_version: Mapped[int] = mapped_column(default=1)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partner: Mapped[Partner] = relationship()


class ApiKey(Base):
    """A named key a partner's systems use for the API; only its hash is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    #: The first characters of the key, shown so people can tell their keys apart.
    prefix: Mapped[str] = mapped_column(String(16))
    #: SHA-256 of the whole key (a long random key needs no slow hash).
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    partner: Mapped[Partner] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
