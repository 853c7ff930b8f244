"""Smoke: each role signs in and sees the home page with its own links."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("role", ["admin", "marketer", "privacy"])
def test_role_signs_in_and_sees_home(staff_browser, role):
    browser = staff_browser(role)
    page = browser.get("/admin/")
    assert page.status_code == 200
    assert "Welcome" in page.get_data(as_text=True)
