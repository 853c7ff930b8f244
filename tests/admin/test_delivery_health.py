"""Delivery health numbers, exact for rows made here; the reasons failures are grouped into."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from support import text_of

from leadpages.db import utcnow
from leadpages.delivery import health
from leadpages.delivery.models import Delivery, DeliveryAttempt
from leadpages.leads.services import LeadInput, submit_lead

NOW = utcnow().replace(microsecond=0)


def make_delivery(session: Any, partner: Any, *, queued: datetime, status: str = "delivered",
                  took: float | None = None, lead: Any = None,
                  failures: list[tuple[int | None, str]] = ()) -> Delivery:
    """A delivery queued at `queued`, delivered `took` seconds later, after `failures`."""
    row = Delivery(kind="lead.created" if lead else "ping", lead_id=lead.id if lead else None,
                   partner_id=partner.id, channel="webhook", payload="{}", status=status,
                   attempts=len(failures) + (status == "delivered"), created_at=queued,
                   next_attempt_at=queued)
    for n, (code, error) in enumerate(failures):
        outcome = "dead" if status == "dead" and n == len(failures) - 1 else "retry"
        row.history.append(DeliveryAttempt(started_at=queued + timedelta(seconds=n),
                                           outcome=outcome, status_code=code, error=error))
    if status == "delivered":
        assert took is not None
        row.delivered_at = queued + timedelta(seconds=took)
        row.history.append(DeliveryAttempt(started_at=row.delivered_at, outcome="delivered",
                                           status_code=200))
    if status == "dead":
        row.last_error = failures[-1][1]
    session.add(row)
    session.flush()
    return row


def test_numbers_are_exact_for_known_rows(app, session, make_partner, make_project):
    partner = make_partner(email_recipients=[], webhook_url="http://127.0.0.1:9/")
    other = make_partner()
    day = timedelta(days=1)
    # Five messages in the last 7 days: delivered after 1, 2, 3 and 10 seconds; one dead.
    for took in (1, 2, 3, 10):
        make_delivery(session, partner, queued=NOW - 2 * day, took=took)
    make_delivery(session, partner, queued=NOW - 3 * day, status="dead",
                  failures=[(None, "no answer within 10 s"),
                            (503, "HTTP 503"),
                            (None, "ConnectionError: [Errno 111] Connection refused"),
                            (404, "HTTP 404: the receiver refused the message")])
    make_delivery(session, partner, queued=NOW - 10 * day, status="pending",
                  failures=[(500, "HTTP 500")])
    # Older than the period, and another partner's: not counted.
    make_delivery(session, partner, queued=NOW - 20 * day, took=500)
    make_delivery(session, other, queued=NOW - day, status="dead",
                  failures=[(None, "no answer within 10 s")])

    week = health.partner_health(session, partner.id, 7, now=NOW)
    assert (week.total, week.delivered, week.dead, week.pending) == (5, 4, 1, 0)
    assert week.success_rate == pytest.approx(0.8)
    assert week.median_seconds == pytest.approx(2.5)
    assert week.p95_seconds == pytest.approx(10)
    assert [(f.code, f.count) for f in week.failures] == [
        ("http-404", 1), ("http-503", 1), ("refused", 1), ("timeout", 1)]
    labels = {f.code: str(f.label) for f in week.failures}
    assert labels["http-404"] == "HTTP 404: refused by the receiver"
    assert labels["refused"] == "Connection refused"
    assert week.dead_letter_count == 1
    assert [row.status for row in week.dead_letters] == ["dead"]

    month = health.partner_health(session, partner.id, 30, now=NOW)
    assert (month.total, month.delivered, month.pending) == (7, 5, 1)
    assert month.median_seconds == pytest.approx(3)
    assert month.p95_seconds == pytest.approx(500)
    assert ("http-500", 1) in [(f.code, f.count) for f in month.failures]

    today = health.partner_health(session, partner.id, 1, now=NOW)
    assert (today.total, today.success_rate, today.median_seconds) == (0, None, None)
    assert today.dead_letter_count == 1  # dead letters are listed whenever they were queued

    summary = health.summaries(session, 7, now=NOW)
    assert (summary[partner.id].total, summary[partner.id].delivered) == (5, 4)
    assert summary[other.id].success_rate == 0
    assert health.dead_letter_counts(session)[partner.id] == 1


def test_latency_runs_from_the_lead_capture(app, session, make_partner, make_project):
    partner = make_partner()
    project = make_project(partner=partner)
    with app.app_context():
        lead = submit_lead(session, project, LeadInput(first_name="Jan", last_name="Peeters",
                                                       email="jan@example.com",
                                                       phone="+32470123456"),
                           lang="en", campaign_code=None, source_ip=None).lead
    lead.created_at = NOW - timedelta(hours=2, seconds=30)
    session.flush()
    session.query(Delivery).filter(Delivery.lead_id == lead.id).delete()
    make_delivery(session, partner, queued=NOW - timedelta(hours=2), took=5, lead=lead)
    result = health.partner_health(session, partner.id, 1, now=NOW)
    assert result.median_seconds == pytest.approx(35)


@pytest.mark.parametrize(
    ("code", "error", "reason"),
    [
        (None, "no answer within 10 s", "timeout"),
        (None, "ConnectionError: HTTPConnectionPool: [Errno 111] Connection refused",
         "refused"),
        (None, "ConnectionError: Failed to resolve 'x.example' (NameResolutionError)", "dns"),
        (None, "SSLError: certificate verify failed", "tls"),
        (None, "webhook URL refused: the host x is not a public address", "address"),
        (None, "the partner has no webhook URL any more", "unconfigured"),
        (None, "the lead is restricted: stored only, not sent", "withheld"),
        (429, "HTTP 429", "http-429"),
        (None, "HTTP 502", "http-502"),
        (302, "redirect to 'x' not followed", "redirect"),
        (None, "internal error: KeyError: 'x'", "internal"),
        (None, "something else", "other"),
    ],
)
def test_failure_reasons(app, code, error, reason):
    with app.test_request_context():
        assert health.failure_reason(code, error)[0] == reason


def test_periods():
    assert [health.period_days(v) for v in ("1", "7", "30", "5", None, "x")] == [
        1, 7, 30, 7, 7, 7]
    assert health.percentile([], 0.95) is None
    assert health.percentile([3.0, 1.0, 2.0], 0.5) == 2.0


def test_health_page_shows_the_numbers(app, session, marketer, make_partner):
    partner = make_partner()
    make_delivery(session, partner, queued=utcnow() - timedelta(hours=3), took=4)
    make_delivery(session, partner, queued=utcnow() - timedelta(hours=3), status="dead",
                  failures=[(None, "no answer within 10 s")])
    page = text_of(marketer.get(f"/admin/partners/{partner.id}/health?days=1"))
    assert "Messages queued 2" in page
    assert "Success rate 50.0 %" in page
    assert "Median time to delivery 4.0 s" in page
    assert "No answer in time (timeout) 1" in page
    assert "Dead letters (1)" in page
    assert "Delivered, last 7 days" in text_of(marketer.get("/admin/partners"))
