"""The `leadpages` command (also `flask --app wsgi`): database, demo data and serving."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from leadpages.config import ROOT, ConfigError


def _create_app() -> Flask:
    from leadpages import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False)
def cli() -> None:
    """Leadpages: landing pages and lead delivery for real-estate project partners."""


def main() -> None:
    """Console-script entry point; a bad setting ends with its message, not a traceback."""
    try:
        cli.main(prog_name="leadpages")
    except ConfigError as error:
        click.echo(f"Leadpages cannot start; fix these settings:\n{error}", err=True)
        sys.exit(2)


def alembic_config() -> Any:
    """Alembic's configuration for this application's database."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = current_app.config["DATABASE_URL"]
    return config


@click.group("db")
def db_group() -> None:
    """Database schema: apply and inspect migrations."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply the migrations up to REVISION (default: the latest)."""
    from alembic import command

    if current_app.config["DATABASE_URL"].startswith("sqlite"):
        os.makedirs(current_app.instance_path, exist_ok=True)
    command.upgrade(alembic_config(), revision)
    if revision == "head":
        from leadpages.extensions import db
        from leadpages.objections.services import fill_lead_keys

        # Register keys come from a setting, so leads stored before 0005 get theirs here.
        if filled := fill_lead_keys(db.session):
            click.echo(f"Register keys computed for {filled} earlier leads.")
        db.session.commit()
    click.echo("Database is up to date.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the revision the database is at."""
    from alembic import command

    command.current(alembic_config())


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo operator data, partners and projects (safe to run again)."""
    from leadpages.db import begin_write
    from leadpages.demo.data import load_demo
    from leadpages.extensions import db

    begin_write(db.session)  # this command reads, then writes
    from leadpages.demo.data import DEMO_PASSWORD, DEMO_STAFF, DEMO_STAFF_PASSWORD, DEMO_USERS

    production = current_app.config["ENV"] == "production"
    created = load_demo(db.session, current_app.config["UPLOAD_PATH"],
                        current_app.config["OPERATOR_NAME"], with_users=not production)
    db.session.commit()
    if created:
        click.echo(f"Demo data loaded: {', '.join(created)}.")
    else:
        click.echo("Demo data already present; nothing changed.")
    if not production:
        users = " or ".join(email for email, _name in DEMO_USERS.values())
        click.echo(f"Partner portal: /portal/ as {users}, password {DEMO_PASSWORD}")
        staff = ", ".join(f"{email} ({role})" for role, (email, _name) in DEMO_STAFF.items())
        click.echo(f"Workspace: /admin/ as {staff}, password {DEMO_STAFF_PASSWORD}; "
                   "the first sign-in sets up an authenticator app (scan the QR code shown).")


@click.command("settings")
def settings_command() -> None:
    """Print every LEADPAGES_* setting with its default, as a Markdown table."""
    from leadpages.config import settings_table

    click.echo(settings_table())


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="Address to listen on.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Web worker processes.")
@with_appcontext
def serve_command(bind: str, workers: int) -> None:
    """Serve the site with gunicorn and run the delivery worker, until Ctrl-C stops both."""
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter("use HOST:PORT, for example 127.0.0.1:8000", param_hint="--bind")
    children = [
        subprocess.Popen(  # noqa: S603 - our own executable and fixed arguments
            [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", bind, "--workers",
             str(workers), "--access-logfile", "-", "--graceful-timeout", "10"],
            cwd=ROOT,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "leadpages.cli", "worker"], cwd=ROOT,
        ),
    ]
    click.echo(f"Leadpages is running on http://{bind}/ with its delivery worker "
               "(Ctrl-C stops both).")

    def stop(signum: int, _frame: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    # When either one ends (a crash, or Ctrl-C), stop the other: never half a platform.
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    stop(signal.SIGTERM, None)
    codes = [child.wait() for child in children]
    sys.exit(max(codes))


if __name__ == "__main__":
    main()
