"""Forms of the partner and arrangement pages of the workspace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateTimeLocalField,
    Field,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from leadpages.accounts import services as accounts
from leadpages.admin.forms import REQUIRED, STRIP, ServiceCheck
from leadpages.arrangements.models import Arrangement
from leadpages.arrangements.services import PARTIES, PURPOSES, RIGHTS
from leadpages.db import utcnow
from leadpages.i18n import LANGUAGES
from leadpages.partners import services as partners
from leadpages.web.forms import Form

_TEXT: dict[str, Any] = {"spellcheck": "false", "autocomplete": "off"}


def _check(field: str) -> ServiceCheck:
    """The service's check of one partner field, as a form validator."""
    if field == "slug":
        return ServiceCheck(partners.check_slug)
    if field == "website":
        return ServiceCheck(partners.check_website)
    return ServiceCheck(lambda value: partners.check_partner_email(field, value))


class PartnerForm(Form):
    """A partner: who it is, who to contact, and where its leads go."""

    legal_name = StringField(_l("Legal name"), [DataRequired(REQUIRED), Length(max=200)],
                             **STRIP)
    slug = StringField(_l("Short name"), [DataRequired(REQUIRED), _check("slug")], **STRIP,
                       description=_l("Lower-case letters, digits and hyphens, such as "
                                      "“bouw-janssens”. Used in commands and exports."),
                       render_kw=_TEXT)
    enterprise_number = StringField(_l("Enterprise number"),
                                    [DataRequired(REQUIRED), Length(max=40)], **STRIP,
                                    description=_l("Such as BE 0123.456.789."))
    address = TextAreaField(_l("Address"), [DataRequired(REQUIRED), Length(max=300)], **STRIP,
                            render_kw={"rows": 3})
    website = StringField(_l("Website"), [Optional(), _check("website")], **STRIP,
                          render_kw={"type": "url", "inputmode": "url", **_TEXT})
    contact_name = StringField(_l("Contact person"), [DataRequired(REQUIRED), Length(max=120)],
                               **STRIP)
    contact_email = StringField(_l("Contact email address"),
                                [DataRequired(REQUIRED), _check("contact_email")], **STRIP,
                                render_kw={"type": "email", "inputmode": "email", **_TEXT})
    contact_phone = StringField(_l("Contact phone"), [Optional(), Length(max=20)], **STRIP,
                                render_kw={"type": "tel", "autocomplete": "off"})
    privacy_email = StringField(_l("Privacy contact email address"),
                                [DataRequired(REQUIRED), _check("privacy_email")], **STRIP,
                                description=_l("Where people send privacy questions to the "
                                               "partner."),
                                render_kw={"type": "email", "inputmode": "email", **_TEXT})
    logo = FileField(_l("Logo"),
                     description=_l("A PNG, JPEG or WebP image, at least 100 pixels long; "
                                    "it is re-encoded and fitted into 400 by 160 pixels."),
                     render_kw={"accept": "image/png,image/jpeg,image/webp"})
    webhook_url = StringField(_l("Webhook address"), [Optional(), Length(max=500)], **STRIP,
                              description=_l("Where each lead is sent as a signed POST, such as "
                                             "https://crm.example.com/hooks/leads. Leave empty "
                                             "for no webhook."),
                              render_kw={"type": "url", "inputmode": "url", **_TEXT})
    email_recipients = TextAreaField(_l("Email recipients"), [Optional(), Length(max=3000)],
                                     description=_l("Addresses that receive each lead by email: "
                                                    "one per line, at most 10."),
                                     render_kw={"rows": 4, **_TEXT})

    def values(self) -> dict[str, Any]:
        """The fields as create_partner and update_partner take them."""
        values: dict[str, Any] = {name: getattr(self, name).data
                                  for name in partners.PARTNER_FIELDS}
        values["email_recipients"] = [line.strip() for line in
                                      (self.email_recipients.data or "").splitlines()
                                      if line.strip()]
        return values

    def logo_bytes(self) -> bytes | None:
        """The uploaded logo's content, or None when no file was chosen."""
        upload = self.logo.data
        if upload is None or not getattr(upload, "filename", ""):
            return None
        data: bytes = upload.read()
        return data or None


def partner_form_data(partner: Any) -> dict[str, Any]:
    """A partner's values to fill the edit form."""
    data = {name: getattr(partner, name) or "" for name in partners.PARTNER_FIELDS}
    data["email_recipients"] = "\n".join(partner.email_recipients or [])
    return data


class PartnerUserForm(Form):
    """A new portal user of the partner."""

    name = StringField(_l("Full name"), [DataRequired(REQUIRED),
                                         ServiceCheck(accounts.check_name)], **STRIP)
    email = StringField(_l("Email address"), [DataRequired(REQUIRED),
                                              ServiceCheck(accounts.check_email)], **STRIP,
                        render_kw={"type": "email", **_TEXT})
    password = PasswordField(_l("First password"), [DataRequired(REQUIRED),
                                                    ServiceCheck(accounts.check_password)],
                             description=_l("At least 12 characters, of two kinds or more. "
                                            "Give it to the person; they can change it."),
                             render_kw={"autocomplete": "new-password"})


class ApiKeyForm(Form):
    """A name for a new API key of the partner."""

    name = StringField(_l("Name of the key"), [DataRequired(REQUIRED), Length(max=80)], **STRIP,
                       description=_l("What the key is for, such as “CRM sync”."))


# Arrangements.

PARTY_LABELS: dict[str, Any] = {"operator": _l("The operator"), "partner": _l("The partner"),
                                "either": _l("Either of them")}
PURPOSE_LABELS: dict[str, Any] = {
    "forward-leads": _l("Forwarding each complete lead to the partner so it can answer the "
                        "request"),
    "categorise-retarget": _l("The operator's coarse categorising of leads for ads and emails "
                              "about similar projects"),
}
RIGHT_LABELS: dict[str, Any] = {
    "access": _l("Access"), "rectification": _l("Rectification"), "erasure": _l("Erasure"),
    "restriction": _l("Restriction"), "portability": _l("Portability"),
    "objection": _l("Objection"),
}
#: The essence's label per language, in the form and the review.
ESSENCE_LABELS: dict[str, Any] = {"nl": _l("Essence for the person, in Dutch"),
                                  "fr": _l("Essence for the person, in French"),
                                  "en": _l("Essence for the person, in English")}
#: The content fields as the review lists them, with their labels.
CONTENT_LABELS: dict[str, Any] = {
    "purposes": _l("Purposes covered"),
    "informs_at_collection": _l("Who informs the person at collection"),
    "contact_point": _l("The person's point of contact"),
    "rights_handling": _l("Who answers each right"),
    "partner_retention": _l("How long the partner keeps its copy"),
    "partner_duties": _l("The partner's duties"),
    "essence": _l("Essence for the person"),
}


def _parties() -> list[SelectChoice]:
    return [SelectChoice(party, PARTY_LABELS[party]) for party in PARTIES]


class ArrangementForm(Form):
    """The content of a draft arrangement; what may be signed is checked by the service."""

    purposes = SelectMultipleField(
        _l("Purposes covered"), [DataRequired(REQUIRED)],
        choices=[SelectChoice(code, PURPOSE_LABELS[code]) for code in PURPOSES],
        widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput())
    informs_at_collection = SelectField(_l("Who informs the person at collection"),
                                        choices=_parties())
    contact_point = SelectField(_l("The person's point of contact"), choices=_parties())
    right_access = SelectField(_l("Access"), choices=_parties())
    right_rectification = SelectField(_l("Rectification"), choices=_parties())
    right_erasure = SelectField(_l("Erasure"), choices=_parties())
    right_restriction = SelectField(_l("Restriction"), choices=_parties())
    right_portability = SelectField(_l("Portability"), choices=_parties())
    right_objection = SelectField(_l("Objection"), choices=_parties())
    partner_retention = TextAreaField(_l("How long the partner keeps its copy"),
                                      [DataRequired(REQUIRED), Length(max=300)], **STRIP,
                                      render_kw={"rows": 3})
    partner_duties = TextAreaField(_l("The partner's duties"),
                                   [DataRequired(REQUIRED), Length(max=2000)], **STRIP,
                                   description=_l("Must include acting on objection and erasure "
                                                  "notices."),
                                   render_kw={"rows": 6})
    essence_nl = TextAreaField(ESSENCE_LABELS["nl"],
                               [DataRequired(REQUIRED), Length(min=20, max=3000)], **STRIP,
                               render_kw={"rows": 6, "lang": "nl"})
    essence_fr = TextAreaField(ESSENCE_LABELS["fr"],
                               [DataRequired(REQUIRED), Length(min=20, max=3000)], **STRIP,
                               render_kw={"rows": 6, "lang": "fr"})
    essence_en = TextAreaField(ESSENCE_LABELS["en"],
                               [DataRequired(REQUIRED), Length(min=20, max=3000)], **STRIP,
                               render_kw={"rows": 6, "lang": "en"})

    def content(self) -> dict[str, Any]:
        """The fields as the arrangement's content (what check_content takes)."""
        return {
            "purposes": [code for code in PURPOSES if code in (self.purposes.data or [])],
            "informs_at_collection": self.informs_at_collection.data,
            "contact_point": self.contact_point.data,
            "rights_handling": {right: getattr(self, f"right_{right}").data for right in RIGHTS},
            "partner_retention": self.partner_retention.data or "",
            "partner_duties": self.partner_duties.data or "",
            "essence": {lang: getattr(self, f"essence_{lang}").data or "" for lang in LANGUAGES},
        }

    def field_for(self, problem: str) -> Any:
        """The field a check_content problem names, or None."""
        key = problem.split(" ", 1)[0]
        if key == "rights_handling":
            return self.right_access
        if key == "essence":
            return next((getattr(self, f"essence_{lang}") for lang in LANGUAGES
                         if len((getattr(self, f"essence_{lang}").data or "").strip()) < 20),
                        self.essence_en)
        return getattr(self, key, None) if key in CONTENT_LABELS else None


#: What a person reads for a problem that check_content finds, by how the problem starts.
CONTENT_PROBLEMS: dict[str, Any] = {
    "purposes must include forward-leads": _l("Include forwarding leads to the partner: it is "
                                              "why leads are shared."),
    "purposes must be": _l("Choose at least one purpose."),
    "partner_duties must state": _l("State the partner's duty to act on objection and erasure "
                                    "notices."),
    "essence must give": _l("Give a text of 20 to 3000 characters in each language."),
}


def arrangement_form_data(arrangement: Arrangement) -> dict[str, Any]:
    """A draft's content, to fill the form."""
    data: dict[str, Any] = {
        "purposes": list(arrangement.purposes or []),
        "informs_at_collection": arrangement.informs_at_collection,
        "contact_point": arrangement.contact_point,
        "partner_retention": arrangement.partner_retention,
        "partner_duties": arrangement.partner_duties,
    }
    for right in RIGHTS:
        data[f"right_{right}"] = (arrangement.rights_handling or {}).get(right, "either")
    for lang in LANGUAGES:
        data[f"essence_{lang}"] = (arrangement.essence or {}).get(lang, "")
    return data


def _now_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0, tzinfo=None)


class ActivateForm(Form):
    """Who signed the draft, and when; the operator's signatory is the staff user acting."""

    operator_signer_role = StringField(_l("Your role (you sign for the operator)"),
                                       [DataRequired(REQUIRED), Length(max=120)], **STRIP,
                                       description=_l("Such as Managing director."))
    partner_signer = StringField(_l("Who signed for the partner"),
                                 [DataRequired(REQUIRED), Length(max=120)], **STRIP)
    partner_signer_role = StringField(_l("Their role"), [DataRequired(REQUIRED),
                                                         Length(max=120)], **STRIP)
    signed_at = DateTimeLocalField(_l("Signed on (UTC)"), [DataRequired(REQUIRED)],
                                   format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                   default=_now_minute)
    effective_from = DateTimeLocalField(_l("In force from (UTC)"), [Optional()],
                                        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                        description=_l("Leave empty for now."))

    def validate_effective_from(self, field: Field) -> None:
        """Not in the past: leads captured before were captured under the version then in force.

        A minute of grace covers the time it takes to fill in the form.
        """
        moment = self.as_utc(field.data)
        if moment is not None and moment < utcnow() - timedelta(minutes=1):
            raise ValidationError(_l("Choose now or a later time: leads already captured "
                                     "stay under the version that was in force."))

    @staticmethod
    def as_utc(moment: datetime | None) -> datetime | None:
        """A time typed in the form (UTC, as the workspace shows every time) made aware."""
        return moment.replace(tzinfo=UTC) if moment is not None else None
