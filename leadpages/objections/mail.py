"""The emails the objection register sends to a person: the confirmation and the withdrawal link.

Each is rendered in the language of the page the person used and, like every email to a person,
carries the one-click objection link in its body and in the List-Unsubscribe headers (RFC 8058),
so a mail client's own unsubscribe button works too. They hold no image and load nothing.
Rendering only: the caller queues the result with leadpages.mail.services.queue_email in the
transaction that decided to send it. Needs a request context (the links are built with url_for).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from flask import current_app, render_template, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from leadpages.objections import links
from leadpages.objections.forms import SCOPE_CHOICES, SCOPE_EFFECTS
from leadpages.objections.links import WITHDRAWAL_SECONDS


class PersonEmail(TypedDict):
    """An email ready for queue_email(session, **email)."""

    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]


def _absolute(endpoint: str, **values: Any) -> str:
    return str(current_app.config["BASE_URL"]) + url_for(endpoint, **values)


def one_click_link(keys: dict[str, str], lang: str) -> str:
    """The one-click link for an email's body: the page then opens in the email's language."""
    return f"{links.one_click_url(keys)}?lang={lang}"


def _render(name: str, lang: str, to: str, subject: str, keys: dict[str, str],
            **context: Any) -> PersonEmail:
    context.update(lang=lang, one_click_url=one_click_link(keys, lang))
    return PersonEmail(
        to=to, subject=subject,
        text=render_template(f"emails/{name}.txt", **context),
        html=render_template(f"emails/{name}.html", **context),
        headers=links.list_unsubscribe_headers(keys),
    )


def confirmation_email(*, to: str, lang: str, scope: str, keys: dict[str, str],
                       with_phone: bool, at: datetime) -> PersonEmail:
    """What was recorded, when, what happens now, and where to withdraw it."""
    with force_locale(lang):
        return _render(
            "objection_recorded", lang, to, _("Your objection is recorded"), keys,
            scope_label=str(dict(SCOPE_CHOICES)[scope]), effect=str(SCOPE_EFFECTS[scope]),
            ads=scope in ("ads", "all"), with_phone=with_phone,
            recorded_on=format_date(at, "long"),
            withdraw_url=_absolute("objections.withdraw_page", lang=lang),
        )


def withdrawal_email(*, to: str, lang: str, keys: dict[str, str]) -> PersonEmail:
    """The link that confirms withdrawing the objection recorded for this address."""
    with force_locale(lang):
        return _render(
            "objection_withdrawal", lang, to, _("Confirm withdrawing your objection"), keys,
            confirm_url=_absolute("objections.withdraw_confirm_page", lang=lang,
                                  token=links.withdrawal_token(keys)),
            days=WITHDRAWAL_SECONDS // 86400,
        )
