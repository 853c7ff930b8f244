"""The public site: the project list, landing pages and their form, notices and rights pages."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as BaseResponse

from leadpages.arrangements import services as arrangements
from leadpages.extensions import csrf, db, limiter
from leadpages.i18n import negotiate_language
from leadpages.leads import tokens
from leadpages.leads.forms import LeadForm, read_valid
from leadpages.leads.services import (
    IntakeClosed,
    IntakeStale,
    LeadInput,
    intake_turn,
    store_submission,
)
from leadpages.notices.services import current_notice
from leadpages.projects import services as projects
from leadpages.public import pages
from leadpages.visits.services import VisitCounter, campaign_code
from leadpages.web.hosting import SECURITY_HEADER_NAMES, security_headers
from leadpages.web.ratelimit import RouteLimit

bp = Blueprint("public", __name__)

LANG = "<any(nl, fr, en):lang>"


@bp.record_once
def _setup(state: object) -> None:
    app: Flask = state.app  # type: ignore[attr-defined]
    app.extensions["leadpages.pages"] = pages.PageCache()
    database = db.state(app)
    visits = VisitCounter(lambda: database.factory(), app.config["VISIT_FLUSH_SECONDS"])
    app.extensions["leadpages.visits"] = visits
    app.extensions["leadpages.landing"] = pages.LandingServer(
        secret=app.config["SECRET_KEY"],
        secure_cookie=app.config["ENV"] == "production",
        security_headers=tuple(security_headers(app)),
        visits=visits,
    )
    submissions = pages.SubmissionServer(
        app, app.extensions["leadpages.pages"],
        RouteLimit(limiter, "public.submit", _lead_limit),
        security_headers=tuple(security_headers(app)))
    fast = pages.FastPath(app.wsgi_app, app.extensions["leadpages.pages"],
                          app.extensions["leadpages.landing"], submissions)
    if isinstance(app.wsgi_app, ProxyFix):
        # Behind the proxy fix, so that both ways see the client's address (rate limit, lead).
        fast.wsgi_app, app.wsgi_app.app = app.wsgi_app.app, fast
    else:
        app.wsgi_app = fast  # type: ignore[method-assign]


def _html(body: str, status: int = 200) -> Response:
    response = make_response(body, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


@bp.get("/")
def index() -> Response:
    """The published projects, in the browser's language."""
    response = _html(render_template("public/index.html",
                                     projects=projects.list_published(db.session)))
    response.vary.add("Accept-Language")
    return response


@bp.get(f"/{LANG}/")
def index_lang(lang: str) -> Response:
    """The published projects, in `lang`."""
    return _html(render_template("public/index.html",
                                 projects=projects.list_published(db.session)))


@bp.get("/p/<slug>")
def project_negotiate(slug: str) -> BaseResponse:
    """Send the visitor to the page in their browser's language, keeping the campaign."""
    target = url_for("public.project", lang=negotiate_language(), slug=slug, **_campaign_query())
    response = redirect(target, 302)
    response.vary.add("Accept-Language")
    return response


@bp.get(f"/{LANG}/p/<slug>")
def project(lang: str, slug: str) -> BaseResponse:
    """The landing page (rendered once, then served from the page cache)."""
    page = pages.cached_landing(lang, slug)
    if page is None:
        abort(404)
    if lang not in page.languages:
        return redirect(url_for("public.project", lang=page.languages[0], slug=slug,
                                **_campaign_query()))
    # The page came from Flask (a cache miss, or caching is off): end the read transaction
    # before counting the visit, which writes through a session of its own.
    db.end()
    server: pages.LandingServer = current_app.extensions["leadpages.landing"]
    body, headers = server.respond(page, request.query_string.decode("latin-1"),
                                   request.headers.get("Cookie", ""),
                                   count_visit=request.method == "GET")
    response = make_response(body)
    for name, value in headers:
        if name not in SECURITY_HEADER_NAMES:  # after_request adds those to every answer
            response.headers.add(name, value)
    return response


def _campaign_query() -> dict[str, Any]:
    """The query values a redirect keeps: the campaign code and UTM values, nothing else."""
    return {key: value for key, value in request.args.items()
            if key == "c" or (key.startswith("utm_") and len(key) <= 20)}


def _form_again(lang: str, slug: str, form: LeadForm, code: str | None,
                status: int) -> Response:
    """The page again, with what was typed, the errors, and a token to send it with."""
    project = projects.get_public_project(db.session, slug)
    if project is None:
        abort(404)
    server: pages.LandingServer = current_app.extensions["leadpages.landing"]
    nonce, set_cookie = server.form_nonce(request.headers.get("Cookie", ""))
    token = form.token.data or ""
    if form.needs_new_token or set_cookie:
        token = tokens.issue(server.secret, nonce)
    body = pages.render_landing(project, lang, form, token_value=token,
                                campaign_value=code or "")
    response = _html(body, status)
    if set_cookie:
        response.headers.add("Set-Cookie", set_cookie)
    return response


def _too_many(_limit: object) -> Response | None:
    """A rate-limited submission: the form again with what was typed, not an error page."""
    args = request.view_args or {}
    project = projects.get_public_project(db.session, str(args.get("slug", "")), for_page=False)
    if project is None or args.get("lang") not in project.languages:
        return None  # the plain 429 page
    form = LeadForm(project=project, basis=current_app.config["AUDIENCE_BASIS"],
                    nonce=request.cookies.get(tokens.COOKIE))
    form.form_errors.append(str(_l(
        "Many requests came from your network in a short while. Wait a minute, then send the "
        "form again: what you typed is kept.")))
    return _form_again(str(args["lang"]), project.slug, form, campaign_code(form.c.data), 429)


def _lead_limit() -> str:
    """The form's rate limit (views.submit and the fast path, pages.SubmissionServer)."""
    return str(current_app.config["RATELIMIT_LEADS"])


@bp.post(f"/{LANG}/p/<slug>")
@csrf.exempt  # the form checks its own token, so a stale one keeps what was typed
@limiter.limit(_lead_limit, on_breach=_too_many, cost=RouteLimit.cost)
def submit(lang: str, slug: str) -> BaseResponse:
    """The form's submission: a lead and a 303 to the thanks page, or the errors (422).

    A valid submission takes the lean way: the project as this process read it a moment ago
    (pages.intake_project) and the lean reader (forms.read_valid), with the same validators as
    the form; the intake then reads everything it decides by again, in its write transaction.
    Anything else, or a project that changed meanwhile, takes the full way: the LeadForm, which
    shows what is wrong.
    """
    seen = pages.intake_project(slug)
    if seen is not None and seen.is_published and lang in seen.languages:
        data = read_valid(request.form, optional_fields=seen.optional_fields,
                          basis=current_app.config["AUDIENCE_BASIS"],
                          nonce=request.cookies.get(tokens.COOKIE))
        if data is not None:
            try:
                return _store(lang, slug, seen.id, data, request.form.get("c"), seen)
            except IntakeStale:
                db.session.rollback()
                current_app.extensions["leadpages.pages"].drop_intake(slug)
    return _submit_in_full(lang, slug)


def _submit_in_full(lang: str, slug: str) -> BaseResponse:
    project = projects.get_public_project(db.session, slug, for_page=False)
    if project is None or lang not in project.languages:
        abort(404)
    if not project.is_published:
        # The page now says it takes no requests; show it rather than an error.
        return _closed(lang, slug)
    cookie_nonce = request.cookies.get(tokens.COOKIE)
    form = LeadForm(project=project, basis=current_app.config["AUDIENCE_BASIS"],
                    nonce=cookie_nonce)
    if form.validate():
        return _store(lang, slug, project.id, form.to_input(), form.c.data)
    if not projects.accepts_leads(db.session, project):
        return _closed(lang, slug)
    return _form_again(lang, slug, form, campaign_code(form.c.data), 422)


def _store(lang: str, slug: str, project_id: int, data: LeadInput, campaign: str | None,
           seen: projects.IntakeProject | None = None) -> BaseResponse:
    """Store a valid submission and send the visitor to the thanks page (or the closed page)."""
    if db.session.in_transaction():
        # End the read phase, so that the write lock is held only for the intake itself.
        db.session.commit()
    try:
        with intake_turn(db.session):
            try:
                store_submission(db.session, project_id, data, lang=lang,
                                 campaign_code=campaign_code(campaign),
                                 source_ip=request.remote_addr, seen=seen)
            except BaseException:
                db.session.rollback()
                raise
            db.session.commit()
    except IntakeClosed:
        return _closed(lang, slug)
    return redirect(url_for("public.thanks", lang=lang, slug=slug), 303)


def _closed(lang: str, slug: str) -> BaseResponse:
    """The page again, which now says it takes no requests: rather than an error."""
    return redirect(url_for("public.project", lang=lang, slug=slug), 303)


@bp.get(f"/{LANG}/p/<slug>/thanks")
def thanks(lang: str, slug: str) -> Response:
    """What happens next, who will call, and how to object or use one's rights."""
    project = projects.get_public_project(db.session, slug)
    if project is None:
        abort(404)
    return _html(render_template("public/thanks.html", project=project,
                                 text=project.text(lang) or project.texts[0]))


@bp.get(f"/{LANG}/privacy")
def privacy(lang: str) -> Response:
    """The operator's privacy notice, as the stored current version."""
    notice = current_notice(db.session, lang)
    return _html(render_template("public/privacy.html", notice=notice))


@bp.get(f"/{LANG}/p/<slug>/privacy")
def project_privacy(lang: str, slug: str) -> Response:
    """Who the joint controllers of this project's leads are and who does what."""
    project = projects.get_public_project(db.session, slug)
    if project is None:
        abort(404)
    return _html(render_template(
        "public/project_privacy.html", project=project, text=project.text(lang) or project.texts[0],
        arrangement=arrangements.in_force(db.session, project.partner_id),
    ))


@bp.get(f"/{LANG}/rights")
def rights(lang: str) -> Response:
    """The person's rights and how to use them."""
    return _html(render_template("public/rights.html"))


@bp.get("/robots.txt")
def robots() -> Response:
    """Landing pages may be indexed; thanks pages say noindex themselves."""
    response = make_response("User-agent: *\nAllow: /\n")
    response.mimetype = "text/plain"
    return response
