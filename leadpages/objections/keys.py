"""Register keys: the keyed hash under which the register knows an identifier.

HMAC-SHA256 with LEADPAGES_REGISTER_KEY of `<kind>:<canonical form>` (DESIGN.md section 7), so
`Mary.Smith+ads@GoogleMail.com` and `marysmith@gmail.com` are one key, as are `0470 12 34 56`
and `+32 470 12 34 56`. Without the key, a hash cannot be tested against a guessed address.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

from leadpages.identifiers import canonical_email, canonical_phone


def _key() -> bytes:
    return str(current_app.config["REGISTER_KEY"]).encode()


def register_key(kind: str, canonical: str, secret: bytes | None = None) -> str:
    """The hex HMAC of one identifier already in canonical form."""
    message = f"{kind}:{canonical}".encode()
    return hmac.new(secret or _key(), message, hashlib.sha256).hexdigest()


def email_key(email: str) -> str:
    """The register key of an email address, in any spelling."""
    return register_key("email", canonical_email(email))


def phone_key(phone: str, region: str | None = None) -> str | None:
    """The register key of a phone number in any spelling, or None if it is not a number."""
    canonical = canonical_phone(phone, region or current_app.config["PHONE_REGION"])
    return register_key("phone", canonical) if canonical else None


def person_keys(email: str | None = None, phone: str | None = None) -> dict[str, str]:
    """{kind: key} for the identifiers given (a phone that is no number is left out)."""
    keys: dict[str, str] = {}
    if email:
        keys["email"] = email_key(email)
    if phone and (key := phone_key(phone)):
        keys["phone"] = key
    return keys
