"""Joint-controller arrangements (GDPR Art. 26): one versioned record per partner."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from leadpages.db import Base, utcnow
from leadpages.partners.models import Partner

ARRANGEMENT_STATUSES = ("draft", "active", "superseded")

#: The columns that make up an arrangement's content: fixed once it is active.
CONTENT_FIELDS = (
    "partner_id", "version", "purposes", "informs_at_collection", "contact_point",
    "rights_handling", "partner_retention", "partner_duties", "essence",
    "operator_signer", "operator_signer_role", "partner_signer", "partner_signer_role",
    "signed_at", "effective_from", "digest",
)


#: What may still change on a signed arrangement: only its replacement by a later version.
SUPERSEDE_FIELDS = frozenset({"status", "superseded_at", "superseded_by_id"})


class ArrangementError(ValueError):
    """An arrangement cannot be drafted, changed or activated as asked; says why."""


class Arrangement(Base):
    """What the operator and one partner agreed on as joint controllers, in one version.

    A draft may change; activation signs it and fixes its content for good (the service refuses
    edits, an ORM guard refuses them, and a database trigger refuses them). A change is a new
    version, which supersedes the old one when it is activated.
    """

    __tablename__ = "arrangements"
    __table_args__ = (
        UniqueConstraint("partner_id", "version"),
        CheckConstraint("status IN ('draft', 'active', 'superseded')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default="draft")
    #: Purpose codes covered, from services.PURPOSES.
    purposes: Mapped[list[str]] = mapped_column(JSON)
    #: Who informs the person when the data is collected: operator or partner.
    informs_at_collection: Mapped[str] = mapped_column(String(10))
    #: The person's point of contact: operator, partner or either.
    contact_point: Mapped[str] = mapped_column(String(10))
    #: Who answers each right: {"access": "operator", "erasure": "either", ...}.
    rights_handling: Mapped[dict[str, str]] = mapped_column(JSON)
    #: How long the partner keeps its copy of a lead, in words both sides signed.
    partner_retention: Mapped[str] = mapped_column(String(300))
    #: The partner's duties, including acting on objection and erasure notices.
    partner_duties: Mapped[str] = mapped_column(String(2000))
    #: The essence of the arrangement for the person, per language (Art. 26(2)).
    essence: Mapped[dict[str, str]] = mapped_column(JSON)
    operator_signer: Mapped[str | None] = mapped_column(String(120))
    operator_signer_role: Mapped[str | None] = mapped_column(String(120))
    partner_signer: Mapped[str | None] = mapped_column(String(120))
    partner_signer_role: Mapped[str | None] = mapped_column(String(120))
    signed_at: Mapped[datetime | None]
    effective_from: Mapped[datetime | None]
    #: SHA-256 of the canonical content, fixed at activation.
    digest: Mapped[str | None] = mapped_column(String(64))
    superseded_at: Mapped[datetime | None]
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("arrangements.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partner: Mapped[Partner] = relationship()

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    def __repr__(self) -> str:
        return f"<Arrangement {self.partner_id} v{self.version} {self.status}>"


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_signed_versions(session: Session, _context: Any, _instances: Any) -> None:
    """Last line in Python: a signed version's content cannot be flushed changed or deleted."""
    for instance in session.dirty:
        if not isinstance(instance, Arrangement):
            continue
        state = inspect(instance)
        status = state.attrs.status.history
        was = (status.deleted or [instance.status])[0]
        if was == "draft":
            continue
        changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
        if changed - SUPERSEDE_FIELDS or instance.status == "draft" or (
            was == "superseded" and instance.status != "superseded"
        ):
            raise ArrangementError(
                f"arrangement version {instance.version} is signed; it cannot change"
            )
    for instance in session.deleted:
        if isinstance(instance, Arrangement) and instance.status != "draft":
            raise ArrangementError(f"arrangement version {instance.version} is signed; it "
                                   "cannot be deleted")
