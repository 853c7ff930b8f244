"""The delivery outbox: one row per message to send to a partner through one channel."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from leadpages.db import Base, utcnow
from leadpages.partners.models import Partner

if TYPE_CHECKING:
    from leadpages.leads.models import Lead

CHANNELS = ("webhook", "email")
DELIVERY_STATUSES = ("pending", "delivered", "dead")
#: Event types a partner can receive (DESIGN.md section 8).
EVENT_TYPES = ("lead.created", "lead.rectified", "lead.erased", "lead.restricted",
               "lead.objected", "ping")


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
    #: The JSON body, fixed when queued: every retry sends the very same bytes.
    payload: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: A worker's claim: no other worker takes the row before this time (a crashed worker's
    #: claim simply runs out, and the row is sent again with the same message id).
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partner: Mapped[Partner] = relationship()
    lead: Mapped[Lead | None] = relationship()
    history: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="delivery", order_by="DeliveryAttempt.id", cascade="all, delete-orphan"
    )


class DeliveryAttempt(Base):
    """One try at sending a delivery, or a staff or partner action on it (a replay)."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"),
                                             index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[int] = mapped_column(default=0)
    #: delivered, retry, dead, or replayed.
    outcome: Mapped[str] = mapped_column(String(12))
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    #: The first few hundred characters of the receiver's answer, for diagnosis.
    response_excerpt: Mapped[str | None] = mapped_column(String(500))

    delivery: Mapped[Delivery] = relationship(back_populates="history")
