"""Error pages in the visitor's language; the API (later) answers JSON instead."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

#: Title and explanation per status; anything else falls back to the generic pair.
MESSAGES = {
    400: (_l("This request could not be handled"),
          _l("Something in the request was not as expected. Go back, reload the page and "
             "try again.")),
    404: (_l("Page not found"),
          _l("We could not find this page. The project may have been removed, or the address "
             "may be mistyped.")),
    405: (_l("This request could not be handled"),
          _l("This page cannot be used that way. Go back and try again.")),
    413: (_l("Too much data"),
          _l("What you sent is larger than we accept. Shorten your message and try again.")),
    429: (_l("Too many requests"),
          _l("Many requests came from your network in a short while. Please wait a minute, "
             "go back and send the form again.")),
    500: (_l("Something went wrong on our side"),
          _l("We could not handle your request. Nothing was saved; please try again in a "
             "moment.")),
}


def render_error(status: int, detail: str | None = None) -> tuple[str, int]:
    """Render the error page for `status` in the current language."""
    title, text = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    return render_template("errors/error.html", status=status, title=title,
                           text=detail or text), status


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError) -> tuple[str, int]:
        return render_error(400, str(_l("Your session expired. Go back, reload the page and "
                                         "try again.")))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        if error.response is not None:
            # An answer made for this case already (the lead form's rate limit keeps what was
            # typed): use it as it is.
            return error.response
        return render_error(error.code or 500)

    @app.errorhandler(500)
    def _server(_error: Exception) -> tuple[str, int]:
        return render_error(500)
