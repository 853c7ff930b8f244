"""The lead form's token: protection against cross-site posts and a signed start time, in one.

The page sets a cookie holding a random nonce (the one cookie the form needs) and puts in the form
a token `<milliseconds>.<mac>`, where the mac is an HMAC of the nonce and the time the form was
served. A post is accepted only with the cookie and a token made for that very cookie (another
site can neither read the cookie nor make the mac: a double-submit token), and only when the token
is old enough to have been typed by a person and young enough to be this visit's.

It costs one HMAC per page view, where a signed session cookie and two serialised tokens cost
ten times more on the path that must be as fast as a static file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

COOKIE = "lp_form"
#: A token older than this was served to someone else, or left open too long.
MAX_AGE = 2 * 24 * 3600


@dataclass(frozen=True)
class TokenCheck:
    """The outcome of checking a posted token: its age in seconds, or what is wrong."""

    age: float | None
    problem: str | None  # "cookie" (missing), "invalid" (forged, garbled, expired)


def new_nonce() -> str:
    """A fresh random nonce for the form cookie."""
    return secrets.token_urlsafe(16)


def _mac(secret: str, nonce: str, millis: int) -> str:
    digest = hmac.new(secret.encode(), f"lead-form|{nonce}|{millis}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode()


def issue(secret: str, nonce: str, now: float | None = None) -> str:
    """A token for the form served now to the browser holding `nonce`."""
    millis = int((time.time() if now is None else now) * 1000)
    return f"{millis}.{_mac(secret, nonce, millis)}"


def check(secret: str, nonce: str | None, token: str, now: float | None = None) -> TokenCheck:
    """How old the token is, if it is genuine and made for this browser's nonce."""
    if not nonce:
        return TokenCheck(None, "cookie")
    token = token or ""
    if not token.isascii() or not nonce.isascii():
        return TokenCheck(None, "invalid")
    millis_text, _, mac = token.partition(".")
    if not millis_text.isdigit() or len(millis_text) > 15:
        return TokenCheck(None, "invalid")
    millis = int(millis_text)
    if not hmac.compare_digest(mac, _mac(secret, nonce, millis)):
        return TokenCheck(None, "invalid")
    age = (time.time() if now is None else now) - millis / 1000
    if age < -5 or age > MAX_AGE:
        return TokenCheck(None, "invalid")
    return TokenCheck(max(age, 0.0), None)
