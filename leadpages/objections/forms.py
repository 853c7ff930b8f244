"""The objection page's forms: object (email and/or phone, and to what), and ask to withdraw.

They reuse the lead form's validators, so an address or number is read the same way on every
page, with the same messages in the visitor's language. Neither form carries a CSRF token or
sets a cookie: these pages act with no one's authority (no session, no sign-in), so a post
forged by another site could do nothing its author could not do by posting directly; the views
refuse cross-site posts by the browser's own Origin and Sec-Fetch-Site headers instead.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice

from leadpages.leads.forms import (
    TEXT,
    EmailAddress,
    MaxLength,
    Optional,
    PhoneNumber,
    PlainText,
    Required,
)
from leadpages.web.forms import Form

#: The choices of the page, in its order; `all` is the default and the widest.
SCOPE_CHOICES = (
    ("all", _l("All direct marketing: no ads and no emails about similar projects")),
    ("ads", _l("Only ads about similar projects")),
    ("marketing-email", _l("Only emails about similar projects")),
)

#: What each scope means for the person, for the confirmation page and email.
SCOPE_EFFECTS = {
    "all": _l("We no longer show you ads about similar projects, send you no emails about "
              "similar projects, and no longer sort your requests into categories for that."),
    "ads": _l("We no longer show you ads about similar projects, and no longer sort your "
              "requests into categories for them."),
    "marketing-email": _l("We send you no emails about similar projects, and no longer sort "
                          "your requests into categories for them."),
}


class _BotTrap(Form):
    """The shared parts: no Flask-WTF token (see the module's note) and a honeypot."""

    class Meta:
        csrf = False

    #: Honeypot: hidden from people (and screen readers), filled by naive robots.
    website = StringField(_l("Leave this field empty"),
                          render_kw={"autocomplete": "off", "tabindex": "-1"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.form_errors: list[str] = []

    @property
    def has_errors(self) -> bool:
        return bool(self.form_errors) or any(field.errors for field in self)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.website.data:
            self.form_errors.append(str(_l(
                "We could not accept this form. Check your details and send it again.")))
            self.website.data = ""
            valid = False
        return valid


class ObjectionForm(_BotTrap):
    """Object to direct marketing: an email address, a phone number or both, and a scope."""

    email = StringField(_l("Email"), [Optional(), MaxLength(254), PlainText(), EmailAddress()],
                        **TEXT, render_kw={"autocomplete": "email", "type": "email",
                                           "inputmode": "email"})
    phone = StringField(_l("Phone"), [Optional(), MaxLength(32), PlainText(), PhoneNumber()],
                        **TEXT, render_kw={"autocomplete": "tel", "type": "tel",
                                           "inputmode": "tel"})
    scope = RadioField(_l("What do you object to?"), default="all", validate_choice=False,
                       choices=[SelectChoice(value, label) for value, label in SCOPE_CHOICES])

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, then: at least one identifier, and one of the offered scopes."""
        valid = super().validate(extra_validators)
        if not self.email.data and not self.phone.data and not (
                self.email.errors or self.phone.errors):
            self.email.errors = [str(_l(
                "Fill in your email address or your phone number, or both."))]
            valid = False
        if self.scope.data not in {value for value, _label in SCOPE_CHOICES}:
            self.scope.errors = [str(_l("Choose one of the options."))]
            self.scope.data = "all"
            valid = False
        return valid


class WithdrawalForm(_BotTrap):
    """Ask for the link that withdraws an objection: it goes to this address only."""

    email = StringField(_l("Email"), [Required(), MaxLength(254), PlainText(), EmailAddress()],
                        **TEXT, render_kw={"autocomplete": "email", "type": "email",
                                           "inputmode": "email"})
