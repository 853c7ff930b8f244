"""Languages of the public site and how a request's language is chosen."""

from __future__ import annotations

from flask import current_app, request

#: The languages every public page and message exists in, in the switcher's order.
LANGUAGES = ("nl", "fr", "en")
LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "en": "English"}


def negotiate_language() -> str:
    """The best of our languages for the browser's Accept-Language, else the default."""
    best = request.accept_languages.best_match(LANGUAGES)
    return best or current_app.config["DEFAULT_LANGUAGE"]


def select_locale() -> str:
    """Flask-Babel locale selector: the `<lang>` in the URL wins, then the browser's choice."""
    if request.view_args and request.view_args.get("lang") in LANGUAGES:
        return str(request.view_args["lang"])
    # Routing failed (a 404), but the address may still say which language the visitor reads.
    prefix = request.path.strip("/").split("/", 1)[0]
    if prefix in LANGUAGES:
        return prefix
    return negotiate_language()
