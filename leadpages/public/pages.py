"""Rendering the landing page fast: the page is rendered once per language and reused.

Only two things differ between two visitors of the same page: the form token (leads.tokens) and
the campaign code. The page is rendered with placeholders for those and
kept for LEADPAGES_PAGE_CACHE_SECONDS; each request fills them in. An error re-render (422) never
uses the cache: it carries what the visitor typed.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from flask import current_app, render_template
from markupsafe import escape
from werkzeug.http import dump_cookie, parse_cookie

from leadpages.arrangements import services as arrangements
from leadpages.extensions import db
from leadpages.leads import tokens
from leadpages.leads.forms import LeadForm
from leadpages.projects import services as projects
from leadpages.projects.models import Project
from leadpages.visits.services import VisitCounter, campaign_code

log = logging.getLogger(__name__)

TOKEN_SLOT = "@@lp-token@@"  # noqa: S105 - a placeholder in the cached page, not a secret
CAMPAIGN_SLOT = "@@lp-campaign@@"


@dataclass(frozen=True)
class RenderedPage:
    """A landing page's HTML with the per-visitor slots still open."""

    project_id: int
    slug: str
    languages: tuple[str, ...]
    has_form: bool
    html: str
    expires: float
    #: The HTML cut at its slots, so filling them is a join, not a search of the whole page.
    segments: tuple[str, ...] = ()

    def fill(self, token: str, campaign: str) -> str:
        """The HTML with this visitor's token and (escaped) campaign code in the slots."""
        if not self.has_form:
            return self.html
        slots = {TOKEN_SLOT: token, CAMPAIGN_SLOT: str(escape(campaign))}
        return "".join(slots.get(segment, segment) for segment in self.segments)


class PageCache:
    """Rendered pages by (language, slug), each kept for a fixed number of seconds."""

    def __init__(self) -> None:
        self._pages: dict[tuple[str, str], RenderedPage] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> RenderedPage | None:
        page = self._pages.get(key)
        if page is None or page.expires < time.monotonic():
            return None
        return page

    def put(self, key: tuple[str, str], page: RenderedPage) -> None:
        with self._lock:
            # Bounded by the number of public pages; stale entries are dropped as they are seen.
            now = time.monotonic()
            self._pages = {k: v for k, v in self._pages.items() if v.expires >= now}
            self._pages[key] = page

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def render_landing(project: Project, lang: str, form: LeadForm | None, *,
                   token_value: str, campaign_value: str) -> str:
    """The landing page of `project` in `lang`, with `form` (None when it takes no requests)."""
    return render_template(
        "public/project.html",
        project=project,
        text=project.text(lang),
        form=form,
        token_value=token_value,
        campaign_value=campaign_value,
    )


def landing_form(project: Project) -> LeadForm | None:
    """A blank form for the project, or None when it takes no requests."""
    blocker = projects.intake_blocker(
        project, arrangements.in_force(db.session, project.partner_id))
    if blocker is not None:
        if project.is_published:
            # A published page without a form is a business problem: say why, loudly.
            log.warning("landing page %s shows no form: %s", project.slug, blocker)
        return None
    return LeadForm(project=project, basis=current_app.config["AUDIENCE_BASIS"],
                    formdata=None, meta={"csrf": False})


def cached_landing(lang: str, slug: str) -> RenderedPage | None:
    """The page for (lang, slug) from the cache or freshly rendered; None for no such page."""
    cache: PageCache = current_app.extensions["leadpages.pages"]
    key = (lang, slug)
    page = cache.get(key)
    if page is not None:
        return page
    project = projects.get_public_project(db.session, slug)
    if project is None:
        return None
    form = landing_form(project) if lang in project.languages else None
    html = render_landing(project, lang, form, token_value=TOKEN_SLOT,
                          campaign_value=CAMPAIGN_SLOT) if lang in project.languages else ""
    page = RenderedPage(
        project_id=project.id,
        slug=project.slug,
        languages=tuple(project.languages),
        has_form=form is not None,
        html=html,
        expires=time.monotonic() + current_app.config["PAGE_CACHE_SECONDS"],
        segments=tuple(re.split(f"({re.escape(TOKEN_SLOT)}|{re.escape(CAMPAIGN_SLOT)})", html)),
    )
    if current_app.config["PAGE_CACHE_SECONDS"] > 0:
        cache.put(key, page)
    return page


@dataclass(frozen=True)
class LandingServer:
    """Answers a landing-page request from a rendered page: one place for both ways in.

    The Flask view uses it after rendering or on a cache hit; FastPath uses it for cache hits
    without entering Flask at all, so the two can never answer differently.
    """

    secret: str
    secure_cookie: bool
    security_headers: tuple[tuple[str, str], ...]
    visits: VisitCounter

    def form_nonce(self, cookie_header: str) -> tuple[str, str | None]:
        """This browser's form nonce, and a Set-Cookie value when it needs a new one."""
        nonce = parse_cookie(cookie_header).get(tokens.COOKIE, "")
        if 16 <= len(nonce) <= 64:
            return nonce, None
        nonce = tokens.new_nonce()
        # The one cookie public pages set: a random nonce, for this browser session only.
        return nonce, dump_cookie(tokens.COOKIE, nonce, httponly=True, samesite="Lax",
                                  secure=self.secure_cookie)

    def respond(self, page: RenderedPage, query: str, cookie_header: str,
                count_visit: bool) -> tuple[str, list[tuple[str, str]]]:
        """The body and headers for one visitor of `page`; counts the visit if asked."""
        args = parse_qs(query, max_num_fields=50)
        code = campaign_code(*(args.get(name, [None])[0] for name in ("c", "utm_campaign")))
        headers = [("Content-Type", "text/html; charset=utf-8"),
                   # Each answer carries its own form token: no shared cache may keep it.
                   ("Cache-Control", "private, no-cache"), *self.security_headers]
        token = ""
        if page.has_form:
            nonce, set_cookie = self.form_nonce(cookie_header)
            if set_cookie:
                headers.append(("Set-Cookie", set_cookie))
            token = tokens.issue(self.secret, nonce)
        if count_visit:
            self.visits.record(page.project_id, code)
        return page.fill(token, code or ""), headers


class FastPath:
    """WSGI layer in front of Flask that serves cached landing pages directly.

    A landing page is the page every ad click opens; once rendered, answering it needs no
    routing, no session and no hooks, only a form token. Anything else, and every cache miss,
    goes on to Flask.
    """

    def __init__(self, wsgi_app: Any, cache: PageCache, server: LandingServer) -> None:
        self.wsgi_app = wsgi_app
        self.cache = cache
        self.server = server

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        method = environ.get("REQUEST_METHOD")
        if method in ("GET", "HEAD"):
            parts = environ.get("PATH_INFO", "").split("/")
            if len(parts) == 4 and parts[0] == "" and parts[2] == "p":
                page = self.cache.get((parts[1], parts[3]))
                if page is not None and parts[1] in page.languages:
                    body, headers = self.server.respond(
                        page, environ.get("QUERY_STRING", ""), environ.get("HTTP_COOKIE", ""),
                        count_visit=method == "GET")
                    data = body.encode()
                    headers.append(("Content-Length", str(len(data))))
                    start_response("200 OK", headers)
                    return [b""] if method == "HEAD" else [data]
        return self.wsgi_app(environ, start_response)
