"""An objection committed by another connection while an export reads.

The export reads one snapshot, so the objector is either left out of its file or in the file
and then in the next removal file, never lost. Each test has a database of its own that
commits for real (a fresh SQLite file, or a schema of its own on PostgreSQL), because the
other connection sees only what is committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from audience_support import read_rows
from flask import Flask
from sqlalchemy import select
from support import base_overrides

from leadpages import create_app
from leadpages.arrangements import services as arrangements
from leadpages.audiences import normalise, services
from leadpages.audiences.models import AudienceMember
from leadpages.extensions import db
from leadpages.leads.models import Lead
from leadpages.leads.services import LeadInput, submit_lead
from leadpages.objections.services import record_objection
from leadpages.partners.models import Partner
from leadpages.projects.models import Category, Project, ProjectText


@pytest.fixture
def committed(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    from alembic import command
    from browser.conftest import _live_database

    from leadpages.cli import alembic_config

    url, drop = _live_database(database_url, tmp_path)
    app = create_app({**base_overrides(tmp_path, url),
                      "AUDIENCE_PATH": str(tmp_path / "audiences")})
    with app.app_context():
        command.upgrade(alembic_config(), "head")
    yield app
    db.state(app).engine.dispose()
    if drop:
        drop()


def seed(app: Flask, people: int) -> list[Lead]:
    with app.app_context():
        session = db.session
        partner = Partner(slug="p", legal_name="P NV", enterprise_number="BE 1", address="A",
                          contact_name="C", contact_email="c@p.example",
                          privacy_email="privacy@p.example", email_recipients=[])
        session.add(partner)
        session.flush()
        draft = arrangements.create_draft(session, partner,
                                          arrangements.default_content(partner, "Op"))
        arrangements.activate(session, draft, operator_signer="O", operator_signer_role="CEO",
                              partner_signer="P", partner_signer_role="CEO")
        project = Project(partner=partner, slug="x", status="published", city="Gent",
                          languages=["en"], optional_fields=[],
                          texts=[ProjectText(language="en", title="X")],
                          categories=list(session.scalars(
                              select(Category).where(Category.code == "residential"))))
        session.add(project)
        session.commit()
        leads = []
        for n in range(people):
            leads.append(submit_lead(session, project, LeadInput(
                first_name="A", last_name=f"B{n}", email=f"lead{n}@example.com",
                phone=f"+3247{n:07d}"), lang="en", campaign_code=None, source_ip=None).lead)
            session.commit()
        return leads


@pytest.mark.parametrize("when", [0, 2], ids=["after-the-count", "mid-stream"])
def test_objection_during_an_export_is_left_out_or_removed_next(
        committed: Flask, monkeypatch: pytest.MonkeyPatch, when: int) -> None:
    app = committed
    monkeypatch.setattr(services, "BATCH", 2)  # report progress (and fetch) every 2 leads
    leads = seed(app, 6)
    # The person read last, so the objection lands before their row is read.
    objector = max(leads, key=lambda lead: lead.email_key or "")
    objected: list[int] = []
    totals: set[int] = set()

    def object_now(done: int, total: int) -> None:
        totals.add(total)
        if done >= when and not objected:
            with db.state(app).factory() as other:  # another connection, committed at once
                with app.app_context():
                    record_objection(other, email=objector.email.upper(), scope="ads",
                                     source="page")
                other.commit()
            objected.append(done)

    folder = Path(app.config["AUDIENCE_PATH"])
    with app.app_context():
        audience = services.define_audience(db.session, name="Concurrent", platform="meta",
                                            categories=["residential"], window_days=30,
                                            min_size=1, created_by="t")
        db.session.commit()
        first = services.export_audience(db.session, audience, run_by="t", progress=object_now)
        assert objected, "the objection was not made during the export"
        _, rows = read_rows(folder / first.file_name)
        hashes = {row[0] for row in rows}
        theirs = normalise.sha256(normalise.meta_email(objector.email))
        # One consistent read: the count (taken before the objection) and the file agree.
        assert totals == {len(rows)}
        assert first.included == len(rows)
        if theirs in hashes:
            due = db.session.scalar(select(AudienceMember.removal_due_at).where(
                AudienceMember.email_key == objector.email_key))
            assert due is not None, "their removal must be due at once"
            assert services.pending_removals(db.session) == {audience.id: 1}
        db.session.commit()

        second = services.export_audience(db.session, audience, run_by="t")
        _, rows = read_rows(folder / second.file_name)
        assert theirs not in {row[0] for row in rows}
        if theirs in hashes:
            _, removals = read_rows(folder / second.removal_file_name)
            assert [row[0] for row in removals] == [theirs]
        assert services.pending_removals(db.session) == {}


def test_exports_read_with_snapshot_isolation_on_postgresql(committed: Flask) -> None:
    """The read transaction of an export is REPEATABLE READ on PostgreSQL (SQLite: WAL)."""
    app = committed
    seen: list[str] = []
    with app.app_context():
        session: Any = db.session
        services._begin_snapshot(session)
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy import text

            seen.append(session.execute(text("SHOW transaction_isolation")).scalar())
            assert seen == ["repeatable read"]
        else:
            from sqlalchemy import text

            assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        session.rollback()
