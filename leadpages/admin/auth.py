"""Who is signed in to the workspace: the session, its expiry, and `staff_required`.

Signing in takes two steps. The password first: it leaves a short-lived "pending" mark in the
session. Then the second factor (or, the first time, its enrolment), which turns the mark into a
session. The session holds the user's id, session version, sign-in time and last activity; it
ends ADMIN_SESSION_HOURS after sign-in, or after ADMIN_IDLE_MINUTES without a request, or when
the version changes (sign-out, second factor reset, account deactivated). It sits under its own
key, beside any partner portal session of the same browser.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, current_app, flash, g, redirect, url_for
from flask import session as cookie
from flask_babel import lazy_gettext as _l

from leadpages.extensions import db
from leadpages.staff import services as staff
from leadpages.staff.models import StaffUser
from leadpages.web import redirects

SESSION_KEY = "staff"
PENDING_KEY = "staff_pending"
#: Between the password and the second factor, at most this long.
PENDING_SECONDS = 300

F = TypeVar("F", bound=Callable[..., Any])


def _fresh() -> None:
    """Forget this browser's workspace state and CSRF secret (a portal session stays).

    A new CSRF secret at each step means one planted in the browser beforehand is useless.
    """
    for key in (SESSION_KEY, PENDING_KEY, "csrf_token"):
        cookie.pop(key, None)


def start_pending(user: StaffUser) -> None:
    """The password was right: the second factor (or its enrolment) comes next."""
    _fresh()
    cookie[PENDING_KEY] = {"user": user.id, "version": user.session_version, "at": time.time()}


def pending_user() -> StaffUser | None:
    """The user who gave a right password a moment ago and has yet to give the second factor."""
    data = cookie.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    user = _user(data, max_age=PENDING_SECONDS)
    if user is None:
        cookie.pop(PENDING_KEY, None)
    return user


def sign_in(user: StaffUser) -> None:
    """Start the session of `user`, whose second factor was just checked."""
    _fresh()
    now = time.time()
    cookie[SESSION_KEY] = {"user": user.id, "version": user.session_version, "at": now,
                           "seen": now}


def sign_out() -> None:
    """Forget the workspace session in this browser (a portal session in it stays).

    The cookie is only the browser's copy: the account's session version is what ends it
    everywhere (the sign-out view raises it), so that a copy kept elsewhere stops working too.
    """
    _fresh()


def signed_in_staff() -> StaffUser | None:
    """The staff user of this request's session while it is valid; else None (and it is cleared)."""
    data = cookie.get(SESSION_KEY)
    if data is None:
        return None
    config = current_app.config
    user = None
    if isinstance(data, dict):
        seen = data.get("seen")
        idle = time.time() - seen if isinstance(seen, int | float) else None
        if idle is not None and -60 <= idle <= config["ADMIN_IDLE_MINUTES"] * 60:
            user = _user(data, max_age=config["ADMIN_SESSION_HOURS"] * 3600)
    if user is None:
        cookie.pop(SESSION_KEY, None)
        flash(_l("Your session has ended. Please sign in again."), "info")
        return None
    data["seen"] = time.time()
    cookie[SESSION_KEY] = data
    return user


def _user(data: dict[str, Any], max_age: float) -> StaffUser | None:
    user_id, version, at = data.get("user"), data.get("version"), data.get("at")
    if not (isinstance(user_id, int) and isinstance(version, int)
            and isinstance(at, int | float)):
        return None
    age = time.time() - at
    # A sign-in time in the future is forged or from a clock gone wrong: not trusted either way.
    if age < -60 or age > max_age:
        return None
    user = db.session.get(StaffUser, user_id)
    if user is None or user.session_version != version or not user.is_active:
        return None
    return user


def safe_next(target: str | None) -> str | None:
    """`target` if it is a page of the workspace on this site, else None (no open redirects)."""
    return redirects.safe_next(target, "/admin/")


def staff_required(capability: str | None = None) -> Callable[[F], F]:
    """Only for a signed-in staff user whose role has `capability`: sets `g.staff`.

    Without a session the browser is sent to sign in (and back afterwards); a role without the
    capability gets 403.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = signed_in_staff()
            if user is None:
                return redirect(url_for("admin.sign_in",
                                        next=safe_next(redirects.asked_for())), 303)
            g.staff = user
            if capability is not None and not staff.can(user, capability):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate
