"""Staff accounts: creation, roles and what each may do, and the TOTP second factor.

Passwords are checked exactly as for portal users (leadpages.accounts.services, with
`model=StaffUser`); the same five-failures lock covers wrong second-factor codes too.
Functions flush, never commit.
"""

from __future__ import annotations

import hmac
import io
import time

import pyotp
import segno
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpages.accounts import services as accounts
from leadpages.accounts.services import AccountError
from leadpages.db import utcnow
from leadpages.staff.models import STAFF_ROLES, StaffUser

#: What each role may open in the workspace. A view names one capability; the navigation shows
#: only what the signed-in role has.
CAPABILITIES: dict[str, frozenset[str]] = {
    "admin": frozenset({"partners", "arrangements", "projects", "campaigns", "results",
                        "leads", "register", "audiences", "mailings", "audit", "staff"}),
    "marketer": frozenset({"partners", "arrangements", "projects", "campaigns", "results",
                           "audiences", "mailings"}),
    "privacy": frozenset({"arrangements", "leads", "register", "audiences", "mailings",
                          "audit"}),
}
ROLE_LABELS = {"admin": _l("Administrator"), "marketer": _l("Marketer"),
               "privacy": _l("Privacy officer")}
#: RFC 6238 defaults, which every authenticator app reads: 6 digits every 30 seconds.
TOTP_DIGITS = 6
TOTP_PERIOD = 30
#: Codes one step either side are accepted, for clocks that drift a little.
TOTP_WINDOW = 1


def can(user: StaffUser | None, capability: str) -> bool:
    """Whether `user` may use the part of the workspace named `capability`."""
    return user is not None and user.is_active and capability in CAPABILITIES.get(user.role, ())


def check_role(role: str) -> str:
    """The role, or AccountError when it is not one of STAFF_ROLES."""
    if role not in STAFF_ROLES:
        raise AccountError("role", _l("Choose a role: %(roles)s.", roles=", ".join(STAFF_ROLES)))
    return role


def check_available(session: Session, email: str) -> str:
    """The normalised address if valid and no staff user signs in with it yet."""
    address = accounts.check_email(email)
    if accounts.find_user(session, address, model=StaffUser) is not None:
        raise AccountError("email", _l("A user with this email address already exists."))
    return address


def create_staff(session: Session, email: str, name: str, role: str,
                 password: str) -> StaffUser:
    """A new staff user, who enrols a second factor at first sign-in; AccountError if not valid."""
    address = check_available(session, email)
    clean_name = accounts.check_name(name)
    check_role(role)
    accounts.check_password(password)
    user = StaffUser(email=address, name=clean_name, role=role,
                     password_hash=accounts.hash_password(password), session_version=1,
                     failed_logins=0, is_active=True)
    session.add(user)
    session.flush()
    return user


def list_staff(session: Session) -> list[StaffUser]:
    """Every staff account, by name."""
    return list(session.scalars(select(StaffUser).order_by(StaffUser.name)))


# The second factor.


def new_totp_secret() -> str:
    """A fresh random base32 secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def provisioning_uri(user: StaffUser, secret: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD).provisioning_uri(
        name=user.email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as inline SVG, drawn here: the secret never leaves the server."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False,
                                    svgns=True, dark="#000", light="#fff",
                                    svgclass="qr-code")
    return out.getvalue().decode()


def _matching_step(secret: str, code: str, now: float) -> int | None:
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == TOTP_DIGITS):
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD)
    step = int(now // TOTP_PERIOD)
    for candidate in range(step - TOTP_WINDOW, step + TOTP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def check_code(session: Session, user: StaffUser, code: str, now: float | None = None) -> bool:
    """Whether `code` is a current code of the user's secret.

    A code is accepted once: its step must be later than the last one used, so a code seen over
    someone's shoulder cannot be replayed. A wrong code counts as a failed sign-in. Call it with
    the user row locked (record_sign_in's lock, or the caller's).
    """
    when = time.time() if now is None else now
    if accounts.is_locked(user):
        return False
    step = _matching_step(user.totp_secret or "", code, when)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        accounts.count_failure(session, user)
        return False
    user.totp_last_step = step
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    session.flush()
    return True


def begin_enrolment(session: Session, user: StaffUser) -> str:
    """The secret to enrol (made now if the user has none yet); it works once confirmed."""
    if user.totp_secret is None:
        user.totp_secret = new_totp_secret()
        session.flush()
    return user.totp_secret


def enrol(session: Session, user: StaffUser, code: str, now: float | None = None) -> bool:
    """Turn on the second factor once the app shows a right code for the secret begun."""
    if user.totp_secret is None or not check_code(session, user, code, now=now):
        return False
    user.totp_enabled_at = utcnow()
    session.flush()
    return True


def reset_second_factor(session: Session, user: StaffUser) -> None:
    """Clear the second factor (a lost phone): the next sign-in enrols again; sessions end."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.session_version += 1
    session.flush()


def set_active(session: Session, user: StaffUser, active: bool) -> None:
    """Deactivate (every session ends at once) or reactivate an account."""
    user.is_active = active
    user.session_version += 1
    session.flush()
