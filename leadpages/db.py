"""The database: declarative base, UTC time type, and one session per request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

#: Constraint names are predictable so that migrations can name what they alter.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, PostgreSQL's timestamptz does; both come back as aware UTC here, and a
    naive datetime is refused on the way in rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use leadpages.db.utcnow() or an aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings each backend needs for several processes at once."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            # The driver's own transaction handling is off; we emit BEGIN ourselves below.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # A transaction that will write says so up front (begin_write) and takes the write
            # lock at BEGIN, queueing behind other writers (busy_timeout). Otherwise two
            # transactions could both read, then both try to write, and one would fail at once.
            # Reads stay deferred and never block anyone.
            write = connection.get_execution_options().get(WRITE_OPTION)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


@dataclass
class DatabaseState:
    """One application's engine and session factory."""

    engine: Engine
    factory: sessionmaker[Session]


WRITE_OPTION = "leadpages_write"


def begin_write(session: Session) -> None:
    """Start `session`'s transaction as a writer (SQLite: BEGIN IMMEDIATE).

    Call it first in a unit of work that reads and then writes. A session already in a
    transaction keeps it: on the request path, end a read-only phase with a commit first, so
    that the write lock is held only for the short write phase.
    """
    if not session.in_transaction():
        session.connection(execution_options={WRITE_OPTION: True})


def in_write_transaction(session: Session) -> bool:
    """Whether `session` is inside a transaction begun by begin_write."""
    return session.in_transaction() and bool(
        session.connection().get_execution_options().get(WRITE_OPTION))


class Database:
    """The engine and a session per request (or per CLI command, or per worker turn).

    The state lives on each application (`app.extensions`), so two applications in one process
    (a test suite and its live server) never share an engine.
    """

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["leadpages.db"] = DatabaseState(
            engine, sessionmaker(engine, expire_on_commit=False)
        )
        app.teardown_appcontext(self._teardown)

    def state(self, app: Flask | None = None) -> DatabaseState:
        """The database state of `app`, or of the current application."""
        state: DatabaseState = (app or current_app).extensions["leadpages.db"]
        return state

    @property
    def engine(self) -> Engine:
        return self.state().engine

    @property
    def factory(self) -> sessionmaker[Session]:
        return self.state().factory

    def bind(self, app: Flask, target: Connection) -> sessionmaker[Session]:
        """Bind `app`'s new sessions to `target` (a test's outer transaction); returns the old."""
        state = self.state(app)
        previous = state.factory
        state.factory = sessionmaker(
            target, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        return previous

    @property
    def session(self) -> Session:
        """This application context's session, opened on first use."""
        if "db_session" not in g:
            g.db_session = self.factory()
        session: Session = g.db_session
        return session

    def end(self) -> None:
        """Close this context's session now, if one was opened (nothing is created to do so)."""
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    def _teardown(self, _exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            # Whatever the view did not commit is rolled back here, never half-written.
            session.close()
