"""Workspace fixtures: staff users of each role, enrolled, and browsers signed in as them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from admin_support import PASSWORD, StaffBrowser
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpages.db import utcnow
from leadpages.leads.models import Lead
from leadpages.projects.models import Project
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
def lead_of(session: Session, submit: Callable[..., Any]) -> Callable[..., Lead]:
    """A lead through the public form (the real intake); returns it as stored."""

    def make(project: Project, **fields: Any) -> Lead:
        answer = submit(project, **fields)
        assert answer.status_code in (302, 303), answer.status_code
        session.expire_all()
        lead = session.scalars(select(Lead).where(Lead.project_id == project.id)
                               .order_by(Lead.id.desc())).first()
        assert lead is not None
        return lead

    return make


@pytest.fixture
def marketer(staff_browser: Callable[..., StaffBrowser]) -> StaffBrowser:
    return staff_browser("marketer")


@pytest.fixture
def privacy_officer(staff_browser: Callable[..., StaffBrowser]) -> StaffBrowser:
    return staff_browser("privacy")


@pytest.fixture
def admin(staff_browser: Callable[..., StaffBrowser]) -> StaffBrowser:
    return staff_browser("admin")
