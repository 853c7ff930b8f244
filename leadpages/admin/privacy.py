"""The objection register, audiences and similar-project mailings, for staff.

Each screen calls the same services as the `leadpages objection|audience|mailing` commands,
never less: an objection entered here untags, marks audience removals and notifies partners in
one transaction; an export takes the same run lock and writes the same files; a mailing is sent
by `leadpages worker` (paced), never by the web request. Every look-up, entry, export, download
and send is audited, without the identifiers typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, send_file, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms.fields.choices import SelectChoice

from leadpages.admin.auth import staff_required
from leadpages.admin.blueprint import ID, bp
from leadpages.admin.privacy_forms import (
    AudienceForm,
    MailingForm,
    ObjectionForm,
    RegisterLookupForm,
)
from leadpages.audiences import services as audiences
from leadpages.audiences.models import Audience, AudienceExport
from leadpages.audit import services as audit
from leadpages.audit.services import actor_label
from leadpages.extensions import db
from leadpages.i18n import LANGUAGES
from leadpages.mailings import services as mailings
from leadpages.mailings.models import Mailing
from leadpages.objections import services as objections
from leadpages.projects.models import Category, Project
from leadpages.web.transactions import write_phase

#: Room left in the note for " (entered by NAME)", as the command does.
NOTE_LIMIT = 200


# --- The objection register ---------------------------------------------------------------------


def _register_page(lookup: RegisterLookupForm, add: ObjectionForm, status: int = 200,
                   **context: Any) -> tuple[str, int]:
    return render_template("admin/privacy/register.html", lookup=lookup, add=add,
                           **context), status


@bp.route("/register", methods=["GET", "POST"])
@staff_required("register")
def register() -> tuple[str, int]:
    """Look an email address or phone number up in the register (by its keyed hash)."""
    lookup = RegisterLookupForm(prefix="lookup")
    add = ObjectionForm(prefix="add", formdata=None)
    if not lookup.is_submitted():
        return _register_page(lookup, add)
    if not lookup.validate():
        return _register_page(lookup, add, 422)
    email, phone = lookup.email.data or None, lookup.phone.data or None
    problems = objections.identifier_problems(email, phone)
    if problems:
        for name, problem in problems.items():
            getattr(lookup, name).errors = [problem]
        return _register_page(lookup, add, 422)
    rows = objections.lookup(db.session, email=email, phone=phone)
    given = [kind for kind, value in (("email", email), ("phone", phone)) if value]
    write_phase()
    audit.record(db.session, g.staff, "register.lookup", kinds=given, found=bool(rows))
    db.session.commit()
    # What was typed is not shown back: the result speaks of the identifiers given only.
    return _register_page(RegisterLookupForm(prefix="lookup", formdata=None), add,
                          rows=rows, looked_up=given)


@bp.post("/register/objections")
@staff_required("register")
def register_add() -> BaseResponse | tuple[str, int]:
    """Record an objection received by letter or call, and act on it at once."""
    lookup = RegisterLookupForm(prefix="lookup", formdata=None)
    add = ObjectionForm(prefix="add")
    valid = add.validate()
    email, phone = add.email.data or None, add.phone.data or None
    for name, problem in objections.identifier_problems(email, phone).items():
        getattr(add, name).errors = [*getattr(add, name).errors, problem]
        valid = False
    note = f"{add.note.data} (entered by {g.staff.name})"
    if valid and len(note) > NOTE_LIMIT:
        add.note.errors = [str(_l("Too long together with the name of who enters it; "
                                  "shorten it."))]
        valid = False
    if not valid:
        return _register_page(lookup, add, 422)
    write_phase()
    try:
        recorded = objections.record_objection(db.session, email=email, phone=phone,
                                               scope=add.scope.data, source="staff", note=note)
    except objections.ObjectionError as error:
        db.session.rollback()
        add.form_errors.append(str(error))
        return _register_page(lookup, add, 422)
    audit.record(db.session, g.staff, "objection.add",
                 f"objection:{recorded.new[0].id}" if recorded.new else "",
                 kinds=sorted(recorded.keys), scope=add.scope.data, added=len(recorded.new),
                 untagged=recorded.untagged, removals_queued=recorded.removals_queued,
                 partners_notified=recorded.partners_notified)
    db.session.commit()
    if recorded.new:
        flash(_l("Objection recorded. %(untagged)d leads untagged, %(removals)d audience "
                 "removals queued, %(notices)d partner notices queued.",
                 untagged=recorded.untagged, removals=recorded.removals_queued,
                 notices=recorded.partners_notified), "info")
    else:
        flash(_l("Already in the register for this scope (or all); nothing added."), "info")
    return redirect(url_for("admin.register"), 303)


# --- Audiences ----------------------------------------------------------------------------------


def _category_choices() -> list[SelectChoice]:
    return [SelectChoice(c.code, f"{c.code} ({c.export_name})")
            for c in db.session.scalars(select(Category).order_by(Category.code))]


def _last_exports() -> dict[int, AudienceExport]:
    last: dict[int, AudienceExport] = {}
    for export in db.session.scalars(select(AudienceExport).order_by(AudienceExport.id)):
        last[export.audience_id] = export
    return last


@bp.get("/audiences", endpoint="audiences")
@staff_required("audiences")
def audiences_list() -> str:
    """Every audience with its members, removals due and last export."""
    rows = db.session.scalars(select(Audience).order_by(Audience.name)).all()
    due = audiences.pending_removals(db.session)
    members = {a.id: audiences.member_count(db.session, a) for a in rows}
    return render_template("admin/privacy/audiences.html", audiences=rows, due=due,
                           members=members, last=_last_exports())


@bp.route("/audiences/new", methods=["GET", "POST"])
@staff_required("audiences")
def audience_new() -> BaseResponse | tuple[str, int]:
    """Define an audience: categories, window, platform and minimum size."""
    form = AudienceForm()
    form.categories.choices = _category_choices()
    basis = current_app.config["AUDIENCE_BASIS"]
    if form.is_submitted():
        if form.validate():
            write_phase()
            try:
                audience = audiences.define_audience(
                    db.session, name=form.name.data, platform=form.platform.data,
                    categories=form.categories.data, window_days=form.window_days.data,
                    min_size=form.min_size.data, created_by=actor_label(g.staff))
            except audiences.AudienceError as error:
                db.session.rollback()
                target = form.categories if error.field == "categories" else form.name
                target.errors = [str(error)]
            else:
                audit.record(db.session, g.staff, "audience.define", f"audience:{audience.id}",
                             platform=audience.platform,
                             categories=[c.code for c in audience.categories])
                db.session.commit()
                flash(_l("Audience %(name)s defined.", name=audience.name), "info")
                if reason := audiences.refusal(audience, basis):
                    flash(_l("It cannot be exported as things are: %(reason)s", reason=reason),
                          "info")
                return redirect(url_for("admin.audience_show", audience_id=audience.id), 303)
        return render_template("admin/privacy/audience_new.html", form=form), 422
    return render_template("admin/privacy/audience_new.html", form=form), 200


def _audience(audience_id: int) -> Audience:
    audience = db.session.get(Audience, audience_id)
    if audience is None:
        abort(404)
    return audience


@bp.get(f"/audiences/<{ID}:audience_id>")
@staff_required("audiences")
def audience_show(audience_id: int) -> str:
    """One audience and each of its exports: counts per reason, who ran it, files, digests."""
    audience = _audience(audience_id)
    exports = db.session.scalars(select(AudienceExport).where(
        AudienceExport.audience_id == audience.id).order_by(AudienceExport.id.desc())).all()
    # Only the newest upload file may be handed out (and only while nothing changed since).
    blocked = {export.id: audiences.upload_file_blocker(db.session, export)
               for export in exports if export.file_name}
    return render_template(
        "admin/privacy/audience_show.html", audience=audience, exports=exports,
        blocked=blocked,
        members=audiences.member_count(db.session, audience),
        due=audiences.pending_removals(db.session).get(audience.id, 0),
        refusal=audiences.refusal(audience, current_app.config["AUDIENCE_BASIS"]),
        reasons=audiences.EXCLUSION_REASONS)


@bp.post(f"/audiences/<{ID}:audience_id>/export")
@staff_required("audiences")
def audience_export(audience_id: int) -> BaseResponse:
    """Export the audience now, as `leadpages audience export NAME` does (in the request)."""
    audience = _audience(audience_id)
    try:
        done = audiences.export_audience(db.session, audience, run_by=actor_label(g.staff))
    except audiences.AudienceError as error:
        db.session.rollback()
        write_phase()
        audit.record(db.session, g.staff, "audience.export", f"audience:{audience_id}",
                     status="failed")
        db.session.commit()
        flash(_l("Not exported: %(reason)s", reason=str(error)), "error")
        return redirect(url_for("admin.audience_show", audience_id=audience_id), 303)
    # The export commits its own phases (snapshot read, then the write); the event follows it.
    write_phase()
    audit.record(db.session, g.staff, "audience.export", f"audience:{audience_id}",
                 export=done.id, status=done.status, included=done.included,
                 removed=done.removed, excluded=done.excluded)
    db.session.commit()
    if done.status == "written":
        flash(_l("Exported: %(included)d people in the upload file, %(removed)d in the "
                 "removal file.", included=done.included, removed=done.removed), "info")
    else:
        flash(_l("Not exported (%(status)s): %(reason)s", status=done.status,
                 reason=audiences.reason_text(audience, done)), "error")
    return redirect(url_for("admin.audience_show", audience_id=audience_id), 303)


@bp.get(f"/audiences/<{ID}:audience_id>/exports/<{ID}:export_id>/<any(upload, removal):which>")
@staff_required("audiences")
def audience_download(audience_id: int, export_id: int, which: str) -> Any:
    """One file of an export, as an attachment (hashed identifiers, still personal data)."""
    export = db.session.get(AudienceExport, export_id)
    if export is None or export.audience_id != audience_id:
        abort(404)
    name = export.file_name if which == "upload" else export.removal_file_name
    if not name:
        abort(404)
    if which == "upload" and (reason := audiences.upload_file_blocker(db.session, export)):
        flash(_l("Not handed out: %(reason)s", reason=str(reason)), "error")
        return redirect(url_for("admin.audience_show", audience_id=audience_id), 303)
    folder = Path(current_app.config["AUDIENCE_PATH"]).resolve()
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        abort(404)
    write_phase()
    audit.record(db.session, g.staff, "audience.download", f"audience:{audience_id}",
                 export=export_id, file=which)
    db.session.commit()
    response = send_file(path, mimetype="text/csv", as_attachment=True, download_name=name,
                         max_age=0, conditional=False, etag=False)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Mailings -----------------------------------------------------------------------------------


def _published_projects() -> list[SelectChoice]:
    return [SelectChoice(p.slug) for p in db.session.scalars(
        select(Project).where(Project.status == "published").order_by(Project.slug))]


@bp.get("/mailings", endpoint="mailings")
@staff_required("mailings")
def mailings_list() -> str:
    """The newest mailings with their state and counts."""
    rows = mailings.list_mailings(db.session, 100)
    counts = {m.id: mailings.report_counts(db.session, m) for m in rows}
    skipped = {m: sum(n for key, n in c.items() if key.startswith("skipped:"))
               for m, c in counts.items()}
    return render_template("admin/privacy/mailings.html", mailings=rows, counts=counts,
                           skipped=skipped, requested=mailings.is_send_requested)


@bp.route("/mailings/new", methods=["GET", "POST"])
@staff_required("mailings")
def mailing_new() -> BaseResponse | tuple[str, int]:
    """Compose a mailing: the project it is about and the categories whose people hear of it."""
    form = MailingForm()
    form.target.choices = [SelectChoice("", "—"), *_published_projects()]
    form.categories.choices = _category_choices()
    if form.is_submitted():
        if form.validate():
            write_phase()
            try:
                mailing = mailings.create_mailing(db.session, form.target.data,
                                                  form.categories.data, actor_label(g.staff))
                mailings.plan(db.session, mailing)
            except mailings.MailingError as error:
                db.session.rollback()
                target = form.categories if error.field == "categories" else form.target
                target.errors = [str(error)]
            else:
                audit.record(db.session, g.staff, "mailing.create", f"mailing:{mailing.id}",
                             planned=mailing.report.get("planned", 0))
                db.session.commit()
                flash(_l("Mailing created: %(count)d recipients planned. Read the preview, "
                         "then send it.", count=mailing.report.get("planned", 0)), "info")
                return redirect(url_for("admin.mailing_show", mailing_id=mailing.id), 303)
        return render_template("admin/privacy/mailing_new.html", form=form), 422
    return render_template("admin/privacy/mailing_new.html", form=form), 200


@bp.get(f"/mailings/<{ID}:mailing_id>")
@staff_required("mailings")
def mailing_show(mailing_id: int) -> str:
    """A mailing: its plan and report counts, and the email as it reads in each language."""
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None:
        abort(404)
    counts = mailings.report_counts(db.session, mailing)
    project = mailing.target_project
    languages = [lang for lang in LANGUAGES if lang in project.languages and project.text(lang)]
    previews = [mailings.preview(db.session, mailing, lang) for lang in languages]
    return render_template("admin/privacy/mailing_show.html", mailing=mailing, counts=counts,
                           previews=previews, requested=mailings.is_send_requested(mailing),
                           queued=mailings.queued_count(db.session, mailing),
                           rate=current_app.config["MAILING_RATE_PER_MINUTE"])


@bp.post(f"/mailings/<{ID}:mailing_id>/send")
@staff_required("mailings")
def mailing_send(mailing_id: int) -> BaseResponse:
    """Hand the mailing to `leadpages worker`, which sends it at the configured pace."""
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None:
        abort(404)
    write_phase()
    try:
        queued = mailings.request_send(db.session, mailing)
    except mailings.MailingError as error:
        db.session.rollback()
        flash(_l("Not sent: %(reason)s", reason=str(error)), "error")
        return redirect(url_for("admin.mailing_show", mailing_id=mailing_id), 303)
    audit.record(db.session, g.staff, "mailing.send", f"mailing:{mailing_id}", queued=queued)
    db.session.commit()
    flash(_l("Sending: the worker sends %(count)d emails, at most %(rate)d a minute. Reload "
             "this page to follow the report.", count=queued,
             rate=current_app.config["MAILING_RATE_PER_MINUTE"]), "info")
    return redirect(url_for("admin.mailing_show", mailing_id=mailing_id), 303)
