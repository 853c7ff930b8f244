"""Links that carry a person's register keys: one-click objection and withdrawal confirmation.

They hold the keyed hashes only, never an address, and are signed with LEADPAGES_REGISTER_KEY
(which never changes), so a one-click link in a years-old email still works.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

ONE_CLICK_SALT = "one-click-objection"
WITHDRAWAL_SALT = "objection-withdrawal"
#: A withdrawal link works this long after it was sent.
WITHDRAWAL_SECONDS = 7 * 24 * 3600


def _secret() -> str:
    return str(current_app.config["REGISTER_KEY"])


def one_click_token(keys: dict[str, str]) -> str:
    """The token of `/u/<token>` for the person with these register keys."""
    return URLSafeSerializer(_secret(), salt=ONE_CLICK_SALT).dumps(_clean(keys))


def read_one_click_token(token: str) -> dict[str, str] | None:
    """The register keys in a one-click token, or None if it is not one of ours."""
    try:
        return _valid(URLSafeSerializer(_secret(), salt=ONE_CLICK_SALT).loads(token))
    except BadSignature:
        return None


def one_click_url(keys: dict[str, str]) -> str:
    """The absolute one-click objection address for an email to this person."""
    return f"{current_app.config['BASE_URL']}/u/{one_click_token(keys)}"


def list_unsubscribe_headers(keys: dict[str, str]) -> dict[str, str]:
    """RFC 2369 and RFC 8058 headers: mail clients show an unsubscribe button that POSTs."""
    return {"List-Unsubscribe": f"<{one_click_url(keys)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def withdrawal_token(keys: dict[str, str]) -> str:
    """The token of the emailed link that confirms withdrawing an objection."""
    return URLSafeTimedSerializer(_secret(), salt=WITHDRAWAL_SALT).dumps(_clean(keys))


def read_withdrawal_token(token: str) -> dict[str, str] | None:
    """The register keys in a withdrawal token, or None if it is not ours or has expired."""
    try:
        return _valid(URLSafeTimedSerializer(_secret(), salt=WITHDRAWAL_SALT)
                      .loads(token, max_age=WITHDRAWAL_SECONDS))
    except (BadSignature, SignatureExpired):
        return None


def _clean(keys: dict[str, str]) -> dict[str, str]:
    return {kind: key for kind, key in keys.items() if kind in ("email", "phone") and key}


def _valid(value: Any) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    keys = {k: v for k, v in value.items()
            if k in ("email", "phone") and isinstance(v, str) and len(v) == 64}
    return keys or None
