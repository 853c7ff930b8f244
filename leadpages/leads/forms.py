"""The lead form: fields, reusable validators, and the checks against automated submissions."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, HiddenField, RadioField, SelectField, StringField
from wtforms import Form as BaseForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextArea

from leadpages.identifiers import canonical_phone, is_plain_text
from leadpages.leads import consents, tokens
from leadpages.leads.services import LeadInput
from leadpages.projects.models import Project
from leadpages.web.forms import Form

#: The optional parts a project can ask for, in form order; each maps to its fields.
OPTIONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "postcode": ("postcode", "country"),
    "budget": ("budget_amount", "budget_currency"),
    "preferred_location": ("preferred_location",),
    "features": ("bedrooms", "garden"),
    "timeframe": ("timeframe",),
    "contact_preference": ("contact_preference",),
    "message": ("message",),
}

COUNTRIES = {
    "BE": _l("Belgium"),
    "NL": _l("Netherlands"),
    "FR": _l("France"),
    "LU": _l("Luxembourg"),
    "DE": _l("Germany"),
}

#: Postcode shapes per country, after upper-casing and removing surrounding spaces.
POSTCODES = {
    "BE": re.compile(r"[1-9]\d{3}"),
    "NL": re.compile(r"[1-9]\d{3} ?[A-Z]{2}"),
    "FR": re.compile(r"\d{5}"),
    "LU": re.compile(r"(L-)?\d{4}"),
    "DE": re.compile(r"\d{5}"),
}

CURRENCIES = ("EUR", "USD", "GBP", "CHF")
MAX_BUDGET = Decimal("1000000000")



# Validators: small callable classes; each error says what to do, in the visitor's language.


class Required:
    """The field must hold something other than spaces."""

    field_flags = {"required": True}

    def __call__(self, form: BaseForm, field: Field) -> None:
        if not (field.data or "").strip():
            field.errors[:] = []
            raise StopValidation(str(_l("Fill in this field.")))


class Optional:
    """An empty optional field is fine and skips the other checks."""

    field_flags = {"optional": True}

    def __call__(self, form: BaseForm, field: Field) -> None:
        if not (field.data or "").strip():
            field.data = ""
            field.errors[:] = []
            raise StopValidation()


class Choice:
    """One of the field's own options (a changed page could send anything)."""

    def __call__(self, form: BaseForm, field: Field) -> None:
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(str(_l("Choose one of the options.")))


class MaxLength:
    """At most `limit` characters."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, form: BaseForm, field: Field) -> None:
        if len(field.data or "") > self.limit:
            raise ValidationError(
                str(_l("Use at most %(limit)d characters (you used %(count)d).",
                       limit=self.limit, count=len(field.data)))
            )


class PlainText:
    """No control or invisible characters (identifiers.is_plain_text); line breaks if multiline."""

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, form: BaseForm, field: Field) -> None:
        if not is_plain_text(field.data or "", multiline=self.multiline):
            raise ValidationError(str(_l("Remove the special or invisible characters.")))


class EmailAddress:
    """A syntactically valid address; the domain is looked up only when configured."""

    def __call__(self, form: BaseForm, field: Field) -> None:
        try:
            validate_email(
                field.data,
                check_deliverability=current_app.config["EMAIL_CHECK_DELIVERABILITY"],
            )
        except EmailNotValidError:
            raise ValidationError(
                str(_l("Enter a valid email address, such as name@example.com."))
            ) from None


class PhoneNumber:
    """A valid number; national numbers are read in LEADPAGES_PHONE_REGION."""

    def __call__(self, form: BaseForm, field: Field) -> None:
        field.e164 = canonical_phone(field.data, current_app.config["PHONE_REGION"])
        if field.e164 is None:
            raise ValidationError(
                str(_l("Enter a valid phone number, such as 0470 12 34 56 or +32 470 12 34 56."))
            )


class Postcode:
    """A postcode of the shape used in the country chosen beside it."""

    def __call__(self, form: BaseForm, field: Field) -> None:
        country = form.country.data if "country" in form else "BE"
        value = field.data.strip().upper()
        pattern = POSTCODES.get(country)
        if pattern is None or not pattern.fullmatch(value):
            raise ValidationError(
                str(_l("Enter a valid postcode for %(country)s.",
                       country=COUNTRIES.get(country, country)))
            )
        field.data = value


class Amount:
    """A positive amount, written with or without thousands separators."""

    def __call__(self, form: BaseForm, field: Field) -> None:
        field.amount = parse_amount(field.data)
        if field.amount is None:
            raise ValidationError(
                str(_l("Enter an amount greater than zero, such as 350000."))
            )


def parse_amount(text: str) -> Decimal | None:
    """`350000`, `350.000`, `350 000`, `1,250,000.50` or `1.250.000,50` as a Decimal, else None."""
    cleaned = re.sub(r"[\s'\u00a0\u202f€$£]", "", text or "")
    if not re.fullmatch(r"\d[\d.,]*", cleaned):
        return None
    last = max(cleaned.rfind("."), cleaned.rfind(","))
    # A separator followed by one or two digits at the end is the decimal mark; others group.
    if last != -1 and len(cleaned) - last - 1 in (1, 2):
        whole, fraction = cleaned[:last], cleaned[last + 1:]
    else:
        whole, fraction = cleaned, ""
    whole = whole.replace(".", "").replace(",", "")
    try:
        amount = Decimal(f"{whole}.{fraction or '0'}")
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount > MAX_BUDGET:
        return None
    return amount.quantize(Decimal("0.01"))


def _options(*pairs: tuple[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


TEXT = {"filters": [_strip]}


class LeadForm(Form):
    """The request-for-information form of one project, shown under one audience basis."""

    class Meta:
        # The form token (leads.tokens) protects against cross-site posts; see validate().
        csrf = False

    first_name = StringField(_l("First name"), [Required(), MaxLength(100), PlainText()], **TEXT,
                             render_kw={"autocomplete": "given-name"})
    last_name = StringField(_l("Last name"), [Required(), MaxLength(100), PlainText()], **TEXT,
                            render_kw={"autocomplete": "family-name"})
    email = StringField(_l("Email"), [Required(), MaxLength(254), PlainText(), EmailAddress()],
                        **TEXT, render_kw={"autocomplete": "email", "type": "email",
                                           "inputmode": "email"})
    phone = StringField(_l("Phone"), [Required(), MaxLength(32), PlainText(), PhoneNumber()],
                        **TEXT, render_kw={"autocomplete": "tel", "type": "tel",
                                           "inputmode": "tel"})
    postcode = StringField(_l("Postcode"), [Optional(), MaxLength(12), PlainText(), Postcode()],
                           **TEXT, render_kw={"autocomplete": "postal-code"})
    country = SelectField(_l("Country"), [Choice()], choices=_options(*COUNTRIES.items()),
                          default="BE", validate_choice=False,
                          render_kw={"autocomplete": "country"})
    budget_amount = StringField(_l("Budget"), [Optional(), MaxLength(24), Amount()], **TEXT,
                                render_kw={"inputmode": "decimal"})
    budget_currency = SelectField(_l("Currency"), [Choice()], validate_choice=False,
                                  choices=_options(*((c, c) for c in CURRENCIES)), default="EUR")
    preferred_location = StringField(_l("Preferred location"),
                                     [Optional(), MaxLength(120), PlainText()], **TEXT)
    bedrooms = SelectField(_l("Bedrooms"), [Choice()], validate_choice=False, choices=_options(
        ("", _l("No preference")), ("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"),
        ("5", _l("5 or more")),
    ), default="")
    garden = SelectField(_l("Garden"), [Choice()], validate_choice=False, choices=_options(
        ("", _l("No preference")), ("yes", _l("With a garden")), ("no", _l("No garden needed")),
    ), default="")
    timeframe = SelectField(_l("When do you plan to buy?"), [Choice()], validate_choice=False,
                            choices=_options(
        ("", _l("Not sure yet")), ("3m", _l("Within 3 months")), ("6m", _l("Within 6 months")),
        ("12m", _l("Within a year")), ("later", _l("In more than a year")),
    ), default="")
    contact_preference = RadioField(_l("How would you like to be contacted?"), choices=_options(
        ("phone", _l("A phone call")), ("visit", _l("A visit")), ("brochure", _l("A brochure")),
    ), validate_choice=False)
    message = StringField(_l("Message"), [Optional(), MaxLength(2000), PlainText(multiline=True)],
                          widget=TextArea(), **TEXT)
    marketing_email = BooleanField(consents.MARKETING_EMAIL.label)
    ads_objection = BooleanField(consents.ADS_OBJECTION.label)
    ads_consent = BooleanField(consents.ADS_CONSENT.label)
    #: The form token (leads.tokens): bound to the form cookie, carrying the time it was served.
    token = HiddenField()
    #: The campaign the visitor arrived with, carried from the page to the lead.
    c = HiddenField()
    #: Honeypot: hidden from people (and screen readers), filled by naive robots.
    website = StringField(_l("Leave this field empty"),
                          render_kw={"autocomplete": "off", "tabindex": "-1"})

    def __init__(self, *args: Any, project: Project, basis: str, nonce: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The form cookie's nonce this browser sent (None: no cookie).
        self.nonce = nonce
        asked = set(project.optional_fields)
        for part, names in OPTIONAL_FIELDS.items():
            if part not in asked:
                for name in names:
                    delattr(self, name)
        delattr(self, "ads_objection" if basis == "consent" else "ads_consent")
        self.basis = basis
        self.ads_text = consents.ads_choice(basis)
        self.marketing_text = consents.MARKETING_EMAIL
        if "country" in self and not self.is_submitted():
            self.country.data = project.country if project.country in COUNTRIES else "BE"
        if "budget_currency" in self and not self.is_submitted():
            known = project.currency in CURRENCIES
            self.budget_currency.data = project.currency if known else "EUR"
        self.form_errors: list[str] = []
        self.needs_new_token = False

    @property
    def has_errors(self) -> bool:
        return bool(self.form_errors) or any(field.errors for field in self)

    def validate(self, extra_validators: Any = None) -> bool:
        """Field checks, then the checks that tell people from robots."""
        valid = super().validate(extra_validators)
        if "contact_preference" in self and self.contact_preference.data not in (
            None, "", *(choice.value for choice in self.contact_preference.choices)
        ):
            self.contact_preference.errors = [str(_l("Choose one of the options."))]
            valid = False
        if self.website.data:
            self.form_errors.append(str(_l(
                "We could not accept this form. Check your details and send it again."
            )))
            self.website.data = ""
            valid = False
        checked = tokens.check(current_app.config["SECRET_KEY"], self.nonce, self.token.data or "")
        too_fast = checked.problem is None and (
            (checked.age or 0) < current_app.config["FORM_MIN_SECONDS"])
        #: The page that comes back needs a new token (and perhaps cookie) to be sent again;
        #: a token that was merely too quick keeps counting.
        self.needs_new_token = checked.problem is not None
        if checked.problem == "cookie":
            self.form_errors.append(str(_l(
                "Your session expired or cookies are blocked. Check your details and send the "
                "form again."
            )))
        elif checked.problem == "invalid":
            self.form_errors.append(str(_l(
                "This form had expired. Check your details and send it again."
            )))
        elif too_fast:
            self.form_errors.append(str(_l(
                "That was quicker than a person can type. Check your details and send the form "
                "again."
            )))
        return valid and checked.problem is None and not too_fast

    def to_input(self) -> LeadInput:
        """The validated values, as the intake service takes them."""
        def value(name: str) -> str | None:
            return (self[name].data or None) if name in self else None

        bedrooms = value("bedrooms")
        return LeadInput(
            first_name=self.first_name.data,
            last_name=self.last_name.data,
            email=self.email.data,
            phone=self.phone.e164,
            postcode=value("postcode"),
            country=value("country") if value("postcode") else None,
            budget_amount=self.budget_amount.amount if value("budget_amount") else None,
            budget_currency=value("budget_currency") if value("budget_amount") else None,
            preferred_location=value("preferred_location"),
            bedrooms=int(bedrooms) if bedrooms else None,
            garden=value("garden"),
            timeframe=value("timeframe"),
            contact_preference=value("contact_preference"),
            message=value("message"),
            marketing_email_opt_in=bool(self.marketing_email.data),
            ads_objected="ads_objection" in self and bool(self.ads_objection.data),
            ads_consented="ads_consent" in self and bool(self.ads_consent.data),
        )
