"""Fixtures for the objection channels: leads of one person, the register and the outbox."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as email_policy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpages.delivery.models import Delivery
from leadpages.delivery.worker import Worker
from leadpages.leads.models import Lead
from leadpages.leads.services import LeadInput, submit_lead
from leadpages.mail.models import OutboundEmail
from leadpages.objections.models import Objection
from leadpages.projects.models import Project


@pytest.fixture
def make_lead(app: Flask, session: Session) -> Callable[..., Lead]:
    """A lead of `email` / `phone` for `project`, through the real intake (tagged, queued)."""
    counter = iter(range(1, 10_000))

    def make(project: Project, email: str | None = None, phone: str | None = None,
             **values: Any) -> Lead:
        n = next(counter)
        data = LeadInput(**{"first_name": "Jan", "last_name": f"Tester{n}",
                            "email": email or f"person{n}@example.com",
                            "phone": phone or f"+3247{n:07d}", **values})
        with app.app_context():
            intake = submit_lead(session, project, data, lang="en", campaign_code=None,
                                 source_ip=None)
        assert intake.created
        return intake.lead

    return make


@pytest.fixture
def register(session: Session) -> Callable[[], list[Objection]]:
    """The register's rows, oldest first, as stored now."""

    def rows() -> list[Objection]:
        session.expire_all()
        return list(session.scalars(select(Objection).order_by(Objection.id)))

    return rows


@pytest.fixture
def outbox(session: Session) -> Callable[[], list[OutboundEmail]]:
    """The platform's queued emails, oldest first."""

    def rows() -> list[OutboundEmail]:
        session.expire_all()
        return list(session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))

    return rows


@pytest.fixture
def deliveries(session: Session) -> Callable[..., list[Delivery]]:
    """The outbox rows of partners, optionally of one kind."""

    def rows(kind: str | None = None) -> list[Delivery]:
        session.expire_all()
        query = select(Delivery).order_by(Delivery.id)
        if kind:
            query = query.where(Delivery.kind == kind)
        return list(session.scalars(query))

    return rows


@pytest.fixture
def sent_mail(app: Flask) -> Callable[[str], list[EmailMessage]]:
    """Run one worker turn (mail goes to the .eml file sink) and read what went to `to`."""

    def run(to: str) -> list[EmailMessage]:
        Worker(app, name="test-worker").turn()
        found = []
        files = (Path(app.config["INSTANCE_PATH"]) / "mail").glob("*.eml")
        for path in sorted(files, key=lambda path: path.stat().st_mtime_ns):
            message = message_from_bytes(path.read_bytes(), policy=email_policy)
            if to in str(message["To"]):
                found.append(message)
        return found  # type: ignore[return-value]

    return run


@pytest.fixture
def keys_of(app: Flask) -> Callable[..., dict[str, str]]:
    """The register keys of identifiers (in an application context of their own: a request
    must not run inside one, or it would share the test's session)."""
    from leadpages.objections.keys import person_keys

    def compute(email: str | None = None, phone: str | None = None) -> dict[str, str]:
        with app.app_context():
            return person_keys(email, phone)

    return compute


@pytest.fixture
def in_app(app: Flask) -> Callable[..., Any]:
    """Call `function(*args)` in an application context of its own."""

    def call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with app.app_context():
            return function(*args, **kwargs)

    return call
