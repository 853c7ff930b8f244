"""The command line: migrations on an empty database, idempotent demo data, settings errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.orm import Session

from leadpages.objections.keys import register_key
from leadpages.partners.models import Partner
from leadpages.projects.models import Project, ProjectPhoto

ROOT = Path(__file__).parents[2]


def leadpages(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command with fixed arguments
        [sys.executable, "-m", "leadpages.cli", *args], cwd=ROOT, env={**os.environ, **env},
        capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.fixture
def fresh(tmp_path: Path) -> dict[str, str]:
    """Settings for an empty SQLite instance folder."""
    return {"LEADPAGES_INSTANCE_PATH": str(tmp_path / "instance")}


def test_upgrade_then_demo_twice_changes_nothing_the_second_time(fresh: dict[str, str]) -> None:
    upgrade = leadpages("db", "upgrade", env=fresh)
    assert upgrade.returncode == 0, upgrade.stderr
    first = leadpages("demo", env=fresh)
    assert first.returncode == 0, first.stderr
    assert "project residentie-parkzicht" in first.stdout
    assert "portal user sofie@scheldeland.example" in first.stdout
    assert "password Demo-partner-2026" in first.stdout
    assert "staff user marketing@leadpages.example" in first.stdout
    assert "Workspace: /admin/ as admin@leadpages.example (admin)" in first.stdout
    engine = create_engine(f"sqlite:///{fresh['LEADPAGES_INSTANCE_PATH']}/leadpages.sqlite3")
    with Session(engine) as session:
        projects = session.scalars(select(Project).where(Project.status == "published")).all()
        assert len(projects) == 3
        assert len({category.code for p in projects for category in p.categories}) == 3
        assert all(sorted(t.language for t in p.texts) == ["en", "fr", "nl"] for p in projects)
        assert session.scalar(select(func.count()).select_from(Partner)) == 2
        photos = session.scalars(select(ProjectPhoto)).all()
        before = (len(photos), sorted(p.key for p in photos))
    uploads = Path(fresh["LEADPAGES_INSTANCE_PATH"]) / "uploads"
    files = sorted(p.name for p in uploads.rglob("*") if p.is_file())
    assert any(name.endswith("-960.webp") for name in files)

    second = leadpages("demo", env=fresh)
    assert second.returncode == 0, second.stderr
    assert "nothing changed" in second.stdout
    with Session(engine) as session:
        photos = session.scalars(select(ProjectPhoto)).all()
        assert (len(photos), sorted(p.key for p in photos)) == before
    assert sorted(p.name for p in uploads.rglob("*") if p.is_file()) == files
    engine.dispose()


def test_migrations_create_exactly_the_models(session: Session) -> None:
    """The schema the migrations built (SQLite or PostgreSQL) is the one the models declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from leadpages.models import Base

    connection = session.connection()
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    assert compare_metadata(context, Base.metadata) == []
    assert "alembic_version" in inspect(connection).get_table_names()


def test_bad_setting_stops_with_a_message_not_a_traceback(fresh: dict[str, str]) -> None:
    result = leadpages("db", "upgrade", env={**fresh, "LEADPAGES_AUDIENCE_BASIS": "whatever"})
    assert result.returncode == 2
    assert "LEADPAGES_AUDIENCE_BASIS='whatever' must be one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_bad_bind(fresh: dict[str, str]) -> None:
    result = leadpages("serve", "--bind", "nowhere", env=fresh)
    assert result.returncode == 2
    assert "use HOST:PORT" in result.stderr


def test_migrations_apply_to_a_database_that_holds_leads(tmp_path: Path) -> None:
    """Each migration runs on data, not only on an empty database (SQLite rebuilds tables)."""
    env = {"LEADPAGES_INSTANCE_PATH": str(tmp_path / "instance")}
    assert leadpages("db", "upgrade", "--revision", "0001", env=env).returncode == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'instance' / 'leadpages.sqlite3'}")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO partners (id, slug, legal_name, enterprise_number, address, contact_name,"
            " contact_email, privacy_email, email_recipients, created_at) VALUES (1, 'p', 'P', "
            "'BE 1', 'A', 'C', 'c@p.example', 'x@p.example', '[]', '2026-01-01 00:00:00')")
        connection.exec_driver_sql(
            "INSERT INTO projects (id, partner_id, slug, status, city, country, currency, "
            "unit_types, languages, optional_fields, created_at, updated_at) VALUES (1, 1, 'x', "
            "'published', 'Gent', 'BE', 'EUR', '[]', '[\"en\"]', '[]', '2026-01-01 00:00:00', "
            "'2026-01-01 00:00:00')")
        connection.exec_driver_sql(
            "INSERT INTO privacy_notices (id, language, version, body, digest, published_at) "
            "VALUES (1, 'en', 1, 'b', 'd', '2026-01-01 00:00:00')")
        connection.exec_driver_sql(
            "INSERT INTO leads (id, public_id, project_id, partner_id, language, first_name, "
            "last_name, email, email_canonical, phone, marketing_email_opt_in, "
            "marketing_email_text_version, audience_basis, ads_objected, ads_consented, "
            "ads_text_version, notice_id, status, submission_count, created_at, updated_at, "
            "last_submitted_at) VALUES (1, 'abc', 1, 1, 'en', 'A', 'B', 'a@b.example', "
            "'a@b.example', '+32470123456', 0, 'm/1', 'legitimate-interest', 0, 0, 'a/1', 1, "
            "'new', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
        connection.exec_driver_sql(
            "INSERT INTO deliveries (id, message_id, kind, lead_id, partner_id, channel, status,"
            " attempts, next_attempt_at, created_at) VALUES (1, 'msg_1', 'lead.created', 1, 1, "
            "'email', 'pending', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    engine.dispose()
    env["LEADPAGES_REGISTER_KEY"] = "k" * 40
    upgrade = leadpages("db", "upgrade", env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    assert "Register keys computed for 1 earlier leads." in upgrade.stdout
    engine = create_engine(f"sqlite:///{tmp_path / 'instance' / 'leadpages.sqlite3'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM deliveries").scalar() == 1
        keys = connection.exec_driver_sql("SELECT email_key, phone_key FROM leads").one()
    engine.dispose()
    # The lead stored before the register existed is known to it under its keys.
    assert keys == (register_key("email", "a@b.example", b"k" * 40),
                    register_key("phone", "+32470123456", b"k" * 40))
    again = leadpages("db", "upgrade", env=env)
    assert "Register keys computed" not in again.stdout


def test_serve_runs_site_and_worker_and_ctrl_c_stops_both(tmp_path: Path) -> None:
    """`make run` ends in `leadpages serve`: the site answers, and Ctrl-C leaves nothing behind."""
    import signal
    import socket
    import time

    import requests

    env = {**os.environ, "LEADPAGES_INSTANCE_PATH": str(tmp_path / "instance")}
    assert leadpages("db", "upgrade", env=env).returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "leadpages.cli", "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", "1"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        answer = None
        while time.monotonic() < deadline:
            try:
                # The first page renders its templates: on a busy machine that takes seconds.
                answer = requests.get(f"http://127.0.0.1:{port}/en/", timeout=20)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert answer is not None
        assert answer.status_code == 200
        children = subprocess.run(  # noqa: S603 - our own query of our own processes
            ["/usr/bin/pgrep", "-s", str(serve.pid), "-f", "gunicorn|leadpages.cli worker"],
            capture_output=True, text=True, check=False).stdout.split()
        assert len(children) >= 2  # gunicorn (master and worker) and the delivery worker
        os.killpg(serve.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's process group
        assert serve.wait(30) == 0
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(10)
    time.sleep(0.5)
    left = subprocess.run(  # noqa: S603
        ["/usr/bin/pgrep", "-s", str(serve.pid)], capture_output=True, text=True, check=False)
    assert left.stdout.split() == []
