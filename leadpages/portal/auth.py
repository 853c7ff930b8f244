"""Who is signed in to the portal: the session's contents, its expiry, and `login_required`.

The signed session cookie holds the user's id, the user's session version and the sign-in time.
A password change or "Sign out everywhere" increments the version, which ends every older
session, copies of the cookie included; a session also ends PORTAL_SESSION_HOURS after sign-in,
however active it was. Plain sign-out only clears this browser's cookie.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, flash, g, redirect, url_for
from flask import session as cookie
from flask_babel import lazy_gettext as _l

from leadpages.accounts.models import PartnerUser
from leadpages.extensions import db
from leadpages.web import redirects

SESSION_KEY = "portal"

F = TypeVar("F", bound=Callable[..., Any])


def _forget() -> None:
    # The portal's own keys and the CSRF secret; a workspace session in the browser stays.
    cookie.pop(SESSION_KEY, None)
    cookie.pop("csrf_token", None)


def sign_in(user: PartnerUser) -> None:
    """Start a fresh session for `user` (nothing of the portal's from before is kept)."""
    _forget()
    cookie[SESSION_KEY] = {"user": user.id, "version": user.session_version,
                           "at": time.time()}


def sign_out() -> None:
    """End this browser's session."""
    _forget()


def signed_in_user() -> PartnerUser | None:
    """The user this request's session belongs to, if it is still valid; else None.

    An invalid session (expired, from before a password change, of a removed user, or garbled)
    is cleared.
    """
    data = cookie.get(SESSION_KEY)
    if data is None:
        return None
    user = _valid_user(data)
    if user is None:
        _forget()
        flash(_l("Your session has ended. Please sign in again."), "info")
    return user


def _valid_user(data: Any) -> PartnerUser | None:
    if not isinstance(data, dict):
        return None
    user_id, version, at = data.get("user"), data.get("version"), data.get("at")
    if not (isinstance(user_id, int) and isinstance(version, int)
            and isinstance(at, int | float)):
        return None
    age = time.time() - at
    # A sign-in time in the future is forged or from a clock gone wrong: not trusted either way.
    if age < -60 or age > current_app.config["PORTAL_SESSION_HOURS"] * 3600:
        return None
    user = db.session.get(PartnerUser, user_id)
    if user is None or user.session_version != version:
        return None
    return user


def safe_next(target: str | None) -> str | None:
    """`target` if it is a page of the portal on this site, else None (no open redirects)."""
    return redirects.safe_next(target, "/portal/")


def login_required(view: F) -> F:
    """Only for a signed-in partner user: sets `g.user` and `g.partner`, or sends to sign-in."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = signed_in_user()
        if user is None:
            return redirect(url_for("portal.sign_in", next=safe_next(redirects.asked_for())),
                            303)
        g.user = user
        g.partner = user.partner
        return view(*args, **kwargs)

    return cast(F, wrapped)
