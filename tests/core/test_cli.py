"""The command line: migrations on an empty database, idempotent demo data, settings errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.orm import Session

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
