"""`leadpages create-user --staff ROLE`: a staff user from the command line."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.security import check_password_hash

from leadpages.audit.models import AuditEvent
from leadpages.extensions import db
from leadpages.staff.models import StaffUser

PASSWORD = "correct Horse battery"


def test_creates_a_staff_user_who_enrols_at_first_sign_in(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["create-user", "--staff", "privacy", "--email",
                                 "Pat@Operator.example", "--name", "Pat Privacy",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "can now sign in at /admin/" in result.output
    with app.app_context():
        user = db.session.query(StaffUser).filter_by(email="pat@operator.example").one()
        assert user.role == "privacy"
        assert not user.is_enrolled
        assert check_password_hash(user.password_hash, PASSWORD)
        assert db.session.query(AuditEvent).filter_by(
            action="staff.create", subject=f"staff:{user.id}").one().actor.startswith("cli:")


def test_unknown_role_and_weak_password_are_refused(app: Flask, runner: Any) -> None:
    bad_role = runner.invoke(args=["create-user", "--staff", "boss", "--email",
                                   "a@operator.example", "--name", "A", "--password-stdin"],
                             input=PASSWORD + "\n")
    assert bad_role.exit_code == 2
    assert "boss" in bad_role.output
    weak = runner.invoke(args=["create-user", "--staff", "admin", "--email",
                               "a@operator.example", "--name", "A", "--password-stdin"],
                         input="short\n")
    assert weak.exit_code == 2
    assert "Use at least 12 characters." in weak.output
    with app.app_context():
        assert db.session.query(StaffUser).count() == 0
