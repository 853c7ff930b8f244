"""The bare baselines of `make bench`: the least a Flask app can do for the same two requests.

Served by gunicorn with exactly the settings the real app gets (see run.py):

- ``GET /<lang>/p/<slug>`` answers the bytes of the real landing page, captured once by run.py
  at start (body and the headers that describe it), without templates, database or session.
- ``POST /<lang>/p/<slug>`` parses the same form the benchmark sends to the real app and stores
  one comparable row (the person's fields, canonical email, language, status, time) with one
  SQLAlchemy ORM insert in a session per request, commits, and answers 303 to the thanks page,
  as the real app does, but without validation, tokens, duplicate check or outbox.

The row goes into the bench's own table ``bench_bare_leads`` (created here at start) in the same
database as the real app, through an engine made the way the real app makes its engine
(``leadpages.db.make_engine`` when importable: SQLite in WAL mode with the same pragmas, or
PostgreSQL through psycopg), so that the two sides differ only by what the application does.

Configuration (set by run.py): ``BENCH_DATABASE_URL``, ``BENCH_PAGE_FILE`` (the captured body)
and ``BENCH_PAGE_HEADERS`` (a JSON file of header name/value pairs to send with it).
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, redirect, request
from sqlalchemy import DateTime, Engine, Index, String, create_engine, event, inspect
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


def _engine(url: str) -> tuple[Engine, str]:
    """The engine, made by the real app's own factory when it can be imported."""
    try:
        from leadpages.db import make_engine
    except ImportError:
        make_engine = None
    if make_engine is not None:
        return make_engine(url), "leadpages.db.make_engine"
    # Fallback, mirroring the app's settings at the time of writing.
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000",
                           "synchronous=NORMAL"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine, "bench fallback (WAL, synchronous=NORMAL, BEGIN IMMEDIATE)"
    return create_engine(url, pool_pre_ping=True), "bench fallback (pool_pre_ping)"


class Base(DeclarativeBase):
    pass


class BareLead(Base):
    """A row comparable to a lead: the person's fields, their canonical forms and the basics."""

    __tablename__ = "bench_bare_leads"
    __table_args__ = (
        Index("ix_bench_bare_leads_project_email", "project_id", "email_canonical"),
        Index("ix_bench_bare_leads_project_phone", "project_id", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    project_id: Mapped[int]
    language: Mapped[str] = mapped_column(String(2))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    email_canonical: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))
    source_ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def create_table(engine: Engine) -> None:
    """Create the bench's table if missing; tolerate another worker creating it at the same time."""
    try:
        Base.metadata.create_all(engine, checkfirst=True)
    except DatabaseError:
        if not inspect(engine).has_table(BareLead.__tablename__):
            raise


def _load_page() -> tuple[bytes, list[tuple[str, str]]]:
    body = Path(os.environ["BENCH_PAGE_FILE"]).read_bytes()
    headers = [(str(k), str(v)) for k, v in json.loads(Path(os.environ["BENCH_PAGE_HEADERS"])
                                                       .read_text())]
    return body, headers


def create_app() -> Flask:
    engine, engine_origin = _engine(os.environ["BENCH_DATABASE_URL"])
    create_table(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    page, page_headers = _load_page()

    app = Flask(__name__)
    app.config["BENCH_ENGINE_ORIGIN"] = engine_origin

    @app.get("/<lang>/p/<slug>")
    def landing(lang: str, slug: str) -> Response:
        return Response(page, status=200, headers=page_headers)

    @app.post("/<lang>/p/<slug>")
    def submit(lang: str, slug: str) -> Response:
        form = request.form
        email = form.get("email", "").strip()
        session: Session = factory()
        try:
            session.add(BareLead(
                public_id=uuid.uuid4().hex,
                project_id=1,
                language=lang[:2],
                first_name=form.get("first_name", "")[:100],
                last_name=form.get("last_name", "")[:100],
                email=email[:254],
                email_canonical=email.lower()[:254],
                phone=form.get("phone", "").strip()[:20],
                status="new",
                source_ip=request.remote_addr,
                created_at=datetime.now(UTC),
            ))
            session.commit()
        finally:
            session.close()
        return redirect(f"/{lang}/p/{slug}/thanks", code=303)

    @app.get("/_bench/engine")
    def engine_info() -> dict[str, str]:
        return {"engine": engine_origin, "dialect": engine.dialect.name}

    return app


app = create_app()
