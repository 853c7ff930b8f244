"""Handing a finished email to the mail server, or to the file sink of the embedded default."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.policy import default
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any


class MailError(Exception):
    """The message could not be handed over; `permanent` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def build_message(*, sender: str, to: list[str], subject: str, text: str,
                  html: str | None = None, reply_to: str | None = None,
                  headers: dict[str, str] | None = None,
                  message_id: str | None = None) -> EmailMessage:
    """A plain-text email with an optional HTML alternative; no tracking of any kind.

    `message_id` (a stable id) makes every retry of one message carry the same Message-ID, so a
    mail client shows a repeat as the same message, never as a second one.
    """
    # Headers may be 998 characters long (RFC 5322). At the default 78, Python would write a
    # long one-click address as RFC 2047 encoded words, which mail clients do not read back
    # inside List-Unsubscribe, and their unsubscribe button would not appear.
    message = EmailMessage(policy=default.clone(max_line_length=998))
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1].rstrip(">")
    message["Message-ID"] = f"<{message_id}@{domain}>" if message_id else make_msgid(domain=domain)
    if reply_to:
        message["Reply-To"] = reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def send(message: EmailMessage, config: dict[str, Any]) -> None:
    """Send over SMTP as configured, or write an .eml file when no SMTP host is set."""
    if not config["SMTP_HOST"]:
        folder = Path(config["INSTANCE_PATH"]) / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{uuid.uuid4().hex}.eml"
        temporary = target.with_suffix(".tmp")
        temporary.write_bytes(message.as_bytes())
        temporary.replace(target)
        return
    security = config["SMTP_SECURITY"]
    timeout = config["WEBHOOK_TIMEOUT_SECONDS"]
    try:
        if security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config["SMTP_HOST"], config["SMTP_PORT"], timeout=timeout,
                context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=timeout)
        with client:
            if security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if config["SMTP_USERNAME"]:
                client.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        raise MailError(f"recipients refused: {error.recipients}", permanent=True) from None
    except smtplib.SMTPResponseException as error:
        # 5xx answers are final (bad address, message refused); 4xx are worth another try.
        raise MailError(f"SMTP {error.smtp_code}: {error.smtp_error!r}",
                        permanent=500 <= error.smtp_code < 600) from None
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"{type(error).__name__}: {error}") from None
