"""Leadpages: landing pages and lead delivery for real-estate project partners."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, request

from leadpages import config as settings
from leadpages.config import ROOT, ConfigError
from leadpages.web.uploads import LeadpagesRequest

__all__ = ["ConfigError", "create_app"]


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the application from `LEADPAGES_*` settings, with `overrides` (tests) on top."""
    values = settings.load()
    if overrides:
        values.update(overrides)
        # A key or database given by the caller counts as set, as an environment variable would.
        given = {"SECRET_KEY", "REGISTER_KEY", "DATABASE_URL"} & set(overrides)
        if given:
            values["_explicit"] = values.get("_explicit", set()) | given
    values = settings.finish(values)

    app = Flask(
        "leadpages",
        root_path=str(ROOT),
        instance_path=values["INSTANCE_PATH"],
        template_folder="templates",
        static_folder="static",
    )
    app.config.update(_flask_config(values))
    app.request_class = LeadpagesRequest
    register_extensions(app)
    register_web(app)
    register_blueprints(app)
    register_commands(app)
    return app


def _flask_config(values: dict[str, Any]) -> dict[str, Any]:
    """Our settings plus the Flask and extension keys derived from them."""
    production = values["ENV"] == "production"
    return {
        **values,
        "TESTING": values["ENV"] == "test",
        "MAX_CONTENT_LENGTH": values["MAX_REQUEST_BYTES"],
        "SESSION_COOKIE_NAME": "lp_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # Static file names carry a content hash (see web.assets), so they may be cached for a year.
        "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,
        # The public form keeps working however long the visitor takes to fill it in.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": production,
        # Every message our forms show comes from our own catalogues; WTForms' would be parsed
        # from disk on each request.
        "WTF_I18N_ENABLED": False,
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        "BABEL_DEFAULT_LOCALE": values["DEFAULT_LANGUAGE"],
        "RATELIMIT_STORAGE_URI": values["RATELIMIT_STORAGE_URL"],
        "RATELIMIT_HEADERS_ENABLED": True,
    }


def register_extensions(app: Flask) -> None:
    """Bind the database, translations, CSRF protection and rate limits."""
    from leadpages.extensions import babel, csrf, db, limiter
    from leadpages.i18n import select_locale

    db.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    _skip_limiter_on_public_pages(app)


def _skip_limiter_on_public_pages(app: Flask) -> None:
    """Run Flask-Limiter's per-request hooks everywhere but on public page views.

    Public pages carry no rate limit (the form's POST has its own, with its headers); the
    extension's app-wide hooks cost about a third of a landing page's time (measured with
    `make bench`), so on the public blueprint they are passed over.
    """
    from flask_limiter import Limiter

    def public() -> bool:
        return request.method in ("GET", "HEAD") and request.blueprint == "public"

    before = app.before_request_funcs[None]
    after = app.after_request_funcs[None]
    check = next(f for f in before if getattr(f, "__func__", None) is Limiter._check_request_limit)
    inject = after[-1]  # the extension's header hook, registered just now

    def check_unless_public() -> None:
        if not public():
            check()

    def inject_unless_public(response: Any) -> Any:
        return response if public() else inject(response)

    before[before.index(check)] = check_unless_public
    after[-1] = inject_unless_public


def register_web(app: Flask) -> None:
    """Proxy handling, security headers, template helpers and error pages."""
    from leadpages.web import errors, hosting, templating

    hosting.init_app(app)
    templating.init_app(app)
    errors.init_app(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per surface."""
    from leadpages.admin.views import bp as admin
    from leadpages.api.views import bp as api
    from leadpages.objections.views import bp as objections
    from leadpages.portal.views import bp as portal
    from leadpages.public.views import bp as public

    for blueprint in (public, objections, portal, admin, api):
        app.register_blueprint(blueprint)


def register_commands(app: Flask) -> None:
    """The `leadpages` commands that live beside the code they drive."""
    from leadpages.accounts.cli import create_user_command
    from leadpages.api.cli import api_key_group
    from leadpages.arrangements.cli import arrangement_group
    from leadpages.audiences.cli import audience_group
    from leadpages.categories.cli import category_group
    from leadpages.cli import db_group, demo_command, serve_command, settings_command
    from leadpages.delivery.cli import delivery_group, worker_command
    from leadpages.mailings.cli import mailing_group
    from leadpages.objections.cli import objection_group

    for command in (db_group, demo_command, serve_command, settings_command, arrangement_group,
                    create_user_command, api_key_group, worker_command, delivery_group,
                    category_group, objection_group, audience_group, mailing_group):
        app.cli.add_command(command)
