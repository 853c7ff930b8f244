"""`leadpages create-user`: a partner portal user, with the password never on the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from leadpages.accounts import services
from leadpages.extensions import db
from leadpages.partners.models import Partner


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # The first line only, without its line break: `echo "$PW" | leadpages create-user ...`.
        return sys.stdin.readline().rstrip("\r\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@click.command("create-user")
@click.option("--partner", "slug", required=True, help="The slug of the partner the user acts for.")
@click.option("--email", required=True, help="The user's email address (their sign-in name).")
@click.option("--name", required=True, help="The user's full name.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input instead of asking.")
@with_appcontext
def create_user_command(slug: str, email: str, name: str, password_stdin: bool) -> None:
    """Create a partner portal user; the password is asked twice, hidden, unless piped in."""
    partner = db.session.scalar(select(Partner).where(Partner.slug == slug))
    if partner is None:
        raise click.BadParameter(f"no partner {slug!r}", param_hint="--partner")
    with force_locale("en"):
        # Check what can be checked before asking for a password, so a typo costs no typing.
        try:
            services.check_available(db.session, email)
            services.check_name(name)
            password = _read_password(password_stdin)
            user = services.create_user(db.session, partner, email, name, password)
        except services.AccountError as error:
            db.session.rollback()
            hint = "password" if error.field == "password" else f"--{error.field}"
            raise click.BadParameter(str(error), param_hint=hint) from None
    db.session.commit()
    click.echo(f"User {user.email} ({user.name}) can now sign in to the portal for {slug}.")
