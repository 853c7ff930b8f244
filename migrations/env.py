"""Alembic environment: the application's metadata and database URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from leadpages.db import make_engine
from leadpages.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return str(url)
    # Run through the plain `alembic` command: read the same settings the app reads.
    from leadpages import config as settings

    return str(settings.finish(settings.load())["DATABASE_URL"])


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = _url()
    if url.startswith("sqlite"):
        # Batch migrations rebuild tables (copy, drop, rename); with foreign keys enforced, the
        # drop of a referenced table would fail. They stay off during the migration and are
        # checked afterwards instead.
        engine = create_engine(url)
        with engine.connect() as connection:
            _run(connection)
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        engine.dispose()
        if problems:
            raise RuntimeError(f"the migration left broken references: {problems[:5]}")
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: object) -> None:
    # Batch mode lets the same migration alter tables on SQLite, which cannot ALTER much.
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
