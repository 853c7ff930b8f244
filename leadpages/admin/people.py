"""Staff accounts (admins only) and the audit log (admins and the privacy officer)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse

from leadpages.accounts.services import AccountError
from leadpages.admin.auth import staff_required
from leadpages.admin.blueprint import ID, bp, page_number
from leadpages.admin.forms import StaffUserForm
from leadpages.audit import services as audit
from leadpages.extensions import db
from leadpages.staff import services as staff
from leadpages.staff.models import StaffUser
from leadpages.web.pagination import paginate
from leadpages.web.transactions import write_phase


@bp.route("/staff", methods=["GET", "POST"])
@staff_required("staff")
def staff_users() -> str | tuple[str, int]:
    """Every staff account, and a form to add one."""
    form = StaffUserForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            write_phase()
            try:
                user = staff.create_staff(db.session, form.email.data, form.name.data,
                                          form.role.data, form.password.data)
            except AccountError as error:
                db.session.rollback()
                getattr(form, error.field).errors = [str(error)]
            else:
                audit.record(db.session, g.staff, "staff.create", f"staff:{user.id}",
                             role=user.role)
                db.session.commit()
                flash(_l("%(name)s can now sign in and will set up the second factor then.",
                         name=user.name), "info")
                return redirect(url_for("admin.staff_users"), 303)  # type: ignore[return-value]
        status = 422
    return render_template("admin/staff_users.html", form=form,
                           users=staff.list_staff(db.session)), status


@bp.post(f"/staff/<{ID}:user_id>/<any(deactivate, activate, 'reset-factor'):action>")
@staff_required("staff")
def staff_user_action(user_id: int, action: str) -> BaseResponse:
    """Deactivate, reactivate, or reset the second factor of an account (not one's own)."""
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    if user.id == g.staff.id:
        flash(_l("You cannot change your own account here; ask another administrator."),
              "info")
        return redirect(url_for("admin.staff_users"), 303)
    write_phase(user)
    if action == "reset-factor":
        staff.reset_second_factor(db.session, user)
        flash(_l("%(name)s will set up a new second factor at the next sign-in.",
                 name=user.name), "info")
    else:
        staff.set_active(db.session, user, action == "activate")
        flash(_l("%(name)s can sign in again.", name=user.name) if action == "activate"
              else _l("%(name)s can no longer sign in.", name=user.name), "info")
    audit.record(db.session, g.staff, f"staff.{action}", f"staff:{user.id}")
    db.session.commit()
    return redirect(url_for("admin.staff_users"), 303)


@bp.get("/audit")
@staff_required("audit")
def audit_log() -> str:
    """The audit log, newest first; the whole hash chain is checked when asked (`?verify=1`).

    Checking reads every event, so it is not done on each page of the list.
    """
    action = (request.args.get("action") or "").strip()[:60] or None
    subject = (request.args.get("subject") or "").strip()[:120] or None
    page = paginate(db.session, audit.events_query(action=action, subject=subject),
                    page_number(), per_page=50)
    chain = audit.verify(db.session) if request.args.get("verify") == "1" else None
    return render_template("admin/audit_log.html", page=page, chain=chain,
                           action=action or "", subject=subject or "")
