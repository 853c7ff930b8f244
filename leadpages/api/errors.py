"""The API's one error shape, `{"error": {"code", "message", "details"?}}`, for every failure.

The public site renders HTML error pages app-wide (leadpages.web.errors). Errors raised while an
API view is handled reach the blueprint's handlers below first; a request under /api/ that matches
no route (404, 405) belongs to no blueprint, so an app-level handler sends those here by path and
leaves every other path to the site's own handler.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, jsonify, request
from flask.typing import ErrorHandlerCallable, ResponseReturnValue
from werkzeug.exceptions import HTTPException, MethodNotAllowed

#: Every address under this prefix answers JSON, whatever the version or route.
API_PATH_PREFIX = "/api/"

#: Stable codes for the statuses the API produces; clients branch on these, not on messages.
CODES = {
    400: "invalid_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    429: "rate_limited",
    500: "server_error",
}

MESSAGES = {
    400: "The request is not valid.",
    401: "Send a valid API key as 'Authorization: Bearer <key>'.",
    404: "There is nothing at this address.",
    413: "The request body is larger than this API accepts.",
    429: "Too many requests with this API key; wait as long as the Retry-After header says.",
    500: "Something went wrong on our side and nothing was changed; please try again shortly.",
}


class ApiError(Exception):
    """A failure to report to the client in the API's error shape."""

    def __init__(self, status: int, code: str, message: str,
                 details: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = dict(details) if details else None
        self.headers = dict(headers or {})


def error_response(error: ApiError) -> Response:
    """The JSON response for `error`, never stored by caches."""
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.details:
        body["details"] = error.details
    response = jsonify({"error": body})
    response.status_code = error.status
    response.headers.update(error.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def from_http_exception(error: HTTPException) -> ApiError:
    """The API's view of a werkzeug/Flask HTTP error (routing, size limit, rate limit...)."""
    status = error.code or 500
    code = CODES.get(status) or (error.name or "error").lower().replace(" ", "_")
    message = MESSAGES.get(status) or error.description or "The request failed."
    details: dict[str, Any] | None = None
    headers: dict[str, str] = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        allowed = sorted(error.valid_methods)
        headers["Allow"] = ", ".join(allowed)
        message = (f"This address does not accept {request.method}; "
                   f"it accepts {', '.join(allowed)}.")
    if status == 429 and error.description:
        # Flask-Limiter puts the limit that was exceeded in the description.
        details = {"limit": error.description}
    if status == 413 and request.max_content_length:
        message = (f"The request body is larger than the {request.max_content_length} bytes "
                   "this API accepts.")
    return ApiError(status, code, message, details, headers)


def handle_api_error(error: ApiError) -> Response:
    """Blueprint handler for the errors the API raises itself."""
    return error_response(error)


def handle_http_exception(error: HTTPException) -> Response:
    """Blueprint handler for HTTP errors raised inside API requests."""
    return error_response(from_http_exception(error))


def is_api_path(path: str) -> bool:
    """Whether `path` belongs to the JSON API (any version), rather than the public site."""
    return path == API_PATH_PREFIX.rstrip("/") or path.startswith(API_PATH_PREFIX)


#: Error handlers by exception class, as Flask keeps them per status.
Handlers = Mapping[type[Exception], ErrorHandlerCallable]


def handle_unrouted(error: HTTPException, site: Handlers) -> ResponseReturnValue:
    """App-level 404/405: JSON under /api/; elsewhere what the site answers for the error.

    `site` holds the site's own handlers for this status, if it had any when ours replaced them
    (see views._route_unrouted); failing those, the site's class-based handlers answer, as Flask
    itself would look next.
    """
    if is_api_path(request.path):
        return error_response(from_http_exception(error))
    for handlers in (site, current_app.error_handler_spec[None][None]):
        for cls in type(error).__mro__:
            handler = handlers.get(cls)
            if handler is not None:
                result: ResponseReturnValue = current_app.ensure_sync(handler)(error)
                return result
    return error
