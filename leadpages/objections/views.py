"""Objection channels on the public site: the objection page, withdrawal, and the one-click link.

Every page here works without JavaScript and without a cookie: it sets none, and none is needed
to send its forms. Cross-site request forgery is refused without a token (see `_cross_site`):
no page here acts on anyone's authority (there is no session or sign-in), so a forged post could
do nothing its author could not do directly; what stays refused is another site posting through
a visitor's browser. `/u/<token>` accepts any post, mail clients' RFC 8058 one-click posts
included: the token in the address is the only authority, and it only records an objection.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
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
from werkzeug.wrappers import Response as BaseResponse

from leadpages.db import begin_write, utcnow
from leadpages.extensions import csrf, db, limiter
from leadpages.i18n import LANGUAGES, negotiate_language
from leadpages.mail.services import queue_email
from leadpages.objections import links, mail
from leadpages.objections import services as objections
from leadpages.objections.forms import SCOPE_CHOICES, SCOPE_EFFECTS, ObjectionForm, WithdrawalForm
from leadpages.objections.keys import email_key, person_keys
from leadpages.objections.models import SCOPES
from leadpages.web.errors import render_error

bp = Blueprint("objections", __name__)

LANG = "<any(nl, fr, en):lang>"
SCOPE = "<any({}):scope>".format(", ".join(f'"{scope}"' for scope in SCOPES))
#: The endpoints of /u/<token>, whose language comes from ?lang= or the browser.
ONE_CLICK = frozenset({"objections.one_click_page", "objections.one_click"})

# No Flask-WTF token here (see the module's note): the forms are checked by `_cross_site`.
csrf.exempt(bp)


@bp.after_request
def _not_stored(response: Response) -> Response:
    # These pages carry personal links (tokens) or answer about a person: no cache keeps them.
    response.headers["Cache-Control"] = "no-store"
    return response


def _html(body: str, status: int = 200) -> Response:
    response = make_response(body, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


def _render(template: str, status: int = 200, **context: Any) -> Response:
    context.setdefault("scope_choices", SCOPE_CHOICES)
    context.setdefault("scope_effects", SCOPE_EFFECTS)
    context.setdefault("days", links.WITHDRAWAL_SECONDS // 86400)
    return _html(render_template(f"objections/{template}", **context), status)


def _rate() -> str:
    """Posts per client address: the lead form's limit (LEADPAGES_RATELIMIT_LEADS)."""
    return str(current_app.config["RATELIMIT_LEADS"])


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _cross_site() -> bool:
    """Whether a browser sent this post from another site (a forgery), by its own headers.

    Browsers mark every request with Sec-Fetch-Site, and every post with Origin (the older
    ones only the latter); neither can be set by a page. A post carrying neither comes from
    a program, not through someone's browser, and is no forgery.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    return origin.lower() not in {_origin(request.host_url),
                                  _origin(current_app.config["BASE_URL"])}


def _refuse_cross_site() -> Response | None:
    if not _cross_site():
        return None
    body, status = render_error(403, str(_l(
        "This form was sent from another website, so we did not accept it. Open the page on "
        "our site and send it from there.")))
    return _html(body, status)


# The objection page.


@bp.get(f"/{LANG}/object")
def page(lang: str) -> Response:
    """Object to ads and emails about similar projects: the form."""
    return _render("object.html", form=ObjectionForm(formdata=None))


def _page_too_many(_limit: object) -> Response | None:
    """A rate-limited post: the form again with what was typed, not an error page."""
    if request.endpoint == "objections.withdraw_request":
        form: ObjectionForm | WithdrawalForm = WithdrawalForm()
        template = "withdraw.html"
    else:
        form = ObjectionForm()
        template = "object.html"
    form.form_errors.append(str(_l(
        "Many requests came from your network in a short while. Wait a minute, then send the "
        "form again: what you typed is kept.")))
    return _render(template, 429, form=form)


@bp.post(f"/{LANG}/object")
@limiter.limit(_rate, on_breach=_page_too_many)
def record(lang: str) -> BaseResponse:
    """Record the objection, email a confirmation where an address was given, and say so."""
    refused = _refuse_cross_site()
    if refused:
        return refused
    form = ObjectionForm()
    if not form.validate():
        return _render("object.html", 422, form=form)
    email = form.email.data or None
    phone = form.phone.e164 if form.phone.data else None
    scope = form.scope.data
    now = utcnow()
    # Rendered before the write, so that the write lock is held only for the writes.
    confirmation = mail.confirmation_email(
        to=email, lang=lang, scope=scope, keys=person_keys(email, phone),
        with_phone=phone is not None, at=now) if email else None
    db.session.commit()  # end the read phase: record_objection starts the write
    # The form checked what record_objection would refuse (ObjectionError), with the same rules.
    recorded = objections.record_objection(db.session, email=email, phone=phone, scope=scope,
                                           source="page", now=now)
    # One confirmation per new objection of the address: sending the form again for the same
    # address sends nothing more (the page says so, to whoever sends it).
    if confirmation is not None and any(row.kind == "email" for row in recorded.new):
        queue_email(db.session, **confirmation)
    db.session.commit()
    return redirect(url_for("objections.recorded", lang=lang, scope=scope), 303)


@bp.get(f"/{LANG}/object/recorded/{SCOPE}")
def recorded(lang: str, scope: str) -> Response:
    """What happens now that the objection is recorded, and how to withdraw it."""
    return _render("recorded.html", scope=scope)


# Withdrawal: asked for on a page, confirmed by an emailed link.


@bp.get(f"/{LANG}/object/withdraw")
def withdraw_page(lang: str) -> Response:
    """Ask for the link that withdraws an objection recorded for an email address."""
    return _render("withdraw.html", form=WithdrawalForm(formdata=None))


@bp.post(f"/{LANG}/object/withdraw")
@limiter.limit(_rate, on_breach=_page_too_many)
def withdraw_request(lang: str) -> Response:
    """Email the confirmation link if the address has an objection; answer the same anyway.

    Only the address's own objections can be withdrawn this way: a link sent to an address
    proves nothing about a phone number, so a phone's objection is withdrawn by staff.
    """
    refused = _refuse_cross_site()
    if refused:
        return refused
    form = WithdrawalForm()
    if not form.validate():
        return _render("withdraw.html", 422, form=form)
    keys = {"email": email_key(form.email.data)}
    if objections.active_objections(db.session, keys):
        message = mail.withdrawal_email(to=form.email.data, lang=lang, keys=keys)
        db.session.commit()  # end the read phase
        begin_write(db.session)
        queue_email(db.session, **message)
        db.session.commit()
    return _render("withdraw_sent.html", email=form.email.data)


@bp.get(f"/{LANG}/object/withdraw/<token>")
def withdraw_confirm_page(lang: str, token: str) -> Response:
    """The emailed link: what would be withdrawn, and one button to confirm it."""
    keys = links.read_withdrawal_token(token)
    if keys is None:
        return _render("withdraw_invalid.html", 400)
    return _render("withdraw_confirm.html", token=token,
                   active=objections.active_objections(db.session, keys))


@bp.post(f"/{LANG}/object/withdraw/<token>")
def withdraw_confirm(lang: str, token: str) -> Response:
    """Withdraw: the person confirmed by opening the link sent to their address."""
    refused = _refuse_cross_site()
    if refused:
        return refused
    keys = links.read_withdrawal_token(token)
    if keys is None:
        return _render("withdraw_invalid.html", 400)
    ended = objections.withdraw(db.session, keys)
    db.session.commit()
    return _render("withdraw_done.html", ended=ended)


# The one-click link of every email: /u/<token>.


@bp.url_value_preprocessor
def _one_click_language(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """`/u/<token>` has no language in its path: take ?lang=, else the browser's language.

    Set as the view's `lang`, so that the page, its error pages and its language switcher
    (which links to the same address with ?lang=) all follow it.
    """
    if endpoint in ONE_CLICK and values is not None:
        asked = request.args.get("lang")
        values["lang"] = asked if asked in LANGUAGES else negotiate_language()


def _one_click_keys(token: str) -> dict[str, str]:
    keys = links.read_one_click_token(token)
    if keys is None:
        abort(404)
    return keys


def _negotiated(response: Response) -> Response:
    if request.args.get("lang") not in LANGUAGES:
        response.vary.add("Accept-Language")
    return response


@bp.get("/u/<token>")
def one_click_page(token: str, lang: str) -> Response:
    """What the link does, and one button; opening it (or a mail scanner) changes nothing."""
    _one_click_keys(token)
    return _negotiated(_render("one_click.html", token=token))


@bp.post("/u/<token>")
def one_click(token: str, lang: str) -> Response:
    """Object to all direct marketing at once: the button, or a mail client's one-click post.

    Idempotent: a second post records nothing more. No rate limit: mail providers send these
    posts from a few shared addresses, and a bad token is refused before any write.
    """
    keys = _one_click_keys(token)
    objections.record_objection(db.session, keys=keys, scope="all", source="link")
    db.session.commit()
    return _negotiated(_render("one_click_done.html"))
