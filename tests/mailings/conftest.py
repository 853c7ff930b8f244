"""Leads made through the intake service, and a real SMTP server that can be told to refuse."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as email_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy.orm import Session

from leadpages.leads.models import Lead
from leadpages.leads.services import LeadInput, submit_lead
from leadpages.projects.models import Project


@pytest.fixture(autouse=True)
def _app_context(app: Flask) -> Iterator[None]:
    """Services render templates and read settings: run each test inside the app's context."""
    with app.app_context():
        yield


@pytest.fixture
def make_lead(session: Session) -> Callable[..., Lead]:
    """A lead captured by the intake service (register check, tagging), as the form does."""

    def make(project: Project, email: str = "jan.janssens@example.com",
             phone: str = "0470 12 34 56", *, opt_in: bool = True, lang: str = "en",
             first_name: str = "Jan", ads_objected: bool = False, ads_consented: bool = False,
             message: str | None = None, created_at: datetime | None = None) -> Lead:
        data = LeadInput(first_name=first_name, last_name="Janssens", email=email, phone=phone,
                         marketing_email_opt_in=opt_in, ads_objected=ads_objected,
                         ads_consented=ads_consented, message=message)
        intake = submit_lead(session, project, data, lang=lang, campaign_code=None,
                             source_ip=None)
        if created_at is not None:  # as if it came in then (the arrangement is a day old)
            intake.lead.created_at = created_at
        session.flush()
        return intake.lead

    return make


class Mailbox:
    """What the SMTP server accepted; `refuse` scripts answers to the next DATA commands."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.answers: list[str] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.answers:
            return self.answers.pop(0)
        message = message_from_bytes(envelope.content, policy=email_policy)
        self.messages.append(message)  # type: ignore[arg-type]
        self.raw.append(envelope.content)
        return "250 OK"

    def refuse(self, answer: str) -> None:
        """Answer the next message with `answer` (e.g. "451 4.3.0 try later") instead of 250."""
        self.answers.append(answer)

    def of_mailing(self, mailing_id: int) -> list[EmailMessage]:
        return [m for m in self.messages if m["X-Leadpages-Mailing"] == str(mailing_id)]


@pytest.fixture
def smtp(app: Flask) -> Iterator[Mailbox]:
    """A real SMTP server on loopback that the app sends to during the test."""
    mailbox = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="none")
    try:
        yield mailbox
    finally:
        app.config.update(saved)
        controller.stop()


class FakeTime:
    """A clock that only moves when the code under test sleeps; records each sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()
