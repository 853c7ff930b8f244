"""Languages of the public site and how a request's language is chosen."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import current_app, has_request_context, request
from flask_babel import force_locale

#: The languages every public page and message exists in, in the switcher's order.
LANGUAGES = ("nl", "fr", "en")
LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "en": "English"}
#: The language of the JSON API, the commands, the logs and the reasons stored in the database:
#: what clients and scripts read (and may match) must not change with a browser's setting.
SYSTEM_LANGUAGE = "en"
#: Every address under this prefix is the JSON API (leadpages.api.errors.API_PATH_PREFIX).
API_PATH_PREFIX = "/api/"

P = ParamSpec("P")
R = TypeVar("R")


def negotiate_language() -> str:
    """The best of our languages for the browser's Accept-Language, else the default."""
    best = request.accept_languages.best_match(LANGUAGES)
    return best or current_app.config["DEFAULT_LANGUAGE"]


def select_locale() -> str:
    """Flask-Babel locale selector: the `<lang>` in the URL wins, then the browser's choice.

    Outside a request (commands, the worker) and in the API it is always SYSTEM_LANGUAGE.
    """
    if not has_request_context():
        return SYSTEM_LANGUAGE
    if request.blueprint == "api" or request.path.startswith(API_PATH_PREFIX):
        return SYSTEM_LANGUAGE
    if request.view_args and request.view_args.get("lang") in LANGUAGES:
        return str(request.view_args["lang"])
    # Routing failed (a 404), but the address may still say which language the visitor reads.
    prefix = request.path.strip("/").split("/", 1)[0]
    if prefix in LANGUAGES:
        return prefix
    return negotiate_language()


def in_system_language(command: Callable[P, R]) -> Callable[P, R]:
    """Run a command's callback with messages in SYSTEM_LANGUAGE (under `with_appcontext`).

    Domain services raise translatable messages (the workspace shows them in the reader's
    language); a command prints them, and what it stores, in English whatever the context.
    """

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with force_locale(SYSTEM_LANGUAGE):
            return command(*args, **kwargs)

    return run
