"""`leadpages create-user`: a portal or staff user, with the password never on the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from leadpages.accounts import services
from leadpages.accounts.models import PartnerUser
from leadpages.audit import services as audit
from leadpages.db import begin_write
from leadpages.extensions import db
from leadpages.partners.models import Partner
from leadpages.staff import services as staff
from leadpages.staff.models import STAFF_ROLES, StaffUser


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # The first line only, without its line break: `echo "$PW" | leadpages create-user ...`.
        return sys.stdin.readline().rstrip("\r\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@click.command("create-user")
@click.option("--partner", "slug", help="The slug of the partner a portal user acts for.")
@click.option("--staff", "role", type=click.Choice(STAFF_ROLES),
              help="Create a staff user of the workspace with this role instead.")
@click.option("--email", required=True, help="The user's email address (their sign-in name).")
@click.option("--name", required=True, help="The user's full name.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input instead of asking.")
@with_appcontext
def create_user_command(slug: str | None, role: str | None, email: str, name: str,
                        password_stdin: bool) -> None:
    """Create a partner portal user (--partner) or a staff user (--staff ROLE).

    The password is asked twice, hidden, unless piped in. A staff user sets up the second factor
    (an authenticator app) at the first sign-in.
    """
    if (slug is None) == (role is None):
        raise click.UsageError("Give either --partner SLUG or --staff ROLE.")
    partner = None
    if slug is not None:
        partner = db.session.scalar(select(Partner).where(Partner.slug == slug))
        if partner is None:
            raise click.BadParameter(f"no partner {slug!r}", param_hint="--partner")
    with force_locale("en"):
        # Check what can be checked before asking for a password, so a typo costs no typing.
        try:
            if partner is not None:
                services.check_available(db.session, email)
            else:
                staff.check_available(db.session, email)
            services.check_name(name)
            password = _read_password(password_stdin)
            # The write lock is taken only now, not while someone types a password; the
            # create functions check the address again inside it.
            db.session.rollback()
            begin_write(db.session)
            if partner is not None:
                partner = db.session.get(Partner, partner.id)
                assert partner is not None  # noqa: S101  (it existed a moment ago)
                user: PartnerUser | StaffUser = services.create_user(
                    db.session, partner, email, name, password)
            else:
                assert role is not None  # noqa: S101  (checked above; for the type checker)
                user = staff.create_staff(db.session, email, name, role, password)
                audit.record(db.session, audit.cli_actor(), "staff.create", f"staff:{user.id}",
                             role=role)
        except services.AccountError as error:
            db.session.rollback()
            hint = "password" if error.field == "password" else f"--{error.field}"
            raise click.BadParameter(str(error), param_hint=hint) from None
    db.session.commit()
    if partner is not None:
        click.echo(f"User {user.email} ({user.name}) can now sign in to the portal for {slug}.")
    else:
        click.echo(f"Staff user {user.email} ({user.name}, {role}) can now sign in at /admin/ "
                   "and will set up the second factor then.")
