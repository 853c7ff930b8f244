"""The lead form: fields, reusable validators, and the checks against automated submissions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Protocol

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, HiddenField, RadioField, SelectField, StringField
from wtforms import Form as BaseForm
from wtforms.fields.choices import SelectChoice, SelectFieldBase
from wtforms.fields.core import UnboundField
from wtforms.meta import DefaultMeta
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
        for name in absent_fields(project.optional_fields, basis):
            delattr(self, name)
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
        if "contact_preference" in self and not known_contact_preference(self):
            self.contact_preference.errors = [str(_l("Choose one of the options."))]
            valid = False
        human = check_human(self)
        if human.honeypot:
            self.form_errors.append(str(_l(
                "We could not accept this form. Check your details and send it again."
            )))
            self.website.data = ""
            valid = False
        #: The page that comes back needs a new token (and perhaps cookie) to be sent again;
        #: a token that was merely too quick keeps counting.
        self.needs_new_token = human.problem is not None
        if human.problem == "cookie":
            self.form_errors.append(str(_l(
                "Your session expired or cookies are blocked. Check your details and send the "
                "form again."
            )))
        elif human.problem == "invalid":
            self.form_errors.append(str(_l(
                "This form had expired. Check your details and send it again."
            )))
        elif human.too_fast:
            self.form_errors.append(str(_l(
                "That was quicker than a person can type. Check your details and send the form "
                "again."
            )))
        return valid and human.passed

    def to_input(self) -> LeadInput:
        """The validated values, as the intake service takes them."""
        return lead_input(self)


# What LeadForm decides beyond its fields' validators, and how its values become a LeadInput:
# functions of the fields, so that the lean reader below decides and builds exactly alike.


class _Fields(Protocol):
    """A LeadForm, or the lean reader's fields: `name in form`, `form[name]`, `form.name`."""

    def __contains__(self, name: str) -> bool: ...

    def __getitem__(self, name: str) -> Any: ...

    def __getattr__(self, name: str) -> Any: ...


def absent_fields(optional_fields: Iterable[str], basis: str) -> list[str]:
    """The fields a project's form does not have: parts it does not ask, the other ads box."""
    asked = set(optional_fields)
    absent = [name for part, names in OPTIONAL_FIELDS.items() if part not in asked
              for name in names]
    absent.append("ads_objection" if basis == "consent" else "ads_consent")
    return absent


def known_contact_preference(form: _Fields) -> bool:
    """A contact preference is one of the options, or none (the radio buttons are optional)."""
    field = form["contact_preference"]
    return field.data in (None, "", *(choice.value for choice in field.choices))


@dataclass(frozen=True)
class HumanCheck:
    """Whether a submission came from a person: honeypot, form token, time taken."""

    honeypot: bool
    #: What is wrong with the form token (tokens.TokenCheck.problem: "cookie", "invalid").
    problem: str | None
    too_fast: bool

    @property
    def passed(self) -> bool:
        return not self.honeypot and self.problem is None and not self.too_fast


def check_human(form: _Fields) -> HumanCheck:
    """The honeypot is empty, the token is this browser's, and it was not sent too soon."""
    config = current_app.config
    checked = tokens.check(config["SECRET_KEY"], form.nonce, form["token"].data or "")
    too_fast = checked.problem is None and (checked.age or 0) < config["FORM_MIN_SECONDS"]
    return HumanCheck(bool(form["website"].data), checked.problem, too_fast)


def lead_input(form: _Fields) -> LeadInput:
    """A validated form's values, as the intake service takes them."""
    def value(name: str) -> Any:
        return (form[name].data or None) if name in form else None

    bedrooms = value("bedrooms")
    return LeadInput(
        first_name=form["first_name"].data,
        last_name=form["last_name"].data,
        email=form["email"].data,
        phone=form["phone"].e164,
        postcode=value("postcode"),
        country=value("country") if value("postcode") else None,
        budget_amount=form["budget_amount"].amount if value("budget_amount") else None,
        budget_currency=value("budget_currency") if value("budget_amount") else None,
        preferred_location=value("preferred_location"),
        bedrooms=int(bedrooms) if bedrooms else None,
        garden=value("garden"),
        timeframe=value("timeframe"),
        contact_preference=value("contact_preference"),
        message=value("message"),
        marketing_email_opt_in=bool(form["marketing_email"].data),
        ads_objected="ads_objection" in form and bool(form["ads_objection"].data),
        ads_consented="ads_consent" in form and bool(form["ads_consent"].data),
    )


# The lean reader: a valid submission without building a LeadForm.
#
# Building and validating a LeadForm costs about half a millisecond, as much as storing the
# lead. A valid submission (nearly every one) needs none of what WTForms adds for a form that
# is shown again: labels, widgets, error lists. The lean reader takes the fields as LeadForm
# declares them (its validators, filters, defaults and choices: the very objects, so there is
# one place for each rule), reads the posted values the way WTForms does, runs the same
# validators and the same checks against robots, and builds the input with the same function.
# On anything it does not pass it answers None, and the caller builds the LeadForm, which says
# what is wrong. Tests hold the two to the same answers (tests/leads/test_lean_form.py).


class _Value:
    """One field's value on the lean path: what the validators read and set on a WTForms field."""

    __slots__ = ("amount", "choices", "data", "e164", "errors")

    def __init__(self, data: Any, choices: Any) -> None:
        self.data = data
        self.choices = choices
        self.errors: list[str] = []
        self.e164: str | None = None
        self.amount: Decimal | None = None


class _Values(dict[str, _Value]):
    """The fields of one submission on the lean path, reachable as `form[name]` and `form.name`."""

    nonce: str | None = None

    def __getattr__(self, name: str) -> _Value:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class _Declared:
    """A LeadForm field as declared, bound once (without a form) to read its settings."""

    name: str
    #: The field's data from the first posted value (None: not posted), as WTForms reads it.
    read: Callable[[str | None], Any]
    filters: tuple[Callable[[Any], Any], ...]
    validators: tuple[Callable[[Any, Any], None], ...]
    choices: Any


def _reader(field: Field) -> Callable[[str | None], Any]:
    """How WTForms turns the posted values of `field` into its data (Field.process).

    WTForms reads the first of the values posted under the field's name (MultiDict.get).
    """
    default = field.default() if callable(field.default) else field.default
    if isinstance(field, BooleanField):
        false_values = field.false_values
        return lambda posted: posted is not None and posted not in false_values
    if isinstance(field, SelectFieldBase):
        if field.validate_choice:
            raise TypeError(f"{field.name}: the lean reader expects validate_choice=False")
        coerce = field.coerce
        return lambda posted: default if posted is None else coerce(posted)
    if type(field) in (StringField, HiddenField):
        return lambda posted: default if posted is None else posted
    raise TypeError(f"{field.name}: the lean reader does not know {type(field).__name__}")


@cache
def _declared() -> dict[str, _Declared]:
    meta = DefaultMeta()
    found = {}
    for name, unbound in vars(LeadForm).items():
        if isinstance(unbound, UnboundField):
            field = unbound.bind(form=None, name=name, _meta=meta)
            found[name] = _Declared(name, _reader(field), tuple(field.filters),
                                    tuple(field.validators), getattr(field, "choices", None))
    return found


@cache
def _fields_of(optional_fields: frozenset[str], basis: str) -> tuple[_Declared, ...]:
    absent = set(absent_fields(optional_fields, basis))
    return tuple(d for name, d in _declared().items() if name not in absent)


def _passes(declared: _Declared, form: _Values) -> bool:
    """The field's validator chain as WTForms runs it, reduced to: did it pass?"""
    field = form[declared.name]
    for validator in declared.validators:
        try:
            validator(form, field)
        except StopValidation as stop:
            return not (stop.args and stop.args[0]) and not field.errors
        except ValidationError:
            return False
    return not field.errors


def read_valid(formdata: Mapping[str, Any], *, optional_fields: Iterable[str], basis: str,
               nonce: str | None) -> LeadInput | None:
    """The submission as LeadForm(...).to_input() would give it if it validates, else None.

    `formdata` is the request's form (a MultiDict). None means only "not this way": the caller
    then builds the LeadForm, which decides again and says what is wrong.
    """
    form = _Values()
    form.nonce = nonce
    fields = _fields_of(frozenset(optional_fields), basis)
    try:
        for declared in fields:
            # (`in` first: a MultiDict's get() raises and catches for a name not posted.)
            posted = formdata.get(declared.name) if declared.name in formdata else None
            data = declared.read(posted)
            for keep in declared.filters:
                data = keep(data)
            form[declared.name] = _Value(data, declared.choices)
        for declared in fields:
            if not _passes(declared, form):
                return None
    except Exception:  # whatever upsets the lean path, LeadForm decides (and says why)
        return None
    if "contact_preference" in form and not known_contact_preference(form):
        return None
    if not check_human(form).passed:
        return None
    return lead_input(form)
