"""Staff accounts: a role, a password and a TOTP second factor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from leadpages.db import Base, utcnow

#: admin: everything, staff accounts included; marketer: partners, projects, campaigns, results,
#: audiences and mailings; privacy: the register, leads, audiences, mailings, arrangements, audit.
STAFF_ROLES = ("admin", "marketer", "privacy")


class StaffUser(Base):
    """Someone of the operator who signs in to the workspace under /admin/."""

    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'marketer', 'privacy')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case; the sign-in name.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(12))
    #: werkzeug's scrypt hash; never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    #: The base32 TOTP secret; set at enrolment, which the first sign-in asks for.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    #: The 30-second step of the last code accepted: a code works once (no replay).
    totp_last_step: Mapped[int | None]
    #: Changes on every password or second-factor change, which ends every older session.
    session_version: Mapped[int] = mapped_column(default=1)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    #: A deactivated account cannot sign in; it stays, so the audit log keeps naming it.
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_enrolled(self) -> bool:
        return self.totp_enabled_at is not None

    def __repr__(self) -> str:
        return f"<StaffUser {self.email} {self.role}>"
