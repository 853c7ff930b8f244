"""A staff member signs in to the workspace in a real browser and signs out again."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_marketer_signs_in_with_both_factors_and_out(staff_page: Any, live_server: Any) -> None:
    page = staff_page("marketer", name="Mia Marketer")
    assert "Mia Marketer" in page.locator("header").inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/admin/sign-in")
    page.goto(f"{live_server.url}/admin/")
    assert page.url.startswith(f"{live_server.url}/admin/sign-in")
