"""The base of every form: Flask-WTF, with WTForms' own messages in the visitor's language.

Flask-WTF reads WTForms' catalogue from disk on every request; this base loads it once per
language, which the landing form's throughput shows (see bench/).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms import Form as BaseForm
from wtforms.i18n import get_translations
from wtforms.validators import ValidationError

#: The message of every required field of the portal's and the workspace's forms.
REQUIRED = _l("Fill in this field.")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


#: Field keyword arguments that trim what was typed before it is checked.
STRIP = {"filters": [_strip]}


@lru_cache(maxsize=8)
def _translations(language: str) -> Any:
    return get_translations([language])


class Form(FlaskForm):
    """FlaskForm whose built-in WTForms messages come from a per-language cache."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            return _translations(str(get_locale() or "en"))


class ServiceCheck:
    """Run a domain service's check on the field: its refusal (a ValueError) is the error.

    The rule lives once, in the service; a form only shows what the service says. A check that
    returns the cleaned text puts it in the field.
    """

    def __init__(self, check: Callable[[str], Any]) -> None:
        self.check = check

    def __call__(self, form: BaseForm, field: Field) -> None:
        try:
            result = self.check(field.data or "")
        except ValueError as error:
            raise ValidationError(str(error)) from None
        if isinstance(result, str):
            field.data = result
