"""The `leadpages audience` commands: define, list, show and export ad audiences."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from leadpages.audiences import services
from leadpages.audiences.models import PLATFORMS, Audience, AudienceExport
from leadpages.audit import services as audit
from leadpages.db import begin_write
from leadpages.extensions import db
from leadpages.i18n import in_system_language


def _by_default() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "unknown"


BY = click.option("--by", default=_by_default, show_default="your user name",
                  help="Who does this (recorded).")


@click.group("audience")
def audience_group() -> None:
    """Ad audiences: define them, export them, see their exports."""


@audience_group.command("define")
@click.argument("name")
@click.option("--platform", required=True, type=click.Choice(PLATFORMS),
              help="Whose file format and rules the exports follow.")
@click.option("--categories", required=True,
              help="Comma-separated category codes, e.g. residential,luxury.")
@click.option("--window-days", required=True, type=int,
              help=f"Leads captured within this many days (1 to {services.MAX_WINDOW_DAYS}).")
@click.option("--min-size", default=services.DEFAULT_MIN_SIZE, show_default=True, type=int,
              help="Fewer people than this and no upload file is written.")
@click.option("--platform-audience-id", help="The audience's id on Meta, for direct upload.")
@BY
@with_appcontext
@in_system_language
def define(name: str, platform: str, categories: str, window_days: int, min_size: int,
           platform_audience_id: str | None, by: str) -> None:
    """Define the audience NAME (shown on the ad platform: keep it neutral)."""
    try:
        audience = services.define_audience(
            db.session, name=name, platform=platform, categories=categories.split(","),
            window_days=window_days, min_size=min_size,
            platform_audience_id=platform_audience_id, created_by=by)
    except services.AudienceError as error:
        db.session.rollback()
        raise click.UsageError(str(error)) from None
    db.session.commit()
    click.echo(f"Audience {audience.name!r} defined: {audience.platform}, categories "
               f"{', '.join(c.code for c in audience.categories)}, leads of the last "
               f"{audience.window_days} days, at least {audience.min_size} people.")
    if reason := services.refusal(audience, current_app.config["AUDIENCE_BASIS"]):
        click.echo(f"Note: it cannot be exported as things are: {reason}", err=True)


def _last_exports() -> dict[int, AudienceExport]:
    last: dict[int, AudienceExport] = {}
    for export in db.session.scalars(select(AudienceExport).order_by(AudienceExport.id)):
        last[export.audience_id] = export
    return last


@audience_group.command("list")
@with_appcontext
@in_system_language
def list_() -> None:
    """Every audience with its last export and the removals due (people who objected)."""
    audiences = db.session.scalars(select(Audience).order_by(Audience.name)).all()
    if not audiences:
        click.echo("No audiences yet: leadpages audience define --help")
        return
    last = _last_exports()
    due = services.pending_removals(db.session)
    for audience in audiences:
        export = last.get(audience.id)
        done = (f"last export {export.started_at:%Y-%m-%d %H:%M} {export.status}, "
                f"{export.included} people" if export else "never exported")
        click.echo(f"{audience.name:30} {audience.platform:6} "
                   f"{','.join(c.code for c in audience.categories):24} "
                   f"{audience.window_days:>3} days  {done}; removals due "
                   f"{due.get(audience.id, 0)}")


@audience_group.command("show")
@click.argument("name")
@with_appcontext
@in_system_language
def show(name: str) -> None:
    """The audience NAME and each of its exports with its counts."""
    try:
        audience = services.find_audience(db.session, name)
    except services.AudienceError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"{audience.name} ({audience.platform}), categories "
               f"{', '.join(c.code for c in audience.categories)}, window "
               f"{audience.window_days} days, minimum {audience.min_size} people"
               + (f", Meta audience {audience.platform_audience_id}"
                  if audience.platform_audience_id else ""))
    click.echo(f"Defined by {audience.created_by} at {audience.created_at:%Y-%m-%d %H:%M} UTC; "
               f"{services.member_count(db.session, audience)} people sent now, removals due "
               f"{services.pending_removals(db.session).get(audience.id, 0)}.")
    exports = db.session.scalars(select(AudienceExport).where(
        AudienceExport.audience_id == audience.id).order_by(AudienceExport.id)).all()
    for export in exports:
        click.echo(_summary(export))


def _summary(export: AudienceExport) -> str:
    excluded = ", ".join(f"{k} {v}" for k, v in export.excluded.items() if v) or "none"
    lines = [f"#{export.id} {export.started_at:%Y-%m-%d %H:%M} UTC by {export.run_by}: "
             f"{export.status}; {export.included} people included, {export.removed} to "
             f"remove; leads left out: {excluded}"]
    if export.reason:
        lines.append(f"    {export.reason}")
    if export.file_name:
        lines.append(f"    upload file {export.file_name} sha256 {export.file_digest}")
    if export.removal_file_name:
        lines.append(f"    removal file {export.removal_file_name} sha256 "
                     f"{export.removal_digest}")
    if export.upload:
        lines.append(f"    Meta upload: {export.upload}")
    return "\n".join(lines)


class _Bar:
    """A progress bar on stderr, started once the export knows how many leads it reads."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            bar: Any = click.progressbar(length=max(total, 1), label="Reading leads",
                                         file=sys.stderr)
            self.bar = bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@audience_group.command("export")
@click.argument("name")
@click.option("--upload/--no-upload", default=None,
              help="Send to Meta as well (default: when LEADPAGES_META_ACCESS_TOKEN is set and "
                   "the audience has a Meta id).")
@BY
@with_appcontext
@in_system_language
def export(name: str, upload: bool | None, by: str) -> None:
    """Export the audience NAME now: its upload file and its removal file."""
    session = db.session
    bar = _Bar()
    try:
        audience = services.find_audience(session, name)
        done = services.export_audience(session, audience, run_by=by, upload=upload,
                                        progress=bar)
    except services.AudienceError as error:
        raise click.UsageError(str(error)) from None
    finally:
        bar.close()
    session.commit()
    begin_write(session)
    audit.record(session, audit.cli_actor(by), "audience.export", f"audience:{audience.id}",
                 export=done.id, status=done.status, included=done.included,
                 removed=done.removed)
    session.commit()
    click.echo(_summary(done))
    folder = Path(current_app.config["AUDIENCE_PATH"])
    for file_name in (done.file_name, done.removal_file_name):
        if file_name:
            click.echo(str(folder / file_name))
    if done.status == "refused":
        raise click.ClickException(f"export refused: {done.reason}")
    if done.upload and done.upload.startswith("failed"):
        raise click.ClickException(f"the files are written but the upload failed: "
                                   f"{done.upload}")
