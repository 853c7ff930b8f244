"""The whole business in the browser, starting from an empty workspace.

A marketer signs up a partner with a webhook and its arrangement, creates a project with a
photo and publishes it; a visitor on a phone leaves a lead; the partner's receiver gets it,
signed; the dashboard counts the visit and the lead; a privacy officer records the person's
objection, the partner is told, and the next audience export leaves the person out (while a
second visitor is in it).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from support import webhook_receiver
from test_admin_partner_journey import create_partner_with_arrangement
from test_admin_privacy_journey import export_audience, record_objection
from test_admin_project_journey import create_and_publish_project, write_photo
from test_admin_results_journey import read_dashboard

pytestmark = pytest.mark.browser

PARTNER = "kade-bouw"
PROJECT = "kade-lofts"
EMAIL = "noor.nieuwkoper@example.com"


def deliver(live_server: Any) -> int:
    """One run of `leadpages worker --once` against the live server's database."""
    from leadpages.delivery.worker import Worker

    return Worker(live_server.app, name="journey-worker").run_once()


def partner_secret(live_server: Any) -> str:
    from leadpages.extensions import db
    from leadpages.partners.models import Partner

    with live_server.app.app_context(), db.state(live_server.app).factory() as session:
        partner = session.scalar(select(Partner).where(Partner.slug == PARTNER))
        assert partner is not None
        return str(partner.webhook_secrets[-1]["secret"])


def leave_a_lead(phone: Any, base: str, name: str, email: str, number: str) -> None:
    phone.goto(f"{base}/en/p/{PROJECT}")
    first, last = name.split()
    phone.fill("#first_name", first)
    phone.fill("#last_name", last)
    phone.fill("#email", email)
    phone.fill("#phone", number)
    phone.wait_for_timeout(1100)  # the form refuses what is sent quicker than a person types
    phone.get_by_role("button", name="Send my request").click()
    phone.wait_for_url(f"{base}/en/p/{PROJECT}/thanks")


def test_from_a_new_partner_to_an_objection_honoured(staff_page: Any, live_server: Any,
                                                     phone: Any, tmp_path: Path) -> None:
    base = live_server.url
    with webhook_receiver() as receiver:
        marketer = staff_page("marketer", name="Mia Marketer")
        create_partner_with_arrangement(marketer, base, PARTNER, receiver.url)
        receiver.secret = partner_secret(live_server)
        create_and_publish_project(marketer, base, "Kade Bouw NV", PROJECT, "Kade Lofts",
                                   write_photo(tmp_path / "lofts.jpg"))
        assert read_dashboard(marketer, base, PROJECT) == {"visits": 0, "leads": 0}

        leave_a_lead(phone, base, "Noor Nieuwkoper", EMAIL, "0470 31 41 59")
        deliver(live_server)
        [created] = receiver.received
        assert created.verified  # signed by Standard Webhooks with the partner's secret
        body = json.loads(created.body)
        assert body["type"] == "lead.created"
        assert body["data"]["contact"]["email"] == EMAIL
        assert body["data"]["project"]["slug"] == PROJECT
        assert read_dashboard(marketer, base, PROJECT) == {"visits": 1, "leads": 1}
        leave_a_lead(phone, base, "Bart Buur", "bart.buur@example.com", "0470 27 18 28")
        deliver(live_server)
        assert len(receiver.received) == 2

        officer = staff_page("privacy", name="Pia Privacy")
        record_objection(officer, base, "Noor.Nieuwkoper@Example.com")
        deliver(live_server)
        told = [json.loads(r.body) for r in receiver.received[2:]]
        assert [event["type"] for event in told] == ["lead.objected"]
        assert all(r.verified for r in receiver.received)

    text = export_audience(officer, base, "Kade similar buyers", ["residential"])
    assert "objected" in text
    [written] = sorted(Path(live_server.app.config["AUDIENCE_PATH"]).glob(
        "kade-similar-buyers-*-csv.csv"))
    content = written.read_text()
    assert hashlib.sha256(b"bart.buur@example.com").hexdigest() in content
    assert hashlib.sha256(EMAIL.encode()).hexdigest() not in content
    # The lead's timeline shows the whole story to the privacy officer.
    officer.goto(f"{base}/admin/leads")
    officer.get_by_label("Email address").fill(EMAIL)
    officer.get_by_role("button", name="Search").click()
    assert EMAIL not in officer.url  # what was typed stays out of the address
    officer.get_by_role("link", name="Noor Nieuwkoper").first.click()
    timeline = officer.locator("main").inner_text()
    for step in ("Captured", "Delivered", "Objected"):
        assert step in timeline, timeline
