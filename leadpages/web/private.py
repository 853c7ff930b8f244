"""What every signed-in surface (the portal, the workspace) does to each of its pages."""

from __future__ import annotations

from flask import Blueprint, Response
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import TooManyRequests

from leadpages.web.errors import render_error


def private_pages(blueprint: Blueprint) -> None:
    """Keep the blueprint's pages out of caches and search engines; explain its rate limits.

    Personal data, one-time secrets and QR codes must never be stored by a browser or a proxy.
    """

    @blueprint.after_request
    def _no_store(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
        return response

    @blueprint.errorhandler(TooManyRequests)
    def _too_many(_error: TooManyRequests) -> tuple[str, int]:
        return render_error(429, str(_l("Too many attempts from your network in a short while. "
                                        "Wait 15 minutes and try again.")))
