"""Portal users: creation rules, hashing, sign-in throttling and reset tokens, as services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.security import check_password_hash

from leadpages.accounts import services
from leadpages.accounts.models import PartnerUser
from leadpages.db import utcnow

GOOD = "correct Horse battery"


@pytest.fixture
def ctx(app: Flask) -> Any:
    """An application context (tokens need the secret key, messages need a locale)."""
    with app.test_request_context():
        yield


def users(session: Any) -> list[PartnerUser]:
    return list(session.scalars(select(PartnerUser)))


def test_create_user_stores_a_scrypt_hash_and_a_lower_case_email(session: Any,
                                                                 make_partner: Any) -> None:
    partner = make_partner()
    user = services.create_user(session, partner, "  Pia.Peeters@Partner.Example ",
                                " Pia Peeters ", GOOD)
    assert user.email == "pia.peeters@partner.example"
    assert user.name == "Pia Peeters"
    assert user.partner_id == partner.id
    assert user.password_hash.startswith("scrypt:")
    assert GOOD not in user.password_hash
    assert check_password_hash(user.password_hash, GOOD)
    assert (user.session_version, user.failed_logins, user.locked_until) == (1, 0, None)


@pytest.mark.parametrize(
    ("email", "name", "password", "field", "message"),
    [
        ("not-an-address", "Pia", GOOD, "email", "Enter a valid email address"),
        ("pia@", "Pia", GOOD, "email", "Enter a valid email address"),
        ("a" * 250 + "@x.example", "Pia", GOOD, "email", "at most 254"),
        ("pia@partner.example", "  ", GOOD, "name", "Fill in the name"),
        ("pia@partner.example", "P" * 121, GOOD, "name", "at most 120"),
        ("pia@partner.example", "Pia\u202e", GOOD, "name", "invisible characters"),
        ("pia@partner.example", "Pia", "Short1", "password", "at least 12 characters"),
        ("pia@partner.example", "Pia", "alllowercaseletters", "password", "two kinds"),
        ("pia@partner.example", "Pia", "123456789012", "password", "two kinds"),
        ("pia@partner.example", "Pia", " spaced Password1", "password", "with a space"),
        ("pia@partner.example", "Pia", "Aa1" * 90, "password", "at most 256"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(ctx: Any, session: Any, make_partner: Any,
                                                   email: str, name: str, password: str,
                                                   field: str, message: str) -> None:
    with pytest.raises(services.AccountError, match=message) as caught:
        services.create_user(session, make_partner(), email, name, password)
    assert caught.value.field == field
    assert users(session) == []


def test_an_email_is_one_users_only(ctx: Any, session: Any, make_partner: Any) -> None:
    services.create_user(session, make_partner(), "pia@partner.example", "Pia", GOOD)
    with pytest.raises(services.AccountError, match="already exists"):
        services.create_user(session, make_partner(), "PIA@partner.example", "Pia 2", GOOD)
    assert len(users(session)) == 1


def test_authenticate_accepts_the_right_password_only(session: Any, make_partner: Any) -> None:
    user = services.create_user(session, make_partner(), "pia@partner.example", "Pia", GOOD)
    assert services.authenticate(session, "PIA@partner.example ", GOOD) is user
    assert user.last_login_at is not None
    assert services.authenticate(session, "pia@partner.example", GOOD + "!") is None
    assert services.authenticate(session, "nobody@partner.example", GOOD) is None
    assert services.authenticate(session, "pia@partner.example", "x" * 10_000) is None
    assert user.failed_logins == 2


def test_unknown_addresses_still_cost_a_hash_check(session: Any, monkeypatch: Any) -> None:
    checked: list[str] = []
    real = services.check_password_hash

    def spy(stored: str, password: str) -> bool:
        checked.append(stored)
        return real(stored, password)

    monkeypatch.setattr(services, "check_password_hash", spy)
    assert services.authenticate(session, "nobody@partner.example", GOOD) is None
    assert len(checked) == 1
    assert checked[0].startswith("scrypt:")


def test_fifth_failure_locks_for_15_minutes(session: Any, make_partner: Any,
                                            monkeypatch: Any) -> None:
    user = services.create_user(session, make_partner(), "pia@partner.example", "Pia", GOOD)
    now = utcnow()
    for _ in range(5):
        assert services.authenticate(session, user.email, "wrong", now=now) is None
    assert user.locked_until == now + timedelta(minutes=15)
    assert services.is_locked(user, now)
    # Locked: the right password is refused, and a hash is still checked (same timing).
    calls: list[str] = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash",
                        lambda stored, password: calls.append(stored) or real(stored, password))
    assert services.authenticate(session, user.email, GOOD,
                                 now=now + timedelta(minutes=14)) is None
    assert calls == [user.password_hash]
    assert services.authenticate(session, user.email, GOOD,
                                 now=now + timedelta(minutes=15, seconds=1)) is user
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_the_password_check_writes_nothing_and_its_record_counts(session: Any,
                                                                 make_partner: Any) -> None:
    user = services.create_user(session, make_partner(), "pia@partner.example", "Pia", GOOD)
    session.flush()
    wrong = services.check_sign_in(session, user.email, GOOD + "!")
    right = services.check_sign_in(session, user.email, GOOD)
    assert (wrong.to_record, wrong.matches, right.matches) == (True, False, True)
    assert not session.dirty
    assert user.failed_logins == 0
    assert services.record_sign_in(session, wrong) is None
    assert user.failed_logins == 1
    assert services.record_sign_in(session, right) is user
    assert user.failed_logins == 0
    unknown = services.check_sign_in(session, "nobody@partner.example", GOOD)
    assert not unknown.to_record
    assert services.record_sign_in(session, unknown) is None


def test_a_password_changed_since_the_check_signs_nobody_in(ctx: Any, session: Any,
                                                             make_partner: Any) -> None:
    user = services.create_user(session, make_partner(), "pia@partner.example", "Pia", GOOD)
    check = services.check_sign_in(session, user.email, GOOD)
    assert check.matches
    services.reset_password(session, user, "a Brand new one 2026")
    assert services.record_sign_in(session, check) is None
    assert user.failed_logins == 0


def test_a_lock_set_since_the_check_still_refuses(session: Any, make_partner: Any) -> None:
    user = services.create_user(session, make_partner(), "pia@partner.example", "Pia", GOOD)
    check = services.check_sign_in(session, user.email, GOOD)
    now = utcnow()
    for _ in range(5):
        services.authenticate(session, user.email, "wrong", now=now)
    assert services.record_sign_in(session, check, now=now) is None


def test_ending_all_sessions_changes_the_version_only(session: Any, make_partner: Any) -> None:
    user = services.create_user(session, make_partner(), "pia@partner.example", "Pia", GOOD)
    before = user.password_hash
    services.end_all_sessions(session, user)
    assert (user.session_version, user.password_hash) == (2, before)


def test_reset_token_works_once_and_only_for_its_version(ctx: Any, session: Any,
                                                         make_partner: Any) -> None:
    user = services.create_user(session, make_partner(), "pia@partner.example", "Pia", GOOD)
    token = services.reset_token(user)
    assert services.user_for_reset_token(session, token) is user
    services.reset_password(session, user, "a Brand new one 2026")
    assert user.session_version == 2
    assert services.user_for_reset_token(session, token) is None
    assert services.authenticate(session, user.email, "a Brand new one 2026") is user


def test_reset_token_is_bound_to_the_secret_and_salt(app: Flask, ctx: Any, session: Any,
                                                     make_partner: Any) -> None:
    from itsdangerous import URLSafeTimedSerializer

    user = services.create_user(session, make_partner(), "pia@partner.example", "Pia", GOOD)
    payload = {"u": user.id, "v": user.session_version}
    other_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="something-else")
    other_key = URLSafeTimedSerializer("another-secret", salt=services.RESET_SALT)
    right = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=services.RESET_SALT)
    assert services.user_for_reset_token(session, other_salt.dumps(payload)) is None
    assert services.user_for_reset_token(session, other_key.dumps(payload)) is None
    assert services.user_for_reset_token(session, right.dumps(payload)) is user
    assert services.user_for_reset_token(session, right.dumps([1, 2])) is None
    assert services.user_for_reset_token(session, right.dumps({"u": "1", "v": 1})) is None


def test_reset_password_checks_the_new_password(ctx: Any, session: Any,
                                                make_partner: Any) -> None:
    user = services.create_user(session, make_partner(), "pia@partner.example", "Pia", GOOD)
    before = user.password_hash
    with pytest.raises(services.AccountError, match="at least 12"):
        services.reset_password(session, user, "short")
    assert (user.password_hash, user.session_version) == (before, 1)


def test_request_password_reset_queues_nothing_for_an_unknown_address(ctx: Any,
                                                                      session: Any) -> None:
    from leadpages.mail.models import OutboundEmail

    sent = services.request_password_reset(session, "nobody@partner.example",
                                           link=lambda token: f"https://x/{token}")
    assert sent is False
    assert session.scalars(select(OutboundEmail)).all() == []
