"""Names shown to ad platforms never suggest a trait of the people (DESIGN.md section 7)."""

from __future__ import annotations

import pytest

from leadpages.categories.services import sensitive_words


@pytest.mark.parametrize("name", [
    "Low-income buyers", "High income", "Wealthy families", "Debt-free buyers", "Loan seekers",
    "Prêt immobilier", "pret immobilier", "Retraités aisés", "retraites aises", "Jonge gezinnen",
    "Zwanger en op zoek", "Santé fragile", "Muslim buyers", "Seniors 65+",
])
def test_names_about_people_are_caught_in_any_spelling(name: str) -> None:
    assert sensitive_words(name)


@pytest.mark.parametrize("name", [
    "Residential Gent", "Luxury apartments", "Industrial units", "Bouwgrond", "Terrains à bâtir",
    "Armchair lofts", "Commercial space",
])
def test_names_about_property_pass(name: str) -> None:
    assert sensitive_words(name) == []
