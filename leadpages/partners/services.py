"""A partner's delivery settings: webhook address and signing secrets, email recipients."""

from __future__ import annotations

import base64
import ipaddress
import secrets
import socket
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from leadpages.db import utcnow
from leadpages.partners.models import Partner

NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: How long the previous secret keeps signing after a rotation, so the partner can switch.
ROTATION_OVERLAP = timedelta(hours=24)


def new_webhook_secret() -> str:
    """A fresh secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _live(partner: Partner, now: datetime) -> list[dict[str, str | None]]:
    """The partner's secret entries that have not expired, oldest first."""
    return [entry for entry in partner.webhook_secrets or []
            if entry.get("expires_at") is None
            or datetime.fromisoformat(entry["expires_at"] or "") > now]


def signing_secrets(partner: Partner, now: datetime | None = None) -> list[str]:
    """The secrets that sign messages now: the newest, and the previous one until it expires."""
    return [entry["secret"] or "" for entry in reversed(_live(partner, now or utcnow()))]


def rotate_webhook_secret(session: Session, partner: Partner) -> str:
    """Issue a new secret (returned once, to show once); the last one signs for 24 more hours.

    Only the newest previous secret is kept: rotating twice in a row ends the older one at once,
    so the signature header never grows beyond two signatures.
    """
    now = utcnow()
    previous = _live(partner, now)[-1:]
    kept = [{**entry, "expires_at": entry.get("expires_at") or (now + ROTATION_OVERLAP).isoformat()}
            for entry in previous]
    secret = new_webhook_secret()
    partner.webhook_secrets = [*kept, {"secret": secret, "created_at": now.isoformat(),
                                       "expires_at": None}]
    session.flush()
    return secret


class SettingsError(ValueError):
    """A delivery setting was refused; the message says what to change."""


def check_webhook_url(url: str, *, require_https: bool, allow_loopback: bool) -> str:
    """The URL if a webhook may be sent there, else SettingsError saying why.

    Only public addresses, so a partner's setting can never make our worker reach into our own
    network; checked when the URL is saved and again at every send (DNS can change).
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SettingsError("enter a full address starting with https://")
    if parts.scheme != "https" and require_https:
        raise SettingsError("the address must start with https://")
    if parts.username or parts.password:
        raise SettingsError("the address must not contain a user name or password")
    if len(url) > 500:
        raise SettingsError("the address must be at most 500 characters")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise SettingsError("the port must be a number from 1 to 65535") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise SettingsError(f"the host {parts.hostname} cannot be found") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if isinstance(address, ipaddress.IPv6Address):
            # IPv4 carried inside IPv6 is judged as the IPv4 address it carries.
            address = address.ipv4_mapped or address.sixtofour or address
            if address in NAT64:
                raise SettingsError(f"the host {parts.hostname} is not a public address")
        if address.is_loopback and allow_loopback:
            continue
        if not address.is_global:
            raise SettingsError(f"the host {parts.hostname} is not a public address")
    return url.strip()


def set_webhook_url(session: Session, partner: Partner, url: str | None, *,
                    require_https: bool, allow_loopback: bool) -> None:
    """Save (or clear, with None or empty) the webhook URL; a first URL gets a secret."""
    if not url or not url.strip():
        partner.webhook_url = None
    else:
        partner.webhook_url = check_webhook_url(url, require_https=require_https,
                                                allow_loopback=allow_loopback)
        if not partner.webhook_secrets:
            rotate_webhook_secret(session, partner)
    session.flush()


def set_email_recipients(session: Session, partner: Partner, addresses: list[str]) -> None:
    """Save the addresses that receive leads by email (at most 10)."""
    cleaned: list[str] = []
    for address in addresses:
        address = address.strip()
        if not address:
            continue
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            raise SettingsError(f"{address} is not a valid email address") from None
        if address.lower() not in (a.lower() for a in cleaned):
            cleaned.append(address)
    if len(cleaned) > 10:
        raise SettingsError("at most 10 addresses")
    partner.email_recipients = cleaned
    session.flush()
