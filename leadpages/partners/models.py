"""Project partners: the developers and brokers whose projects we publish."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from leadpages.db import Base, utcnow


class Partner(Base):
    """A project partner and joint controller of the leads of its projects."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    enterprise_number: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(300))
    website: Mapped[str | None] = mapped_column(String(300))
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    #: Where people address privacy questions to this partner as joint controller.
    privacy_email: Mapped[str] = mapped_column(String(254))
    #: Stored file name under the upload folder's `logos/`, content-addressed.
    logo: Mapped[str | None] = mapped_column(String(120))
    #: Delivery channels; the outbox gets one row per configured channel for every new lead.
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    #: Signing secrets (`whsec_...`) with their expiry; during a rotation the old one signs too
    #: until it expires. [{"secret": ..., "created_at": iso, "expires_at": iso or null}]
    webhook_secrets: Mapped[list[dict[str, str | None]]] = mapped_column(JSON, default=list)
    email_recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Partner {self.slug}>"
