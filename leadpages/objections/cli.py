"""The `leadpages objection` commands: staff enter letters and calls, look up and withdraw.

Identifiers are typed on the command line and never printed back: the register holds keyed
hashes only, and what the commands print (scopes, sources, dates, notes) names no one.
"""

from __future__ import annotations

import getpass

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from leadpages.audit import services as audit
from leadpages.db import begin_write
from leadpages.extensions import db
from leadpages.i18n import in_system_language
from leadpages.objections import services as objections
from leadpages.objections.keys import person_keys
from leadpages.objections.models import SCOPES, Objection
from leadpages.partners.models import Partner

#: Room left in the note for " (entered by NAME)".
NOTE_LIMIT = 200


def _identifiers(email: str | None, phone: str | None) -> tuple[str | None, str | None]:
    """The identifiers given, checked; a usage error naming each problem otherwise."""
    email = email.strip() if email else None
    phone = phone.strip() if phone else None
    problems = objections.identifier_problems(email, phone)
    if problems:
        if not email and not phone:
            raise click.UsageError("Give --email, --phone or both.")
        hints = [f"--{name} {problem}" for name, problem in problems.items()]
        raise click.UsageError("; ".join(hints) + ".")
    return email, phone


def _by(name: str | None) -> str:
    return (name or getpass.getuser()).strip()


def _describe(row: Objection, partners: dict[int, str]) -> str:
    source = row.source
    if row.partner_id is not None:
        source += f" ({partners.get(row.partner_id, row.partner_id)})"
    state = (f"withdrawn {row.withdrawn_at:%Y-%m-%d %H:%M} UTC" if row.withdrawn_at
             else "in force")
    note = f"  note: {row.note}" if row.note else ""
    return (f"{row.kind:5}  {row.scope:15}  {source:24}  received {row.received_at:%Y-%m-%d %H:%M}"
            f" UTC  {state}{note}")


@click.group("objection")
def objection_group() -> None:
    """The objection register: record, look up and withdraw objections."""


@objection_group.command("add")
@click.option("--email", help="The person's email address, in any spelling.")
@click.option("--phone", help="The person's phone number, in any spelling.")
@click.option("--scope", required=True, type=click.Choice(SCOPES),
              help="all: every kind of direct marketing; ads; marketing-email.")
@click.option("--note", required=True,
              help="Where it came from, e.g. 'letter of 2026-11-20' (never the identifier).")
@click.option("--by", "by", help="Who enters it (default: your user name).")
@with_appcontext
@in_system_language
def add(email: str | None, phone: str | None, scope: str, note: str, by: str | None) -> None:
    """Record an objection received by letter or call (source: staff), and act on it at once.

    Takes the person's categories off, queues removal from every audience they were exported
    into, and tells each partner that received one of their leads.
    """
    email, phone = _identifiers(email, phone)
    note = note.strip()
    if not note:
        raise click.BadParameter("say where the objection came from", param_hint="--note")
    full_note = f"{note} (entered by {_by(by)})"
    if len(full_note) > NOTE_LIMIT:
        raise click.BadParameter(
            f"too long: with '(entered by …)' it must fit in {NOTE_LIMIT} characters",
            param_hint="--note")
    try:
        recorded = objections.record_objection(db.session, email=email, phone=phone,
                                               scope=scope, source="staff", note=full_note)
    except objections.ObjectionError as error:
        db.session.rollback()
        raise click.UsageError(f"{error}.") from None
    audit.record(db.session, audit.cli_actor(by), "objection.add", scope=scope,
                 identifiers=sorted(recorded.keys), new=recorded.new,
                 untagged=recorded.untagged, removals_queued=recorded.removals_queued,
                 partners_notified=recorded.partners_notified)
    db.session.commit()
    kinds = " and ".join(sorted(recorded.keys))
    if recorded.new:
        click.echo(f"Recorded: objection to {scope} for the {kinds} given.")
    else:
        click.echo(f"Already in the register for {scope} (or all); nothing added.")
    click.echo(f"Untagged {recorded.untagged} lead(s); {recorded.removals_queued} audience "
               f"removal(s) queued; {recorded.partners_notified} partner notice(s) queued.")


@objection_group.command("check")
@click.option("--email", help="The email address to look up, in any spelling.")
@click.option("--phone", help="The phone number to look up, in any spelling.")
@with_appcontext
@in_system_language
def check(email: str | None, phone: str | None) -> None:
    """Whether the register holds objections for these identifiers, and which (never who)."""
    email, phone = _identifiers(email, phone)
    rows = objections.lookup(db.session, email=email, phone=phone)
    db.session.commit()
    begin_write(db.session)
    audit.record(db.session, audit.cli_actor(), "register.lookup",
                 identifiers=[kind for kind, given in (("email", email), ("phone", phone))
                              if given], found=bool(rows))
    db.session.commit()
    if not rows:
        click.echo("Not in the register.")
        return
    active = [row for row in rows if row.withdrawn_at is None]
    scopes = ", ".join(sorted({row.scope for row in active})) or "none (all withdrawn)"
    click.echo(f"In the register: {len(active)} objection(s) in force; scopes in force: {scopes}.")
    partner_ids = {row.partner_id for row in rows if row.partner_id is not None}
    partners = dict(db.session.execute(
        select(Partner.id, Partner.slug).where(Partner.id.in_(partner_ids))).all())
    for row in rows:
        click.echo(_describe(row, partners))


@objection_group.command("withdraw")
@click.option("--email", help="The email address whose objection ends.")
@click.option("--phone", help="The phone number whose objection ends.")
@click.option("--confirmed-by-person", is_flag=True,
              help="Required: the person themselves confirmed the withdrawal (e.g. called back "
                   "on that number).")
@click.option("--by", "by", help="Who withdraws it (default: your user name).")
@with_appcontext
@in_system_language
def withdraw(email: str | None, phone: str | None, confirmed_by_person: bool,
             by: str | None) -> None:
    """End the objections of these identifiers, once the person confirmed it themselves.

    For what the page cannot do (a phone number cannot confirm by email). The rows stay, with
    the time of withdrawal, as proof of what held when.
    """
    if not confirmed_by_person:
        raise click.UsageError(
            "An objection is withdrawn only when the person confirmed it; say so with "
            "--confirmed-by-person.")
    email, phone = _identifiers(email, phone)
    ended = objections.withdraw(db.session, person_keys(email, phone))
    audit.record(db.session, audit.cli_actor(by), "objection.withdraw", ended=ended,
                 confirmed_by_person=True)
    db.session.commit()
    if ended:
        click.echo(f"Withdrawn: {ended} objection(s) ended, by {_by(by)}.")
    else:
        click.echo("Nothing withdrawn: no objection in force for the identifiers given.")
