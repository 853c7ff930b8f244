"""The lean reader (forms.read_valid) decides exactly as the LeadForm: same input, same answer.

read_valid must give LeadForm(...).to_input() whenever the form validates, and None whenever
it does not (the view then builds the LeadForm, which says what is wrong). Each case below is
decided both ways, in a request of its own, with the project's form as each project asks it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask, request
from werkzeug.datastructures import MultiDict

from leadpages.leads import tokens
from leadpages.leads.forms import OPTIONAL_FIELDS, LeadForm, read_valid
from leadpages.projects.models import Project

NONCE = "n" * 22
VALID = {"first_name": "Jan", "last_name": "Janssens", "email": "jan.janssens@example.com",
         "phone": "0470 12 34 56"}
ALL_PARTS = list(OPTIONAL_FIELDS)


def decide(app: Flask, form: dict[str, Any] | MultiDict[str, str], *,
           parts: list[str] = ALL_PARTS, basis: str = "legitimate-interest",
           nonce: str | None = NONCE, token_age: float = 100.0) -> tuple[Any, Any]:
    """(LeadForm's input or None, read_valid's answer) for one posted form."""
    data = MultiDict(form)
    if "token" not in data:
        data["token"] = tokens.issue(app.config["SECRET_KEY"], NONCE, time.time() - token_age)
    project = Project(slug="p", status="published", city="Gent", country="NL", currency="USD",
                      optional_fields=parts, languages=["en"])
    with app.test_request_context("/en/p/p", method="POST", data=data):
        full = LeadForm(project=project, basis=basis, nonce=nonce)
        expected = full.to_input() if full.validate() else None
        lean = read_valid(request.form, optional_fields=parts, basis=basis, nonce=nonce)
    return expected, lean


VALID_CASES = [
    {},
    {"postcode": " 9000 ", "country": "BE"},
    {"postcode": "1012 ab", "country": "NL"},
    {"postcode": "", "country": "NL"},  # the country alone is not kept
    {"budget_amount": "350.000", "budget_currency": "EUR"},
    {"budget_amount": "1,250,000.50", "budget_currency": "CHF"},
    {"budget_amount": "   ", "budget_currency": "USD"},
    {"bedrooms": "5", "garden": "no", "timeframe": "later"},
    {"bedrooms": "", "garden": "", "timeframe": ""},
    {"contact_preference": "brochure"},
    {"contact_preference": ""},
    {"message": "Line one\r\nLine two\tand a tab", "preferred_location": "  Gent centrum "},
    {"marketing_email": "y", "ads_objection": "y"},
    {"marketing_email": "false", "ads_objection": ""},  # WTForms' false values
    {"marketing_email": "0"},  # any other value ticks the box
    {"ads_consent": "y"},  # not on this form: ignored
    {"c": "spring-meta", "unknown": "ignored"},
    {"email": "  Jan.Janssens+ads@GMAIL.com "},
    {"phone": "+32 470 12 34 56"},
    {"phone": "0032470123456"},
    {"first_name": "Évariste", "last_name": "Çelik-Ø'Brien"},
    {"website": ""},
]


@pytest.mark.parametrize("extra", VALID_CASES)
def test_valid_forms_give_the_same_input(app: Flask, extra: dict[str, str]) -> None:
    expected, lean = decide(app, {**VALID, **extra})
    assert expected is not None
    assert lean == expected


INVALID_CASES = [
    {"first_name": ""},
    {"last_name": "   "},
    {"email": "jan@"},
    {"email": ""},
    {"phone": "12"},
    {"phone": "0470 12 34 5"},
    {"first_name": "x" * 101},
    {"first_name": "Jan\x00"},
    {"last_name": "Jans\u202esens"},
    {"first_name": "Ja\u2028n"},
    {"postcode": "123"},
    {"postcode": "1012 AB", "country": "BE"},
    {"postcode": "9000", "country": "XX"},
    {"country": "XX"},
    {"budget_amount": "-5"},
    {"budget_amount": "0"},
    {"budget_amount": "lots"},
    {"budget_amount": "350000", "budget_currency": "BTC"},
    {"bedrooms": "9"},
    {"garden": "maybe"},
    {"message": "m" * 2001},
    {"message": "hi\x07there"},
    {"contact_preference": "carrier-pigeon"},
    {"timeframe": "yesterday"},
    {"website": "http://spam.example"},
    {"token": "1700000000000.forged"},
    {"token": ""},
]


@pytest.mark.parametrize("extra", INVALID_CASES)
def test_invalid_forms_are_refused_by_both(app: Flask, extra: dict[str, str]) -> None:
    assert decide(app, {**VALID, **extra}) == (None, None)


def test_missing_required_fields_are_refused_by_both(app: Flask) -> None:
    for name in VALID:
        form = {k: v for k, v in VALID.items() if k != name}
        assert decide(app, form) == (None, None)


def test_robot_checks_are_the_forms(app: Flask) -> None:
    assert decide(app, VALID, nonce=None) == (None, None)  # no cookie
    assert decide(app, VALID, nonce="m" * 22) == (None, None)  # another browser's token
    app.config["FORM_MIN_SECONDS"] = 30
    try:
        assert decide(app, VALID, token_age=5) == (None, None)
        expected, lean = decide(app, VALID, token_age=31)
        assert expected is not None
        assert lean == expected
    finally:
        app.config["FORM_MIN_SECONDS"] = 0


def test_the_first_of_repeated_values_counts_as_for_wtforms(app: Flask) -> None:
    form = MultiDict([*VALID.items(), ("budget_amount", "400000"), ("budget_amount", "lots"),
                      ("marketing_email", ""), ("marketing_email", "y")])
    expected, lean = decide(app, form)
    assert expected is not None
    assert lean == expected
    assert lean.budget_amount is not None
    assert lean.marketing_email_opt_in is False
    others = [(k, v) for k, v in VALID.items() if k != "phone"]
    assert decide(app, MultiDict([*others, ("phone", "12"), ("phone", "0470 12 34 56")])
                  ) == (None, None)


@pytest.mark.parametrize("parts", [[], ["message"], ["postcode", "features"], ALL_PARTS])
def test_fields_a_project_does_not_ask_are_ignored_alike(app: Flask, parts: list[str]) -> None:
    form = {**VALID, "postcode": "9000", "bedrooms": "2", "message": "Hello", "budget_amount": "x"}
    expected, lean = decide(app, form, parts=parts)
    assert lean == expected
    if "budget" not in parts:
        assert expected is not None
        assert expected.budget_amount is None


def test_consent_basis_reads_the_consent_box(app: Flask) -> None:
    expected, lean = decide(app, {**VALID, "ads_consent": "y", "ads_objection": "y"},
                            basis="consent")
    assert expected is not None
    assert lean == expected
    assert (lean.ads_consented, lean.ads_objected) == (True, False)
