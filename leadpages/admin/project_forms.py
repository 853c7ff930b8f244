"""Forms of the project pages: the project with its texts, photo upload, a photo's details."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField,
    Field,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import Form as BaseForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from leadpages.admin.forms import REQUIRED, STRIP
from leadpages.i18n import LANGUAGE_NAMES, LANGUAGES
from leadpages.leads.forms import COUNTRIES, CURRENCIES
from leadpages.projects import editing
from leadpages.projects.editing import ProjectError, ProjectFields, TextFields
from leadpages.projects.vocabulary import UNIT_TYPES
from leadpages.web.forms import Form

#: What each optional form field asks the visitor, as the marketer chooses them.
OPTIONAL_FIELD_LABELS = {
    "postcode": _l("Postcode and country"),
    "budget": _l("Budget"),
    "preferred_location": _l("Preferred location"),
    "features": _l("Bedrooms and garden"),
    "timeframe": _l("When they plan to buy"),
    "contact_preference": _l("How they prefer to be contacted"),
    "message": _l("A message"),
}


def options(pairs: Any) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes (no JavaScript needed)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _price(form: BaseForm, field: Field) -> None:
    try:
        field.data = editing.parse_price(field.data or "")
    except ProjectError as error:
        raise ValidationError(str(error)) from None


def _partner_id(value: Any) -> int:
    return int(value) if str(value).isdigit() else 0


def _chosen(form: BaseForm, field: Field) -> None:
    if not field.data:
        raise ValidationError(str(_l("Choose a partner.")))


class ProjectForm(Form):
    """Every field of a project and its texts in each language."""

    partner_id = SelectField(_l("Partner"), [_chosen], coerce=_partner_id)
    slug = StringField(_l("Page address"), [DataRequired(REQUIRED), Length(max=80)], **STRIP,
                       description=_l("The end of the page's web address, such as "
                                      "residentie-parkzicht: lower-case letters, digits and "
                                      "hyphens. It cannot change once the page is published."),
                       render_kw={"spellcheck": "false", "autocomplete": "off"})
    street = StringField(_l("Street and number"), [Length(max=200)], **STRIP)
    postcode = StringField(_l("Postcode"), [Length(max=12)], **STRIP)
    city = StringField(_l("City"), [DataRequired(REQUIRED), Length(max=120)], **STRIP)
    country = SelectField(_l("Country"), choices=options(COUNTRIES.items()), default="BE")
    units_total = IntegerField(_l("Units in total"), [Optional(), NumberRange(0, 100_000)],
                               render_kw={"inputmode": "numeric"})
    units_available = IntegerField(_l("Units available"),
                                   [Optional(), NumberRange(0, 100_000)],
                                   render_kw={"inputmode": "numeric"})
    price_min = StringField(_l("Lowest price"), [_price], **STRIP,
                            description=_l("A number, such as 245000."),
                            render_kw={"inputmode": "decimal"})
    price_max = StringField(_l("Highest price"), [_price], **STRIP,
                            render_kw={"inputmode": "decimal"})
    currency = SelectField(_l("Currency"), choices=options((c, c) for c in CURRENCIES),
                           default="EUR")
    unit_types = CheckboxesField(_l("Unit types"), choices=options(UNIT_TYPES.items()))
    delivery_date = DateField(_l("Delivery date"), [Optional()])
    languages = CheckboxesField(_l("Languages of the page"),
                                choices=options(LANGUAGE_NAMES.items()),
                                default=list(LANGUAGES))
    optional_fields = CheckboxesField(_l("Optional questions on the form"),
                                      choices=options(OPTIONAL_FIELD_LABELS.items()))
    categories = CheckboxesField(_l("Categories"))

    def text_fields(self, lang: str) -> list[Any]:
        """The title, tagline and description fields of one language."""
        return [self[f"{lang}_{name}"] for name in ("title", "tagline", "description")]

    def to_fields(self) -> ProjectFields:
        """What was typed, for projects.editing."""
        return ProjectFields(
            partner_id=self.partner_id.data, slug=self.slug.data or "",
            city=self.city.data or "", street=self.street.data or "",
            postcode=self.postcode.data or "", country=self.country.data,
            units_total=self.units_total.data, units_available=self.units_available.data,
            price_min=self.price_min.data, price_max=self.price_max.data,
            currency=self.currency.data, unit_types=list(self.unit_types.data or []),
            delivery_date=self.delivery_date.data,
            languages=list(self.languages.data or []),
            optional_fields=list(self.optional_fields.data or []))

    def to_texts(self) -> dict[str, TextFields]:
        """The texts per language, as typed."""
        return {lang: TextFields(*(f.data or "" for f in self.text_fields(lang)))
                for lang in LANGUAGES}

    def show_error(self, error: ProjectError) -> None:
        """Put a service's error on its field (or above the form)."""
        if error.field in self:
            self[error.field].errors = [*self[error.field].errors, str(error)]
        else:
            self.form_errors.append(str(error))


for _lang in LANGUAGES:
    setattr(ProjectForm, f"{_lang}_title",
            StringField(_l("Title"), [Length(max=160)], **STRIP,
                        render_kw={"lang": _lang}))
    setattr(ProjectForm, f"{_lang}_tagline",
            StringField(_l("Tagline"), [Length(max=300)], **STRIP,
                        description=_l("One sentence under the title."),
                        render_kw={"lang": _lang}))
    setattr(ProjectForm, f"{_lang}_description",
            TextAreaField(_l("Description"), [Length(max=20_000)],
                          description=_l("Paragraphs are separated by an empty line."),
                          render_kw={"lang": _lang, "rows": "8"}))


class PhotoUploadForm(Form):
    """One or more photos at once."""

    photos = MultipleFileField(_l("Photos"), description=_l(
        "JPEG, PNG or WebP, at least 480 by 270 pixels. You can choose several files."),
        render_kw={"accept": "image/jpeg,image/png,image/webp", "multiple": True})


class PhotoForm(Form):
    """A photo's alternative text per language and its centre of interest."""

    focus_x = IntegerField(_l("Centre of interest, from the left, in percent"),
                           [InputRequired(REQUIRED), NumberRange(0, 100)],
                           render_kw={"inputmode": "numeric", "min": "0", "max": "100"})
    focus_y = IntegerField(_l("Centre of interest, from the top, in percent"),
                           [InputRequired(REQUIRED), NumberRange(0, 100)],
                           render_kw={"inputmode": "numeric", "min": "0", "max": "100"})

    def alt_fields(self) -> list[Any]:
        """The alternative text field of each language."""
        return [self[f"alt_{lang}"] for lang in LANGUAGES]


for _lang in LANGUAGES:
    setattr(PhotoForm, f"alt_{_lang}",
            StringField(_l("Description of the photo (%(language)s)",
                           language=LANGUAGE_NAMES[_lang]),
                        [Length(max=300)], **STRIP,
                        description=_l("For people who cannot see it: what it shows."),
                        render_kw={"lang": _lang}))
