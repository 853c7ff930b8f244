"""GET /api/v1/deliveries and POST /api/v1/deliveries/<id>/replay."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from leadpages.db import utcnow
from leadpages.delivery.models import Delivery, DeliveryAttempt
from leadpages.delivery.services import enqueue_ping


@pytest.fixture
def base() -> datetime:
    return utcnow() - timedelta(hours=12)


def kill(session: Session, row: Delivery, error: str = "HTTP 410 from receiver") -> Delivery:
    """Make `row` a dead letter, as the worker does after its last try."""
    row.status = "dead"
    row.attempts = 9
    row.last_error = error
    session.flush()
    return row


def test_lists_own_deliveries_with_their_lead_ids(
        api: Any, documented: Any, make_key: Any, make_partner: Any, make_project: Any,
        make_lead: Any, deliveries_of: Any, session: Session, base: datetime) -> None:
    partner = make_partner(webhook_url="https://crm.partner.example/hook")
    project = make_project(partner=partner)
    lead = make_lead(project, at=base)
    webhook, email = sorted(deliveries_of(lead), key=lambda row: row.channel, reverse=True)
    email.status, email.delivered_at, email.attempts = "delivered", utcnow(), 1
    kill(session, webhook)
    ping = enqueue_ping(session, partner)
    make_lead(make_project(), at=base)  # another partner's lead and delivery

    response = api.get("/deliveries", make_key(partner))

    assert response.status_code == 200
    body = documented(response, "/deliveries", "get")
    assert body["next_cursor"] is None
    by_id = {item["id"]: item for item in body["data"]}
    assert set(by_id) == {webhook.id, email.id, ping.id}
    assert by_id[webhook.id] == {
        "id": webhook.id, "message_id": webhook.message_id, "kind": "lead.created",
        "channel": "webhook", "status": "dead", "attempts": 9, "lead_id": lead.public_id,
        "created_at": webhook.created_at.isoformat(), "delivered_at": None,
        "last_error": "HTTP 410 from receiver", "next_attempt_at": None,
    }
    assert by_id[email.id]["delivered_at"] == email.delivered_at.isoformat()
    assert by_id[email.id]["status"] == "delivered"
    assert by_id[ping.id]["lead_id"] is None
    assert by_id[ping.id]["kind"] == "ping"
    assert by_id[ping.id]["next_attempt_at"] == ping.next_attempt_at.isoformat()


def test_status_filter(api: Any, documented: Any, make_key: Any, make_project: Any,
                       make_lead: Any, deliveries_of: Any, session: Session,
                       base: datetime) -> None:
    project = make_project()
    dead = kill(session, deliveries_of(make_lead(project, at=base))[0])
    pending = deliveries_of(make_lead(project, at=base))[0]
    key = make_key(project.partner)

    dead_only = api.get("/deliveries", key, query_string={"status": "dead"})
    pending_only = api.get("/deliveries", key, query_string={"status": "pending"})
    delivered = api.get("/deliveries", key, query_string={"status": "delivered"})

    assert [d["id"] for d in documented(dead_only, "/deliveries", "get")["data"]] == [dead.id]
    assert [d["id"] for d in pending_only.get_json()["data"]] == [pending.id]
    assert delivered.get_json() == {"data": [], "next_cursor": None}


def test_pages_through_every_delivery_once(api: Any, documented: Any, make_key: Any,
                                           make_project: Any, make_lead: Any,
                                           deliveries_of: Any, session: Session,
                                           base: datetime) -> None:
    project = make_project()
    key = make_key(project.partner)
    rows = [deliveries_of(make_lead(project, at=base))[0] for _ in range(5)]
    # Two rows queued in the same instant: the id orders them.
    rows[1].created_at = rows[2].created_at = base
    session.flush()
    expected = [row.id for row in sorted(rows, key=lambda r: (r.created_at, r.id),
                                         reverse=True)]

    seen: list[int] = []
    cursor = None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = documented(api.get("/deliveries", key, query_string=query), "/deliveries", "get")
        seen += [item["id"] for item in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert seen == expected


@pytest.mark.parametrize(("query", "parameter"), [
    ("status=lost", "status"),
    ("status=DEAD", "status"),
    ("limit=1000", "limit"),
    ("cursor=eyJ4Ijox", "cursor"),
    ("since=2025-01-01T00:00:00Z", "since"),
])
def test_bad_parameters(api: Any, documented: Any, make_key: Any, make_partner: Any,
                        query: str, parameter: str) -> None:
    response = api.get(f"/deliveries?{query}", make_key(make_partner()))

    assert response.status_code == 400
    error = documented(response, "/deliveries", "get")["error"]
    assert error["code"] == "invalid_parameters"
    assert list(error["details"]) == [parameter]


def test_replay_of_a_dead_letter(api: Any, documented: Any, make_key: Any,
                                 make_project: Any, make_lead: Any, deliveries_of: Any,
                                 session: Session, base: datetime) -> None:
    project = make_project()
    lead = make_lead(project, at=base)
    row = kill(session, deliveries_of(lead)[0])
    message_id = row.message_id
    key = make_key(project.partner, "CRM sync")

    response = api.post(f"/deliveries/{row.id}/replay", key)

    assert response.status_code == 202
    body = documented(response, "/deliveries/{delivery_id}/replay", "post")
    assert body["id"] == row.id
    assert body["status"] == "pending"
    assert body["attempts"] == 0
    assert body["message_id"] == message_id
    assert body["lead_id"] == lead.public_id
    assert body["next_attempt_at"] is not None
    session.expire_all()
    stored = session.get(Delivery, row.id)
    assert stored is not None
    assert (stored.status, stored.message_id) == ("pending", message_id)
    last: DeliveryAttempt = stored.history[-1]
    assert last.outcome == "replayed"
    assert "CRM sync" in (last.error or "")


@pytest.mark.parametrize("status", ["restricted", "erased"])
def test_a_lead_no_longer_shared_is_given_as_null(
        api: Any, documented: Any, make_key: Any, make_project: Any, make_lead: Any,
        deliveries_of: Any, session: Session, base: datetime, status: str) -> None:
    project = make_project()
    shared, hidden = make_lead(project, at=base), make_lead(project, at=base)
    hidden.status = status
    dead = kill(session, deliveries_of(hidden)[0])
    key = make_key(project.partner)

    body = documented(api.get("/deliveries", key), "/deliveries", "get")

    by_lead = {item["id"]: item["lead_id"] for item in body["data"]}
    assert {by_lead[row.id] for row in deliveries_of(hidden)} == {None}
    assert {by_lead[row.id] for row in deliveries_of(shared)} == {shared.public_id}
    assert hidden.public_id not in str(body)
    # Such a delivery is not a lead's to replay (rule 6), and the answer names no lead either.
    replay = api.post(f"/deliveries/{dead.id}/replay", key)
    assert replay.status_code == 409
    assert hidden.public_id not in replay.get_data(as_text=True)


def test_which_lead_ids_are_given_is_the_leads_services_call(
        api: Any, make_key: Any, make_project: Any, make_lead: Any, base: datetime,
        monkeypatch: Any) -> None:
    from leadpages.leads import services as leads

    project = make_project()
    make_lead(project, at=base)
    monkeypatch.setattr(leads, "partner_lead_public_ids", lambda *args: {})

    body = api.get("/deliveries", make_key(project.partner)).get_json()

    assert body["data"]
    assert {item["lead_id"] for item in body["data"]} == {None}


def test_a_replay_takes_the_write_lock_in_a_transaction_of_its_own(
        api: Any, make_key: Any, make_project: Any, make_lead: Any, deliveries_of: Any,
        session: Session, base: datetime, write_log: list[str]) -> None:
    project = make_project()
    row = kill(session, deliveries_of(make_lead(project, at=base))[0])
    key = make_key(project.partner)
    assert api.get("/leads", key).status_code == 200  # its use is recorded now
    write_log.clear()

    # The key is found in a read; begin_write inside it would do nothing (no BEGIN IMMEDIATE).
    assert api.post(f"/deliveries/{row.id}/replay", key).status_code == 202
    assert write_log == ["write"]


@pytest.mark.parametrize("status", ["pending", "delivered"])
def test_only_dead_letters_are_replayed(api: Any, documented: Any, make_key: Any,
                                        make_project: Any, make_lead: Any, deliveries_of: Any,
                                        session: Session, base: datetime, status: str) -> None:
    project = make_project()
    row = deliveries_of(make_lead(project, at=base))[0]
    row.status = status
    session.flush()

    response = api.post(f"/deliveries/{row.id}/replay", make_key(project.partner))

    assert response.status_code == 409
    error = documented(response, "/deliveries/{delivery_id}/replay", "post")["error"]
    assert error["code"] == "not_dead"
    assert error["details"] == {"status": status}
    assert status in error["message"]
    session.expire_all()
    stored = session.get(Delivery, row.id)
    assert stored is not None
    assert stored.status == status
    assert stored.history == []


def test_replay_of_another_partners_delivery_is_404_and_changes_nothing(
        api: Any, documented: Any, make_key: Any, make_partner: Any, make_project: Any,
        make_lead: Any, deliveries_of: Any, session: Session, base: datetime) -> None:
    theirs = kill(session, deliveries_of(make_lead(make_project(), at=base))[0])

    response = api.post(f"/deliveries/{theirs.id}/replay", make_key(make_partner()))

    assert response.status_code == 404
    error = documented(response, "/deliveries/{delivery_id}/replay", "post")["error"]
    assert error["code"] == "not_found"
    session.expire_all()
    stored = session.get(Delivery, theirs.id)
    assert stored is not None
    assert stored.status == "dead"


@pytest.mark.parametrize("delivery_id", ["abc", "0", "-1", "1.5", str(2**31), "9" * 30])
def test_invalid_delivery_ids_are_404(api: Any, make_key: Any, make_partner: Any,
                                      delivery_id: str) -> None:
    response = api.post(f"/deliveries/{delivery_id}/replay", make_key(make_partner()))

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_replay_is_csrf_exempt_and_ignores_the_session(api: Any, app: Any, make_key: Any,
                                                       make_project: Any, make_lead: Any,
                                                       deliveries_of: Any, session: Session,
                                                       base: datetime) -> None:
    # CSRF protection is on for the site; the API authenticates by key alone.
    assert app.config.get("WTF_CSRF_ENABLED", True)
    project = make_project()
    row = kill(session, deliveries_of(make_lead(project, at=base))[0])

    response = api.post(f"/deliveries/{row.id}/replay", make_key(project.partner),
                        headers={"Content-Type": "application/json"}, data="{}")

    assert response.status_code == 202


def test_oversized_body_is_413(api: Any, app: Any, documented: Any, make_key: Any,
                               make_project: Any, make_lead: Any, deliveries_of: Any,
                               session: Session, base: datetime) -> None:
    project = make_project()
    row = kill(session, deliveries_of(make_lead(project, at=base))[0])
    too_much = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)

    response = api.post(f"/deliveries/{row.id}/replay", make_key(project.partner),
                        data=too_much)

    assert response.status_code == 413
    error = documented(response, "/deliveries/{delivery_id}/replay", "post")["error"]
    assert error["code"] == "payload_too_large"
    session.expire_all()
    stored = session.get(Delivery, row.id)
    assert stored is not None
    assert stored.status == "dead"
