"""The worker: claims due outbox rows, sends them, records every try, retries, dead-letters.

Claims are leases: a short write transaction marks up to a batch of due rows as taken until
`lease_until` (on PostgreSQL with FOR UPDATE SKIP LOCKED, so any number of workers on any number of
hosts never take the same row). Sending happens outside any transaction; the result is written in
another short one. A worker killed mid-send leaves its lease to run out, and the row is sent
again, with the same `webhook-id`: delivery is at least once, and never lost.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from flask import Flask
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from leadpages.db import begin_write, utcnow
from leadpages.delivery import services
from leadpages.delivery.models import Delivery, DeliveryAttempt
from leadpages.delivery.senders import Outcome, send_email, send_webhook
from leadpages.delivery.services import CHANNEL
from leadpages.extensions import db
from leadpages.leads.services import forget_source_ips
from leadpages.mail.models import OutboundEmail
from leadpages.mail.services import queue_email
from leadpages.mail.transport import MailError, build_message, send
from leadpages.mailings import services as mailings

log = logging.getLogger(__name__)

BATCH = 10
#: At most this long of a turn goes to a mailing, so deliveries never wait behind its pacing.
MAILING_SLICE_SECONDS = 2.0
#: How often a worker runs the retention clean-up.
HOUSEKEEPING_SECONDS = 600.0
#: First retry after about this long; each next one waits twice as long, up to MAX_BACKOFF.
FIRST_BACKOFF = 5.0
MAX_BACKOFF = 6 * 3600.0


def backoff(attempts: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds before try number `attempts + 1`: exponential, with jitter so retries spread."""
    ceiling = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** max(attempts - 1, 0))
    return ceiling * (0.5 + rng() / 2)


def _take_due(session: Session, model: Any, now: datetime, lease: timedelta,
              limit: int) -> list[Any]:
    """Lease up to `limit` due rows of an outbox table (deliveries, platform emails). Commits.

    The caller may mark more on the rows (who claimed them) before this commits.
    """
    begin_write(session)
    query = (
        select(model)
        .where(model.status == "pending", model.next_attempt_at <= now,
               or_(model.lease_until.is_(None), model.lease_until < now))
        .order_by(model.next_attempt_at, model.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    for row in rows:
        row.lease_until = now + lease
    return rows


def _after_failure(attempts: int, permanent: bool, retry_after: float | None,
                   deadline: datetime, now: datetime) -> datetime | None:
    """When to try again after a failed try, or None when it is a dead letter now."""
    wait = backoff(attempts)
    if retry_after is not None:
        wait = max(wait, min(retry_after, (deadline - now).total_seconds() + 1))
    retry_at = now + timedelta(seconds=wait)
    return None if permanent or retry_at > deadline else retry_at


def claim(session: Session, name: str, now: datetime, lease: timedelta,
          limit: int = BATCH, model: Any = Delivery) -> list[int]:
    """Take up to `limit` due rows of `model` (an outbox table) for `name`; their ids. Commits."""
    rows = _take_due(session, model, now, lease, limit)
    for row in rows:
        row.claimed_by = name
    ids = [row.id for row in rows]
    session.commit()
    return ids


def renew(session: Session, row_id: int, name: str, now: datetime,
          lease: timedelta, model: Any = Delivery) -> bool:
    """Confirm and extend `name`'s claim right before sending; False if it was lost. Commits.

    A batch is claimed at once but sent one by one; a row whose claim ran out meanwhile may have
    been taken by another worker, and is then left to it, so no row is sent by two at once.
    """
    begin_write(session)
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(model)
        .where(model.id == row_id, model.claimed_by == name,
               model.status == "pending", model.lease_until >= now)
        .values(lease_until=now + lease)
    )
    session.commit()
    return result.rowcount == 1


def record(session: Session, delivery_id: int, name: str, outcome: Outcome, started: datetime,
           duration_ms: int, retry_window: timedelta, now: datetime) -> Delivery | None:
    """Write what a try came to: delivered, retry later, or dead letter. Commits.

    A success is recorded whoever holds the claim now (the message did arrive); a failure only
    by the worker that still holds it, so a late answer never overrides another worker's result.
    """
    begin_write(session)
    # Read the row as it is now, not as this session saw it when claiming.
    delivery = session.get(Delivery, delivery_id, populate_existing=True)
    if delivery is None or delivery.status != "pending" or (
        not outcome.delivered and delivery.claimed_by != name
    ):
        session.rollback()
        return None
    delivery.attempts += 1
    delivery.lease_until = None
    delivery.claimed_by = None
    if outcome.delivered:
        state = "delivered"
        delivery.status = "delivered"
        delivery.delivered_at = now
        delivery.last_error = None
    else:
        delivery.last_error = outcome.error
        retry_at = _after_failure(delivery.attempts, outcome.permanent, outcome.retry_after,
                                  services.retry_deadline(delivery, retry_window), now)
        if retry_at is None:
            state = "dead"
            delivery.status = "dead"
        else:
            state = "retry"
            delivery.next_attempt_at = retry_at
    delivery.history.append(DeliveryAttempt(
        started_at=started, duration_ms=duration_ms, outcome=state,
        status_code=outcome.status_code, error=outcome.error,
        response_excerpt=outcome.response_excerpt,
    ))
    if state == "dead":
        _alert_dead_letter(session, delivery)
    session.commit()
    return delivery


def _alert_dead_letter(session: Session, delivery: Delivery) -> None:
    # A failing partner is never switched off silently: log it loudly, and mail the operator.
    from flask import current_app

    log.error("dead letter: delivery %s (%s, %s) to partner %s after %d tries: %s",
              delivery.id, delivery.kind, delivery.channel, delivery.partner_id,
              delivery.attempts, delivery.last_error)
    alert_to = current_app.config.get("ALERT_EMAIL")
    if alert_to:
        queue_email(
            session, to=alert_to,
            subject=f"Dead letter: {delivery.kind} to partner {delivery.partner.slug}",
            text=(f"Delivery {delivery.id} ({delivery.kind} by {delivery.channel}) to "
                  f"{delivery.partner.legal_name} failed {delivery.attempts} times and stopped.\n"
                  f"Last error: {delivery.last_error}\n\nReplay it from the partner's delivery "
                  f"log once the cause is fixed: leadpages delivery replay {delivery.id}\n"),
        )


class Worker:
    """One worker process: a loop of claim, send, record, until told to stop."""

    def __init__(self, app: Flask, name: str | None = None) -> None:
        self.app = app
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = threading.Event()
        self.config = dict(app.config)
        self.retry_window = timedelta(hours=self.config["DELIVERY_RETRY_HOURS"])
        self.lease = timedelta(seconds=self.config["WORKER_LEASE_SECONDS"])
        # The first turn always runs it (the monotonic clock may start near 0 after a boot).
        self.housekept_at = -HOUSEKEEPING_SECONDS
        # One pace for every mailing this worker sends, kept across turns.
        self.mailing_pacer = mailings.Pacer(int(self.config["MAILING_RATE_PER_MINUTE"]))

    def stop(self, *_args: Any) -> None:
        """Finish the send in hand, then stop."""
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info("worker %s: signal %d, finishing the send in hand", self.name, signum)
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def run_once(self) -> int:
        """Send everything due now (one batch after another); returns how many were tried."""
        tried = 0
        while not self.stopping.is_set():
            count = self.turn()
            tried += count
            if count == 0:
                break
        return tried

    def run(self) -> None:
        """Work until stopped, sleeping between turns only when nothing is due."""
        listener = self._listener()
        log.info("worker %s started", self.name)
        try:
            while not self.stopping.is_set():
                try:
                    busy = self.turn() > 0
                except Exception:
                    # One bad message or a lost database connection must not end the worker:
                    # log, pause, go on (an unfinished claim runs out and is retried).
                    log.exception("worker %s: a turn failed", self.name)
                    busy = False
                if not busy:
                    self._wait(listener)
        finally:
            if listener is not None:
                listener.close()
            log.info("worker %s stopped", self.name)

    def turn(self) -> int:
        """One claim of deliveries and one of the platform's emails, each sent and recorded."""
        with self.app.app_context():
            session = db.session
            ids = claim(session, self.name, utcnow(), self.lease)
            for delivery_id in ids:
                if self.stopping.is_set():
                    break  # the lease runs out and another turn (or worker) sends it
                self._deliver(session, delivery_id)
            emails = self._send_emails(session)
            mailed = self._send_mailing(session)
            self._housekeeping(session)
            return len(ids) + emails + mailed

    def _send_mailing(self, session: Session) -> int:
        """A slice of the oldest mailing asked for from the workspace; how many were handled.

        One mailing at a time, through mailings.send: the same claim of the mailing (only one
        run sends it), the same register check right before each message, the same pace.
        """
        pacer = self.mailing_pacer
        until = time.monotonic() + MAILING_SLICE_SECONDS
        if pacer.next_at is not None and pacer.next_at > until:
            return 0  # its next message is not due within this turn
        mailing = mailings.next_requested(session)
        takeover = False
        if mailing is None:
            mailing = mailings.stalled_request(session)
            takeover = mailing is not None
        if mailing is None:
            session.rollback()
            return 0
        if takeover:
            log.warning("worker %s: resuming mailing %s, whose run stopped mid-way",
                        self.name, mailing.id)
        try:
            result = mailings.send(session, mailing, self.config, pacer=pacer, until=until,
                                   takeover=takeover)
        except mailings.MailingError as error:
            log.warning("worker %s: mailing %s not sent: %s", self.name, mailing.id, error)
            mailings.drop_request(session, mailing.id)
            session.commit()
            return 0
        return len(result.done)

    def _housekeeping(self, session: Session) -> None:
        # Retention promised in the privacy notice: source IPs go after IP_RETENTION_DAYS.
        if time.monotonic() - self.housekept_at < HOUSEKEEPING_SECONDS:
            return
        self.housekept_at = time.monotonic()
        begin_write(session)
        forgotten = forget_source_ips(session, self.config["IP_RETENTION_DAYS"])
        session.commit()
        if forgotten:
            log.info("forgot the source IP of %d leads past their retention", forgotten)

    def _deliver(self, session: Session, delivery_id: int) -> None:
        if not renew(session, delivery_id, self.name, utcnow(), self.lease):
            return
        delivery = session.get(Delivery, delivery_id)
        if delivery is None:
            session.commit()
            return
        _ = delivery.partner  # loaded now: no transaction stays open during the send
        refusal = services.undeliverable(delivery)
        session.commit()
        sender = send_webhook if delivery.channel == "webhook" else send_email
        started = utcnow()
        clock = time.monotonic()
        try:
            outcome = (Outcome(False, permanent=True, error=refusal) if refusal
                       else sender(delivery, delivery.partner, self.config))
        except Exception as error:  # a bug in a sender must not stop every other delivery
            log.exception("sending delivery %s failed unexpectedly", delivery_id)
            outcome = Outcome(False, error=f"internal error: {type(error).__name__}: {error}")
        duration = int((time.monotonic() - clock) * 1000)
        record(session, delivery_id, self.name, outcome, started, duration, self.retry_window,
               utcnow())

    def _send_emails(self, session: Session) -> int:
        ids = claim(session, self.name, utcnow(), self.lease, BATCH, OutboundEmail)
        for email_id in ids:
            if self.stopping.is_set():
                break
            # As for deliveries: a claim that ran out may be another worker's now; leave it.
            if not renew(session, email_id, self.name, utcnow(), self.lease, OutboundEmail):
                continue
            email = session.get(OutboundEmail, email_id)
            if email is None:
                continue
            session.commit()
            error: MailError | None = None
            try:
                send(build_message(sender=self.config["MAIL_FROM"], to=[email.to],
                                   subject=email.subject, text=email.text, html=email.html,
                                   reply_to=email.reply_to, headers=email.headers), self.config)
            except MailError as failure:
                error = failure
            except ValueError as failure:  # a header the email package refuses: never sendable
                error = MailError(f"cannot build the message: {failure}", permanent=True)
            begin_write(session)
            fresh = session.get(OutboundEmail, email.id, populate_existing=True)
            if fresh is None or fresh.status != "pending":
                session.rollback()
                continue
            email = fresh
            email.attempts += 1
            email.lease_until = None
            email.claimed_by = None
            if error is None:
                email.status, email.sent_at = "sent", utcnow()
            else:
                email.last_error = str(error)
                retry_at = _after_failure(email.attempts, error.permanent, None,
                                          email.created_at + self.retry_window, utcnow())
                if retry_at is None:
                    email.status = "dead"
                    log.error("email %s to %s gave up: %s", email.id, email.to, error)
                else:
                    email.next_attempt_at = retry_at
            session.commit()
        return len(ids)

    def _listener(self) -> Any:
        url = self.config["DATABASE_URL"]
        if not url.startswith("postgresql"):
            return None
        import psycopg

        connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                                     autocommit=True)
        connection.execute(f"LISTEN {CHANNEL}")
        return connection

    def _wait(self, listener: Any) -> None:
        poll = self.config["WORKER_POLL_SECONDS"]
        if listener is None:
            self.stopping.wait(poll)
            return
        # Woken at once by a NOTIFY from a committed lead, or after `poll` seconds at the latest.
        for _note in listener.notifies(timeout=poll, stop_after=1):
            pass
