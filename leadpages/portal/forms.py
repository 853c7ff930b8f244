"""The portal's forms: sign-in and password reset, list filters, and delivery settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, Field, HiddenField, PasswordField, SelectField, StringField
from wtforms import Form as BaseForm
from wtforms.fields import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from leadpages.accounts import services as accounts
from leadpages.delivery.models import DELIVERY_STATUSES
from leadpages.web.forms import REQUIRED, STRIP, Form, ServiceCheck


class SignInForm(Form):
    """Email address and password."""

    email = StringField(_l("Email address"), [DataRequired(REQUIRED), Length(max=254)], **STRIP,
                        render_kw={"autocomplete": "username", "type": "email",
                                   "inputmode": "email", "spellcheck": "false"})
    password = PasswordField(_l("Password"), [DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "current-password"})
    #: The portal page asked for before sign-in, checked again before it is used.
    next = HiddenField()


class ForgotPasswordForm(Form):
    """The address to send a reset link to."""

    email = StringField(_l("Email address"), [DataRequired(REQUIRED),
                                              ServiceCheck(accounts.check_email)], **STRIP,
                        render_kw={"autocomplete": "username", "type": "email",
                                   "inputmode": "email", "spellcheck": "false"})


class ResetPasswordForm(Form):
    """A new password, twice."""

    password = PasswordField(_l("New password"), [DataRequired(REQUIRED),
                                                  ServiceCheck(accounts.check_password)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), [
        DataRequired(REQUIRED), EqualTo("password", _l("The two passwords are not the same.")),
    ], render_kw={"autocomplete": "new-password"})


class FilterForm(Form):
    """Base of the GET filter forms: no CSRF token (they change nothing), read from the query."""

    class Meta:
        csrf = False

    @property
    def has_errors(self) -> bool:
        return any(field.errors for field in self)


#: How each delivery status is named to partners, in filters and lists.
STATUS_LABELS = {"pending": _l("Waiting to be sent"), "delivered": _l("Delivered"),
                 "dead": _l("Dead letter")}


def _status_choices(any_label: Any) -> list[SelectChoice]:
    return [SelectChoice("", any_label),
            *(SelectChoice(status, STATUS_LABELS[status]) for status in DELIVERY_STATUSES)]


#: The dates a filter may name: any lead's, with room on both sides, and far from the limits of
#: Python's dates (9999-12-31 plus a day does not exist).
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2999, 12, 31)


class DateRange:
    """A date from FIRST_DATE to LAST_DATE."""

    def __call__(self, form: BaseForm, field: Field) -> None:
        if field.data is not None and not FIRST_DATE <= field.data <= LAST_DATE:
            raise ValidationError(_l("Choose a date from %(first)s to %(last)s.",
                                     first=FIRST_DATE.isoformat(), last=LAST_DATE.isoformat()))


class LeadFilterForm(FilterForm):
    """Search and filters of the lead list and its CSV export."""

    q = StringField(_l("Search"), [Optional(), Length(max=100)], **STRIP,
                    description=_l("Part of a name, an email address or a phone number."),
                    render_kw={"type": "search"})
    project = SelectField(_l("Project"), choices=[SelectChoice("", _l("All projects"))],
                          default="")
    since = DateField(_l("Received from"), [Optional(), DateRange()],
                      description=_l("Dates are in UTC."))
    until = DateField(_l("Received until"), [Optional(), DateRange()])
    status = SelectField(_l("Delivery state"), choices=_status_choices(_l("Any state")),
                         default="")

    def __init__(self, *args: Any, projects: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project.choices = [SelectChoice("", _l("All projects")),
                                *(SelectChoice(slug, title) for slug, title in projects)]

    def validate_until(self, field: Field) -> None:
        if field.errors or self.since.errors:
            return
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("Choose a date on or after the first date."))

    def query_arguments(self) -> dict[str, Any]:
        """The filters as partner_leads_query takes them (the end date is inclusive)."""
        return {
            "search": self.q.data or None,
            "project_slug": self.project.data or None,
            "since": _start_of(self.since.data) if self.since.data else None,
            "until": _start_of(self.until.data + timedelta(days=1)) if self.until.data else None,
            "delivery_status": self.status.data or None,
        }

    def query_string(self) -> dict[str, str]:
        """The filters as URL arguments, for paging and the export link."""
        values = {"q": self.q.data, "project": self.project.data, "status": self.status.data,
                  "since": self.since.data.isoformat() if self.since.data else "",
                  "until": self.until.data.isoformat() if self.until.data else ""}
        return {key: value for key, value in values.items() if value}


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class DeliveryFilterForm(FilterForm):
    """The status filter of the delivery log."""

    status = SelectField(_l("Status"), choices=_status_choices(_l("All")), default="")


class WebhookForm(Form):
    """The address webhooks are sent to; empty turns the webhook off."""

    url = StringField(_l("Webhook address"), [Optional(), Length(max=500)], **STRIP,
                      description=_l("A full address such as https://crm.example.com/hooks/leads. "
                                     "Leave empty to stop sending webhooks."),
                      render_kw={"type": "url", "inputmode": "url", "spellcheck": "false"})


class RecipientsForm(Form):
    """The addresses that receive each lead by email, one per line."""

    recipients = TextAreaField(_l("Email recipients"), [Optional(), Length(max=3000)],
                               description=_l("One address per line, at most 10. Leave empty to "
                                              "stop sending leads by email."),
                               render_kw={"rows": 6, "spellcheck": "false"})

    def addresses(self) -> list[str]:
        """The lines of the field, without blank ones."""
        return [line.strip() for line in (self.recipients.data or "").splitlines()
                if line.strip()]


class ApiKeyForm(Form):
    """A name for a new API key."""

    name = StringField(_l("Name of the key"), [DataRequired(REQUIRED), Length(max=80)], **STRIP,
                       description=_l("What the key is for, such as “CRM sync”."))
