"""Fixtures: one application on a real database, each test inside a rolled-back transaction.

The database is SQLite in a temporary folder, or PostgreSQL when LEADPAGES_TEST_DATABASE_URL
names one (CI does both). The schema is built by the real migrations.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as email_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session
from support import VALID, base_overrides, hidden_inputs

from leadpages import create_app
from leadpages.arrangements import services as arrangements
from leadpages.db import utcnow
from leadpages.extensions import db, limiter
from leadpages.partners.models import Partner
from leadpages.projects.models import Category, Project, ProjectPhoto, ProjectText


def pytest_configure(config: pytest.Config) -> None:
    # No test reaches the outside world: only loopback servers that tests start themselves.
    real_connect = socket.socket.connect

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or sock.family == socket.AF_UNIX
        ):
            raise RuntimeError(f"tests may not connect to {address!r}")
        return real_connect(sock, address)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]


def reset_schema(app: Flask) -> None:
    """Start from an empty database and apply every migration."""
    from alembic import command

    from leadpages.cli import alembic_config

    url = app.config["DATABASE_URL"]
    if url.startswith("postgresql"):
        with db.state(app).engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    with app.app_context():
        command.upgrade(alembic_config(), "head")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("LEADPAGES_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("app")
    application = create_app(base_overrides(tmp, database_url))
    reset_schema(application)
    yield application
    db.state(application).engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run each test that uses the app inside a transaction that is rolled back afterwards."""
    if "app" not in request.fixturenames or "live_server" in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    connection = db.state(app).engine.connect()
    outer = connection.begin()
    factory = db.bind(app, connection)
    limiter.reset()
    app.extensions["leadpages.pages"].clear()
    try:
        yield
    finally:
        db.state(app).factory = factory
        outer.rollback()
        connection.close()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session on the test's transaction, outside any request (requests open their own)."""
    with db.state(app).factory() as opened:
        yield opened


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def make_partner(session: Session) -> Callable[..., Partner]:
    counter = iter(range(1, 10_000))

    def make(arrangement: bool = True, **values: Any) -> Partner:
        """A partner; with a signed arrangement in force unless `arrangement=False`."""
        n = next(counter)
        fields: dict[str, Any] = {
            "slug": f"partner-{n}",
            "legal_name": f"Partner {n} NV",
            "enterprise_number": f"BE 0400.000.{n:03d}",
            "address": "Teststraat 1, 9000 Gent",
            "contact_name": "Anna Peeters",
            "contact_email": f"anna@partner{n}.example",
            "privacy_email": f"privacy@partner{n}.example",
            "email_recipients": [f"leads@partner{n}.example"],
            "webhook_url": None,
        }
        fields.update(values)
        partner = Partner(**fields)
        session.add(partner)
        session.flush()
        if arrangement:
            draft = arrangements.create_draft(
                session, partner, arrangements.default_content(partner, "Operator BV"))
            arrangements.activate(
                session, draft, operator_signer="Olivia Operator", operator_signer_role="CEO",
                partner_signer="Piet Partner", partner_signer_role="Director",
                signed_at=utcnow() - timedelta(days=1), effective_from=utcnow() - timedelta(days=1),
            )
        return partner

    return make


@pytest.fixture
def make_project(session: Session, make_partner: Callable[..., Partner]) -> Callable[..., Project]:
    counter = iter(range(1, 10_000))

    def make(partner: Partner | None = None, category: str = "residential",
             **values: Any) -> Project:
        n = next(counter)
        fields: dict[str, Any] = {
            "slug": f"project-{n}",
            "status": "published",
            "city": "Gent",
            "postcode": "9000",
            "country": "BE",
            "units_total": 12,
            "units_available": 5,
            "price_min": Decimal("250000"),
            "price_max": Decimal("450000"),
            "currency": "EUR",
            "unit_types": ["apartment"],
            "delivery_date": date(2028, 6, 1),
            "languages": ["nl", "fr", "en"],
            "optional_fields": ["postcode", "budget", "preferred_location", "features",
                                "timeframe", "contact_preference", "message"],
        }
        fields.update(values)
        project = Project(partner=partner or make_partner(), **fields)
        project.texts = [
            ProjectText(language=lang, title=f"{title} {n}", tagline=f"{tagline} {n}",
                        description=f"{title} {n}.\n\nMore text.")
            for lang, title, tagline in (
                ("nl", "Residentie", "Wonen in het groen"),
                ("fr", "Résidence", "Vivre dans la verdure"),
                ("en", "Residence", "Living in the green"),
            )
            if lang in fields["languages"]
        ]
        project.photos = [ProjectPhoto(position=0, key=f"k{n}", width=1600, height=1067,
                                       widths=[480, 960, 1600], alt={"en": "A building"})]
        project.categories = list(session.query(Category).filter_by(code=category))
        session.add(project)
        session.flush()
        return project

    return make


@pytest.fixture
def submit(client: FlaskClient) -> Callable[..., Any]:
    """Open a project's page in `lang` and send its form with `fields` over the defaults."""

    def send(project: Project, lang: str = "en", query: str = "", **fields: Any) -> Any:
        page = client.get(f"/{lang}/p/{project.slug}{query}")
        assert page.status_code == 200, page.status_code
        data = {**hidden_inputs(page.get_data(as_text=True)), **VALID, **fields}
        data = {k: v for k, v in data.items() if v is not None}
        return client.post(f"/{lang}/p/{project.slug}", data=data)

    return send


class Mailbox:
    """What the SMTP server accepted; `refuse` scripts answers to the next DATA commands."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []  # sender and recipients as the server saw them
        self.raw: list[bytes] = []
        self.answers: list[str] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.answers:
            return self.answers.pop(0)
        message = message_from_bytes(envelope.content, policy=email_policy)
        self.messages.append(message)  # type: ignore[arg-type]
        self.envelopes.append(envelope)
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
