"""Forms of the workspace's own pages: sign-in, the second factor, staff accounts.

Each part of the workspace keeps its other forms beside its views (`<part>_forms.py`); what
every form shares (`REQUIRED`, `STRIP`, `ServiceCheck`) comes from leadpages.web.forms.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from leadpages.accounts import services as accounts
from leadpages.staff import services as staff
from leadpages.staff.models import STAFF_ROLES
from leadpages.web.forms import REQUIRED, STRIP, Form, ServiceCheck

__all__ = ["REQUIRED", "STRIP", "CodeForm", "ServiceCheck", "SignInForm", "StaffUserForm"]

class SignInForm(Form):
    """Email address and password."""

    email = StringField(_l("Email address"), [DataRequired(REQUIRED), Length(max=254)], **STRIP,
                        render_kw={"autocomplete": "username", "type": "email",
                                   "inputmode": "email", "spellcheck": "false"})
    password = PasswordField(_l("Password"), [DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "current-password"})
    #: The workspace page asked for before sign-in, checked again before it is used.
    next = HiddenField()


class CodeForm(Form):
    """The six-digit code of the authenticator app."""

    code = StringField(_l("Code from your authenticator app"),
                       [DataRequired(REQUIRED), Length(max=12)], **STRIP,
                       description=_l("Six digits; a new code every 30 seconds."),
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric",
                                  "spellcheck": "false", "pattern": "[0-9 ]*"})
    next = HiddenField()


class StaffUserForm(Form):
    """A new staff account; its owner enrols the second factor at first sign-in."""

    email = StringField(_l("Email address"), [DataRequired(REQUIRED),
                                              ServiceCheck(accounts.check_email)], **STRIP,
                        render_kw={"type": "email", "autocomplete": "off",
                                   "spellcheck": "false"})
    name = StringField(_l("Full name"), [DataRequired(REQUIRED),
                                         ServiceCheck(accounts.check_name)], **STRIP)
    role = SelectField(_l("Role"), choices=[SelectChoice(role, staff.ROLE_LABELS[role])
                                            for role in STAFF_ROLES])
    password = PasswordField(_l("First password"), [DataRequired(REQUIRED),
                                                    ServiceCheck(accounts.check_password)],
                             description=_l("At least 12 characters, of two kinds or more. Give "
                                            "it to the person in person; they can keep it."),
                             render_kw={"autocomplete": "new-password"})
