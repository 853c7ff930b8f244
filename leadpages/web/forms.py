"""The base of every form: Flask-WTF, with WTForms' own messages in the visitor's language.

Flask-WTF reads WTForms' catalogue from disk on every request; this base loads it once per
language, which the landing form's throughput shows (see bench/).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import get_translations


@lru_cache(maxsize=8)
def _translations(language: str) -> Any:
    return get_translations([language])


class Form(FlaskForm):
    """FlaskForm whose built-in WTForms messages come from a per-language cache."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            return _translations(str(get_locale() or "en"))
