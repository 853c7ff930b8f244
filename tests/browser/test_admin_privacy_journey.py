"""The privacy officer records an objection; the next audience export leaves the person out."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.browser


def record_objection(page: Any, base_url: str, email: str) -> None:
    """Enter an objection to all direct marketing for `email`, as received by letter."""
    page.goto(f"{base_url}/admin/register")
    page.locator("#add-email").fill(email)
    page.locator("#add-scope").select_option("all")
    page.locator("#add-note").fill("letter of 2026-11-20")
    page.get_by_role("button", name="Record the objection").click()
    page.wait_for_url(f"{base_url}/admin/register")
    assert "Objection recorded" in page.locator(".flash").inner_text()


def export_audience(page: Any, base_url: str, name: str, categories: list[str]) -> str:
    """Define a CSV audience `name` of `categories` (minimum size 1), export it; the page text."""
    page.goto(f"{base_url}/admin/audiences/new")
    page.locator("#name").fill(name)
    for code in categories:
        page.locator(f'input[name="categories"][value="{code}"]').check()
    page.locator("#platform").select_option("csv")
    page.locator("#min_size").fill("1")
    page.get_by_role("button", name="Define the audience").click()
    page.wait_for_url(f"{base_url}/admin/audiences/*")
    page.get_by_role("button", name="Export now").click()
    page.wait_for_load_state()
    text: str = page.locator("main").inner_text()
    assert "Exported:" in text, text
    return text


def _demo_leads(live_server: Any, emails: list[str]) -> None:
    """Leads for the demo's residential project, as the public form would store them."""
    from leadpages.extensions import db
    from leadpages.leads.services import LeadInput, submit_lead
    from leadpages.projects.models import Project

    with live_server.app.app_context(), db.state(live_server.app).factory() as session:
        project = session.scalar(select(Project).where(Project.slug == "residentie-parkzicht"))
        assert project is not None
        for n, email in enumerate(emails):
            session.commit()  # end the read: intake starts its own write transaction
            data = LeadInput(first_name="Demo", last_name=f"Person {n}", email=email,
                             phone=f"+3247{os.getpid() % 1000:03d}{n:04d}")
            submit_lead(session, project, data, lang="nl", campaign_code=None, source_ip=None)
            session.commit()


def test_privacy_officer_objection_keeps_the_person_out_of_the_export(
        staff_page: Any, live_server: Any) -> None:
    tag = f"{os.getpid()}"
    objector = f"lies.bezwaar.{tag}@example.com"
    _demo_leads(live_server, [objector, f"kees.koper.{tag}@example.com"])
    page = staff_page("privacy", name="Pia Privacy")

    record_objection(page, live_server.url, objector.upper())
    text = export_audience(page, live_server.url, f"Parkzicht buyers {tag}", ["residential"])

    # Other journeys leave objectors of their own in the same category: at least this one.
    assert int(re.search(r"objected (\d+)", text).group(1)) >= 1  # type: ignore[union-attr]
    folder = Path(live_server.app.config["AUDIENCE_PATH"])
    written = sorted(folder.glob(f"parkzicht-buyers-{tag}-*-csv.csv"))
    assert len(written) == 1
    content = written[0].read_text()
    # The file holds SHA-256 of the normalised addresses: the buyer's is in it, the objector's not.
    assert hashlib.sha256(f"kees.koper.{tag}@example.com".encode()).hexdigest() in content
    assert hashlib.sha256(objector.encode()).hexdigest() not in content
    assert len(content.strip().splitlines()) >= 2
