"""The `leadpages mailing` commands: create, preview, send and report similar-project mailings."""

from __future__ import annotations

import getpass

import click
from flask import current_app
from flask.cli import with_appcontext

from leadpages.audit import services as audit
from leadpages.db import begin_write
from leadpages.extensions import db
from leadpages.i18n import LANGUAGES, in_system_language
from leadpages.mailings import services
from leadpages.mailings.models import Mailing


@click.group("mailing")
def mailing_group() -> None:
    """Emails about similar projects: compose, preview, send, report."""


def _get(mailing_id: int) -> Mailing:
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None:
        raise click.BadParameter(f"there is no mailing {mailing_id}", param_hint="MAILING_ID")
    return mailing


def _report_lines(report: dict[str, int]) -> list[str]:
    return [f"  {key:28} {value}" for key, value in sorted(report.items())] or ["  (empty)"]


@mailing_group.command("create")
@click.option("--target", "target", required=True, metavar="SLUG",
              help="The published project the email is about.")
@click.option("--categories", required=True, metavar="CODE,CODE",
              help="Source categories: people whose leads carry one of them may receive it.")
@click.option("--by", default=getpass.getuser, show_default="your user name",
              help="Who creates the mailing (kept with it).")
@with_appcontext
@in_system_language
def create(target: str, categories: str, by: str) -> None:
    """Create a mailing and plan its recipients (one per person); nothing is sent yet."""
    codes = [code for code in categories.split(",") if code.strip()]
    try:
        mailing = services.create_mailing(db.session, target, codes, by)
        services.plan(db.session, mailing)
    except services.MailingError as error:
        db.session.rollback()
        raise click.UsageError(str(error)) from None
    db.session.commit()
    report = mailing.report
    click.echo(f"Mailing {mailing.id} about {target} "
               f"(categories {', '.join(c.code for c in mailing.categories)}): "
               f"{report.get('planned', 0)} recipient(s) planned.")
    excluded = {k.split(":", 1)[1]: v for k, v in report.items() if k.startswith("excluded:")}
    if excluded:
        click.echo("Not planned: " + ", ".join(f"{n} {reason}" for reason, n in excluded.items()))
    click.echo(f"Read it with `leadpages mailing preview {mailing.id}`, "
               f"send it with `leadpages mailing send {mailing.id}`.")


@mailing_group.command("preview")
@click.argument("mailing_id", type=click.IntRange(1))
@click.option("--lang", type=click.Choice(LANGUAGES),
              help="Render in this language (default: the sample recipient's).")
@with_appcontext
@in_system_language
def preview(mailing_id: int, lang: str | None) -> None:
    """Print the plain-text email as a planned recipient would get it."""
    mailing = _get(mailing_id)
    composed = services.preview(db.session, mailing, lang)
    db.session.rollback()
    click.echo(f"Subject: {composed.subject}")
    for name, value in composed.headers.items():
        click.echo(f"{name}: {value}")
    click.echo(f"Language: {composed.lang}")
    click.echo("")
    click.echo(composed.text)


@mailing_group.command("send")
@click.argument("mailing_id", type=click.IntRange(1))
@click.option("--takeover", is_flag=True,
              help="Resume a mailing left 'sending' by a run that stopped (make sure it did).")
@with_appcontext
@in_system_language
def send(mailing_id: int, takeover: bool) -> None:
    """Send the queued emails at LEADPAGES_MAILING_RATE_PER_MINUTE, re-checking each person."""
    mailing = _get(mailing_id)
    db.session.rollback()
    rate = current_app.config["MAILING_RATE_PER_MINUTE"]
    queued = services.queued_count(db.session, mailing)
    db.session.commit()
    begin_write(db.session)
    audit.record(db.session, audit.cli_actor(), "mailing.send", f"mailing:{mailing_id}",
                 queued=queued)
    db.session.commit()
    click.echo(f"Mailing {mailing_id}: {queued} queued, at most {rate} per minute.")

    def progress(step: services.Progress) -> None:
        line = f"  recipient {step.recipient_id}: {step.status}"
        click.echo(f"{line} ({step.reason})" if step.reason else line)

    try:
        result = services.send(db.session, mailing, current_app.config, progress=progress,
                               takeover=takeover)
    except services.MailingError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"Mailing {mailing_id} report:")
    for line in _report_lines(result.report):
        click.echo(line)
    if result.retry_later:
        click.echo(f"{result.retry_later} recipient(s) had a temporary failure and stay queued: "
                   f"run `leadpages mailing send {mailing_id}` again later.")


@mailing_group.command("report")
@click.argument("mailing_id", type=click.IntRange(1))
@with_appcontext
@in_system_language
def report(mailing_id: int) -> None:
    """Show a mailing's state and its counts: planned, excluded, sent, skipped per reason."""
    mailing = _get(mailing_id)
    counts = services.report_counts(db.session, mailing)
    click.echo(f"Mailing {mailing.id} about {mailing.target_project.slug}: {mailing.status}, "
               f"created by {mailing.created_by} on {mailing.created_at:%Y-%m-%d %H:%M} UTC, "
               f"categories {', '.join(c.code for c in mailing.categories)}")
    for line in _report_lines(counts):
        click.echo(line)


@mailing_group.command("list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@with_appcontext
@in_system_language
def list_(limit: int) -> None:
    """The newest mailings with their status and how many were sent."""
    mailings = services.list_mailings(db.session, limit)
    if not mailings:
        click.echo("No mailings yet.")
    for m in mailings:
        counts = services.report_counts(db.session, m)
        click.echo(f"{m.id:>5} {m.status:8} {m.target_project.slug:24} "
                   f"{','.join(c.code for c in m.categories):24} planned {counts.get('planned', 0)}"
                   f" sent {counts.get('sent', 0)} by {m.created_by} "
                   f"{m.created_at:%Y-%m-%d}")
