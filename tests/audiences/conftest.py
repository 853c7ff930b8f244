"""Fixtures for audiences: leads through the real intake, audiences, files in a folder per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from leadpages.audiences import services
from leadpages.audiences.models import Audience, AudienceExport
from leadpages.leads.models import Lead
from leadpages.leads.services import LeadInput, submit_lead
from leadpages.projects.models import Project


@pytest.fixture(autouse=True)
def context(app: Flask) -> Iterator[None]:
    """The services read the settings of the current application."""
    with app.app_context():
        yield


@pytest.fixture
def folder(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """LEADPAGES_AUDIENCE_PATH of this test only, so a test sees exactly the files it made."""
    path = tmp_path / "audiences"
    monkeypatch.setitem(app.config, "AUDIENCE_PATH", str(path))
    return path


@pytest.fixture
def make_lead(session: Session) -> Callable[..., Lead]:
    """A lead through the real intake (register keys, objection box, tags, outbox)."""
    counter = iter(range(1, 100_000))

    def make(project: Project, email: str | None = None, phone: str | None = None,
             now: datetime | None = None, **values: Any) -> Lead:
        n = next(counter)
        data = LeadInput(**{"first_name": "Jan", "last_name": f"Tester{n}",
                            "email": email or f"person{n}@example.com",
                            "phone": phone or f"+3247{n:07d}", **values})
        intake = submit_lead(session, project, data, lang="en", campaign_code=None,
                             source_ip=None, now=now)
        session.flush()
        return intake.lead

    return make


@pytest.fixture
def make_audience(session: Session) -> Callable[..., Audience]:
    counter = iter(range(1, 100_000))

    def make(name: str | None = None, **values: Any) -> Audience:
        fields: dict[str, Any] = {"platform": "meta", "categories": ["residential"],
                                  "window_days": 540, "min_size": 1, "created_by": "tester"}
        fields.update(values)
        return services.define_audience(session, name=name or f"Buyers {next(counter)}",
                                        **fields)

    return make


@pytest.fixture
def export(session: Session, folder: Path) -> Callable[..., AudienceExport]:
    def run(audience: Audience, **values: Any) -> AudienceExport:
        values.setdefault("run_by", "tester")
        return services.export_audience(session, audience, **values)

    return run


@pytest.fixture
def cli(runner: Any) -> Callable[..., Any]:
    """Run `leadpages ARGS...`; its session is closed after, as at the end of a real command."""
    from leadpages.extensions import db

    def invoke(*args: str, **kwargs: Any) -> Any:
        try:
            return runner.invoke(args=list(args), **kwargs)
        finally:
            db.end()

    return invoke
