"""Signing in (password, then the second factor or its enrolment), signing out, the home page."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse

from leadpages.accounts import services as accounts
from leadpages.admin import auth
from leadpages.admin.auth import staff_required
from leadpages.admin.blueprint import bp
from leadpages.admin.forms import CodeForm, SignInForm
from leadpages.audit import services as audit
from leadpages.extensions import db, limiter
from leadpages.staff import services as staff
from leadpages.staff.models import StaffUser
from leadpages.web.transactions import write_phase

#: Failed sign-ins allowed per client address, besides the per-account lock.
SIGN_IN_RATE = "10 per 15 minutes"

WRONG_SIGN_IN = _l("The email address or password is not right, or the account is locked for "
                   "15 minutes after too many failed attempts.")
WRONG_CODE = _l("That code is not right, or was used already. Wait for the next code and try "
                "again. After five wrong codes the account is locked for 15 minutes.")


def _rate() -> str:
    return str(current_app.config.get("RATELIMIT_ADMIN_SIGN_IN", SIGN_IN_RATE))


def _counts_as_failure(response: Any) -> bool:
    return bool(response.status_code == 422)


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_rate, methods=["POST"], deduct_when=_counts_as_failure)
def sign_in() -> BaseResponse | tuple[str, int]:
    """The password step; only failed attempts count towards the address's limit."""
    form = SignInForm()
    if request.method == "GET":
        if auth.signed_in_staff() is not None:
            return redirect(url_for("admin.home"))
        form.next.data = auth.safe_next(request.args.get("next"))
        return render_template("admin/sign_in.html", form=form), 200
    if form.validate():
        # The slow password check is a read; only its outcome is written, for a known account.
        check = accounts.check_sign_in(db.session, form.email.data, form.password.data,
                                       model=StaffUser)
        user = None
        if check.to_record:
            write_phase()
            user = accounts.record_sign_in(db.session, check, model=StaffUser,
                                           second_factor=True)
            if user is not None and not user.is_active:
                user = None
            elif user is not None and not user.is_enrolled:
                staff.begin_enrolment(db.session, user)
            db.session.commit()  # the failure count and lock must be kept either way
        if user is not None:
            auth.start_pending(user)
            return redirect(url_for("admin.second_factor",
                                    next=auth.safe_next(form.next.data)), 303)
        form.form_errors.append(str(WRONG_SIGN_IN))
    return render_template("admin/sign_in.html", form=form), 422


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(_rate, methods=["POST"], deduct_when=_counts_as_failure)
def second_factor() -> BaseResponse | tuple[str, int]:
    """The authenticator code; the first time, enrolment with a QR code drawn on this page."""
    user = auth.pending_user()
    if user is None:
        flash(_l("Please sign in again: the code must follow the password within 5 minutes."),
              "info")
        return redirect(url_for("admin.sign_in"), 303)
    form = CodeForm()
    if request.method == "GET":
        form.next.data = auth.safe_next(request.args.get("next"))
        return _code_page(user, form), 200
    if form.validate():
        write_phase(user)
        enrolling = not user.is_enrolled
        if enrolling:
            accepted = staff.enrol(db.session, user, form.code.data)
        else:
            accepted = not accounts.is_locked(user) and staff.check_code(
                db.session, user, form.code.data)
        if accepted:
            audit.record(db.session, user, "staff.enrol" if enrolling else "staff.sign-in",
                         f"staff:{user.id}")
        db.session.commit()
        if accepted:
            auth.sign_in(user)
            return redirect(auth.safe_next(form.next.data) or url_for("admin.home"), 303)
        form.code.errors = [str(WRONG_CODE)]
    return _code_page(user, form), 422


def _code_page(user: StaffUser, form: CodeForm) -> str:
    if user.is_enrolled or user.totp_secret is None:
        return render_template("admin/second_factor.html", form=form, user=user)
    uri = staff.provisioning_uri(user, user.totp_secret,
                                 issuer=f"{current_app.config['OPERATOR_NAME']} Leadpages")
    return render_template("admin/enrol.html", form=form, user=user, qr=staff.qr_svg(uri),
                           secret=user.totp_secret)


@bp.post("/sign-out")
@staff_required()
def sign_out() -> BaseResponse:
    """End the session: this browser's, and any copy of its cookie (every session of the user)."""
    user = g.staff
    write_phase(user)
    user.session_version += 1
    audit.record(db.session, user, "staff.sign-out", f"staff:{user.id}")
    db.session.commit()
    auth.sign_out()
    flash(_l("You are signed out."), "info")
    return redirect(url_for("admin.sign_in"), 303)


@bp.get("/")
@staff_required()
def home() -> str:
    """Where each role starts: the parts of the workspace it may use."""
    return render_template("admin/home.html", user=g.staff)
