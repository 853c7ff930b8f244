"""The delivery log and replays; webhook address, test ping, secret rotation; email recipients."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from support import text_of

from leadpages.db import utcnow
from leadpages.delivery.models import Delivery
from leadpages.extensions import db
from leadpages.partners.models import Partner


@pytest.fixture
def signed_in(browser: Any, make_user: Any, make_partner: Any) -> Any:
    """A browser signed in for a fresh partner, which it carries as `.partner` and `.user`."""
    partner = make_partner()
    browser.user = make_user(partner)
    browser.signed_in_as(browser.user)
    browser.partner = partner
    return browser


def fresh_partner(app: Any, partner: Partner) -> Partner:
    with app.app_context():
        found = db.session.get(Partner, partner.id)
        assert found is not None
        return found


def deliveries_of(app: Any, partner: Partner) -> list[Delivery]:
    with app.app_context():
        rows = db.session.scalars(select(Delivery).where(Delivery.partner_id == partner.id)
                                  .order_by(Delivery.id))
        return [(row, list(row.history))[0] for row in rows]


# The delivery log.


def test_log_lists_own_deliveries_and_highlights_dead_letters(
    signed_in: Any, make_project: Any, make_lead: Any, make_dead_letter: Any
) -> None:
    lead = make_lead(make_project(partner=signed_in.partner))
    dead = make_dead_letter(lead)
    make_dead_letter(make_lead(make_project()))  # another partner's
    page = signed_in.get("/portal/deliveries")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert body.count('<tr class="dead">') == 1
    assert f"/portal/deliveries/{dead.id}/replay" in body
    assert "HTTP 410 Gone" in body
    assert "2 deliveries." in text_of(page)  # the dead webhook letter and the queued email


def test_log_filters_by_status(signed_in: Any, make_project: Any, make_lead: Any,
                               make_dead_letter: Any) -> None:
    lead = make_lead(make_project(partner=signed_in.partner))
    make_dead_letter(lead)
    assert "1 delivery." in text_of(signed_in.get("/portal/deliveries?status=dead"))
    pending = signed_in.get("/portal/deliveries?status=pending")
    assert "1 delivery." in text_of(pending)
    assert '<tr class="dead">' not in pending.get_data(as_text=True)
    bad = signed_in.get("/portal/deliveries?status=lost")
    assert bad.status_code == 422
    assert 'id="status-error"' in bad.get_data(as_text=True)


def test_replay_sends_a_dead_letter_again_and_records_who(app: Any, signed_in: Any,
                                                          make_project: Any, make_lead: Any,
                                                          make_dead_letter: Any) -> None:
    dead = make_dead_letter(make_lead(make_project(partner=signed_in.partner)))
    message_id = dead.message_id
    response = signed_in.post(f"/portal/deliveries/{dead.id}/replay")
    assert response.status_code == 303
    assert response.headers["Location"] == "/portal/deliveries?status=dead"
    with app.app_context():
        row = db.session.get(Delivery, dead.id)
        assert row is not None
        assert (row.status, row.attempts, row.message_id) == ("pending", 0, message_id)
        assert row.history[-1].outcome == "replayed"
        assert row.history[-1].error == f"replayed by {signed_in.user.email}"
    assert "queued to be sent again" in text_of(signed_in.get("/portal/deliveries"))


def test_replay_of_a_delivery_that_is_not_dead_is_refused(app: Any, signed_in: Any,
                                                          make_project: Any,
                                                          make_lead: Any) -> None:
    make_lead(make_project(partner=signed_in.partner))
    pending = deliveries_of(app, signed_in.partner)[0]
    response = signed_in.post(f"/portal/deliveries/{pending.id}/replay")
    assert response.status_code == 422
    assert "only dead letters can be replayed" in text_of(response)
    assert deliveries_of(app, signed_in.partner)[0].status == "pending"


def test_replay_needs_the_csrf_token(app: Any, signed_in: Any, make_project: Any,
                                     make_lead: Any, make_dead_letter: Any) -> None:
    dead = make_dead_letter(make_lead(make_project(partner=signed_in.partner)))
    assert signed_in.client.post(f"/portal/deliveries/{dead.id}/replay").status_code == 400
    with app.app_context():
        assert db.session.get(Delivery, dead.id).status == "dead"


def test_delivery_page_shows_attempts_and_the_lead(signed_in: Any, make_project: Any,
                                                   make_lead: Any,
                                                   make_dead_letter: Any) -> None:
    lead = make_lead(make_project(partner=signed_in.partner), last_name="Attempted")
    dead = make_dead_letter(lead)
    page = signed_in.get(f"/portal/deliveries/{dead.id}")
    assert page.status_code == 200
    body = text_of(page)
    assert dead.message_id in body
    assert "HTTP 410 Gone" in body
    assert "42 ms" in body
    assert "gone" in body
    assert "Attempted" in body
    assert f"/portal/leads/{lead.public_id}" in page.get_data(as_text=True)


@pytest.mark.parametrize("status", ["restricted", "erased"])
def test_a_lead_no_longer_shared_gets_no_link(signed_in: Any, session: Any, make_project: Any,
                                              make_lead: Any, make_dead_letter: Any,
                                              status: str) -> None:
    project = make_project(partner=signed_in.partner)
    shared = make_lead(project, last_name="Shared")
    hidden = make_lead(project, last_name="Hiddenlead", email="hidden@example.com")
    dead = make_dead_letter(hidden)
    make_dead_letter(shared)
    hidden.status = status
    session.flush()

    listing = signed_in.get("/portal/deliveries").get_data(as_text=True)
    assert f"/portal/leads/{shared.public_id}" in listing
    assert f"/portal/leads/{hidden.public_id}" not in listing
    assert hidden.public_id[:8] not in listing
    # The link would only lead to a 404.
    assert signed_in.get(f"/portal/leads/{hidden.public_id}").status_code == 404
    detail = signed_in.get(f"/portal/deliveries/{dead.id}")
    assert detail.status_code == 200
    assert "Hiddenlead" not in text_of(detail)
    assert f"/portal/leads/{hidden.public_id}" not in detail.get_data(as_text=True)


def test_which_leads_get_a_link_is_the_leads_services_call(
        signed_in: Any, make_project: Any, make_lead: Any, make_dead_letter: Any,
        monkeypatch: Any) -> None:
    from leadpages.leads import services as leads

    lead = make_lead(make_project(partner=signed_in.partner), last_name="Attempted")
    dead = make_dead_letter(lead)
    asked: list[tuple[int, list[int]]] = []

    def nothing_shared(session: Any, partner_id: int, lead_ids: Any) -> dict[int, str]:
        asked.append((partner_id, list(lead_ids)))
        return {}

    monkeypatch.setattr(leads, "partner_lead_public_ids", nothing_shared)
    listing = signed_in.get("/portal/deliveries").get_data(as_text=True)
    detail = signed_in.get(f"/portal/deliveries/{dead.id}").get_data(as_text=True)
    assert f"/portal/leads/{lead.public_id}" not in listing
    assert f"/portal/leads/{lead.public_id}" not in detail
    assert "Attempted" not in detail
    assert asked
    assert all(partner_id == signed_in.partner.id and lead.id in ids
               for partner_id, ids in asked)


# The webhook.


def test_saving_a_first_webhook_address_shows_its_secret_once(app: Any, signed_in: Any) -> None:
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    try:
        response = signed_in.post("/portal/settings/webhook",
                                  {"url": "http://127.0.0.1:8123/hook"})
    finally:
        app.config["WEBHOOK_ALLOW_LOOPBACK"] = False
    assert response.status_code == 200
    partner = fresh_partner(app, signed_in.partner)
    assert partner.webhook_url == "http://127.0.0.1:8123/hook"
    secret = partner.webhook_secrets[-1]["secret"]
    assert secret is not None
    assert secret.startswith("whsec_")
    assert secret in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    again = signed_in.get("/portal/settings/webhook")
    assert secret not in again.get_data(as_text=True)
    assert 'value="http://127.0.0.1:8123/hook"' in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://x", "enter a full address starting with https://"),
        ("http://10.0.0.1/", "is not a public address"),
        ("http://192.168.1.20/hook", "is not a public address"),
        ("http://169.254.169.254/latest", "is not a public address"),
        ("http://user:pw@127.0.0.1/", "must not contain a user name or password"),
        ("http://127.0.0.1:8123/hook", "is not a public address"),
        ("crm.example.com/hook", "enter a full address"),
    ],
)
def test_bad_webhook_address_is_refused_and_nothing_saved(app: Any, signed_in: Any, url: str,
                                                          message: str) -> None:
    response = signed_in.post("/portal/settings/webhook", {"url": url})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="url-error"' in body
    assert message in text_of(response)
    assert f'value="{url}"' in body
    partner = fresh_partner(app, signed_in.partner)
    assert partner.webhook_url is None
    assert partner.webhook_secrets == []


def test_loopback_is_allowed_only_when_configured(app: Any, signed_in: Any) -> None:
    assert app.config["WEBHOOK_ALLOW_LOOPBACK"] is False
    url = "http://127.0.0.1:9/hook"
    assert signed_in.post("/portal/settings/webhook", {"url": url}).status_code == 422
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    try:
        assert signed_in.post("/portal/settings/webhook", {"url": url}).status_code == 200
    finally:
        app.config["WEBHOOK_ALLOW_LOOPBACK"] = False
    assert fresh_partner(app, signed_in.partner).webhook_url == url


def test_production_needs_https(app: Any, signed_in: Any) -> None:
    app.config.update(ENV="production", WEBHOOK_ALLOW_LOOPBACK=True)
    try:
        response = signed_in.post("/portal/settings/webhook", {"url": "http://127.0.0.1:9/"})
    finally:
        app.config.update(ENV="test", WEBHOOK_ALLOW_LOOPBACK=False)
    assert response.status_code == 422
    assert "must start with https://" in text_of(response)


def test_emptying_the_address_turns_webhooks_off(app: Any, signed_in: Any,
                                                 session: Any) -> None:
    signed_in.partner.webhook_url = "http://127.0.0.1:9/"
    session.flush()
    response = signed_in.post("/portal/settings/webhook", {"url": ""})
    assert response.status_code == 303
    assert fresh_partner(app, signed_in.partner).webhook_url is None
    assert "Webhooks are turned off" in text_of(signed_in.get("/portal/settings/webhook"))


def test_ping_queues_a_ping_delivery(app: Any, signed_in: Any, session: Any) -> None:
    signed_in.partner.webhook_url = "http://127.0.0.1:9/"
    session.flush()
    response = signed_in.post("/portal/settings/webhook/ping")
    assert response.status_code == 303
    [row] = deliveries_of(app, signed_in.partner)
    assert (row.kind, row.channel, row.status, row.lead_id) == ("ping", "webhook", "pending",
                                                                None)
    assert '"type":"ping"' in row.payload
    assert "A test message is queued" in text_of(signed_in.get("/portal/settings/webhook"))


def test_ping_without_an_address_says_what_to_do(app: Any, signed_in: Any) -> None:
    response = signed_in.post("/portal/settings/webhook/ping")
    assert response.status_code == 422
    assert "set a webhook URL first" in text_of(response)
    assert deliveries_of(app, signed_in.partner) == []


def test_rotation_shows_the_new_secret_once_and_keeps_the_old_one_for_a_while(
    app: Any, signed_in: Any, session: Any
) -> None:
    signed_in.partner.webhook_url = "http://127.0.0.1:9/"
    signed_in.partner.webhook_secrets = [{"secret": "whsec_b2xk", "created_at":
                                          utcnow().isoformat(), "expires_at": None}]
    session.flush()
    response = signed_in.post("/portal/settings/webhook/rotate")
    assert response.status_code == 200
    partner = fresh_partner(app, signed_in.partner)
    old, new = partner.webhook_secrets
    assert old["secret"] == "whsec_b2xk"
    expires = datetime.fromisoformat(old["expires_at"] or "")
    assert timedelta(hours=23) < expires - utcnow() <= timedelta(hours=24)
    assert new["expires_at"] is None
    body = response.get_data(as_text=True)
    assert new["secret"] in body
    assert "whsec_b2xk" not in body
    assert "shown this once" in text_of(response)
    later = signed_in.get("/portal/settings/webhook").get_data(as_text=True)
    assert new["secret"] not in later
    assert "whsec_b2xk" not in later
    assert "stops signing" in later


# Email recipients.


def test_recipients_are_saved_one_per_line(app: Any, signed_in: Any) -> None:
    page = signed_in.get("/portal/settings/email")
    assert signed_in.partner.email_recipients[0] in page.get_data(as_text=True)
    response = signed_in.post("/portal/settings/email", {
        "recipients": " sales@partner.example \n\nSALES@partner.example\r\ncrm@partner.example\n"})
    assert response.status_code == 303
    assert fresh_partner(app, signed_in.partner).email_recipients == [
        "sales@partner.example", "crm@partner.example"]
    assert "sales@partner.example\ncrm@partner.example" in signed_in.get(
        "/portal/settings/email").get_data(as_text=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [("sales@partner.example\nnot-an-address", "not-an-address is not a valid email address"),
     ("\n".join(f"p{n}@partner.example" for n in range(11)), "at most 10 addresses"),
     ("x" * 3001, "")],
)
def test_bad_recipients_are_refused_and_nothing_saved(app: Any, signed_in: Any, text: str,
                                                      message: str) -> None:
    before = list(signed_in.partner.email_recipients)
    response = signed_in.post("/portal/settings/email", {"recipients": text})
    assert response.status_code == 422
    assert 'id="recipients-error"' in response.get_data(as_text=True)
    assert message in text_of(response)
    assert text.splitlines()[-1][:50] in response.get_data(as_text=True)
    assert fresh_partner(app, signed_in.partner).email_recipients == before


def test_empty_recipients_turn_email_delivery_off(app: Any, signed_in: Any) -> None:
    assert signed_in.post("/portal/settings/email", {"recipients": ""}).status_code == 303
    assert fresh_partner(app, signed_in.partner).email_recipients == []
