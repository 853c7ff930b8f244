"""The workspace blueprint and what every one of its pages shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, g, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import Forbidden

from leadpages.staff import services as staff
from leadpages.web.errors import render_error
from leadpages.web.private import private_pages

bp = Blueprint("admin", __name__, url_prefix="/admin")

#: Ids in URLs are database integers: a larger number names nothing (404), and never reaches
#: the database, which could not bind it.
ID = "int(min=1, max=2147483647)"

#: The workspace's navigation: (endpoint, label, capability). A link shows only to a role that
#: has the capability, and only once the endpoint exists.
NAVIGATION: list[tuple[str, Any, str]] = [
    ("admin.partners", _l("Partners"), "partners"),
    ("admin.arrangements", _l("Arrangements"), "arrangements"),
    ("admin.projects", _l("Projects"), "projects"),
    ("admin.campaigns", _l("Campaigns"), "campaigns"),
    ("admin.results", _l("Results"), "results"),
    ("admin.leads", _l("Leads"), "leads"),
    ("admin.register", _l("Objection register"), "register"),
    ("admin.audiences", _l("Audiences"), "audiences"),
    ("admin.mailings", _l("Mailings"), "mailings"),
    ("admin.audit_log", _l("Audit log"), "audit"),
    ("admin.staff_users", _l("Staff"), "staff"),
]


def navigation() -> list[tuple[str, Any]]:
    """The links the signed-in staff user may follow, in menu order."""
    user = g.get("staff")
    return [(endpoint, label) for endpoint, label, capability in NAVIGATION
            if staff.can(user, capability) and endpoint in current_app.view_functions]


def when(moment: datetime | str | None) -> str:
    """A time as `2026-11-21 14:05 UTC` (one zone for everyone)."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


#: The largest id a database integer holds; a larger number in a query names nothing.
MAX_ID = 2_147_483_647


def id_arg(name: str) -> int | None:
    """A query argument naming a row by id or number: None unless it is 1 to MAX_ID.

    The database could not even bind a larger number (a 500 on PostgreSQL).
    """
    value = request.args.get(name, type=int)
    return value if value is not None and 1 <= value <= MAX_ID else None


def page_number() -> int:
    """The `?page=` of a list, kept within sane bounds."""
    number = request.args.get("page", 1, type=int) or 1
    return min(max(number, 1), 100_000)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"when": when, "admin_navigation": navigation, "can": lambda c: staff.can(
        g.get("staff"), c), "ROLE_LABELS": staff.ROLE_LABELS}


private_pages(bp)


@bp.errorhandler(Forbidden)
def _forbidden(_error: Forbidden) -> tuple[str, int]:
    return render_error(403, str(_l("Your role does not give access to this page.")))
