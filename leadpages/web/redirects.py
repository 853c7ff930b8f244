"""Where a surface may send a browser back to after sign-in: its own pages only."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def asked_for() -> str | None:
    """The page this GET asked for, to come back to after sign-in (None for other methods)."""
    if request.method != "GET":
        return None
    query = request.query_string.decode("utf-8", "replace")
    return request.path + (f"?{query}" if query else "")


def safe_next(target: str | None, prefix: str) -> str | None:
    """`target` if it is a page under `prefix` ("/portal/", "/admin/") of this site, else None.

    No open redirects: another host, a scheme, a protocol-relative or backslashed address, or
    control characters are all refused.
    """
    if not target or "\\" in target or any(ord(char) < 32 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(prefix):
        return None
    if target.startswith("//"):
        return None
    return target
