"""Admins manage staff accounts: add, deactivate, reactivate, reset the second factor."""

from __future__ import annotations

from typing import Any

from admin_support import PASSWORD, StaffBrowser
from support import text_of

from leadpages.audit.models import AuditEvent
from leadpages.extensions import db
from leadpages.staff.models import StaffUser


def stored(app: Any, email: str) -> StaffUser | None:
    with app.app_context():
        return db.session.query(StaffUser).filter_by(email=email).one_or_none()


def test_admin_adds_a_marketer_who_then_enrols(app: Any, admin: StaffBrowser) -> None:
    response = admin.post("/admin/staff", {"name": "Mo Marketer", "email": "Mo@Operator.example",
                                           "role": "marketer", "password": PASSWORD})
    assert response.status_code == 303
    user = stored(app, "mo@operator.example")
    assert user is not None
    assert (user.role, user.is_enrolled) == ("marketer", False)
    assert "Mo Marketer" in text_of(admin.get("/admin/staff"))
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="staff.create",
                                                      subject=f"staff:{user.id}").count() == 1
    newcomer = StaffBrowser(app.test_client())
    first = newcomer.post("/admin/sign-in", {"email": "mo@operator.example",
                                             "password": PASSWORD})
    assert first.status_code == 303
    assert "Set up the second factor" in text_of(newcomer.get("/admin/sign-in/code"))


def test_bad_input_is_refused_and_kept(app: Any, admin: StaffBrowser) -> None:
    response = admin.post("/admin/staff", {"name": "Mo", "email": "not-an-address",
                                           "role": "boss", "password": "short"})
    assert response.status_code == 422
    body = text_of(response)
    assert "Enter a valid email address" in body
    assert "Use at least 12 characters." in body
    assert "Not a valid choice" in body or "valid choice" in body.lower()
    assert 'value="not-an-address"' in response.get_data(as_text=True)
    assert stored(app, "not-an-address") is None


def test_deactivating_ends_the_session_at_once(app: Any, admin: StaffBrowser,
                                               make_staff: Any) -> None:
    user = make_staff("marketer")
    theirs = StaffBrowser(app.test_client()).sign_in(user)
    assert theirs.get("/admin/").status_code == 200
    assert admin.post(f"/admin/staff/{user.id}/deactivate").status_code == 303
    assert theirs.get("/admin/").status_code == 303
    again = theirs.post("/admin/sign-in", {"email": user.email, "password": PASSWORD})
    assert again.status_code == 422
    assert admin.post(f"/admin/staff/{user.id}/activate").status_code == 303
    assert stored(app, user.email).is_active  # type: ignore[union-attr]


def test_reset_second_factor_makes_the_next_sign_in_enrol(app: Any, admin: StaffBrowser,
                                                          make_staff: Any) -> None:
    user = make_staff("privacy")
    assert admin.post(f"/admin/staff/{user.id}/reset-factor").status_code == 303
    again = stored(app, user.email)
    assert again is not None
    assert (again.totp_secret, again.totp_enabled_at) == (None, None)


def test_an_admin_cannot_lock_themselves_out(app: Any, admin: StaffBrowser) -> None:
    assert admin.user is not None
    admin.post(f"/admin/staff/{admin.user.id}/deactivate")
    assert admin.get("/admin/staff").status_code == 200


def test_others_may_not_manage_staff(marketer: StaffBrowser, make_staff: Any) -> None:
    user = make_staff()
    assert marketer.post(f"/admin/staff/{user.id}/deactivate").status_code == 403
