"""`leadpages api-key ...`: issue, list and revoke a partner's API keys."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from leadpages.accounts import apikeys
from leadpages.db import begin_write
from leadpages.extensions import db
from leadpages.partners.models import Partner


def _partner(slug: str) -> Partner:
    partner = db.session.scalar(select(Partner).where(Partner.slug == slug))
    if partner is None:
        raise click.BadParameter(f"no partner {slug!r}", param_hint="--partner")
    return partner


@click.group("api-key")
def api_key_group() -> None:
    """API keys for partners' systems."""


@api_key_group.command("create")
@click.option("--partner", "slug", required=True, help="The partner's slug.")
@click.option("--name", required=True, help="What the key is for, e.g. 'CRM sync'.")
@with_appcontext
def create(slug: str, name: str) -> None:
    """Issue a key; it is printed once and cannot be shown again."""
    begin_write(db.session)  # this command reads, then writes
    try:
        key, plain = apikeys.issue_key(db.session, _partner(slug), name)
    except apikeys.ApiKeyError as error:
        raise click.BadParameter(str(error), param_hint="--name") from None
    db.session.commit()
    click.echo(f"Key {key.id} ({key.name}) for {slug}. Store it now; it is not shown again:")
    click.echo(plain)


@api_key_group.command("list")
@click.option("--partner", "slug", required=True, help="The partner's slug.")
@with_appcontext
def list_(slug: str) -> None:
    """A partner's keys (never the keys themselves)."""
    for key in apikeys.partner_keys(db.session, _partner(slug).id):
        state = "revoked" if key.revoked_at else "active"
        click.echo(f"{key.id:>5}  {key.prefix}…  {state:8} {key.name}")


@api_key_group.command("revoke")
@click.option("--partner", "slug", required=True, help="The partner's slug.")
@click.option("--id", "key_id", required=True, type=click.IntRange(1), help="The key's number.")
@with_appcontext
def revoke(slug: str, key_id: int) -> None:
    """Stop a key from working."""
    begin_write(db.session)  # this command reads, then writes
    key = apikeys.get_partner_key(db.session, _partner(slug).id, key_id)
    if key is None:
        raise click.BadParameter(f"partner {slug} has no key {key_id}", param_hint="--id")
    apikeys.revoke_key(db.session, key)
    db.session.commit()
    click.echo(f"Key {key_id} is revoked.")
