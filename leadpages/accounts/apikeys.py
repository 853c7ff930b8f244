"""API keys: issued once in clear, stored as a hash, named, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpages.accounts.models import ApiKey
from leadpages.db import utcnow
from leadpages.partners.models import Partner

KEY_PREFIX = "lp_"


class ApiKeyError(ValueError):
    """A key cannot be issued or revoked as asked."""


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(session: Session, partner: Partner, name: str) -> tuple[ApiKey, str]:
    """A new key for `partner`: the row, and the key itself, to show once and never again."""
    name = name.strip()
    if not name or len(name) > 80:
        raise ApiKeyError("give the key a name of 1 to 80 characters")
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(partner_id=partner.id, partner=partner, name=name, prefix=plain[:10],
                 key_hash=_hash(plain))
    session.add(key)
    session.flush()
    return key, plain


#: How often a key's use is recorded at most: a read-only API call should not always be a write.
USE_RECORD_INTERVAL = timedelta(minutes=1)


def find_key(session: Session, plain: str) -> ApiKey | None:
    """The active key matching `plain`, or None for anything else; reads only."""
    if not plain.startswith(KEY_PREFIX) or len(plain) > 100:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == _hash(plain)))
    if key is None or not key.is_active:
        return None
    return key


def use_to_record(key: ApiKey, now: datetime | None = None) -> bool:
    """Whether this use of `key` is to be written down (it was last recorded over a minute ago)."""
    now = now or utcnow()
    return key.last_used_at is None or now - key.last_used_at > USE_RECORD_INTERVAL


def record_use(session: Session, key: ApiKey, now: datetime | None = None) -> ApiKey | None:
    """Write down that `key` is used now; None if it was revoked since it was found.

    Quick, for a short write transaction of its own: the key is read again (locked), so a
    revocation in between is seen and another request's recording is not repeated.
    """
    now = now or utcnow()
    current = session.get(ApiKey, key.id, with_for_update=True, populate_existing=True)
    if current is None or not current.is_active:
        return None
    if use_to_record(current, now):
        current.last_used_at = now
        session.flush()
    return current


def authenticate(session: Session, plain: str) -> ApiKey | None:
    """The active key matching `plain`, with its use recorded; None for anything else.

    One transaction that may write; the API runs find_key in a read and record_use in a short
    write of its own, only when use_to_record says so.
    """
    key = find_key(session, plain)
    if key is None or not use_to_record(key):
        return key
    return record_use(session, key)


def revoke_key(session: Session, key: ApiKey) -> None:
    """Stop a key from working, at once and for good."""
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    session.flush()


def partner_keys(session: Session, partner_id: int) -> list[ApiKey]:
    """A partner's keys, newest first, revoked ones included (for the record)."""
    return list(session.scalars(
        select(ApiKey).where(ApiKey.partner_id == partner_id).order_by(ApiKey.id.desc())))


def get_partner_key(session: Session, partner_id: int, key_id: int) -> ApiKey | None:
    """One of the partner's own keys, or None (another partner's key does not exist for it)."""
    return session.scalar(select(ApiKey).where(ApiKey.id == key_id,
                                               ApiKey.partner_id == partner_id))
