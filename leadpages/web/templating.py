"""Template helpers: versioned static URLs, money and date formatting, language links."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request, url_for
from flask_babel import format_currency, format_date, get_locale

from leadpages.i18n import LANGUAGE_NAMES, LANGUAGES
from leadpages.operator import get_operator
from leadpages.projects.vocabulary import UNIT_TYPES


@cache
def _file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def static_url(filename: str) -> str:
    """The URL of a static file with its content hash, so it can be cached for a year."""
    digest = _file_digest(str(Path(current_app.static_folder or "static") / filename))
    return url_for("static", filename=filename, v=digest)


def media_url(name: str) -> str:
    """The URL of an uploaded file (photos, logos)."""
    return url_for("media", filename=name)


def money(amount: Decimal | int | None, currency: str) -> str:
    """An amount in the visitor's language, without cents for round amounts."""
    if amount is None:
        return ""
    if Decimal(amount) != Decimal(amount).to_integral_value():
        return format_currency(amount, currency)
    # The language's own currency pattern, without its fraction digits.
    pattern = get_locale().currency_formats["standard"].pattern.split(";")[0]
    pattern = pattern.replace(".00", "")
    return format_currency(amount, currency, format=pattern, currency_digits=False)


def month_year(value: date | None) -> str:
    """A delivery date as month and year in the visitor's language."""
    return format_date(value, "MMMM yyyy") if value else ""


def unit_type_names(codes: list[str]) -> str:
    """Unit type codes as names in the visitor's language."""
    return ", ".join(str(UNIT_TYPES.get(code, code)) for code in codes)


def input_attrs(field: Any, hint: str | None, required: bool) -> dict[str, str]:
    """Accessibility attributes of a form input: its hint, its error, whether it is required."""
    described = [f"{field.id}-hint"] if hint else []
    attrs: dict[str, str] = {}
    if field.errors:
        described.append(f"{field.id}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if required:
        attrs["aria-required"] = "true"
    return attrs


def current_lang() -> str:
    """The language of the page being rendered."""
    return str(get_locale() or current_app.config["DEFAULT_LANGUAGE"])


def lang_url(lang: str) -> str:
    """This page in another language, for the language switcher."""
    if request.url_rule is not None and request.view_args and "lang" in request.view_args:
        args: dict[str, Any] = {**request.view_args, "lang": lang}
        return url_for(request.endpoint or "public.index_lang", **args)
    return url_for("public.index_lang", lang=lang)


def init_app(app: Flask) -> None:
    """Make the helpers available in every template."""
    app.jinja_env.globals.update(
        static_url=static_url,
        media_url=media_url,
        money=money,
        month_year=month_year,
        current_lang=current_lang,
        unit_type_names=unit_type_names,
        input_attrs=input_attrs,
        lang_url=lang_url,
        LANGUAGES=LANGUAGES,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _operator() -> dict[str, Any]:
        return {"operator": get_operator()}
