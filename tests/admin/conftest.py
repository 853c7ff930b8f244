"""Workspace fixtures: staff users of each role, enrolled, and browsers signed in as them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from admin_support import PASSWORD, StaffBrowser
from flask import Flask
from sqlalchemy.orm import Session

from leadpages.db import utcnow
from leadpages.staff import services as staff
from leadpages.staff.models import StaffUser


@pytest.fixture
def make_staff(session: Session) -> Callable[..., StaffUser]:
    counter = iter(range(1, 10_000))

    def make(role: str = "marketer", enrolled: bool = True, name: str = "Sam Staff",
             email: str | None = None) -> StaffUser:
        """A staff user with PASSWORD; with the second factor set up unless `enrolled=False`."""
        n = next(counter)
        user = staff.create_staff(session, email or f"staff{n}@operator.example", name, role,
                                  PASSWORD)
        if enrolled:
            user.totp_secret = staff.new_totp_secret()
            user.totp_enabled_at = utcnow()
        session.flush()
        return user

    return make


@pytest.fixture
def staff_browser(app: Flask, make_staff: Callable[..., StaffUser]) -> Callable[..., StaffBrowser]:
    """A fresh browser (its own cookies) signed in as a new staff user of `role`."""

    def open_as(role: str = "marketer") -> StaffBrowser:
        return StaffBrowser(app.test_client()).sign_in(make_staff(role))

    return open_as


@pytest.fixture
def marketer(staff_browser: Callable[..., StaffBrowser]) -> StaffBrowser:
    return staff_browser("marketer")


@pytest.fixture
def privacy_officer(staff_browser: Callable[..., StaffBrowser]) -> StaffBrowser:
    return staff_browser("privacy")


@pytest.fixture
def admin(staff_browser: Callable[..., StaffBrowser]) -> StaffBrowser:
    return staff_browser("admin")
