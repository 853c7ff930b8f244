"""Canonical identifiers: one person however they write their email or phone."""

from __future__ import annotations

import pytest

from leadpages.identifiers import canonical_email, canonical_phone


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("  Mary@Example.com ", "mary@example.com"),
        ("jan.janssens+ads@gmail.com", "janjanssens@gmail.com"),
        ("Jan.Janssens@GoogleMail.com", "janjanssens@gmail.com"),
        ("jan.janssens+x@example.com", "jan.janssens+x@example.com"),  # only gmail drops them
    ],
)
def test_canonical_email(written: str, canonical: str) -> None:
    assert canonical_email(written) == canonical


@pytest.mark.parametrize(
    "written", ["0470 12 34 56", "+32 470 12 34 56", "0032470123456", "0470/12.34.56"]
)
def test_belgian_mobile_spellings_are_one_number(written: str) -> None:
    assert canonical_phone(written, "BE") == "+32470123456"


def test_other_regions_and_invalid_numbers() -> None:
    assert canonical_phone("+1 (555) 987-6543", "BE") is None  # 555 numbers are not assigned
    assert canonical_phone("+1 202 555 0143", "BE") == "+12025550143"
    assert canonical_phone("06 12345678", "NL") == "+31612345678"
    assert canonical_phone("12", "BE") is None
    assert canonical_phone("not a number", "BE") is None
