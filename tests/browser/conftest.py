"""A live server on loopback with the demo data, and Debian's Chromium driven by Playwright.

The live server commits for real, so it gets a database of its own: a fresh SQLite file, or on
PostgreSQL a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from support import base_overrides
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def _live_database(url: str, tmp: Path) -> tuple[str, Any]:
    if not url.startswith("postgresql"):
        return f"sqlite:///{tmp / 'live.sqlite3'}", None
    schema = f"live_{os.getpid()}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()

    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}", drop


@dataclass(frozen=True)
class LiveServer:
    """The address of the running server and its application."""

    url: str
    app: Flask


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory,
                database_url: str) -> Iterator[LiveServer]:
    """The platform with demo data, served on 127.0.0.1 at a free port."""
    from leadpages import create_app
    from leadpages.cli import alembic_config
    from leadpages.demo.data import load_demo
    from leadpages.extensions import db

    tmp = tmp_path_factory.mktemp("live")
    url, drop = _live_database(database_url, tmp)
    # Partners' webhooks in the journeys go to receivers the tests start on loopback.
    overrides = {**base_overrides(tmp, url), "ENV": "development", "FORM_MIN_SECONDS": 1,
                 "WEBHOOK_ALLOW_LOOPBACK": True}
    app = create_app(overrides)
    from alembic import command

    with app.app_context():
        command.upgrade(alembic_config(), "head")
        load_demo(db.session, app.config["UPLOAD_PATH"], app.config["OPERATOR_NAME"])
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        db.state(app).engine.dispose()
        if drop:
            drop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless; skipped without it, except under CI where that fails."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        message = ("Debian's chromium is not installed "
                   "(make test installs it: apt-get install chromium)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A fresh phone-sized page (no shared cookies between tests)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    yield page
    context.close()


STAFF_PASSWORD = "correct Horse battery"


@pytest.fixture
def staff_page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """Opens a tablet-sized page signed in to the workspace as a new staff user of `role`.

    The user is created in the live server's database with the second factor set up, and signs
    in through the real pages: password, then the authenticator code.
    """
    import itertools

    import pyotp

    from leadpages.db import utcnow
    from leadpages.extensions import db
    from leadpages.staff import services as staff

    contexts = []
    numbers = itertools.count(1)

    def open_as(role: str = "marketer", name: str = "Sam Staff") -> Any:
        email = f"{role}{next(numbers)}.{os.getpid()}.{id(contexts)}@operator.example"
        with live_server.app.app_context(), db.state(live_server.app).factory() as session:
            user = staff.create_staff(session, email, name, role, STAFF_PASSWORD)
            user.totp_secret = staff.new_totp_secret()
            user.totp_enabled_at = utcnow()
            secret = user.totp_secret
            session.commit()
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/sign-in")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(STAFF_PASSWORD)
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/admin/")
        return page

    yield open_as
    for context in contexts:
        context.close()
