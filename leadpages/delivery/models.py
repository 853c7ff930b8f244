"""The delivery outbox: one row per message to send to a partner through one channel."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadpages.db import Base, utcnow

CHANNELS = ("webhook", "email")
DELIVERY_STATUSES = ("pending", "delivered", "dead")


def _message_id() -> str:
    return "msg_" + uuid.uuid4().hex


class Delivery(Base):
    """An outbox row, written in the same transaction as the lead (or notice) it carries."""

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'dead')", name="status"),
        CheckConstraint("channel IN ('webhook', 'email')", name="channel"),
        # The worker's claim query: due rows first.
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The idempotency key: the `webhook-id` header, the same on every retry of this message.
    message_id: Mapped[str] = mapped_column(String(40), unique=True, default=_message_id)
    #: The event type, e.g. lead.created.
    kind: Mapped[str] = mapped_column(String(40))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    channel: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
