"""A partner's delivery settings: webhook address and signing secrets, email recipients."""

from __future__ import annotations

import base64
import ipaddress
import re
import secrets
import socket
import unicodedata
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpages.db import utcnow
from leadpages.errors import FieldError
from leadpages.media.images import ImageRejected, store_logo
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
    """A delivery setting was refused; the message says what to change.

    Its message is translatable: str(error) reads in the locale in force when it is shown (the
    reader's in the portal and the workspace, English in the worker's delivery errors).
    """


def check_webhook_url(url: str, *, require_https: bool, allow_loopback: bool) -> str:
    """The URL if a webhook may be sent there, else SettingsError saying why.

    Only public addresses, so a partner's setting can never make our worker reach into our own
    network; checked when the URL is saved and again at every send (DNS can change).
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SettingsError(_l("enter a full address starting with https://"))
    if parts.scheme != "https" and require_https:
        raise SettingsError(_l("the address must start with https://"))
    if parts.username or parts.password:
        raise SettingsError(_l("the address must not contain a user name or password"))
    if len(url) > 500:
        raise SettingsError(_l("the address must be at most %(limit)d characters", limit=500))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise SettingsError(_l("the port must be a number from 1 to 65535")) from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise SettingsError(_l("the host %(host)s cannot be found",
                               host=parts.hostname)) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if isinstance(address, ipaddress.IPv6Address):
            # IPv4 carried inside IPv6 is judged as the IPv4 address it carries.
            address = address.ipv4_mapped or address.sixtofour or address
            if address in NAT64:
                raise SettingsError(_l("the host %(host)s is not a public address",
                                       host=parts.hostname))
        if address.is_loopback and allow_loopback:
            continue
        if not address.is_global:
            raise SettingsError(_l("the host %(host)s is not a public address",
                                   host=parts.hostname))
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
    partner.email_recipients = check_email_recipients(addresses)
    session.flush()


def check_email_recipients(addresses: list[str]) -> list[str]:
    """The addresses trimmed, without blanks and repeats, or SettingsError (at most 10)."""
    cleaned: list[str] = []
    for address in addresses:
        address = address.strip()
        if not address:
            continue
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            raise SettingsError(_l("%(address)s is not a valid email address",
                                   address=address)) from None
        if address.lower() not in (a.lower() for a in cleaned):
            cleaned.append(address)
    if len(cleaned) > 10:
        raise SettingsError(_l("at most %(limit)d addresses", limit=10))
    return cleaned


# Creating and editing partners (the staff workspace).


class PartnerError(FieldError):
    """A partner cannot be saved as asked; `field` names the input to fix."""


SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX = 64
#: The text fields of a partner with their column's limit, and whether they may stay empty.
TEXT_FIELDS: dict[str, tuple[int, bool]] = {
    "legal_name": (200, True), "enterprise_number": (40, True), "address": (300, True),
    "contact_name": (120, True), "contact_phone": (20, False),
}
EMAIL_FIELDS = ("contact_email", "privacy_email")
#: Everything a partner form gives, besides the logo.
PARTNER_FIELDS = ("slug", "legal_name", "enterprise_number", "address", "website",
                  "contact_name", "contact_email", "contact_phone", "privacy_email",
                  "webhook_url", "email_recipients")


def check_slug(slug: str) -> str:
    """The slug if it is lower-case letters, digits and single hyphens, else PartnerError."""
    value = slug.strip()
    if not value:
        raise PartnerError("slug", _l("Fill in this field."))
    if len(value) > SLUG_MAX:
        raise PartnerError("slug", _l("Use at most %(limit)d characters.", limit=SLUG_MAX))
    if not SLUG_PATTERN.fullmatch(value):
        raise PartnerError("slug", _l("Use lower-case letters, digits and hyphens only, such "
                                      "as “bouw-janssens”."))
    return value


def check_slug_available(session: Session, slug: str, partner: Partner | None = None) -> str:
    """The checked slug if no other partner has it, else PartnerError."""
    value = check_slug(slug)
    owner = session.scalar(select(Partner.id).where(Partner.slug == value))
    if owner is not None and (partner is None or owner != partner.id):
        raise PartnerError("slug", _l("Another partner already has this short name."))
    return value


def _check_text(field: str, value: str | None) -> str | None:
    limit, required = TEXT_FIELDS[field]
    text = (value or "").strip()
    if not text:
        if required:
            raise PartnerError(field, _l("Fill in this field."))
        return None
    if len(text) > limit:
        raise PartnerError(field, _l("Use at most %(limit)d characters.", limit=limit))
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in text.replace("\n", " ")):
        raise PartnerError(field, _l("Remove the special or invisible characters."))
    return text


def check_partner_email(field: str, value: str | None) -> str:
    """A contact address, trimmed, or PartnerError."""
    text = (value or "").strip()
    if not text:
        raise PartnerError(field, _l("Fill in this field."))
    if len(text) > 254:
        raise PartnerError(field, _l("Use at most %(limit)d characters.", limit=254))
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise PartnerError(field, _l("Enter a valid email address, such as "
                                     "name@example.com.")) from None
    return text


def check_website(value: str | None) -> str | None:
    """The partner's website (http or https), None when empty, else PartnerError."""
    text = (value or "").strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in text:
        raise PartnerError("website", _l("Enter a full address starting with https://."))
    if len(text) > 300:
        raise PartnerError("website", _l("Use at most %(limit)d characters.", limit=300))
    return text


def check_partner(session: Session, fields: dict[str, Any], *, partner: Partner | None = None,
                  require_https: bool, allow_loopback: bool) -> dict[str, Any]:
    """The partner's fields cleaned, or PartnerError naming the first one to fix.

    Reads only, and may be slow (the webhook check looks up DNS): a view runs it before its
    write phase and hands what it returns to create_partner or update_partner, which check
    again only what may have changed meanwhile (is the slug still free?).
    """
    cleaned: dict[str, Any] = {"slug": check_slug_available(session, fields.get("slug") or "",
                                                            partner)}
    for field in TEXT_FIELDS:
        cleaned[field] = _check_text(field, fields.get(field))
    for field in EMAIL_FIELDS:
        cleaned[field] = check_partner_email(field, fields.get(field))
    cleaned["website"] = check_website(fields.get("website"))
    url = (fields.get("webhook_url") or "").strip()
    try:
        cleaned["webhook_url"] = (check_webhook_url(url, require_https=require_https,
                                                    allow_loopback=allow_loopback)
                                  if url else None)
    except SettingsError as error:
        raise PartnerError("webhook_url", error.args[0]) from None
    try:
        cleaned["email_recipients"] = check_email_recipients(
            list(fields.get("email_recipients") or []))
    except SettingsError as error:
        raise PartnerError("email_recipients", error.args[0]) from None
    return cleaned


def store_partner_logo(data: bytes, upload_path: str) -> str:
    """Re-encode an uploaded logo and store it; its file name, or PartnerError saying why not.

    Slow (image decoding): a view runs it before its write phase. The file is content-addressed,
    so storing the same logo twice writes it once.
    """
    try:
        return store_logo(data, upload_path)
    except ImageRejected as error:
        raise PartnerError("logo", LOGO_MESSAGES.get(error.reason, str(error))) from None


#: What a person reads when a logo is refused, by ImageRejected.reason.
LOGO_MESSAGES: dict[str, Any] = {
    "not_image": _l("The file is not an image; use a PNG, JPEG or WebP file."),
    "unsupported": _l("This image format is not supported; use a PNG, JPEG or WebP file."),
    "too_large": _l("The image has too many pixels; use a smaller one."),
    "too_small": _l("The logo is too small; it must be at least 100 pixels long and 20 pixels "
                    "high."),
    "corrupt": _l("The image file is damaged or incomplete."),
}


def create_partner(session: Session, cleaned: dict[str, Any], logo: str | None = None
                   ) -> Partner:
    """A new partner from fields checked by check_partner; flushed, or PartnerError.

    A webhook URL comes with its first signing secret.
    """
    check_slug_available(session, cleaned["slug"])
    partner = Partner(**cleaned, logo=logo, webhook_secrets=[])
    session.add(partner)
    session.flush()
    if partner.webhook_url:
        rotate_webhook_secret(session, partner)
    return partner


def update_partner(session: Session, partner: Partner, cleaned: dict[str, Any],
                   logo: str | None = None) -> Partner:
    """Change a partner's fields, checked by check_partner (a new logo only if given); flushed.

    A first webhook URL comes with its signing secret; a webhook URL emptied stops webhooks.
    PartnerError if the slug was taken meanwhile.
    """
    check_slug_available(session, cleaned["slug"], partner)
    for name, value in cleaned.items():
        setattr(partner, name, value)
    if logo is not None:
        partner.logo = logo
    session.flush()
    if partner.webhook_url and not partner.webhook_secrets:
        rotate_webhook_secret(session, partner)
    return partner
