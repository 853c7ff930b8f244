"""Partners and their arrangements in the workspace: details, channels, users, API keys,
joint-controller arrangements (draft, review side by side, activate) and delivery health.

Partner pages need the "partners" capability; arrangement pages "arrangements" (the privacy
officer reviews and activates arrangements without managing partners). Every change to a
partner's users, keys, secrets, arrangements or deliveries is audited.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from leadpages.accounts import apikeys
from leadpages.accounts import services as accounts
from leadpages.accounts.models import PartnerUser
from leadpages.admin.auth import staff_required
from leadpages.admin.blueprint import ID, bp
from leadpages.admin.partner_forms import (
    CONTENT_LABELS,
    CONTENT_PROBLEMS,
    ESSENCE_LABELS,
    PARTY_LABELS,
    PURPOSE_LABELS,
    RIGHT_LABELS,
    ActivateForm,
    ApiKeyForm,
    ArrangementForm,
    PartnerForm,
    PartnerUserForm,
    arrangement_form_data,
    partner_form_data,
)
from leadpages.arrangements import services as arrangements
from leadpages.arrangements.models import Arrangement, ArrangementError
from leadpages.audit import services as audit
from leadpages.delivery import health as delivery_health
from leadpages.delivery import services as delivery
from leadpages.extensions import db
from leadpages.i18n import LANGUAGES
from leadpages.partners import services as partners
from leadpages.partners.models import Partner
from leadpages.web.transactions import write_phase
from leadpages.web.uploads import accepts_uploads

#: The content of an arrangement, as check_content takes it.
CONTENT_KEYS = ("purposes", "informs_at_collection", "contact_point", "rights_handling",
                "partner_retention", "partner_duties", "essence")


def _partner(partner_id: int) -> Partner:
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        abort(404)
    return partner


def _webhook_rules() -> dict[str, bool]:
    """As the portal and the worker judge a webhook address: https in production."""
    return {"require_https": current_app.config["ENV"] == "production",
            "allow_loopback": current_app.config["WEBHOOK_ALLOW_LOOPBACK"]}


def _subject(partner: Partner) -> str:
    return f"partner:{partner.id}"


def _staff_label() -> str:
    """Who asked, as a delivery's history (which the partner sees) names a staff user."""
    return f"{current_app.config['OPERATOR_NAME']} ({g.staff.name})"


# The list, creation and editing.


@bp.get("/partners", endpoint="partners")
@staff_required("partners")
def partners_list() -> str:
    """Every partner with its arrangement in force, channels and delivery health."""
    rows = list(db.session.scalars(select(Partner).order_by(Partner.legal_name, Partner.id)))
    summaries = delivery_health.summaries(db.session)
    dead = delivery_health.dead_letter_counts(db.session)
    listing = [{"partner": partner,
                "in_force": arrangements.in_force(db.session, partner.id),
                "channels": delivery.channels_of(partner),
                "summary": summaries.get(partner.id),
                "dead": dead.get(partner.id, 0)} for partner in rows]
    return render_template("admin/partners/list.html", listing=listing,
                           channel_labels=_channel_labels())


def _channel_labels() -> dict[str, Any]:
    return {"webhook": _l("Webhook"), "email": _l("Email")}


def _save_partner(form: PartnerForm, partner: Partner | None) -> Partner | None:
    """Check, store the logo, then write: the partner, or None with the error on its field."""
    rules = _webhook_rules()
    values = form.values()
    try:
        # Slow parts first, before the write lock: DNS look-up of the webhook, the image.
        cleaned = partners.check_partner(db.session, values, partner=partner, **rules)
        data = form.logo_bytes()
        logo = (partners.store_partner_logo(data, current_app.config["UPLOAD_PATH"])
                if data is not None else None)
        if partner is None:
            write_phase()
            saved = partners.create_partner(db.session, cleaned, logo)
        else:
            write_phase(partner)
            saved = partners.update_partner(db.session, partner, cleaned, logo)
    except partners.PartnerError as error:
        db.session.rollback()
        getattr(form, error.field).errors = [str(error)]
        return None
    return saved


@bp.route("/partners/new", methods=["GET", "POST"])
@staff_required("partners")
@accepts_uploads
def partner_new() -> BaseResponse | tuple[str, int]:
    """Sign up a partner: who it is, contacts, logo, and where its leads go."""
    form = PartnerForm()
    if request.method == "GET":
        return render_template("admin/partners/form.html", form=form, partner=None), 200
    if form.validate():
        partner = _save_partner(form, None)
        if partner is not None:
            audit.record(db.session, g.staff, "partner.create", _subject(partner),
                         channels=delivery.channels_of(partner), logo=partner.logo is not None)
            secret = partner.webhook_secrets[-1]["secret"] if partner.webhook_secrets else None
            db.session.commit()
            flash(_l("The partner %(name)s is created. Draft its arrangement next: no lead "
                     "reaches it without one.", name=partner.legal_name), "info")
            if secret:
                # The first signing secret is shown once, here, as the portal does.
                return _render_partner(partner, new_secret=secret)
            return redirect(url_for("admin.partner_show", partner_id=partner.id), 303)
    return render_template("admin/partners/form.html", form=form, partner=None), 422


@bp.route(f"/partners/<{ID}:partner_id>/edit", methods=["GET", "POST"])
@staff_required("partners")
@accepts_uploads
def partner_edit(partner_id: int) -> BaseResponse | tuple[str, int]:
    """Change a partner's details, logo or channels."""
    partner = _partner(partner_id)
    if request.method == "GET":
        form = PartnerForm(data=partner_form_data(partner))
        return render_template("admin/partners/form.html", form=form, partner=partner), 200
    form = PartnerForm()
    if form.validate():
        had_secret = bool(partner.webhook_secrets)
        saved = _save_partner(form, partner)
        if saved is not None:
            audit.record(db.session, g.staff, "partner.update", _subject(saved),
                         channels=delivery.channels_of(saved))
            secret = (saved.webhook_secrets[-1]["secret"]
                      if saved.webhook_secrets and not had_secret else None)
            db.session.commit()
            flash(_l("The changes to %(name)s are saved.", name=saved.legal_name), "info")
            if secret:
                return _render_partner(saved, new_secret=secret)
            return redirect(url_for("admin.partner_show", partner_id=saved.id), 303)
    return render_template("admin/partners/form.html", form=form, partner=partner), 422


# The overview, users, keys and the webhook secret.


def _render_partner(partner: Partner, *, user_form: PartnerUserForm | None = None,
                    key_form: ApiKeyForm | None = None, new_key: str | None = None,
                    new_secret: str | None = None, status: int = 200) -> tuple[str, int]:
    users = list(db.session.scalars(select(PartnerUser).where(PartnerUser.partner_id == partner.id)
                                    .order_by(PartnerUser.name, PartnerUser.id)))
    secrets = [{"created_at": entry.get("created_at"), "expires_at": entry.get("expires_at")}
               for entry in reversed(partner.webhook_secrets or [])]
    return render_template(
        "admin/partners/show.html", partner=partner, users=users,
        keys=apikeys.partner_keys(db.session, partner.id), secrets=secrets,
        versions=_versions(partner), in_force=arrangements.in_force(db.session, partner.id),
        channels=delivery.channels_of(partner), channel_labels=_channel_labels(),
        health=delivery_health.partner_health(db.session, partner.id),
        periods=delivery_health.PERIODS,
        user_form=user_form or PartnerUserForm(formdata=None),
        key_form=key_form or ApiKeyForm(formdata=None), new_key=new_key, new_secret=new_secret,
    ), status


@bp.get(f"/partners/<{ID}:partner_id>")
@staff_required("partners")
def partner_show(partner_id: int) -> tuple[str, int]:
    """A partner at a glance: details, channels, users, keys, arrangements, delivery health."""
    return _render_partner(_partner(partner_id))


@bp.post(f"/partners/<{ID}:partner_id>/users")
@staff_required("partners")
def partner_user_new(partner_id: int) -> BaseResponse | tuple[str, int]:
    """Give someone of the partner a portal account."""
    partner = _partner(partner_id)
    form = PartnerUserForm()
    if form.validate():
        write_phase()
        try:
            user = accounts.create_user(db.session, partner, form.email.data, form.name.data,
                                        form.password.data)
        except accounts.AccountError as error:
            db.session.rollback()
            getattr(form, error.field).errors = [str(error)]
        else:
            audit.record(db.session, g.staff, "partner.user.create", _subject(partner),
                         user=user.id)
            db.session.commit()
            flash(_l("%(name)s can now sign in to the partner portal.", name=user.name), "info")
            return redirect(url_for("admin.partner_show", partner_id=partner.id) + "#users",
                            303)
    return _render_partner(_partner(partner_id), user_form=form, status=422)


@bp.post(f"/partners/<{ID}:partner_id>/api-keys")
@staff_required("partners")
def partner_api_key_new(partner_id: int) -> tuple[str, int]:
    """Issue an API key for the partner's systems; shown once, on the page that answers."""
    partner = _partner(partner_id)
    form = ApiKeyForm()
    if form.validate():
        write_phase()
        try:
            key, plain = apikeys.issue_key(db.session, partner, form.name.data)
        except apikeys.ApiKeyError as error:
            db.session.rollback()
            form.name.errors = [str(error)]
        else:
            audit.record(db.session, g.staff, "partner.api_key.create", _subject(partner),
                         key=key.id)
            db.session.commit()
            return _render_partner(partner, new_key=plain)
    return _render_partner(_partner(partner_id), key_form=form, status=422)


@bp.post(f"/partners/<{ID}:partner_id>/api-keys/<{ID}:key_id>/revoke")
@staff_required("partners")
def partner_api_key_revoke(partner_id: int, key_id: int) -> BaseResponse:
    """Stop one of the partner's keys from working, at once and for good."""
    partner = _partner(partner_id)
    key = apikeys.get_partner_key(db.session, partner.id, key_id)
    if key is None:
        abort(404)
    write_phase(key)
    apikeys.revoke_key(db.session, key)
    audit.record(db.session, g.staff, "partner.api_key.revoke", _subject(partner), key=key.id)
    db.session.commit()
    flash(_l("The key “%(name)s” is revoked.", name=key.name), "info")
    return redirect(url_for("admin.partner_show", partner_id=partner.id) + "#keys", 303)


@bp.post(f"/partners/<{ID}:partner_id>/webhook-secret")
@staff_required("partners")
def partner_secret_rotate(partner_id: int) -> tuple[str, int]:
    """Issue a new signing secret, shown once; the previous one signs for 24 hours more."""
    partner = _partner(partner_id)
    write_phase(partner)
    secret = partners.rotate_webhook_secret(db.session, partner)
    audit.record(db.session, g.staff, "partner.webhook_secret.rotate", _subject(partner))
    db.session.commit()
    return _render_partner(partner, new_secret=secret)


# Delivery health and dead letters.


@bp.get(f"/partners/<{ID}:partner_id>/health")
@staff_required("partners")
def partner_health(partner_id: int) -> str:
    """Success rate, latency and failures by reason over a period; dead letters to replay."""
    partner = _partner(partner_id)
    days = delivery_health.period_days(request.args.get("days"))
    return render_template("admin/partners/health_page.html", partner=partner,
                           health=delivery_health.partner_health(db.session, partner.id, days),
                           periods=delivery_health.PERIODS)


def _back_to_health(partner: Partner) -> BaseResponse:
    return redirect(url_for("admin.partner_health", partner_id=partner.id) + "#dead-letters",
                    303)


@bp.post(f"/partners/<{ID}:partner_id>/deliveries/<{ID}:delivery_id>/replay")
@staff_required("partners")
def partner_delivery_replay(partner_id: int, delivery_id: int) -> BaseResponse:
    """Send one dead letter again, with the same message id."""
    partner = _partner(partner_id)
    row = delivery.get_partner_delivery(db.session, partner.id, delivery_id)
    if row is None:
        abort(404)
    write_phase(row)
    try:
        delivery.replay(db.session, row, by=_staff_label())
    except delivery.DeliveryError as error:
        db.session.rollback()
        flash(_l("Delivery %(id)s cannot be sent again: %(reason)s", id=delivery_id,
                 reason=str(error)), "error")
        return _back_to_health(partner)
    audit.record(db.session, g.staff, "delivery.replay", _subject(partner), delivery=row.id)
    db.session.commit()
    flash(_l("Delivery %(id)s is queued to be sent again.", id=row.id), "info")
    return _back_to_health(partner)


@bp.post(f"/partners/<{ID}:partner_id>/deliveries/replay-all")
@staff_required("partners")
def partner_delivery_replay_all(partner_id: int) -> BaseResponse:
    """Send every dead letter of the partner again (those that may still be sent)."""
    partner = _partner(partner_id)
    write_phase()
    replayed, refused = [], 0
    for row in db.session.scalars(delivery.partner_deliveries_query(partner.id, "dead")
                                  .with_for_update()):
        try:
            delivery.replay(db.session, row, by=_staff_label())
        except delivery.DeliveryError:
            refused += 1
        else:
            replayed.append(row.id)
    audit.record(db.session, g.staff, "delivery.replay_all", _subject(partner),
                 replayed=len(replayed), refused=refused)
    db.session.commit()
    flash(_l("%(count)d dead letters are queued to be sent again; %(refused)d may not be sent "
             "(their lead is restricted or erased).", count=len(replayed), refused=refused)
          if refused else _l("%(count)d dead letters are queued to be sent again.",
                             count=len(replayed)), "info")
    return _back_to_health(partner)


# Arrangements.


def _versions(partner: Partner) -> list[Arrangement]:
    return list(db.session.scalars(select(Arrangement).where(Arrangement.partner_id == partner.id)
                                   .order_by(Arrangement.version.desc())))


def _arrangement(partner: Partner, version: int) -> Arrangement:
    found = db.session.scalar(select(Arrangement).where(Arrangement.partner_id == partner.id,
                                                        Arrangement.version == version))
    if found is None:
        abort(404)
    return found


def _draft_of(partner: Partner) -> Arrangement | None:
    return db.session.scalar(select(Arrangement).where(Arrangement.partner_id == partner.id,
                                                       Arrangement.status == "draft")
                             .order_by(Arrangement.version.desc()).limit(1))


@bp.get("/arrangements", endpoint="arrangements")
@staff_required("arrangements")
def arrangements_list() -> str:
    """Every partner's arrangement in force and draft, for the privacy officer and marketers."""
    rows = list(db.session.scalars(select(Partner).order_by(Partner.legal_name, Partner.id)))
    listing = [{"partner": partner, "in_force": arrangements.in_force(db.session, partner.id),
                "draft": _draft_of(partner)} for partner in rows]
    return render_template("admin/partners/arrangements_all.html", listing=listing)


@bp.get(f"/partners/<{ID}:partner_id>/arrangements")
@staff_required("arrangements")
def partner_arrangements(partner_id: int) -> str:
    """A partner's arrangement versions, and drafting a new one."""
    partner = _partner(partner_id)
    return render_template("admin/partners/arrangements.html", partner=partner,
                           versions=_versions(partner), draft=_draft_of(partner),
                           in_force=arrangements.in_force(db.session, partner.id))


@bp.post(f"/partners/<{ID}:partner_id>/arrangements/draft")
@staff_required("arrangements")
def partner_arrangement_draft(partner_id: int) -> BaseResponse:
    """Draft a new version from the standard terms or from the version in force."""
    partner = _partner(partner_id)
    existing = _draft_of(partner)
    if existing is not None:
        flash(_l("Version %(version)d is a draft already: change it, or activate it first.",
                 version=existing.version), "info")
        return redirect(url_for("admin.partner_arrangement_edit", partner_id=partner.id,
                                version=existing.version), 303)
    current = arrangements.in_force(db.session, partner.id)
    if request.form.get("source") == "current" and current is not None:
        content = {key: copy.deepcopy(getattr(current, key)) for key in CONTENT_KEYS}
    else:
        content = arrangements.default_content(partner, current_app.config["OPERATOR_NAME"])
    write_phase(partner)
    if (existing := _draft_of(partner)) is not None:  # drafted meanwhile, by another request
        db.session.rollback()
        return redirect(url_for("admin.partner_arrangement_edit", partner_id=partner.id,
                                version=existing.version), 303)
    draft = arrangements.create_draft(db.session, partner, content)
    audit.record(db.session, g.staff, "arrangement.draft", _subject(partner),
                 version=draft.version)
    db.session.commit()
    flash(_l("Version %(version)d is drafted. Change what the partner agreed to, then review "
             "it.", version=draft.version), "info")
    return redirect(url_for("admin.partner_arrangement_edit", partner_id=partner.id,
                            version=draft.version), 303)


def _content_problems(form: ArrangementForm, error: ArrangementError) -> None:
    """Put each problem check_content found on the field it is about, in the reader's words."""
    for problem in str(error).split("; "):
        message = next((text for start, text in CONTENT_PROBLEMS.items()
                        if problem.startswith(start)), problem)
        target = form.field_for(problem)
        if target is None:
            form.form_errors.append(str(message))
        elif not target.errors:
            target.errors = [str(message)]


@bp.route(f"/partners/<{ID}:partner_id>/arrangements/<{ID}:version>/edit",
          methods=["GET", "POST"])
@staff_required("arrangements")
def partner_arrangement_edit(partner_id: int, version: int) -> BaseResponse | tuple[str, int]:
    """Change a draft's content: purposes, roles, rights, retention, duties, the essence."""
    partner = _partner(partner_id)
    arrangement = _arrangement(partner, version)
    if not arrangement.is_draft:
        flash(_l("Version %(version)d is signed and can no longer change; draft a new version "
                 "instead.", version=version), "info")
        return redirect(url_for("admin.partner_arrangements", partner_id=partner.id), 303)
    if request.method == "GET":
        form = ArrangementForm(data=arrangement_form_data(arrangement))
        return _render_edit(partner, arrangement, form, 200)
    form = ArrangementForm()
    valid = form.validate()
    try:
        # The service's rules too, so that every problem shows at once.
        arrangements.check_content(form.content())
    except ArrangementError as error:
        _content_problems(form, error)
        valid = False
    if valid:
        try:
            write_phase(arrangement)
            arrangements.update_draft(db.session, arrangement, form.content())
        except ArrangementError as error:
            db.session.rollback()
            _content_problems(form, error)
        else:
            db.session.commit()
            flash(_l("The draft is saved. Review it before it is signed."), "info")
            return redirect(url_for("admin.partner_arrangement_review", partner_id=partner.id,
                                    version=version), 303)
    return _render_edit(_partner(partner_id), arrangement, form, 422)


def _render_edit(partner: Partner, arrangement: Arrangement, form: ArrangementForm,
                 status: int) -> tuple[str, int]:
    return render_template("admin/partners/arrangement_edit.html", partner=partner,
                           arrangement=arrangement, form=form), status


def _shown(key: str, value: Any) -> str:
    """One content value as a person reads it."""
    if key == "purposes":
        return "; ".join(str(PURPOSE_LABELS.get(code, code)) for code in value or [])
    if key in ("informs_at_collection", "contact_point"):
        return str(PARTY_LABELS.get(value, value or ""))
    return str(value or "")


def comparison(old: Arrangement | None, new: Arrangement) -> list[dict[str, Any]]:
    """Each field of `new` beside the same field of `old`, and whether it changed."""
    rows: list[dict[str, Any]] = []

    def add(label: Any, old_text: str | None, new_text: str) -> None:
        rows.append({"label": label, "old": old_text, "new": new_text,
                     "changed": old_text is not None and old_text != new_text})

    for key in ("purposes", "informs_at_collection", "contact_point"):
        add(CONTENT_LABELS[key], _shown(key, getattr(old, key)) if old else None,
            _shown(key, getattr(new, key)))
    for right, label in RIGHT_LABELS.items():
        add(_l("Who answers: %(right)s", right=label),
            str(PARTY_LABELS.get((old.rights_handling or {}).get(right, ""), "")) if old else None,
            str(PARTY_LABELS.get((new.rights_handling or {}).get(right, ""), "")))
    for key in ("partner_retention", "partner_duties"):
        add(CONTENT_LABELS[key], _shown(key, getattr(old, key)) if old else None,
            _shown(key, getattr(new, key)))
    for lang in LANGUAGES:
        add(ESSENCE_LABELS[lang],
            (old.essence or {}).get(lang, "") if old else None,
            (new.essence or {}).get(lang, ""))
    return rows


def _render_review(partner: Partner, arrangement: Arrangement, form: ActivateForm | None = None,
                   status: int = 200) -> tuple[str, int]:
    current = arrangements.in_force(db.session, partner.id)
    if current is not None and current.id == arrangement.id:
        current = None
    return render_template(
        "admin/partners/arrangement_review.html", partner=partner, arrangement=arrangement,
        current=current, rows=comparison(current, arrangement),
        form=form or ActivateForm(formdata=None),
    ), status


@bp.get(f"/partners/<{ID}:partner_id>/arrangements/<{ID}:version>/review")
@staff_required("arrangements")
def partner_arrangement_review(partner_id: int, version: int) -> tuple[str, int]:
    """A version side by side with the version in force, changed fields marked; then sign."""
    partner = _partner(partner_id)
    return _render_review(partner, _arrangement(partner, version))


#: Which activation input a problem of arrangements.activate is about.
_SIGNING_PROBLEMS: dict[str, tuple[str, Any]] = {
    "the signing time cannot be in the future": (
        "signed_at", _l("The signing time cannot be in the future.")),
    "an arrangement cannot take effect before it was signed": (
        "effective_from", _l("It cannot be in force before it was signed.")),
}


@bp.post(f"/partners/<{ID}:partner_id>/arrangements/<{ID}:version>/activate")
@staff_required("arrangements")
def partner_arrangement_activate(partner_id: int, version: int) -> BaseResponse | tuple[str, int]:
    """Sign a draft, as `leadpages arrangement activate` does: it takes effect and the version
    in force before is superseded."""
    partner = _partner(partner_id)
    arrangement = _arrangement(partner, version)
    form = ActivateForm()
    if not form.validate():
        return _render_review(partner, arrangement, form, 422)
    write_phase(arrangement)
    try:
        arrangements.activate(
            db.session, arrangement,
            operator_signer=g.staff.name, operator_signer_role=form.operator_signer_role.data,
            partner_signer=form.partner_signer.data,
            partner_signer_role=form.partner_signer_role.data,
            signed_at=form.as_utc(form.signed_at.data),
            effective_from=form.as_utc(form.effective_from.data),
        )
    except ArrangementError as error:
        db.session.rollback()
        field, message = _SIGNING_PROBLEMS.get(str(error), ("", str(error)))
        if field:
            getattr(form, field).errors = [str(message)]
        else:
            form.form_errors.append(str(message))
        partner = _partner(partner_id)
        return _render_review(partner, _arrangement(partner, version), form, 422)
    audit.record(db.session, g.staff, "arrangement.activate", _subject(partner),
                 version=arrangement.version, digest=arrangement.digest)
    db.session.commit()
    flash(_l("Version %(version)d is signed and in force from %(when)s.",
             version=arrangement.version,
             when=arrangement.effective_from.strftime("%Y-%m-%d %H:%M UTC")
             if arrangement.effective_from else ""), "info")
    return redirect(url_for("admin.partner_arrangements", partner_id=partner.id), 303)
