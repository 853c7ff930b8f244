"""A marketer signs up a partner with a webhook, drafts, reviews and signs its arrangement."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def create_partner_with_arrangement(page: Any, base_url: str, slug: str,
                                    webhook_url: str) -> None:
    """Through the workspace's pages: a partner `slug` sending to `webhook_url`, with its
    arrangement drafted from the standard terms, reviewed and signed (in force from now).

    `page` is signed in as a marketer or admin; a loopback `webhook_url` needs the live
    server's WEBHOOK_ALLOW_LOOPBACK.
    """
    page.goto(f"{base_url}/admin/partners")
    page.get_by_role("link", name="Add a partner").click()
    name = f"{slug.replace('-', ' ').title()} NV"
    for field, value in {
        "legal_name": name, "slug": slug, "enterprise_number": "BE 0987.654.321",
        "address": "Kouter 1, 9000 Gent", "contact_name": "Karel Contact",
        "contact_email": f"karel@{slug}.example", "privacy_email": f"privacy@{slug}.example",
        "webhook_url": webhook_url,
    }.items():
        page.locator(f"#{field}").fill(value)
    page.get_by_role("button", name="Create the partner").click()
    page.get_by_role("heading", level=1, name=name).wait_for()
    # The first signing secret is shown once, on the page that answers the creation.
    assert page.locator("#once-value").input_value().startswith("whsec_")
    page.get_by_role("link", name="Arrangements of this partner").click()
    page.get_by_role("button", name="Start from the standard terms").click()
    page.get_by_role("heading", level=1, name=re.compile("Draft version 1")).wait_for()
    page.get_by_role("button", name="Save and review").click()
    page.get_by_role("heading", level=1, name=re.compile("Version 1 with")).wait_for()
    page.locator("#operator_signer_role").fill("Marketing manager")
    page.locator("#partner_signer").fill("Petra Partner")
    page.locator("#partner_signer_role").fill("Managing director")
    page.get_by_role("button", name="Sign and activate version 1").click()
    page.get_by_text("Version 1 is in force since").first.wait_for()


def test_marketer_creates_a_partner_and_puts_its_arrangement_in_force(
        staff_page: Any, live_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(live_server.app.config, "WEBHOOK_ALLOW_LOOPBACK", True)
    page = staff_page("marketer", name="Mia Marketer")
    create_partner_with_arrangement(page, live_server.url, "bouw-journey",
                                    "http://127.0.0.1:9/hook")
    versions = page.locator("table").first.inner_text()
    assert "Petra Partner (Managing director); Mia Marketer (Marketing manager)" in versions
    page.get_by_role("link", name="Bouw Journey NV").click()
    page.get_by_text("Version 1 is in force since").wait_for()
    page.goto(f"{live_server.url}/admin/partners")
    row = page.get_by_role("row", name=re.compile("Bouw Journey NV"))
    assert "version 1" in row.inner_text()
    assert "Webhook" in row.inner_text()
