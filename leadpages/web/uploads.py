"""How large a request body may be: small everywhere, except staff uploads in the workspace.

The app-wide limit (LEADPAGES_MAX_REQUEST_BYTES, 64 KB by default) fits every form and API
call. Photos and logos are larger: a view marked `@accepts_uploads` takes a body of up to
UPLOAD_BYTES, from a browser whose workspace session is still fresh. The limit must be known
before the body is read, and the app-wide CSRF check reads it before any view runs, so it is
decided here, on the request, from what is known without the body: the view the address leads
to, and the signed session cookie (which nobody can forge without the secret key). The view
itself then checks who is signed in, as for any other request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Request, current_app, session

from leadpages.media import images

#: At most this many files in one upload (the image pipeline takes each up to its own limit).
UPLOAD_FILES = 8
#: Those files and the form's other fields.
UPLOAD_BYTES = UPLOAD_FILES * images.MAX_FILE_BYTES + 1024 * 1024
#: The session key of a workspace sign-in (leadpages.admin.auth.SESSION_KEY).
_STAFF_SESSION = "staff"

F = TypeVar("F", bound=Callable[..., Any])


def accepts_uploads(view: F) -> F:
    """Mark a workspace view whose POST carries files (photos, a logo)."""
    view.accepts_uploads = True  # type: ignore[attr-defined]
    return view


def _fresh_staff_session() -> bool:
    """Whether the cookie holds a workspace session that has not expired (no database read)."""
    data = session.get(_STAFF_SESSION)
    if not isinstance(data, dict):
        return False
    at, seen = data.get("at"), data.get("seen")
    if not (isinstance(at, int | float) and isinstance(seen, int | float)):
        return False
    now, config = time.time(), current_app.config
    return (now - seen <= config["ADMIN_IDLE_MINUTES"] * 60
            and now - at <= config["ADMIN_SESSION_HOURS"] * 3600)


class LeadpagesRequest(Request):
    """Flask's request with the larger body limit for staff uploads."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        if self.method == "POST" and self.mimetype == "multipart/form-data":
            view = current_app.view_functions.get(self.endpoint or "")
            if getattr(view, "accepts_uploads", False) and _fresh_staff_session():
                return UPLOAD_BYTES
        limit: int | None = current_app.config["MAX_CONTENT_LENGTH"]
        return limit

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value
