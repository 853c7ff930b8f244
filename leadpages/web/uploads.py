"""How large a request body may be: small everywhere, except staff uploads in the workspace.

The app-wide limit (LEADPAGES_MAX_REQUEST_BYTES, 64 KB by default) fits every form and API
call. Photos and logos are larger: a multipart POST under /admin/ from a browser that holds a
workspace session may carry up to UPLOAD_BYTES. The limit must be known before the body is read,
and the app-wide CSRF check reads it before any view runs, so it is decided here, on the
request, from what is known without the body: the path, the content type and the signed
session cookie (which nobody can forge without the secret key).
"""

from __future__ import annotations

from flask import Request, current_app, session

from leadpages.media import images

#: Up to eight photos of the largest size the image pipeline accepts, in one upload.
UPLOAD_BYTES = 8 * images.MAX_FILE_BYTES
#: The session key of a workspace sign-in (leadpages.admin.auth.SESSION_KEY).
_STAFF_SESSION = "staff"


class LeadpagesRequest(Request):
    """Flask's request with the larger body limit for staff uploads."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        if (self.method == "POST" and self.path.startswith("/admin/")
                and self.mimetype == "multipart/form-data" and _STAFF_SESSION in session):
            return UPLOAD_BYTES
        limit: int | None = current_app.config["MAX_CONTENT_LENGTH"]
        return limit

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value
