"""Forms of the leads and privacy screens: lead search, the register, audiences, mailings."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import Form as PlainForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from leadpages.admin.blueprint import MAX_ID
from leadpages.admin.forms import REQUIRED, STRIP, ServiceCheck
from leadpages.audiences import services as audiences
from leadpages.audiences.models import PLATFORMS
from leadpages.leads.models import LEAD_STATUSES
from leadpages.web.forms import Form

#: Identifier fields: the typed value is used to compute a register key, never kept.
EMAIL_ATTRS = {"type": "email", "autocomplete": "off", "spellcheck": "false",
               "inputmode": "email"}
PHONE_ATTRS = {"type": "tel", "autocomplete": "off", "inputmode": "tel"}


def _int_or_none(value: Any) -> int | None:
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    # A larger id names nothing, and the database could not even bind it.
    return number if number is not None and 1 <= number <= MAX_ID else None


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LeadSearchForm(PlainForm):
    """The lead search (sent by POST so that what is typed stays out of addresses)."""

    email = StringField(_l("Email address"), [Optional(), Length(max=254)], **STRIP,
                        render_kw=EMAIL_ATTRS)
    phone = StringField(_l("Phone number"), [Optional(), Length(max=32)], **STRIP,
                        render_kw=PHONE_ATTRS)
    name = StringField(_l("Name contains"), [Optional(), Length(max=100)], **STRIP)
    project = SelectField(_l("Project"), coerce=_int_or_none, validate_choice=False)
    partner = SelectField(_l("Partner"), coerce=_int_or_none, validate_choice=False)
    status = SelectField(_l("Status"), default="", choices=[SelectChoice("", _l("Any")),
                                                *[SelectChoice(s) for s in LEAD_STATUSES]])
    created_from = DateField(_l("Captured from"), [Optional()])
    created_to = DateField(_l("Captured until"), [Optional()])


class RegisterLookupForm(Form):
    """An email address and/or phone number to look up in the register (sent by POST, so
    that the value never appears in a URL or an access log)."""

    email = StringField(_l("Email address"), [Length(max=254)], **STRIP, render_kw=EMAIL_ATTRS)
    phone = StringField(_l("Phone number"), [Length(max=32)], **STRIP, render_kw=PHONE_ATTRS)


class ObjectionForm(Form):
    """An objection received by letter or call, entered by staff."""

    email = StringField(_l("Email address"), [Length(max=254)], **STRIP, render_kw=EMAIL_ATTRS)
    phone = StringField(_l("Phone number"), [Length(max=32)], **STRIP, render_kw=PHONE_ATTRS)
    scope = SelectField(_l("Objects to"), choices=[
        SelectChoice("all", _l("All direct marketing (ads, emails, categorising)")),
        SelectChoice("ads", _l("Ads only")),
        SelectChoice("marketing-email", _l("Emails about similar projects only"))],
        default="all", validate_choice=True)
    note = TextAreaField(_l("Where it came from"), [DataRequired(REQUIRED), Length(max=150)],
                         **STRIP, description=_l('For example "letter of 2026-11-20". Never the '
                                                 'email address or phone number itself.'),
                         render_kw={"rows": 2})


class AudienceForm(Form):
    """A new audience."""

    name = StringField(_l("Name"), [DataRequired(REQUIRED), ServiceCheck(audiences.check_name)],
                       **STRIP, description=_l("Shown on the ad platform: name the kind of "
                                               "property, never a trait of the people."))
    categories = CheckboxesField(_l("Categories"), [DataRequired(_l("Choose at least one "
                                                                    "category."))])
    window_days = IntegerField(_l("Leads of the last (days)"), [
        InputRequired(REQUIRED), NumberRange(1, audiences.MAX_WINDOW_DAYS)], default=180)
    platform = SelectField(_l("Platform"), choices=[SelectChoice(p) for p in PLATFORMS])
    min_size = IntegerField(_l("Minimum size"), [InputRequired(REQUIRED),
                                                 NumberRange(1, 10_000_000)],
                            default=audiences.DEFAULT_MIN_SIZE,
                            description=_l("Fewer people than this and no upload file is "
                                           "written."))


class MailingForm(Form):
    """A new mailing: a published project and the categories whose people hear of it."""

    target = SelectField(_l("Project the email is about"), [DataRequired(REQUIRED)])
    categories = CheckboxesField(_l("Source categories"), [DataRequired(_l("Choose at least "
                                                                          "one category."))])
