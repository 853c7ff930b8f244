"""Rendering the landing page fast: the page is rendered once per language and reused.

Only two things differ between two visitors of the same page: the form token (leads.tokens) and
the campaign code. The page is rendered with placeholders for those and
kept for LEADPAGES_PAGE_CACHE_SECONDS; each request fills them in. An error re-render (422) never
uses the cache: it carries what the visitor typed.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from flask import Flask, current_app, render_template
from markupsafe import escape
from werkzeug import urls as _urls  # noqa: F401 - registers the "werkzeug.url_quote" errors
from werkzeug.datastructures import MultiDict
from werkzeug.http import dump_cookie, parse_cookie

from leadpages.arrangements import services as arrangements
from leadpages.extensions import db
from leadpages.leads import tokens
from leadpages.leads.forms import LeadForm, read_valid
from leadpages.leads.services import IntakeClosed, IntakeStale, intake_turn, store_submission
from leadpages.projects import services as projects
from leadpages.projects.models import Project
from leadpages.projects.services import IntakeProject
from leadpages.visits.services import VisitCounter, campaign_code
from leadpages.web.ratelimit import RouteLimit

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
    """Rendered pages by (language, slug), each kept for a fixed number of seconds.

    Beside each page, for as long, what its form's submission needs to know of the project
    (projects.services.IntakeProject): one thing to clear, one lifetime.
    """

    def __init__(self) -> None:
        self._pages: dict[tuple[str, str], RenderedPage] = {}
        self._intake: dict[str, tuple[float, IntakeProject]] = {}
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
            self._intake.clear()

    def intake(self, slug: str) -> IntakeProject | None:
        found = self._intake.get(slug)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put_intake(self, project: IntakeProject, expires: float) -> None:
        with self._lock:
            now = time.monotonic()
            self._intake = {k: v for k, v in self._intake.items() if v[0] >= now}
            self._intake[project.slug] = (expires, project)

    def drop_intake(self, slug: str) -> None:
        with self._lock:
            self._intake.pop(slug, None)


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


def intake_project(slug: str) -> IntakeProject | None:
    """The project `slug` as its form's submission needs it: from the cache, or read now."""
    cache: PageCache = current_app.extensions["leadpages.pages"]
    project = cache.intake(slug)
    if project is None:
        project = projects.intake_project(db.session, slug)
        seconds = current_app.config["PAGE_CACHE_SECONDS"]
        if project is not None and seconds > 0:
            cache.put_intake(project, time.monotonic() + seconds)
    return project


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


class SubmissionServer:
    """Answers a valid form submission before Flask, exactly as public.views.submit would.

    The form's POST is the one write every visitor makes; a valid one (nearly all) needs none
    of what Flask adds around the view. This does the view's lean way (views.submit) itself:
    the project as this process read it a moment ago (only a cached one: a miss goes to Flask,
    which reads and caches it), the lean reader, the rate limit (web.ratelimit: the view's own
    limit, counters and headers), the intake in its write transaction, a 303 to the thanks page
    with the headers Flask's hooks add. Whatever this does not answer (anything invalid, a
    breach, a closed or changed project, an error) goes to Flask with nothing stored and the
    request counted once, and Flask decides and answers as always (the form with what is
    wrong, the 429, the page that says the project is closed, ...).
    """

    def __init__(self, app: Flask, cache: PageCache, limit: RouteLimit,
                 security_headers: tuple[tuple[str, str], ...]) -> None:
        self.app = app
        self.cache = cache
        self.limit = limit
        self.security_headers = security_headers
        #: Flask's 303 to each thanks page (status, headers, body), made once by Flask itself.
        self._thanks: dict[tuple[str, str, str], tuple[str, list[tuple[str, str]], bytes]] = {}

    def answer(self, environ: dict[str, Any], lang: str, slug: str) -> Answer | None:
        """The answer to a POST of /<lang>/p/<slug>, or None for Flask to answer it."""
        seen = self.cache.intake(slug)
        if seen is None or not seen.is_published or lang not in seen.languages:
            return None
        # (Trusted hosts: Flask checks the Host of each request; it answers them all then.)
        if not self.limit.mirrors() or self.app.config.get("TRUSTED_HOSTS") is not None:
            return None
        body = _form_body(environ, self.app.config["MAX_CONTENT_LENGTH"])
        if body is None:
            return None
        try:
            with self.app.app_context():
                return self._answer(environ, body, lang, seen)
        finally:
            # Flask reads the body again if it answers after all.
            environ["wsgi.input"] = io.BytesIO(body)

    def _answer(self, environ: dict[str, Any], body: bytes, lang: str, seen: IntakeProject
                ) -> Answer | None:
        form = urlencoded_form(body)
        if form is None:
            return None
        address = environ.get("REMOTE_ADDR")  # request.remote_addr
        data = read_valid(form, optional_fields=seen.optional_fields,
                          basis=self.app.config["AUDIENCE_BASIS"],
                          nonce=parse_cookie(environ.get("HTTP_COOKIE")).get(tokens.COOKIE))
        if data is None:
            return None
        # Counted first, as Flask-Limiter counts before the view; from here on, a request that
        # Flask answers after all is marked counted (RouteLimit.COUNTED).
        try:
            hit = self.limit.hit(environ, address)
            if not hit.within:
                return None  # Flask answers 429, with the form as typed
            rate_headers = self.limit.headers(hit)
        except Exception:  # the storage failed: Flask-Limiter's own handling decides
            log.warning("form fast path: rate limit storage failed", exc_info=True)
            return None
        session = db.session
        try:
            with intake_turn(session):
                try:
                    store_submission(session, seen.id, data, lang=lang,
                                     campaign_code=campaign_code(form.get("c")),
                                     source_ip=address, seen=seen)
                except BaseException:
                    session.rollback()
                    raise
                session.commit()
        except Exception as error:  # nothing stored: Flask answers (counted already)
            if isinstance(error, IntakeStale):
                self.cache.drop_intake(seen.slug)
            elif not isinstance(error, IntakeClosed):
                log.warning("form fast path: %s; Flask answers instead", error, exc_info=True)
            return None
        status, headers, page = self._thanks_redirect(environ, lang, seen.slug)
        # Then what the app's after_request hooks add (web.hosting, then Flask-Limiter).
        return Answer(status, [*headers, *self.security_headers, *rate_headers], page)

    def _thanks_redirect(self, environ: dict[str, Any], lang: str, slug: str
                         ) -> tuple[str, list[tuple[str, str]], bytes]:
        """Flask's own 303 to the thanks page (url_for and redirect), made once per page."""
        key = (str(environ.get("SCRIPT_NAME", "")), lang, slug)
        found = self._thanks.get(key)
        if found is None:
            adapter = self.app.create_url_adapter(self.app.request_class(environ))
            location = adapter.build(  # type: ignore[union-attr]
                "public.thanks", {"lang": lang, "slug": slug})
            app_iter, status, headers = self.app.redirect(location, 303).get_wsgi_response(
                environ)
            found = (status, list(headers), b"".join(app_iter))
            if len(self._thanks) < 1000:  # one per page and language
                self._thanks[key] = found
        return found


@dataclass(frozen=True)
class Answer:
    """A WSGI answer made without Flask: status line, headers, body."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(self.status, self.headers)
        return [self.body]


def urlencoded_form(body: bytes) -> MultiDict[str, str] | None:
    """What Flask's request.form is for an urlencoded body; None where werkzeug gives up.

    werkzeug's own reading (formparser.FormDataParser._parse_urlencoded), without building a
    request around it. A body that is not UTF-8 werkzeug reads as an empty form: Flask answers.
    """
    try:
        return MultiDict(parse_qsl(body.decode(), keep_blank_values=True,
                                   errors="werkzeug.url_quote"))
    except ValueError:
        return None


def _form_body(environ: dict[str, Any], max_length: int | None) -> bytes | None:
    """An urlencoded body of a stated length within the limit, read whole; else None (Flask).

    The stream is replaced by the bytes read, so that the request can still be read from it.
    """
    mimetype = str(environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()
    length = str(environ.get("CONTENT_LENGTH", ""))
    if mimetype != "application/x-www-form-urlencoded" or not length.isdigit():
        return None
    if max_length is not None and int(length) > max_length:
        return None  # Flask answers 413
    body: bytes = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = io.BytesIO(body)
    return body if len(body) == int(length) else None


class FastPath:
    """WSGI layer in front of Flask that serves cached landing pages and valid submissions.

    A landing page is the page every ad click opens; once rendered, answering it needs no
    routing, no session and no hooks, only a form token. A valid submission of its form needs
    the intake and a redirect (SubmissionServer). Anything else, and every cache miss, goes on
    to Flask.
    """

    def __init__(self, wsgi_app: Any, cache: PageCache, server: LandingServer,
                 submissions: SubmissionServer | None = None) -> None:
        self.wsgi_app = wsgi_app
        self.cache = cache
        self.server = server
        self.submissions = submissions

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
        elif method == "POST" and self.submissions is not None:
            parts = environ.get("PATH_INFO", "").split("/")
            if len(parts) == 4 and parts[0] == "" and parts[2] == "p":
                answer = self.submissions.answer(environ, parts[1], parts[3])
                if answer is not None:
                    return answer(environ, start_response)
        return self.wsgi_app(environ, start_response)
