"""The partner portal under /portal/: a partner's users see and manage their own leads only.

Every page but sign-in and password reset needs a signed-in user (`login_required`), and every
lookup goes through a partner-scoped service with `g.partner.id`: another partner's lead,
delivery or key is simply not found (404), never forbidden (DESIGN.md rule 7).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as BaseResponse

from leadpages.accounts import apikeys
from leadpages.accounts import services as accounts
from leadpages.arrangements import services as arrangements
from leadpages.db import utcnow
from leadpages.delivery import services as delivery
from leadpages.delivery.models import Delivery
from leadpages.extensions import db, limiter
from leadpages.leads import services as leads
from leadpages.leads.models import Lead
from leadpages.mail.services import queue_email
from leadpages.partners import services as partners
from leadpages.portal import auth, export, lookups
from leadpages.portal.auth import login_required
from leadpages.portal.forms import (
    STATUS_LABELS,
    ApiKeyForm,
    DeliveryFilterForm,
    ForgotPasswordForm,
    LeadFilterForm,
    RecipientsForm,
    ResetPasswordForm,
    SignInForm,
    WebhookForm,
)
from leadpages.projects.models import Project
from leadpages.web.private import private_pages
from leadpages.web.transactions import write_phase

bp = Blueprint("portal", __name__, url_prefix="/portal")

#: Failed sign-ins allowed per client address, besides the per-account lock.
SIGN_IN_RATE = "10 per 15 minutes"
#: Reset emails asked for per client address, so nobody floods an inbox through us.
FORGOT_RATE = "5 per 15 minutes"
#: Ids in URLs are database integers: a larger number names nothing (404), and never reaches
#: the database, which could not bind it.
ID = "int(min=1, max=2147483647)"


def _rate(name: str, default: str) -> Any:
    return lambda: current_app.config.get(name, default)


_write_phase = write_phase


private_pages(bp)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"when": _when, "STATUS_LABELS": STATUS_LABELS}


def _when(moment: datetime | str | None) -> str:
    """A time as `2026-11-21 14:05 UTC` (one zone for everyone in the partner's office)."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _page_number() -> int:
    number = request.args.get("page", 1, type=int) or 1
    return min(max(number, 1), 100_000)


# Signing in and out, and resetting a password.


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_rate("RATELIMIT_PORTAL_SIGN_IN", SIGN_IN_RATE), methods=["POST"],
               deduct_when=lambda response: response.status_code != 303)
def sign_in() -> BaseResponse | tuple[str, int]:
    """The sign-in form; only failed attempts count towards the address's limit."""
    form = SignInForm()
    if request.method == "GET":
        if auth.signed_in_user() is not None:
            return redirect(url_for("portal.list_leads"))
        form.next.data = auth.safe_next(request.args.get("next"))
        return render_template("portal/sign_in.html", form=form), 200
    if form.validate():
        # The slow password check is a read; only its outcome is written, for a known account.
        check = accounts.check_sign_in(db.session, form.email.data, form.password.data)
        user = None
        if check.to_record:
            _write_phase()
            user = accounts.record_sign_in(db.session, check)
            db.session.commit()  # the failure count and lock must be kept either way
        if user is not None:
            auth.sign_in(user)
            return redirect(auth.safe_next(form.next.data) or url_for("portal.list_leads"), 303)
        form.form_errors.append(str(_l(
            "The email address or password is not right, or the account is locked for 15 "
            "minutes after too many failed attempts. Try again, or reset your password.")))
    return render_template("portal/sign_in.html", form=form), 422


@bp.post("/sign-out")
@login_required
def sign_out() -> BaseResponse:
    """End this browser's session."""
    auth.sign_out()
    flash(_l("You are signed out."), "info")
    return redirect(url_for("portal.sign_in"), 303)


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere() -> BaseResponse:
    """End every session of this user, on every device, including copies of the cookie."""
    user = g.user
    _write_phase(user)
    accounts.end_all_sessions(db.session, user)
    db.session.commit()
    auth.sign_out()
    flash(_l("You are signed out on every device."), "info")
    return redirect(url_for("portal.sign_in"), 303)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_rate("RATELIMIT_PORTAL_FORGOT", FORGOT_RATE), methods=["POST"])
def forgot_password() -> tuple[str, int]:
    """Ask for a reset link; the answer is the same whether or not the address is known."""
    form = ForgotPasswordForm()
    if request.method == "GET":
        return render_template("portal/forgot_password.html", form=form), 200
    if not form.validate():
        return render_template("portal/forgot_password.html", form=form), 422
    base = current_app.config["BASE_URL"]
    message = accounts.password_reset_email(
        db.session, form.email.data,
        link=lambda token: base + url_for("portal.reset_password", token=token))
    if message is not None:
        _write_phase()
        queue_email(db.session, **message)
        db.session.commit()
    return render_template("portal/forgot_sent.html", email=form.email.data), 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> BaseResponse | tuple[str, int]:
    """Set a new password with an emailed link; the link works once, for an hour."""
    user = accounts.user_for_reset_token(db.session, token)
    if user is None:
        return render_template("portal/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if request.method == "GET":
        return render_template("portal/reset_password.html", form=form, user=user), 200
    if not form.validate():
        return render_template("portal/reset_password.html", form=form, user=user), 422
    password_hash = accounts.hash_password(form.password.data)  # slow: before the write lock
    _write_phase()
    # Again, locked: a second use of the link waits for the first, then finds it used.
    user = accounts.user_for_reset_token(db.session, token, for_update=True)
    if user is None:
        db.session.rollback()
        return render_template("portal/reset_invalid.html"), 400
    accounts.set_password_hash(db.session, user, password_hash)
    db.session.commit()
    auth.sign_out()
    flash(_l("Your password is changed and every other session is ended. Sign in with the new "
             "password."), "info")
    return redirect(url_for("portal.sign_in"), 303)


# Leads.


@bp.get("/")
@login_required
def index() -> BaseResponse:
    """The portal starts at the lead list."""
    return redirect(url_for("portal.list_leads"))


def _lead_filters() -> LeadFilterForm:
    form = LeadFilterForm(formdata=request.args,
                          projects=lookups.partner_projects(db.session, g.partner.id))
    form.validate()
    return form


@bp.get("/leads")
@login_required
def list_leads() -> tuple[str, int]:
    """The partner's leads, newest first, with search and filters."""
    form = _lead_filters()
    if form.has_errors:
        return render_template("portal/leads.html", form=form, page=None, states={}), 422
    query = leads.partner_leads_query(g.partner.id, **form.query_arguments()).options(
        selectinload(Lead.project).selectinload(Project.texts))
    page = lookups.paginate(db.session, query, _page_number())
    states = lookups.delivery_states(db.session, g.partner.id, [lead.id for lead in page.rows])
    return render_template("portal/leads.html", form=form, page=page, states=states), 200


@bp.get("/leads/export.csv")
@login_required
def export_leads() -> Response | tuple[str, int]:
    """The filtered list as CSV, streamed: UTF-8 with a byte-order mark, formulas neutralised."""
    form = _lead_filters()
    if form.has_errors:
        return render_template("portal/leads.html", form=form, page=None, states={}), 422
    query = leads.partner_leads_query(g.partner.id, **form.query_arguments()).options(
        selectinload(Lead.project).selectinload(Project.texts), selectinload(Lead.arrangement))
    session = db.session

    def generate() -> Any:
        rows = session.scalars(query.execution_options(yield_per=export.CHUNK))
        yield from export.csv_chunks(rows)

    name = f"leads-{g.partner.slug}-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/leads/<public_id>")
@login_required
def show_lead(public_id: str) -> tuple[str, int]:
    """A lead as the partner received it, with every delivery and attempt."""
    lead = leads.get_partner_lead(db.session, g.partner.id, public_id)
    if lead is None:
        abort(404)
    deliveries = lookups.lead_deliveries(db.session, g.partner.id, lead.id)
    return render_template("portal/lead.html", lead=lead, data=delivery.lead_data(lead),
                           deliveries=deliveries), 200


# Deliveries.


@bp.get("/deliveries")
@login_required
def list_deliveries() -> tuple[str, int]:
    """The delivery log, newest first; dead letters stand out and can be sent again."""
    form = DeliveryFilterForm(formdata=request.args)
    if not form.validate():
        return render_template("portal/deliveries.html", form=form, page=None), 422
    query = delivery.partner_deliveries_query(g.partner.id, form.status.data or None)
    page = lookups.paginate(db.session, query, _page_number())
    # Which leads the partner may open is the leads service's call (only its shared leads);
    # a delivery of any other lead is listed without a link.
    lead_ids = leads.partner_lead_public_ids(
        db.session, g.partner.id, [row.lead_id for row in page.rows if row.lead_id is not None])
    return render_template("portal/deliveries.html", form=form, page=page,
                           lead_ids=lead_ids), 200


def _own_delivery(delivery_id: int) -> Delivery:
    found = delivery.get_partner_delivery(db.session, g.partner.id, delivery_id)
    if found is None:
        abort(404)
    return found


def _render_delivery(row: Delivery, error: str | None = None) -> str:
    # The lead is shown only if it is still the partner's to see, as the leads service decides.
    lead = None
    if row.lead_id is not None:
        public_id = leads.partner_lead_public_ids(db.session, g.partner.id,
                                                  [row.lead_id]).get(row.lead_id)
        if public_id is not None:
            lead = leads.get_partner_lead(db.session, g.partner.id, public_id)
    return render_template("portal/delivery.html", delivery=row, lead=lead, error=error)


@bp.get(f"/deliveries/<{ID}:delivery_id>")
@login_required
def show_delivery(delivery_id: int) -> tuple[str, int]:
    """One delivery and each attempt at it."""
    return _render_delivery(_own_delivery(delivery_id)), 200


@bp.post(f"/deliveries/<{ID}:delivery_id>/replay")
@login_required
def replay_delivery(delivery_id: int) -> BaseResponse | tuple[str, int]:
    """Send a dead letter again, with the same message id."""
    row = _own_delivery(delivery_id)
    _write_phase(row)
    try:
        delivery.replay(db.session, row, by=g.user.email)
    except delivery.DeliveryError as error:
        db.session.rollback()
        return _render_delivery(row, str(error)), 422
    db.session.commit()
    flash(_l("Delivery %(id)s is queued to be sent again.", id=row.id), "info")
    return redirect(url_for("portal.list_deliveries", status="dead"), 303)


# Delivery settings.


def _render_webhook(form: WebhookForm | None = None, *, new_secret: str | None = None,
                    ping_error: str | None = None, status: int = 200) -> tuple[str, int]:
    partner = g.partner
    if form is None:
        form = WebhookForm(data={"url": partner.webhook_url or ""})
    secrets = [{"created_at": entry.get("created_at"), "expires_at": entry.get("expires_at")}
               for entry in reversed(partner.webhook_secrets or [])]
    return render_template("portal/webhook.html", form=form, secrets=secrets,
                           new_secret=new_secret, ping_error=ping_error), status


@bp.route("/settings/webhook", methods=["GET", "POST"])
@login_required
def edit_webhook() -> BaseResponse | tuple[str, int]:
    """The webhook address; a first address comes with its signing secret, shown once."""
    if request.method == "GET":
        return _render_webhook()
    form = WebhookForm()
    if not form.validate():
        return _render_webhook(form, status=422)
    partner = g.partner
    url = form.url.data or None
    rules = {"require_https": current_app.config["ENV"] == "production",
             "allow_loopback": current_app.config["WEBHOOK_ALLOW_LOOPBACK"]}
    try:
        if url:
            # The DNS look-up can take seconds: done before the write lock. set_webhook_url
            # checks again (DNS answers are cached by then), so what is saved is checked.
            partners.check_webhook_url(url, **rules)
        _write_phase(partner)
        had_secret = bool(partner.webhook_secrets)
        partners.set_webhook_url(db.session, partner, url, **rules)
    except partners.SettingsError as error:
        db.session.rollback()
        form.url.errors = [str(error)]
        return _render_webhook(form, status=422)
    new_secret = None
    if not had_secret and partner.webhook_secrets:
        new_secret = partner.webhook_secrets[-1]["secret"]
    db.session.commit()
    if new_secret:
        return _render_webhook(new_secret=new_secret)
    flash(_l("The webhook address is saved.") if partner.webhook_url
          else _l("Webhooks are turned off."), "info")
    return redirect(url_for("portal.edit_webhook"), 303)


@bp.post("/settings/webhook/ping")
@login_required
def ping_webhook() -> BaseResponse | tuple[str, int]:
    """Queue a test message to the webhook."""
    _write_phase()
    try:
        delivery.enqueue_ping(db.session, g.partner)
    except delivery.DeliveryError as error:
        db.session.rollback()
        return _render_webhook(ping_error=str(error), status=422)
    db.session.commit()
    flash(_l("A test message is queued. Its result appears in the delivery log."), "info")
    return redirect(url_for("portal.edit_webhook"), 303)


@bp.post("/settings/webhook/rotate")
@login_required
def rotate_secret() -> tuple[str, int]:
    """Issue a new signing secret and show it, this once; the old one signs for 24 hours more."""
    _write_phase(g.partner)
    secret = partners.rotate_webhook_secret(db.session, g.partner)
    db.session.commit()
    return _render_webhook(new_secret=secret)


@bp.route("/settings/email", methods=["GET", "POST"])
@login_required
def edit_recipients() -> BaseResponse | tuple[str, int]:
    """The addresses that receive each lead by email."""
    partner = g.partner
    if request.method == "GET":
        form = RecipientsForm(data={"recipients": "\n".join(partner.email_recipients or [])})
        return render_template("portal/recipients.html", form=form), 200
    form = RecipientsForm()
    if not form.validate():
        return render_template("portal/recipients.html", form=form), 422
    _write_phase(partner)
    try:
        partners.set_email_recipients(db.session, partner, form.addresses())
    except partners.SettingsError as error:
        db.session.rollback()
        form.recipients.errors = [str(error)]
        return render_template("portal/recipients.html", form=form), 422
    db.session.commit()
    flash(_l("The email recipients are saved."), "info")
    return redirect(url_for("portal.edit_recipients"), 303)


# API keys.


def _render_keys(form: ApiKeyForm, *, new_key: str | None = None,
                 status: int = 200) -> tuple[str, int]:
    keys = apikeys.partner_keys(db.session, g.partner.id)
    return render_template("portal/api_keys.html", form=form, keys=keys,
                           new_key=new_key), status


@bp.route("/api-keys", methods=["GET", "POST"])
@login_required
def api_keys() -> tuple[str, int]:
    """The partner's API keys; a new key is shown once, on the page that creates it."""
    form = ApiKeyForm()
    if request.method == "GET":
        return _render_keys(form)
    if not form.validate():
        return _render_keys(form, status=422)
    _write_phase()
    try:
        _key, plain = apikeys.issue_key(db.session, g.partner, form.name.data)
    except apikeys.ApiKeyError as error:
        db.session.rollback()
        form.name.errors = [str(error)]
        return _render_keys(form, status=422)
    db.session.commit()
    return _render_keys(ApiKeyForm(formdata=None), new_key=plain)


@bp.post(f"/api-keys/<{ID}:key_id>/revoke")
@login_required
def revoke_api_key(key_id: int) -> BaseResponse:
    """Stop a key from working, at once and for good."""
    key = apikeys.get_partner_key(db.session, g.partner.id, key_id)
    if key is None:
        abort(404)
    _write_phase(key)
    apikeys.revoke_key(db.session, key)
    db.session.commit()
    flash(_l("The key “%(name)s” is revoked.", name=key.name), "info")
    return redirect(url_for("portal.api_keys"), 303)


# The arrangement.


@bp.get("/arrangement")
@login_required
def show_arrangement() -> tuple[str, int]:
    """The joint-controller arrangement in force, or that there is none and what that means."""
    arrangement = arrangements.in_force(db.session, g.partner.id)
    return render_template("portal/arrangement.html", arrangement=arrangement,
                           purposes=arrangements.PURPOSES), 200
