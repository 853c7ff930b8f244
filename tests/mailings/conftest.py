"""Leads made through the intake service, and a real SMTP server that can be told to refuse."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
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
