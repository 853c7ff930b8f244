"""Portal fixtures: users, leads through the real intake, dead letters, and a signed-in browser."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from portal_support import PASSWORD, Browser
from sqlalchemy.orm import Session

from leadpages.accounts import services as accounts
from leadpages.accounts.models import PartnerUser
from leadpages.db import utcnow
from leadpages.delivery.models import Delivery, DeliveryAttempt
from leadpages.leads.models import Lead
from leadpages.leads.services import LeadInput, submit_lead
from leadpages.partners.models import Partner
from leadpages.projects.models import Project
from leadpages.web import transactions


@pytest.fixture
def browser(client: FlaskClient) -> Browser:
    return Browser(client)


@pytest.fixture
def other_browser(app: Flask) -> Browser:
    """A second browser with its own cookies (another device, or another partner's user)."""
    return Browser(app.test_client())


@pytest.fixture
def make_user(session: Session, make_partner: Callable[..., Partner]) -> Callable[..., PartnerUser]:
    counter = iter(range(1, 10_000))

    def make(partner: Partner | None = None, email: str | None = None,
             password: str = PASSWORD, name: str = "Pia Partner") -> PartnerUser:
        n = next(counter)
        user = accounts.create_user(session, partner or make_partner(),
                                    email or f"user{n}@partner.example", name, password)
        session.flush()
        return user

    return make


@pytest.fixture
def make_lead(app: Flask, session: Session,
              make_project: Callable[..., Project]) -> Callable[..., Lead]:
    counter = iter(range(1, 10_000))

    def make(project: Project | None = None, at: datetime | None = None,
             **values: Any) -> Lead:
        """A lead through the real intake (with its outbox rows), received at `at`."""
        n = next(counter)
        fields: dict[str, Any] = {"first_name": "Jan", "last_name": f"Janssens{n}",
                                  "email": f"jan{n}@example.com", "phone": f"+3247012{n:04d}"}
        fields.update(values)
        with app.app_context():
            intake = submit_lead(session, project or make_project(), LeadInput(**fields),
                                 lang="en", campaign_code=None, source_ip=None)
        if at is not None:
            # Received earlier than the partner's arrangement began would not be a lead at all;
            # the time is moved afterwards, as if the lead had arrived then.
            intake.lead.created_at = at
        session.flush()
        return intake.lead

    return make


@pytest.fixture
def make_dead_letter(session: Session) -> Callable[..., Delivery]:
    def make(lead: Lead, channel: str = "webhook") -> Delivery:
        """A delivery of `lead` that failed for good, with its failed attempt."""
        failed_at = utcnow() - timedelta(hours=1)
        row = Delivery(kind="lead.created", lead_id=lead.id, partner_id=lead.partner_id,
                       channel=channel, payload="{}", status="dead", attempts=3,
                       last_error="HTTP 410 Gone", next_attempt_at=failed_at)
        row.history.append(DeliveryAttempt(started_at=failed_at, duration_ms=42, outcome="dead",
                                           status_code=410, error="HTTP 410 Gone",
                                           response_excerpt="gone"))
        session.add(row)
        session.flush()
        return row

    return make


@pytest.fixture
def write_log(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the portal's requests do, in order: slow work, and each start of a write.

    "write" is begin_write on a session with no transaction open, which takes SQLite's write lock
    at once; "write joined a read" is begin_write inside a read, which does nothing there (a bug).
    "password check", "password hash" and "dns" are the slow steps that must come before the
    write. Clear the list right before the request under test: fixtures record too.
    """
    events: list[str] = []
    real_begin, real_check = transactions.begin_write, accounts.check_password_hash
    real_hash, real_lookup = accounts.generate_password_hash, socket.getaddrinfo

    def begin(session: Any) -> None:
        events.append("write joined a read" if session.in_transaction() else "write")
        real_begin(session)

    def check(stored: str, password: str) -> bool:
        events.append("password check")
        return real_check(stored, password)

    def make_hash(password: str, **kwargs: Any) -> str:
        events.append("password hash")
        return real_hash(password, **kwargs)

    def lookup(*args: Any, **kwargs: Any) -> Any:
        events.append("dns")
        return real_lookup(*args, **kwargs)

    monkeypatch.setattr(transactions, "begin_write", begin)
    monkeypatch.setattr(accounts, "check_password_hash", check)
    monkeypatch.setattr(accounts, "generate_password_hash", make_hash)
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return events
