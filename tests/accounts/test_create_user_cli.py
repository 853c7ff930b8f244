"""`leadpages create-user`: the password asked twice or piped in; errors save nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from leadpages.accounts.models import PartnerUser
from leadpages.extensions import db

GOOD = "correct Horse battery"


def count_users(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PartnerUser)) or 0


def stored(app: Flask, email: str) -> PartnerUser | None:
    with app.app_context():
        return db.session.scalar(select(PartnerUser).where(PartnerUser.email == email))


def create(runner: Any, slug: str, *extra: str, email: str = "Pia@Partner.example",
           name: str = "Pia Peeters", **kwargs: Any) -> Any:
    return runner.invoke(args=["create-user", "--partner", slug, "--email", email,
                               "--name", name, *extra], **kwargs)


def test_password_is_asked_twice_without_echo(app: Flask, runner: Any,
                                              make_partner: Any) -> None:
    partner = make_partner()
    result = create(runner, partner.slug, input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert "pia@partner.example" in result.output
    assert GOOD not in result.output
    assert result.output.count("Password") >= 1
    assert "Repeat for confirmation" in result.output
    user = stored(app, "pia@partner.example")
    assert user is not None
    assert user.partner_id == partner.id
    assert user.name == "Pia Peeters"
    assert check_password_hash(user.password_hash, GOOD)


def test_password_from_stdin(app: Flask, runner: Any, make_partner: Any) -> None:
    partner = make_partner()
    result = create(runner, partner.slug, "--password-stdin", input=f"{GOOD}\nignored\n")
    assert result.exit_code == 0, result.output
    user = stored(app, "pia@partner.example")
    assert user is not None
    assert check_password_hash(user.password_hash, GOOD)


def test_two_different_passwords_are_not_accepted(app: Flask, runner: Any,
                                                  make_partner: Any) -> None:
    result = create(runner, make_partner().slug, input=f"{GOOD}\n{GOOD}x\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert count_users(app) == 0


@pytest.mark.parametrize(
    ("extra", "kwargs", "message"),
    [
        (("--password-stdin",), {"input": "short\n"}, "at least 12 characters"),
        (("--password-stdin",), {"input": "alllowercaseletters\n"}, "two kinds"),
        (("--password-stdin",), {"input": GOOD + "\n", "email": "not-an-address"},
         "Enter a valid email address"),
        (("--password-stdin",), {"input": GOOD + "\n", "name": " "}, "Fill in the name"),
    ],
)
def test_bad_input_exits_non_zero_and_saves_nothing(app: Flask, runner: Any,
                                                    make_partner: Any, extra: tuple[str, ...],
                                                    kwargs: dict[str, Any], message: str) -> None:
    result = create(runner, make_partner().slug, *extra, **kwargs)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert count_users(app) == 0


def test_unknown_partner_is_refused(app: Flask, runner: Any) -> None:
    result = create(runner, "no-such-partner", "--password-stdin", input=GOOD + "\n")
    assert result.exit_code == 2
    assert "no partner 'no-such-partner'" in result.output
    assert count_users(app) == 0


def test_an_existing_email_is_refused_before_asking_for_a_password(app: Flask, runner: Any,
                                                                   make_partner: Any) -> None:
    partner = make_partner()
    assert create(runner, partner.slug, "--password-stdin", input=GOOD + "\n").exit_code == 0
    result = create(runner, make_partner().slug, email="PIA@partner.example", input="")
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert "Password" not in result.output
    assert count_users(app) == 1


def test_options_are_required(runner: Any) -> None:
    result = runner.invoke(args=["create-user", "--email", "pia@partner.example"])
    assert result.exit_code == 2
    assert "--name" in result.output


def test_a_partner_or_a_staff_role_is_required_not_both(runner: Any, make_partner: Any) -> None:
    partner = make_partner()
    for extra in ([], ["--partner", partner.slug, "--staff", "admin"]):
        result = runner.invoke(args=["create-user", "--email", "pia@partner.example", "--name",
                                     "Pia", *extra], input="correct Horse battery\n")
        assert result.exit_code == 2
        assert "Give either --partner SLUG or --staff ROLE." in result.output
