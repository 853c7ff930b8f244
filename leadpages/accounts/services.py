"""Partner portal users: creation, sign-in with throttling, and password reset by emailed link.

Plain functions over the caller's session: they flush, never commit. Messages are lazy texts, so
the portal shows them in the reader's language and the CLI (under `force_locale`) in English.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TypedDict, TypeVar

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from leadpages.accounts.models import PartnerUser
from leadpages.db import utcnow
from leadpages.errors import FieldError
from leadpages.mail.services import queue_email
from leadpages.partners.models import Partner
from leadpages.staff.models import StaffUser

#: The two kinds of account that sign in with an email address and a password.
Account = TypeVar("Account", PartnerUser, StaffUser)

PASSWORD_MIN = 12
#: scrypt runs over the whole input; a bound keeps one request from costing a lot of CPU.
PASSWORD_MAX = 256
NAME_MAX = 120
#: After this many failed sign-ins in a row, the account is locked for LOCK_DURATION.
MAX_FAILED_SIGN_INS = 5
LOCK_DURATION = timedelta(minutes=15)
RESET_SALT = "password-reset"
#: How long a reset link works; the emails and pages say "within an hour".
RESET_MAX_AGE = timedelta(hours=1)
HASH_METHOD = "scrypt"


class AccountError(FieldError):
    """A user cannot be created or changed as asked; `field` names the input to fix."""


# Checks shared by the portal's forms and the CLI.


def normalise_email(email: str) -> str:
    """The address as stored and looked up: trimmed and lower-cased."""
    return email.strip().lower()


def check_email(email: str) -> str:
    """The normalised address, or AccountError when it is not a valid address."""
    value = normalise_email(email)
    if len(value) > 254:
        raise AccountError("email", _l("Use at most 254 characters."))
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise AccountError(
            "email", _l("Enter a valid email address, such as name@example.com.")
        ) from None
    return value


def check_name(name: str) -> str:
    """The trimmed name, or AccountError when it is empty, too long or holds control characters."""
    value = name.strip()
    if not value:
        raise AccountError("name", _l("Fill in the name."))
    if len(value) > NAME_MAX:
        raise AccountError("name", _l("Use at most %(limit)d characters.", limit=NAME_MAX))
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in value):
        raise AccountError("name", _l("Remove the special or invisible characters."))
    return value


def _character_classes(password: str) -> int:
    classes = set()
    for char in password:
        if char.islower():
            classes.add("lower")
        elif char.isupper():
            classes.add("upper")
        elif char.isdigit():
            classes.add("digit")
        else:
            classes.add("other")
    return len(classes)


def check_password(password: str) -> str:
    """The password, or AccountError saying what makes it too weak."""
    if len(password) < PASSWORD_MIN:
        raise AccountError("password", _l("Use at least %(limit)d characters.",
                                          limit=PASSWORD_MIN))
    if len(password) > PASSWORD_MAX:
        raise AccountError("password", _l("Use at most %(limit)d characters.",
                                          limit=PASSWORD_MAX))
    if password != password.strip():
        raise AccountError("password", _l("Do not start or end the password with a space."))
    if _character_classes(password) < 2:
        raise AccountError("password", _l(
            "Mix at least two kinds of characters: lower-case and upper-case letters, digits, "
            "other signs."))
    return password


def hash_password(password: str) -> str:
    """werkzeug's scrypt hash of a password."""
    return generate_password_hash(password, method=HASH_METHOD)


def find_user(session: Session, email: str, *, for_update: bool = False,
              model: type[Account] = PartnerUser,  # type: ignore[assignment]  # mypy#3737
              ) -> Account | None:
    """The user with this email address, if any (row-locked on PostgreSQL if `for_update`).

    `model` is PartnerUser (the portal) or StaffUser (the workspace): both sign in alike.
    """
    query = select(model).where(model.email == normalise_email(email))
    return session.scalar(query.with_for_update() if for_update else query)


def check_available(session: Session, email: str) -> str:
    """The normalised address if valid and not yet anyone's sign-in name, else AccountError."""
    address = check_email(email)
    if find_user(session, address) is not None:
        raise AccountError("email", _l("A user with this email address already exists."))
    return address


def create_user(session: Session, partner: Partner, email: str, name: str,
                password: str) -> PartnerUser:
    """A new portal user of `partner`, or AccountError naming the first input to fix."""
    address = check_available(session, email)
    clean_name = check_name(name)
    check_password(password)
    user = PartnerUser(partner_id=partner.id, partner=partner, email=address, name=clean_name,
                       password_hash=hash_password(password), session_version=1,
                       failed_logins=0)
    session.add(user)
    session.flush()
    return user


# Signing in.


@cache
def _dummy_hash() -> str:
    # A hash of nothing anyone knows, checked when there is no account to check against.
    return hash_password(secrets.token_urlsafe(24))


def is_locked(user: PartnerUser | StaffUser, now: datetime | None = None) -> bool:
    """Whether too many failed sign-ins keep the account locked now."""
    return user.locked_until is not None and user.locked_until > (now or utcnow())


@dataclass(frozen=True)
class PasswordCheck:
    """The slow half of a sign-in (the password hash checked), from a read: nothing written yet."""

    #: The account the address belongs to; None for an unknown (or impossible) address.
    user_id: int | None
    #: The hash the password was checked against, so a password changed since is noticed.
    password_hash: str | None
    matches: bool

    @property
    def to_record(self) -> bool:
        """Whether record_sign_in has anything to write: only a known account keeps a count."""
        return self.user_id is not None


def check_sign_in(session: Session, email: str, password: str,
                  model: type[Account] = PartnerUser,  # type: ignore[assignment]  # mypy#3737
                  ) -> PasswordCheck:
    """Check the password of the account with this address; reads only, so no lock is needed.

    A password hash is checked in every case (unknown address, locked account), so the time an
    answer takes does not tell whether an account exists. scrypt is slow on purpose: do this
    before a write transaction, then record the outcome with record_sign_in.
    """
    user = find_user(session, email, model=model) if len(email) <= 254 else None
    if len(password) > PASSWORD_MAX:
        password = password[:PASSWORD_MAX + 1]  # never right, and cheap to hash
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return PasswordCheck(None, None, False)
    stored = user.password_hash
    return PasswordCheck(user.id, stored, check_password_hash(stored, password))


def record_sign_in(session: Session, check: PasswordCheck, now: datetime | None = None,
                   model: type[Account] = PartnerUser,  # type: ignore[assignment]  # mypy#3737
                   *, second_factor: bool = False) -> Account | None:
    """The user signed in by `check`, or None; a failure is counted. Quick: call it in a write.

    The account is read again, locked, so that concurrent failures each count (no lost update
    lets extra guesses through) and a lock or password change since the check is seen. The
    fifth failure in a row locks the account for 15 minutes; a locked account refuses even the
    right password. The caller commits either way, so the count survives.
    """
    if check.user_id is None:
        return None
    now = now or utcnow()
    user = session.get(model, check.user_id, with_for_update=True, populate_existing=True)
    if user is None or user.password_hash != check.password_hash:
        return None  # removed, or a new password that this check did not test
    if is_locked(user, now):
        return None
    if not check.matches:
        count_failure(session, user, now)
        return None
    if second_factor:
        # Half way: the count goes on until the code is right too, or a wrong code after each
        # right password would never lock the account.
        return user
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.flush()
    return user


def count_failure(session: Session, user: PartnerUser | StaffUser,
                  now: datetime | None = None) -> None:
    """Count a failed sign-in (a wrong password or second-factor code); the fifth in a row locks."""
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILED_SIGN_INS:
        user.locked_until = (now or utcnow()) + LOCK_DURATION
        user.failed_logins = 0
    session.flush()


def authenticate(session: Session, email: str, password: str,
                 now: datetime | None = None) -> PartnerUser | None:
    """check_sign_in and record_sign_in in one go (one transaction), for callers with no lock.

    The portal runs the two halves itself, with the slow check before its write transaction.
    """
    return record_sign_in(session, check_sign_in(session, email, password), now)


def end_all_sessions(session: Session, user: PartnerUser) -> None:
    """End every portal session of `user`, on every device (this one too); the password stays."""
    user.session_version += 1
    session.flush()


# Password reset.


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def reset_token(user: PartnerUser) -> str:
    """A signed token for resetting `user`'s password, valid for an hour and for one use.

    It carries the session version, which every password change increments: once used (or once
    the password changed otherwise), the token no longer matches.
    """
    return _serializer().dumps({"u": user.id, "v": user.session_version})


def user_for_reset_token(session: Session, token: str, *,
                         for_update: bool = False) -> PartnerUser | None:
    """The user a valid, unused, unexpired token was issued for; None for anything else.

    Before using the token, ask `for_update`: the row lock makes a second use wait for the
    first, and then find the version changed.
    """
    try:
        data = _serializer().loads(token, max_age=int(RESET_MAX_AGE.total_seconds()))
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict):
        return None
    user_id, version = data.get("u"), data.get("v")
    if not isinstance(user_id, int) or not isinstance(version, int):
        return None
    user = session.get(PartnerUser, user_id, with_for_update=for_update or None,
                       populate_existing=for_update or None)
    if user is None or user.session_version != version:
        return None
    return user


class Email(TypedDict):
    """An email ready for leadpages.mail.services.queue_email(session, **email)."""

    to: str
    subject: str
    text: str
    html: str


def password_reset_email(session: Session, email: str,
                         link: Callable[[str], str]) -> Email | None:
    """The reset email for the user with this address, ready for queue_email; None if unknown.

    Reads and renders only, so it can run before the write that queues the email. `link` turns a
    token into the absolute address of the reset page.
    """
    user = find_user(session, email)
    if user is None:
        return None
    url = link(reset_token(user))
    context = {"user": user, "url": url}
    return Email(
        to=user.email,
        subject=str(_l("Reset your partner portal password")),
        text=render_template("emails/password_reset.txt", **context),
        html=render_template("emails/password_reset.html", **context),
    )


def request_password_reset(session: Session, email: str, link: Callable[[str], str]) -> bool:
    """Queue a reset email if the address belongs to a user; the caller answers the same anyway.

    Returns whether an email was queued (for logs and tests, never for the person asking).
    """
    message = password_reset_email(session, email, link)
    if message is None:
        return False
    queue_email(session, **message)
    return True


def reset_password(session: Session, user: PartnerUser, password: str) -> None:
    """Set a new password, unlock the account, and end every session signed in before."""
    check_password(password)
    set_password_hash(session, user, hash_password(password))


def set_password_hash(session: Session, user: PartnerUser, password_hash: str) -> None:
    """reset_password with the (slow) hash made beforehand: hash_password of a checked password."""
    user.password_hash = password_hash
    user.session_version += 1
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
