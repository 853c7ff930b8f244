"""Who is calling: the partner's API key from `Authorization: Bearer <key>`, and its rate limit."""

from __future__ import annotations

from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from leadpages.accounts import apikeys
from leadpages.accounts.models import ApiKey
from leadpages.api.errors import ApiError
from leadpages.db import begin_write
from leadpages.extensions import db

#: Requests per key unless LEADPAGES_RATELIMIT_API (config key RATELIMIT_API) says otherwise.
DEFAULT_RATE = "120 per minute"
REALM = 'Bearer realm="Leadpages API"'


def _bearer_token() -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None for anything else."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    # The scheme name is case-insensitive (RFC 9110, section 11.1).
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_key() -> ApiKey | None:
    """The active key this request carries (its use recorded), or None; looked up once."""
    if "api_key" not in g:
        token = _bearer_token()
        key: ApiKey | None = None
        if token:
            # A read: an unknown or revoked key, and a key whose use was recorded within the
            # minute, never take the write lock (SQLite has one writer at a time).
            key = apikeys.find_key(db.session, token)
            if key is not None and apikeys.use_to_record(key):
                # Recording the use is a short write of its own, committed at once: the reads
                # that follow hold no write lock, and a request that fails later still counts.
                # The read phase ends first, or begin_write would join its transaction.
                db.session.commit()
                begin_write(db.session)
                key = apikeys.record_use(db.session, key)
                db.session.commit()
        g.api_key = key
    found: ApiKey | None = g.api_key
    return found


def require_key() -> ApiKey:
    """The request's key, or a 401 that tells the client how to authenticate."""
    key = current_key()
    if key is not None:
        return key
    if "Authorization" not in request.headers:
        raise ApiError(401, "unauthorized",
                       "Send your API key as 'Authorization: Bearer <key>'.",
                       headers={"WWW-Authenticate": REALM})
    raise ApiError(401, "unauthorized",
                   "This API key is not valid: it is unknown, revoked or not sent as "
                   "'Authorization: Bearer <key>'.",
                   headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})


def rate_limit() -> str:
    """The per-key limit, read per request so that a deployment (or a test) can set it."""
    value: str = current_app.config.get("RATELIMIT_API") or DEFAULT_RATE
    return value


def rate_limit_key() -> str:
    """One bucket per API key; requests without a valid key share one per client address."""
    key = current_key()
    return f"api-key:{key.id}" if key is not None else f"api-addr:{get_remote_address()}"
