"""Sending one delivery: a signed webhook or an email, and what the answer means for retries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from flask import render_template
from flask_babel import force_locale

from leadpages.delivery.models import Delivery
from leadpages.mail.transport import MailError, build_message, send
from leadpages.partners.models import Partner
from leadpages.partners.services import SettingsError, check_webhook_url, signing_secrets

USER_AGENT = "Leadpages-Webhooks/1"
#: Statuses worth another try; every other 4xx (and any 3xx: redirects are not followed) is final.
RETRYABLE = frozenset({408, 429})


@dataclass(frozen=True)
class Outcome:
    """What one try came to."""

    delivered: bool
    #: Retrying cannot help (bad URL, 4xx, redirect, refused recipients).
    permanent: bool = False
    status_code: int | None = None
    error: str | None = None
    response_excerpt: str | None = None
    #: Seconds the receiver asked us to wait (Retry-After), if any.
    retry_after: float | None = None


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """A Standard Webhooks `v1,<base64 HMAC-SHA256>` signature of `<id>.<timestamp>.<body>`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def webhook_headers(partner: Partner, message_id: str, body: bytes,
                    now: float | None = None) -> dict[str, str]:
    """The headers of one webhook request; every current secret signs, side by side."""
    timestamp = int(time.time() if now is None else now)
    signatures = " ".join(sign(secret, message_id, timestamp, body)
                          for secret in signing_secrets(partner))
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date), if it says anything usable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def send_webhook(delivery: Delivery, partner: Partner, config: dict[str, Any]) -> Outcome:
    """POST the delivery's body to the partner's webhook; never follows a redirect."""
    if not partner.webhook_url:
        return Outcome(False, permanent=True, error="the partner has no webhook URL any more")
    try:
        url = check_webhook_url(partner.webhook_url,
                                require_https=config["ENV"] == "production",
                                allow_loopback=config["WEBHOOK_ALLOW_LOOPBACK"])
    except SettingsError as error:
        return Outcome(False, permanent=True, error=f"webhook URL refused: {error}")
    if not signing_secrets(partner):
        return Outcome(False, permanent=True, error="the partner has no signing secret")
    body = delivery.payload.encode()
    timeout = config["WEBHOOK_TIMEOUT_SECONDS"]
    with requests.Session() as client:
        client.trust_env = False  # no proxy or .netrc from the environment decides the route
        try:
            response = client.post(
                url, data=body, headers=webhook_headers(partner, delivery.message_id, body),
                timeout=(min(5.0, timeout), timeout), allow_redirects=False, stream=True,
            )
        except requests.Timeout:
            return Outcome(False, error=f"no answer within {timeout:g} s")
        except requests.RequestException as error:
            return Outcome(False, error=f"{type(error).__name__}: {error}"[:500])
        with response:
            return _judge(response)


def _judge(response: requests.Response) -> Outcome:
    """What the receiver's answer means: delivered, retry, or final refusal."""
    excerpt = _excerpt(response)
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(True, status_code=code, response_excerpt=excerpt)
    if 300 <= code < 400:
        return Outcome(False, permanent=True, status_code=code, response_excerpt=excerpt,
                       error=f"redirect to {response.headers.get('location')!r} not followed; "
                             "set the final address as the webhook URL")
    if code in RETRYABLE or code >= 500:
        return Outcome(False, status_code=code, response_excerpt=excerpt, error=f"HTTP {code}",
                       retry_after=retry_after_seconds(response.headers.get("retry-after")))
    return Outcome(False, permanent=True, status_code=code, response_excerpt=excerpt,
                   error=f"HTTP {code}: the receiver refused the message")


def _excerpt(response: requests.Response) -> str:
    # Read a little of the answer only: it is for diagnosis, and a receiver may send a lot.
    try:
        raw = next(response.iter_content(500), b"")
    except requests.RequestException:
        return ""
    return raw.decode("utf-8", "replace")[:500]


#: Events whose email has templates of its own (emails/<name>.txt and .html); the others carry
#: the whole lead (emails/lead.*).
EMAIL_TEMPLATES = {"lead.objected": "lead_objected"}


def lead_email(delivery: Delivery, partner: Partner, config: dict[str, Any]) -> Any:
    """The email carrying a lead event to the partner: every field, Reply-To the person.

    A `lead.objected` email names the lead and project only (the partner has the rest) and
    says what the arrangement asks of the partner now.
    """
    event = json.loads(delivery.payload)
    data = event["data"]
    template = EMAIL_TEMPLATES.get(event["type"], "lead")
    with force_locale("en"):
        context = {"event": event, "data": data, "partner": partner}
        text = render_template(f"emails/{template}.txt", **context)
        html = render_template(f"emails/{template}.html", **context)
    contact = data.get("contact") or {}
    short_id = str(data.get("id", ""))[:8]
    subject = {
        "lead.created": f"New request for {data.get('project', {}).get('title', '')}: "
                        f"{contact.get('first_name', '')} {contact.get('last_name', '')} "
                        f"[{short_id}]",
        "lead.objected": f"Objection: stop direct marketing to the person of lead [{short_id}]",
    }.get(event["type"], f"Leadpages: {event['type']}")
    return build_message(
        sender=config["MAIL_FROM"], to=list(partner.email_recipients), subject=subject.strip(),
        text=text, html=html, reply_to=contact.get("email"),
        headers={"X-Leadpages-Message-Id": delivery.message_id},
        message_id=delivery.message_id,
    )


def send_email(delivery: Delivery, partner: Partner, config: dict[str, Any]) -> Outcome:
    """Email the delivery to the partner's recipients."""
    if not partner.email_recipients:
        return Outcome(False, permanent=True, error="the partner has no email recipients any more")
    try:
        send(lead_email(delivery, partner, config), config)
    except MailError as error:
        return Outcome(False, permanent=error.permanent, error=str(error))
    return Outcome(True)
