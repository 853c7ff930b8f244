"""How the app sits behind proxies and in browsers: client address, headers, media files."""

from __future__ import annotations

from flask import Flask, Response, current_app, send_from_directory
from werkzeug.middleware.proxy_fix import ProxyFix

#: Public pages load nothing from any other host; the policy makes the browser enforce it.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        # Same-origin fetches only; tools such as Lighthouse fetch robots.txt from the page.
        "connect-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "script-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}

YEAR = 365 * 24 * 3600
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
SECURITY_HEADER_NAMES = frozenset({*SECURITY_HEADERS, HSTS[0]})


def security_headers(app: Flask) -> list[tuple[str, str]]:
    """The headers every answer carries (HSTS in production)."""
    headers = list(SECURITY_HEADERS.items())
    if app.config["ENV"] == "production":
        headers.append(HSTS)
    return headers


def init_app(app: Flask) -> None:
    """Trust the configured proxies, add security headers, serve uploaded media."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    headers = security_headers(app)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        # No view sets these itself, so they are added as they are, without a look-up each.
        response.headers.extend(headers)
        return response

    @app.get("/media/<path:filename>", endpoint="media")
    def _media(filename: str) -> Response:
        # File names are content hashes: a changed photo gets a new name, so cache for a year.
        return send_from_directory(
            current_app.config["UPLOAD_PATH"], filename, max_age=YEAR, conditional=True
        )
