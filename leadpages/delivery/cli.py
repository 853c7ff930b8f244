"""`leadpages worker` and `leadpages delivery ...`: run the outbox, inspect and replay it."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from leadpages.audit import services as audit
from leadpages.db import begin_write
from leadpages.delivery import services
from leadpages.delivery.models import DELIVERY_STATUSES, Delivery
from leadpages.extensions import db


@click.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit (for cron).")
@click.option("--name", help="This worker's name in claims and logs (default host:pid).")
@with_appcontext
def worker_command(once: bool, name: str | None) -> None:
    """Deliver the outbox: webhooks, emails, retries and dead letters, until SIGTERM."""
    from leadpages.delivery.worker import Worker

    worker = Worker(current_app._get_current_object(), name)  # type: ignore[attr-defined]
    worker.install_signal_handlers()
    if once:
        click.echo(f"Tried {worker.run_once()} message(s).")
    else:
        worker.run()


@click.group("delivery")
def delivery_group() -> None:
    """The delivery outbox: list and replay (until the staff workspace exists)."""


@delivery_group.command("list")
@click.option("--status", type=click.Choice(DELIVERY_STATUSES), help="Only this status.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@with_appcontext
def list_(status: str | None, limit: int) -> None:
    """The newest deliveries, with their state and last error."""
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status:
        query = query.where(Delivery.status == status)
    for d in db.session.scalars(query):
        click.echo(f"{d.id:>7} {d.partner.slug:16} {d.kind:14} {d.channel:7} {d.status:9} "
                   f"tries {d.attempts:<3} {d.last_error or ''}")


@delivery_group.command("replay")
@click.argument("delivery_id", type=click.IntRange(1))
@with_appcontext
def replay(delivery_id: int) -> None:
    """Send a dead letter again (same message id, so receivers can tell it is a repeat)."""
    begin_write(db.session)  # this command reads, then writes
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        raise click.BadParameter(f"there is no delivery {delivery_id}",
                                 param_hint="DELIVERY_ID")
    try:
        services.replay(db.session, delivery, by="command line")
    except services.DeliveryError as error:
        raise click.ClickException(str(error)) from None
    audit.record(db.session, audit.cli_actor(), "delivery.replay", f"delivery:{delivery_id}",
                 lead=delivery.lead_id)
    db.session.commit()
    click.echo(f"Delivery {delivery_id} is queued again.")
