"""Queueing the platform's own emails in the caller's transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from leadpages.delivery.services import notify
from leadpages.mail.models import OutboundEmail


def queue_email(session: Session, *, to: str, subject: str, text: str, html: str | None = None,
                reply_to: str | None = None,
                headers: dict[str, str] | None = None) -> OutboundEmail:
    """Queue one email; it leaves only after the caller commits (the worker sends it)."""
    email = OutboundEmail(to=to, subject=subject, text=text, html=html, reply_to=reply_to,
                          headers=headers or {})
    session.add(email)
    session.flush()
    notify(session)
    return email
