"""Projects and their pages: create, edit every field and text, photos, preview, publish, close,
and the versions the page went through (marketers and admins)."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as BaseResponse

from leadpages.admin.auth import staff_required
from leadpages.admin.blueprint import ID, bp, id_arg, page_number
from leadpages.admin.project_forms import PhotoForm, PhotoUploadForm, ProjectForm, options
from leadpages.audit import services as audit
from leadpages.extensions import db
from leadpages.i18n import LANGUAGES
from leadpages.leads.forms import LeadForm
from leadpages.media import images
from leadpages.media.focus import find_focus
from leadpages.partners.models import Partner
from leadpages.projects import editing
from leadpages.projects.editing import ProjectError
from leadpages.projects.models import PROJECT_STATUSES, Category, Project, ProjectPhoto
from leadpages.public import pages
from leadpages.web.pagination import paginate
from leadpages.web.transactions import write_phase
from leadpages.web.uploads import UPLOAD_FILES, accepts_uploads

#: At most this many files in one upload: what the body limit for uploads leaves room for.
MAX_FILES = UPLOAD_FILES

STATUS_NAMES = {"draft": _l("Draft"), "published": _l("Published"), "closed": _l("Closed")}


def _project(project_id: int) -> Project:
    project = db.session.scalar(
        select(Project).where(Project.id == project_id)
        .options(selectinload(Project.texts), selectinload(Project.photos),
                 selectinload(Project.categories)))
    if project is None:
        abort(404)
    return project


def _form_choices(form: ProjectForm) -> None:
    form.partner_id.choices = options([("", "—")] + [
        (str(p.id), p.legal_name) for p in db.session.scalars(
            select(Partner).order_by(Partner.legal_name))])
    form.categories.choices = options(
        (c.code, f"{c.code} · {c.export_name}") for c in db.session.scalars(
            select(Category).order_by(Category.code)))


def _page_changed() -> None:
    """After a commit: the public page shows the change at once (in this process)."""
    editing.forget_public_pages(current_app)


@bp.get("/projects")
@staff_required("projects")
def projects() -> str:
    """Every project, newest change first, filtered by status and partner."""
    status = request.args.get("status") or ""
    partner_id = id_arg("partner") or 0
    query = select(Project).order_by(Project.updated_at.desc(), Project.id.desc())
    if status in PROJECT_STATUSES:
        query = query.where(Project.status == status)
    else:
        status = ""
    if partner_id:
        query = query.where(Project.partner_id == partner_id)
    page = paginate(db.session, query, page_number(), per_page=50)
    counts = editing.lead_counts(db.session, [p.id for p in page.rows])
    partners = list(db.session.scalars(select(Partner).order_by(Partner.legal_name)))
    args = {k: v for k, v in (("status", status), ("partner", partner_id)) if v}
    return render_template("admin/projects/list.html", page=page, counts=counts,
                           partners=partners, status=status, partner_id=partner_id, args=args,
                           STATUS_NAMES=STATUS_NAMES)


@bp.route("/projects/new", methods=["GET", "POST"])
@staff_required("projects")
def project_new() -> str | tuple[str, int] | BaseResponse:
    """A new project: every field, the texts in each language, the categories."""
    form = ProjectForm()
    _form_choices(form)
    chosen = id_arg("partner") or 0
    if request.method == "GET" and chosen:
        form.partner_id.data = chosen
    if request.method == "POST":
        if form.validate():
            try:
                # Checked in the read phase too: nothing to lock for a check that fails.
                editing.check_fields(db.session, form.to_fields())
                editing.check_texts(form.to_texts())
                editing.check_categories(db.session, form.categories.data or [])
                write_phase()
                project = editing.create_project(db.session, form.to_fields(), form.to_texts(),
                                                 form.categories.data or [], g.staff)
            except ProjectError as error:
                db.session.rollback()
                form.show_error(error)
            else:
                db.session.commit()
                flash(_l("The project %(slug)s was created as a draft. Add photos, preview it, "
                         "then publish it.", slug=project.slug), "info")
                return redirect(url_for("admin.project_edit", project_id=project.id), 303)
        return render_template("admin/projects/form.html", form=form, project=None), 422
    return render_template("admin/projects/form.html", form=form, project=None)


@bp.route(f"/projects/<{ID}:project_id>", methods=["GET", "POST"])
@staff_required("projects")
def project_edit(project_id: int) -> str | tuple[str, int] | BaseResponse:
    """Every field of the project and its texts; its state, and what can be done with it."""
    project = _project(project_id)
    if request.method == "POST":
        form = ProjectForm()
        _form_choices(form)
        if form.validate():
            try:
                editing.check_fields(db.session, form.to_fields(), project)
                write_phase(project)
                before = sorted(c.code for c in project.categories)
                changed = editing.update_project(db.session, project, form.to_fields(),
                                                 form.to_texts(), form.categories.data or [],
                                                 g.staff)
                after = sorted(c.code for c in project.categories)
                if after != before:
                    # Every lead of the project is re-tagged: a change to people's data.
                    audit.record(db.session, g.staff, "project.categories",
                                 f"project:{project.id}", before=before, after=after)
            except ProjectError as error:
                db.session.rollback()
                form.show_error(error)
            else:
                db.session.commit()
                _page_changed()
                flash(_l("The changes were saved.") if changed
                      else _l("Nothing was changed."), "info")
                return redirect(url_for("admin.project_edit", project_id=project.id), 303)
        project = _project(project_id)
        return _edit_page(project, form), 422
    form = ProjectForm(data=_form_data(project))
    _form_choices(form)
    return _edit_page(project, form)


def _form_data(project: Project) -> dict[str, Any]:
    fields = editing.fields_of(project)
    data: dict[str, Any] = dict(vars(fields))
    for name in ("price_min", "price_max"):
        value = data[name]
        data[name] = "" if value is None else (
            str(value.quantize(1)) if value == value.to_integral() else str(value))
    data["categories"] = [c.code for c in project.categories]
    for lang in LANGUAGES:
        text = project.text(lang)
        for name in ("title", "tagline", "description"):
            data[f"{lang}_{name}"] = getattr(text, name) if text else ""
    return data


def _edit_page(project: Project, form: ProjectForm, problem: Any = None) -> str:
    return render_template(
        "admin/projects/form.html", form=form, project=project, problem=problem,
        blocker=editing.publish_blocker(db.session, project) if project.status == "draft"
        else None, leads=editing.lead_count(db.session, project), STATUS_NAMES=STATUS_NAMES)


@bp.post(f"/projects/<{ID}:project_id>/publish")
@staff_required("projects")
def project_publish(project_id: int) -> tuple[str, int] | BaseResponse:
    """Publish the page; refused, with the reason, when it could not take requests."""
    return _change_status(project_id, "publish")


@bp.post(f"/projects/<{ID}:project_id>/close")
@staff_required("projects")
def project_close(project_id: int) -> tuple[str, int] | BaseResponse:
    """Close the page: it stays online and takes no more requests."""
    return _change_status(project_id, "close")


@bp.post(f"/projects/<{ID}:project_id>/reopen")
@staff_required("projects")
def project_reopen(project_id: int) -> tuple[str, int] | BaseResponse:
    """Take a closed page back to a draft (offline), to change it and publish it again."""
    return _change_status(project_id, "reopen")


def _change_status(project_id: int, action: str) -> tuple[str, int] | BaseResponse:
    project = _project(project_id)
    write_phase(project)
    try:
        {"publish": editing.publish, "close": editing.close,
         "reopen": editing.reopen}[action](db.session, project, g.staff)
    except ProjectError as error:
        db.session.rollback()
        project = _project(project_id)
        form = ProjectForm(formdata=None, data=_form_data(project))
        _form_choices(form)
        return _edit_page(project, form, problem=error.message), 422
    # Not personal data, but who put a page online or took it off belongs in the trail.
    audit.record(db.session, g.staff, f"project.{action}", f"project:{project.id}",
                 slug=project.slug)
    db.session.commit()
    _page_changed()
    flash({"publish": _l("The page is published."),
           "close": _l("The page is closed: it stays online and takes no more requests."),
           "reopen": _l("The page is a draft again: it is offline.")}[action], "info")
    return redirect(url_for("admin.project_edit", project_id=project.id), 303)


@bp.route(f"/projects/<{ID}:project_id>/photos", methods=["GET", "POST"])
@staff_required("projects")
@accepts_uploads
def project_photos(project_id: int) -> str | tuple[str, int] | BaseResponse:
    """The project's photos: upload, describe, set the centre of interest, order, remove."""
    project = _project(project_id)
    if request.method == "GET":
        return _photos_page(project, PhotoUploadForm())
    # The body may be larger than elsewhere: see leadpages.web.uploads.
    form = PhotoUploadForm()
    files = [f for f in (request.files.getlist("photos") or []) if f and f.filename]
    problems: list[str] = []
    stored = []
    if not form.validate():
        return _photos_page(project, form), 422
    if not files:
        form.photos.errors = [str(_l("Choose one or more photos."))]
    elif len(files) > MAX_FILES:
        form.photos.errors = [str(_l("At most %(count)d photos at once.", count=MAX_FILES))]
    else:
        for upload in files:
            data = upload.read(images.MAX_FILE_BYTES + 1)
            upload.close()  # a large one is spooled to a temporary file
            try:
                photo = images.store_photo(data, current_app.config["UPLOAD_PATH"])
            except images.ImageRejected as error:
                problems.append(f"{upload.filename}: {editing.image_message(error)}")
                continue
            stored.append((photo, _focus(photo)))
        if problems:
            form.photos.errors = problems
    if form.photos.errors:
        return _photos_page(project, form), 422
    write_phase(project)
    editing.add_photos(db.session, project, stored, g.staff)
    db.session.commit()
    _page_changed()
    flash(_l("%(count)d photo(s) added.", count=len(stored)), "info")
    return redirect(url_for("admin.project_photos", project_id=project.id), 303)


def _focus(photo: images.StoredPhoto) -> tuple[float, float]:
    """The centre of interest, measured on the smallest stored rendition (metadata-free)."""
    path = images.photo_path(current_app.config["UPLOAD_PATH"], photo.key, photo.widths[0],
                             "jpg")
    with Image.open(path) as image:
        return find_focus(image)


def _photos_page(project: Project, upload: PhotoUploadForm,
                 failed: tuple[int, PhotoForm] | None = None) -> str:
    forms = {}
    for photo in project.photos:
        if failed and failed[0] == photo.id:
            forms[photo.id] = failed[1]
            continue
        data = {"focus_x": round(photo.focus_x * 100), "focus_y": round(photo.focus_y * 100),
                **{f"alt_{lang}": (photo.alt or {}).get(lang, "") for lang in LANGUAGES}}
        forms[photo.id] = PhotoForm(prefix=f"photo-{photo.id}", formdata=None, data=data)
    return render_template("admin/projects/photos.html", project=project, upload=upload,
                           forms=forms)


def _photo(project: Project, photo_id: int) -> ProjectPhoto:
    photo = next((p for p in project.photos if p.id == photo_id), None)
    if photo is None:
        abort(404)
    return photo


@bp.post(f"/projects/<{ID}:project_id>/photos/<{ID}:photo_id>")
@staff_required("projects")
def project_photo_edit(project_id: int, photo_id: int) -> tuple[str, int] | BaseResponse:
    """A photo's descriptions per language and its centre of interest."""
    project = _project(project_id)
    photo = _photo(project, photo_id)
    form = PhotoForm(prefix=f"photo-{photo.id}")
    if form.validate():
        alt = {lang: form[f"alt_{lang}"].data or "" for lang in LANGUAGES}
        write_phase(project)
        try:
            changed = editing.update_photo(db.session, photo, alt, form.focus_x.data / 100,
                                           form.focus_y.data / 100, g.staff)
        except ProjectError as error:
            db.session.rollback()
            form[error.field].errors = [str(error)]
        else:
            db.session.commit()
            _page_changed()
            flash(_l("The photo was saved.") if changed else _l("Nothing was changed."), "info")
            return redirect(url_for("admin.project_photos", project_id=project.id)
                            + f"#photo-{photo.id}", 303)
        project = _project(project_id)
    return _photos_page(project, PhotoUploadForm(formdata=None), (photo.id, form)), 422


@bp.post(f"/projects/<{ID}:project_id>/photos/<{ID}:photo_id>/<any(up, down, remove):action>")
@staff_required("projects")
def project_photo_action(project_id: int, photo_id: int, action: str) -> BaseResponse:
    """Move a photo earlier or later (the first is the page's main photo), or remove it."""
    project = _project(project_id)
    photo = _photo(project, photo_id)
    write_phase(project)
    if action == "remove":
        editing.remove_photo(db.session, photo, g.staff)
        flash(_l("The photo was removed from the page."), "info")
    else:
        editing.move_photo(db.session, photo, -1 if action == "up" else 1, g.staff)
    db.session.commit()
    _page_changed()
    return redirect(url_for("admin.project_photos", project_id=project.id), 303)


@bp.get(f"/projects/<{ID}:project_id>/preview/<any(nl, fr, en):lang>")
@staff_required("projects")
def project_preview(project_id: int, lang: str) -> str | BaseResponse:
    """The page exactly as a visitor will see it, a draft too; its form sends nothing."""
    project = _project(project_id)
    if project.text(lang) is None:
        flash(_l("The page has no text in this language yet."), "info")
        return redirect(url_for("admin.project_edit", project_id=project.id), 303)
    if lang not in project.languages:
        # Visitors get no page in this language: there is nothing to show as they would see it.
        flash(_l("The page is not published in this language: tick it among the languages "
                 "first."), "info")
        return redirect(url_for("admin.project_edit", project_id=project.id), 303)
    form = pages.landing_form(project)
    if form is None and project.status == "draft":
        # A draft takes no requests yet; show the form it will have once published.
        form = LeadForm(project=project, basis=current_app.config["AUDIENCE_BASIS"],
                        formdata=None, meta={"csrf": False})
    html = pages.render_landing(project, lang, form, token_value="", campaign_value="")
    return _as_preview(html, project)


_FORM_TAG = re.compile(r'<form class="lead" method="post" action="[^"]*"')
_SUBMIT = re.compile(r'<button type="submit" class="button">')
SENDS_NOTHING = _l("The preview sends nothing.")


def _as_preview(html: str, project: Project) -> str:
    """The visitor's page with a banner above it and a form that sends nothing anywhere."""
    banner = Markup(
        '<div class="notice preview-banner" role="status"><p><strong>{}</strong> {} '
        '<a href="{}">{}</a></p></div>').format(
        _l("Preview, not published."),
        _l("Status: %(status)s.", status=STATUS_NAMES.get(project.status, project.status)),
        url_for("admin.project_edit", project_id=project.id), _l("Back to the project"))
    html = _FORM_TAG.sub('<form class="lead" method="get" action="#request" '
                         'aria-disabled="true"', html, count=1)
    html = _SUBMIT.sub(f'<button type="submit" class="button" disabled title="'
                       f'{escape(SENDS_NOTHING)}">', html, count=1)
    return html.replace('<a class="skip" href="#main">', f'{banner}<a class="skip" '
                        'href="#main">', 1)


@bp.get(f"/projects/<{ID}:project_id>/versions")
@staff_required("projects")
def project_versions(project_id: int) -> str:
    """Every saved version of the page, newest first."""
    project = _project(project_id)
    versions = editing.list_versions(db.session, project)
    staff_names = _staff_names({v.created_by_id for v in versions if v.created_by_id})
    return render_template("admin/projects/versions.html", project=project, versions=versions,
                           staff_names=staff_names)


@bp.get(f"/projects/<{ID}:project_id>/versions/<{ID}:number>")
@staff_required("projects")
def project_version(project_id: int, number: int) -> str:
    """One version against the one before it (or against `?with=` another number)."""
    project = _project(project_id)
    version = editing.get_version(db.session, project, number)
    if version is None:
        abort(404)
    other_number = id_arg("with") or number - 1
    other = editing.get_version(db.session, project, other_number) if other_number else None
    older, newer = (other, version) if other is None or other.number < number else (version,
                                                                                     other)
    changes = editing.compare(older.snapshot if older else None, newer.snapshot)
    return render_template("admin/projects/version.html", project=project, version=version,
                           older=older, newer=newer, changes=changes,
                           staff_names=_staff_names({version.created_by_id}
                                                    if version.created_by_id else set()))


def _staff_names(ids: set[int]) -> dict[int, str]:
    from leadpages.staff.models import StaffUser

    if not ids:
        return {}
    return {u.id: u.name for u in db.session.scalars(select(StaffUser)
                                                     .where(StaffUser.id.in_(ids)))}
