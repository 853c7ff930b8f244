"""A marketer opens the results of a demo project: figures, the chart, and a visit counted."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def read_dashboard(page: Any, base_url: str, project_label: str) -> dict[str, int]:
    """The visits and leads /admin/results shows (last 30 days) for a project, e.g. by slug."""
    page.goto(f"{base_url}/admin/results")
    option = page.locator("#project option", has_text=project_label).first
    page.get_by_label("Project").select_option(option.get_attribute("value"))
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    return {"visits": int(page.locator("#figure-visits").inner_text().strip()),
            "leads": int(page.locator("#figure-leads").inner_text().strip())}


def test_marketer_reads_the_results_of_a_demo_project(staff_page: Any, live_server: Any,
                                                      browser: Any) -> None:
    page = staff_page("marketer")
    before = read_dashboard(page, live_server.url, "residentie-parkzicht")
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Results"
    chart = page.locator("figure.chart svg[role=img]")
    assert chart.count() == 1
    assert chart.get_attribute("aria-label") == "Leads per day"
    assert page.get_by_role("table", name="Visits and leads per day").count() == 1
    # A visitor (another browser) opens the page from a link with an unknown code.
    visitor = browser.new_context()
    try:
        landing = visitor.new_page()
        landing.goto(f"{live_server.url}/en/p/residentie-parkzicht?c=not-a-campaign")
        assert landing.locator("h1").count() == 1
    finally:
        visitor.close()
    after = read_dashboard(page, live_server.url, "residentie-parkzicht")
    assert after == {"visits": before["visits"] + 1, "leads": before["leads"]}
    assert "No campaign" in page.locator("table").last.inner_text()
