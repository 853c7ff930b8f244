"""Delivery: signed webhooks a partner verifies with the published library, emails, retries."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from leadpages.db import utcnow
from leadpages.delivery.models import Delivery
from leadpages.delivery.services import enqueue_ping, replay
from leadpages.delivery.worker import Worker, backoff
from leadpages.extensions import db
from leadpages.leads.models import Lead
from leadpages.partners.services import rotate_webhook_secret


@pytest.fixture
def loopback(app: Any) -> Any:
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    yield
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = False


def partner_with_webhook(session: Any, make_partner: Any, receiver: Any, **values: Any) -> Any:
    partner = make_partner(webhook_url=receiver.url, email_recipients=[], **values)
    receiver.secret = rotate_webhook_secret(session, partner)
    session.flush()
    return partner


def work(app: Any) -> int:
    """One turn of a worker, as `leadpages worker` runs it."""
    return Worker(app, name="test-worker").turn()


def deliveries(app: Any) -> list[Delivery]:
    with app.app_context():
        rows = list(db.session.scalars(select(Delivery).order_by(Delivery.id)))
        for row in rows:
            _ = row.history
        return rows


def make_due(app: Any) -> None:
    with app.app_context():
        for row in db.session.scalars(select(Delivery).where(Delivery.status == "pending")):
            row.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()


@pytest.mark.usefixtures("loopback")
def test_lead_arrives_signed_and_verifies_with_standard_webhooks(
    app: Any, session: Any, make_partner: Any, make_project: Any, submit: Any, receiver: Any
) -> None:
    project = make_project(partner=partner_with_webhook(session, make_partner, receiver))
    assert submit(project, budget_amount="300000", message="Call me").status_code == 303
    assert work(app) == 1
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got.verified
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.headers["content-type"] == "application/json"
    body = json.loads(got.body)
    assert body["type"] == "lead.created"
    data = body["data"]
    assert data["contact"] == {"first_name": "Jan", "last_name": "Janssens",
                               "email": "jan.janssens@example.com", "phone": "+32470123456"}
    assert data["details"]["budget"] == {"amount": "300000.00", "currency": "EUR"}
    assert data["details"]["message"] == "Call me"
    assert data["arrangement"]["version"] == 1
    row = deliveries(app)[0]
    assert row.status == "delivered"
    assert row.attempts == 1
    assert row.history[0].outcome == "delivered"
    assert row.history[0].status_code == 204


@pytest.mark.usefixtures("loopback")
def test_500_then_200_retries_with_the_same_message_id(app: Any, session: Any, make_partner: Any,
                                                       make_project: Any, submit: Any,
                                                       receiver: Any) -> None:
    project = make_project(partner=partner_with_webhook(session, make_partner, receiver))
    submit(project)
    receiver.answer(500, body="database down")
    work(app)
    row = deliveries(app)[0]
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 500")
    assert row.history[0].response_excerpt == "database down"
    assert row.next_attempt_at > utcnow()
    assert work(app) == 0  # not due yet
    make_due(app)
    work(app)
    assert deliveries(app)[0].status == "delivered"
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert len(receiver.received) == 2
    assert len(ids) == 1
    assert receiver.received[0].body == receiver.received[1].body


@pytest.mark.usefixtures("loopback")
def test_receiver_down_is_retried_not_lost(app: Any, session: Any, make_partner: Any,
                                           make_project: Any, submit: Any) -> None:
    partner = make_partner(webhook_url="http://127.0.0.1:9/nothing-listens", email_recipients=[])
    rotate_webhook_secret(session, partner)
    submit(make_project(partner=partner))
    work(app)
    row = deliveries(app)[0]
    assert row.status == "pending"
    assert "ConnectionError" in (row.last_error or "")


@pytest.mark.usefixtures("loopback")
def test_slow_receiver_times_out_and_is_retried(app: Any, session: Any, make_partner: Any,
                                                make_project: Any, submit: Any,
                                                receiver: Any) -> None:
    project = make_project(partner=partner_with_webhook(session, make_partner, receiver))
    submit(project)
    receiver.answer(200, delay=2.5)
    app.config["WEBHOOK_TIMEOUT_SECONDS"] = 1
    try:
        work(app)
    finally:
        app.config["WEBHOOK_TIMEOUT_SECONDS"] = 10
    row = deliveries(app)[0]
    assert row.status == "pending"
    assert row.last_error == "no answer within 1 s"


@pytest.mark.usefixtures("loopback")
def test_429_honours_retry_after(app: Any, session: Any, make_partner: Any, make_project: Any,
                                 submit: Any, receiver: Any) -> None:
    submit(make_project(partner=partner_with_webhook(session, make_partner, receiver)))
    receiver.answer(429, headers={"Retry-After": "600"})
    work(app)
    row = deliveries(app)[0]
    assert row.status == "pending"
    assert row.next_attempt_at >= utcnow() + timedelta(seconds=590)


@pytest.mark.parametrize(("status", "headers", "reason"), [
    (410, {}, "HTTP 410"),
    (400, {}, "HTTP 400"),
    (302, {"Location": "https://elsewhere.example/"}, "redirect to"),
])
@pytest.mark.usefixtures("loopback")
def test_final_answers_dead_letter_at_once(app: Any, session: Any, make_partner: Any,
                                           make_project: Any, submit: Any, receiver: Any,
                                           status: int, headers: dict, reason: str,
                                           caplog: Any) -> None:
    submit(make_project(partner=partner_with_webhook(session, make_partner, receiver)))
    receiver.answer(status, headers=headers)
    work(app)
    row = deliveries(app)[0]
    assert row.status == "dead"
    assert reason in (row.last_error or "")
    assert len(receiver.received) == 1  # the redirect was not followed
    assert "dead letter" in caplog.text


@pytest.mark.usefixtures("loopback")
def test_dead_letter_alerts_and_replays_with_the_same_id(app: Any, session: Any,
                                                         make_partner: Any, make_project: Any,
                                                         submit: Any, receiver: Any) -> None:
    from leadpages.mail.models import OutboundEmail

    submit(make_project(partner=partner_with_webhook(session, make_partner, receiver)))
    receiver.answer(404)
    app.config["ALERT_EMAIL"] = "ops@operator.example"
    try:
        work(app)
    finally:
        app.config["ALERT_EMAIL"] = ""
    with app.app_context():
        alert = db.session.scalars(select(OutboundEmail)).one()
        assert alert.to == "ops@operator.example"
        assert "Dead letter" in alert.subject
        row = db.session.scalars(select(Delivery)).one()
        replay(db.session, row, by="anna@partner.example")
        db.session.commit()
    work(app)
    row = deliveries(app)[0]
    assert row.status == "delivered"
    assert [h.outcome for h in row.history] == ["dead", "replayed", "delivered"]
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]


@pytest.mark.usefixtures("loopback")
def test_retries_stop_after_the_window(app: Any, session: Any, make_partner: Any,
                                       make_project: Any, submit: Any, receiver: Any) -> None:
    submit(make_project(partner=partner_with_webhook(session, make_partner, receiver)))
    with app.app_context():
        row = db.session.scalars(select(Delivery)).one()
        row.created_at = utcnow() - timedelta(hours=72)
        db.session.commit()
    receiver.answer(503)
    work(app)
    assert deliveries(app)[0].status == "dead"


def test_loopback_webhook_refused_unless_configured(app: Any, session: Any, make_partner: Any,
                                                   make_project: Any, submit: Any,
                                                   receiver: Any) -> None:
    submit(make_project(partner=partner_with_webhook(session, make_partner, receiver)))
    work(app)
    row = deliveries(app)[0]
    assert row.status == "dead"
    assert "not a public address" in (row.last_error or "")
    assert receiver.received == []


@pytest.mark.usefixtures("loopback")
def test_rotation_signs_with_old_and_new_secret(app: Any, session: Any, make_partner: Any,
                                                receiver: Any) -> None:
    partner = partner_with_webhook(session, make_partner, receiver)
    old = receiver.secret
    rotate_webhook_secret(session, partner)
    enqueue_ping(session, partner)
    session.commit()
    work(app)
    got = receiver.received[0]
    assert got.verified  # still verifies with the old secret during the overlap
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert json.loads(got.body)["type"] == "ping"
    assert old is not None


def test_email_delivery_has_every_field_and_replies_to_the_person(
    app: Any, session: Any, make_partner: Any, make_project: Any, submit: Any, smtp: Any
) -> None:
    project = make_project(partner=make_partner(email_recipients=["sales@partner.example",
                                                                  "boss@partner.example"]))
    submit(project, postcode="9000", budget_amount="425000", message="Graag een bezoek.")
    work(app)
    assert len(smtp.messages) == 1
    envelope = smtp.envelopes[0]
    assert sorted(envelope.rcpt_tos) == ["boss@partner.example", "sales@partner.example"]
    message = smtp.messages[0]
    assert message["Reply-To"] == "jan.janssens@example.com"
    row = deliveries(app)[0]
    assert message["Message-ID"] == f"<{row.message_id}@leadpages.example>"  # same on a retry
    assert message["Subject"].startswith("New request for Residence")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for expected in ("Jan Janssens", "+32470123456", "9000", "425000.00 EUR", "Graag een bezoek."):
        assert expected in text
        assert expected in html
    assert "<img" not in html  # no tracking pixel, no remote image
    assert deliveries(app)[0].status == "delivered"


def test_email_to_file_sink_by_default(app: Any, make_partner: Any, make_project: Any,
                                       submit: Any) -> None:
    from pathlib import Path

    submit(make_project())
    work(app)
    files = list((Path(app.config["INSTANCE_PATH"]) / "mail").glob("*.eml"))
    assert any(b"New request for Residence" in f.read_bytes() for f in files)


def test_platform_emails_go_through_the_outbox(app: Any, smtp: Any) -> None:
    from leadpages.mail.models import OutboundEmail
    from leadpages.mail.services import queue_email

    with app.app_context():
        queue_email(db.session, to="user@partner.example", subject="Reset", text="Link")
        db.session.rollback()  # not committed: nothing may leave
    work(app)
    assert smtp.messages == []
    with app.app_context():
        queue_email(db.session, to="user@partner.example", subject="Reset", text="Link")
        db.session.commit()
    work(app)
    assert len(smtp.messages) == 1
    with app.app_context():
        assert db.session.scalars(select(OutboundEmail)).one().status == "sent"


def test_a_platform_email_whose_claim_was_taken_over_is_not_sent_twice(app: Any,
                                                                        smtp: Any) -> None:
    from leadpages.delivery.worker import claim, renew
    from leadpages.mail.models import OutboundEmail
    from leadpages.mail.services import queue_email

    with app.app_context():
        queue_email(db.session, to="user@partner.example", subject="Reset", text="Link")
        db.session.commit()
        # A slow worker claimed it and its lease ran out; another worker holds it now.
        [email_id] = claim(db.session, "slow", utcnow(), timedelta(seconds=60),
                           model=OutboundEmail)
        email = db.session.get(OutboundEmail, email_id)
        assert email is not None
        assert email.claimed_by == "slow"
        email.claimed_by, email.lease_until = "other", utcnow() + timedelta(seconds=60)
        db.session.commit()
        # Right before its send, the slow worker finds the claim is no longer its own.
        assert not renew(db.session, email_id, "slow", utcnow(), timedelta(seconds=60),
                         model=OutboundEmail)
        assert renew(db.session, email_id, "other", utcnow(), timedelta(seconds=60),
                     model=OutboundEmail)
    work(app)  # the lease is not due: this worker leaves it alone
    assert smtp.messages == []
    with app.app_context():
        email = db.session.get(OutboundEmail, email_id)
        assert email is not None
        assert (email.status, email.claimed_by) == ("pending", "other")
        email.lease_until = utcnow() - timedelta(seconds=1)  # the other worker died
        db.session.commit()
    work(app)
    assert len(smtp.messages) == 1
    with app.app_context():
        email = db.session.get(OutboundEmail, email_id)
        assert email is not None
        assert (email.status, email.claimed_by) == ("sent", None)


def test_backoff_grows_with_jitter() -> None:
    assert backoff(1, rng=lambda: 0.0) == 2.5
    assert backoff(1, rng=lambda: 1.0) == 5.0
    assert backoff(4, rng=lambda: 1.0) == 40.0
    assert backoff(40, rng=lambda: 1.0) == 6 * 3600


def test_leads_without_channels_are_stored_but_queue_nothing(app: Any, make_partner: Any,
                                                             make_project: Any,
                                                             submit: Any) -> None:
    submit(make_project(partner=make_partner(email_recipients=[])))
    with app.app_context():
        assert db.session.scalars(select(Lead)).one()
    assert deliveries(app) == []


@pytest.mark.usefixtures("loopback")
def test_webhook_bodies_match_the_published_schema(app: Any, client: Any, session: Any,
                                                   make_partner: Any, make_project: Any,
                                                   submit: Any, receiver: Any) -> None:
    from jsonschema import Draft202012Validator

    partner = partner_with_webhook(session, make_partner, receiver)
    submit(make_project(partner=partner), postcode="9000", bedrooms="3", garden="yes")
    enqueue_ping(session, partner)
    session.commit()
    work(app)
    document = client.get("/api/v1/openapi.json").get_json()
    schema = {**document["components"]["schemas"]["WebhookEvent"],
              "components": document["components"]}
    validator = Draft202012Validator(schema)
    bodies = [json.loads(r.body) for r in receiver.received]
    assert sorted(b["type"] for b in bodies) == ["lead.created", "ping"]
    for body in bodies:
        validator.validate(body)
    broken = {**bodies[0], "data": {**bodies[0]["data"], "surprise": 1}}
    assert not validator.is_valid(broken)


@pytest.mark.usefixtures("loopback")
def test_a_late_failure_never_overrides_another_workers_success(
    app: Any, session: Any, make_partner: Any, make_project: Any, submit: Any, receiver: Any
) -> None:
    from leadpages.delivery.senders import Outcome
    from leadpages.delivery.worker import claim, record

    submit(make_project(partner=partner_with_webhook(session, make_partner, receiver)))
    with app.app_context():
        ids = claim(db.session, "slow", utcnow(), timedelta(seconds=60))
        row = db.session.get(Delivery, ids[0])
        assert row is not None
        # Meanwhile its claim runs out and another worker delivers it.
        row.status, row.claimed_by = "delivered", None
        db.session.commit()
        assert record(db.session, ids[0], "slow", Outcome(False, permanent=True, error="HTTP 410"),
                      utcnow(), 5, timedelta(hours=72), utcnow()) is None
    assert deliveries(app)[0].status == "delivered"


@pytest.mark.usefixtures("loopback")
def test_absurd_retry_after_is_capped_not_a_crash(app: Any, session: Any, make_partner: Any,
                                                  make_project: Any, submit: Any,
                                                  receiver: Any) -> None:
    submit(make_project(partner=partner_with_webhook(session, make_partner, receiver)))
    receiver.answer(429, headers={"Retry-After": "300000000000"})
    work(app)
    row = deliveries(app)[0]
    assert row.status == "dead"  # waiting that long would pass the retry window
    assert row.attempts == 1


@pytest.mark.usefixtures("loopback")
def test_restricted_lead_is_not_sent_nor_replayed(app: Any, session: Any, make_partner: Any,
                                                  make_project: Any, submit: Any,
                                                  receiver: Any) -> None:
    from leadpages.delivery.services import DeliveryError

    submit(make_project(partner=partner_with_webhook(session, make_partner, receiver)))
    with app.app_context():
        db.session.scalars(select(Lead)).one().status = "restricted"
        db.session.commit()
    work(app)
    assert receiver.received == []
    row = deliveries(app)[0]
    assert row.status == "dead"
    assert "restricted" in (row.last_error or "")
    with app.app_context():
        dead = db.session.scalars(select(Delivery)).one()
        with pytest.raises(DeliveryError, match="restricted"):
            replay(db.session, dead, by="someone")


@pytest.mark.usefixtures("loopback")
def test_replayed_old_dead_letter_gets_a_fresh_retry_window(
    app: Any, session: Any, make_partner: Any, make_project: Any, submit: Any, receiver: Any
) -> None:
    submit(make_project(partner=partner_with_webhook(session, make_partner, receiver)))
    with app.app_context():
        row = db.session.scalars(select(Delivery)).one()
        row.created_at = utcnow() - timedelta(days=5)
        row.status = "dead"
        db.session.commit()
        replay(db.session, row, by="staff")
        db.session.commit()
    receiver.answer(503)
    work(app)
    assert deliveries(app)[0].status == "pending"  # retried again, not dead at once


def test_worker_forgets_source_ips_after_the_retention(app: Any, submit: Any,
                                                       make_project: Any) -> None:
    submit(make_project())
    submit(make_project())
    with app.app_context():
        old, new = db.session.scalars(select(Lead).order_by(Lead.id)).all()
        old.created_at = utcnow() - timedelta(days=31)
        db.session.commit()
    work(app)
    with app.app_context():
        old, new = db.session.scalars(select(Lead).order_by(Lead.id)).all()
        assert old.source_ip is None
        assert new.source_ip == "127.0.0.1"
