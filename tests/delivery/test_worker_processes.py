"""Real worker processes on a committed database: killed mid-send, and several side by side.

Each test gets its own database (a fresh SQLite file, or a schema of its own on PostgreSQL)
because worker processes see only what is committed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from support import base_overrides

from leadpages import create_app
from leadpages.arrangements import services as arrangements
from leadpages.delivery.models import Delivery
from leadpages.extensions import db
from leadpages.leads.services import LeadInput, submit_lead
from leadpages.partners.models import Partner
from leadpages.partners.services import rotate_webhook_secret
from leadpages.projects.models import Project, ProjectText

ROOT = Path(__file__).parents[2]


@pytest.fixture
def committed(tmp_path: Path, database_url: str) -> Iterator[Any]:
    """An application on a database of its own, migrated, that commits for real."""
    from browser.conftest import _live_database

    from leadpages.cli import alembic_config

    url, drop = _live_database(database_url, tmp_path)
    app = create_app({**base_overrides(tmp_path, url), "WEBHOOK_ALLOW_LOOPBACK": True})
    from alembic import command

    with app.app_context():
        command.upgrade(alembic_config(), "head")
    yield app
    db.state(app).engine.dispose()
    if drop:
        drop()


def seed(app: Any, receiver_url: str, leads: int) -> str:
    """A partner with a webhook and an arrangement, one project, and `leads` leads; the secret."""
    with app.app_context():
        session = db.session
        partner = Partner(slug="p", legal_name="P NV", enterprise_number="BE 1", address="A",
                          contact_name="C", contact_email="c@p.example",
                          privacy_email="privacy@p.example", webhook_url=receiver_url,
                          email_recipients=[])
        session.add(partner)
        session.flush()
        secret = rotate_webhook_secret(session, partner)
        draft = arrangements.create_draft(session, partner,
                                          arrangements.default_content(partner, "Op"))
        arrangements.activate(session, draft, operator_signer="O", operator_signer_role="CEO",
                              partner_signer="P", partner_signer_role="CEO")
        project = Project(partner=partner, slug="x", status="published", city="Gent",
                          languages=["en"], optional_fields=[],
                          texts=[ProjectText(language="en", title="X")])
        session.add(project)
        session.commit()
        for n in range(leads):
            submit_lead(session, project, LeadInput(
                first_name="A", last_name=f"B{n}", email=f"lead{n}@example.com",
                phone=f"+3247{n:07d}"), lang="en", campaign_code=None, source_ip=None)
            session.commit()
        return secret


def start_worker(app: Any, name: str, **env: str) -> subprocess.Popen[bytes]:
    environ = {
        **os.environ,
        "LEADPAGES_INSTANCE_PATH": app.config["INSTANCE_PATH"],
        "LEADPAGES_DATABASE_URL": app.config["DATABASE_URL"],
        "LEADPAGES_SECRET_KEY": app.config["SECRET_KEY"],
        "LEADPAGES_WEBHOOK_ALLOW_LOOPBACK": "true",
        "LEADPAGES_WORKER_POLL_SECONDS": "0.1",
        **env,
    }
    return subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "leadpages.cli", "worker", "--name", name], cwd=ROOT,
        env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def statuses(app: Any) -> Counter[str]:
    with app.app_context():
        return Counter(dict(db.session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)).all()))


def wait_until(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_worker_killed_mid_send_loses_nothing(committed: Any, receiver: Any) -> None:
    app = committed
    receiver.secret = seed(app, receiver.url, leads=30)
    for _ in range(30):
        receiver.answer(200, delay=0.15)  # slow enough to be killed in the middle of a send
    worker = start_worker(app, "first", LEADPAGES_WORKER_LEASE_SECONDS="2",
                          LEADPAGES_WEBHOOK_TIMEOUT_SECONDS="1")
    try:
        assert wait_until(lambda: len(receiver.received) >= 5, 30)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    assert statuses(app)["delivered"] < 30
    second = start_worker(app, "second", LEADPAGES_WORKER_LEASE_SECONDS="2",
                          LEADPAGES_WEBHOOK_TIMEOUT_SECONDS="1")
    try:
        assert wait_until(lambda: statuses(app) == Counter({"delivered": 30}), 60), statuses(app)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(20) == 0
    with app.app_context():
        sent_ids = set(db.session.scalars(select(Delivery.message_id)))
    received = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert set(received) == sent_ids  # every message arrived
    assert all(r.verified for r in receiver.received)
    # A repeat (the send the kill interrupted) carries the same id, so the partner can drop it.
    assert sum(received.values()) - len(received) <= 10


def test_several_workers_never_send_a_row_twice(committed: Any, receiver: Any,
                                                database_url: str) -> None:
    app = committed
    on_postgres = database_url.startswith("postgresql")
    count, workers = (2000, 4) if on_postgres else (300, 2)
    receiver.secret = seed(app, receiver.url, leads=count)
    processes = [start_worker(app, f"w{n}") for n in range(workers)]
    try:
        assert wait_until(lambda: statuses(app)["delivered"] == count, 240), statuses(app)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(30) for process in processes]
    assert codes == [0] * workers
    received = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert len(received) == count
    assert max(received.values()) == 1  # no message was sent by two workers
    with app.app_context():
        claimed_by = set(db.session.scalars(select(Delivery.claimed_by)))
        assert claimed_by == {None}  # every claim was released on delivery
