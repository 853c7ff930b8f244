"""Messages of the domain services read in the staff member's language (DESIGN.md rule 10).

The services' checks are shared with the commands and the JSON API, which stay English: what a
script or a partner's client reads must not change with a browser's language.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from admin_support import StaffBrowser
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpages.accounts.apikeys import issue_key
from leadpages.audiences.models import Audience
from leadpages.partners.models import Partner

DUTCH = {"Accept-Language": "nl"}


def text_of(response: Any) -> str:
    """The page's text, tags dropped and entities decoded, for matching a sentence."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
                    .split())


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_bad_register_lookup_is_explained_in_dutch(
        staff_browser: Callable[..., StaffBrowser]) -> None:
    officer = staff_browser("privacy")
    answer = officer.post("/admin/register", {"lookup-email": "not an address"}, headers=DUTCH)
    assert answer.status_code == 422
    page = text_of(answer)
    assert "is geen geldig e-mailadres, zoals naam@voorbeeld.be" in page
    assert "is not a valid email address" not in page
    assert 'value="not an address"' in answer.get_data(as_text=True)


def test_a_bad_lead_search_phone_is_explained_in_dutch(
        staff_browser: Callable[..., StaffBrowser]) -> None:
    officer = staff_browser("privacy")
    answer = officer.post("/admin/leads", {"phone": "12"}, headers=DUTCH)
    assert answer.status_code == 422
    page = text_of(answer)
    assert "is geen geldig telefoonnummer, zoals +32470123456" in page
    assert "is not a valid phone number" not in page


def test_a_sensitive_audience_name_is_refused_in_dutch(
        staff_browser: Callable[..., StaffBrowser], session: Session) -> None:
    marketer = staff_browser("marketer")
    before = count(session, Audience)
    answer = marketer.post("/admin/audiences/new", {
        "name": "Wealthy buyers", "categories": ["residential"], "window_days": "90",
        "platform": "csv", "min_size": "1"}, headers=DUTCH)
    assert answer.status_code == 422
    page = text_of(answer)
    assert ("de naam van de doelgroep 'Wealthy buyers' suggereert een gevoelig kenmerk van de "
            "mensen erin ('wealthy')") in page
    assert "suggests a sensitive trait" not in page
    assert count(session, Audience) == before


def test_the_same_page_in_english_keeps_the_english_message(
        staff_browser: Callable[..., StaffBrowser]) -> None:
    marketer = staff_browser("marketer")
    answer = marketer.post("/admin/audiences/new", {
        "name": "Wealthy buyers", "categories": ["residential"], "window_days": "90",
        "platform": "csv", "min_size": "1"}, headers={"Accept-Language": "en"})
    assert answer.status_code == 422
    assert "suggests a sensitive trait of the people in it ('wealthy')" in text_of(answer)


def _partner_form(**values: str) -> dict[str, str]:
    return {
        "slug": "bouw-janssens", "legal_name": "Bouw Janssens NV",
        "enterprise_number": "BE 0123.456.789", "address": "Kerkstraat 1, 9000 Gent",
        "website": "https://bouwjanssens.example", "contact_name": "Jan Janssens",
        "contact_email": "jan@bouwjanssens.example", "contact_phone": "+32 9 123 45 67",
        "privacy_email": "privacy@bouwjanssens.example", "webhook_url": "",
        "email_recipients": "leads@bouwjanssens.example", **values}


def test_a_bad_webhook_url_on_the_partner_form_is_refused_in_dutch(
        staff_browser: Callable[..., StaffBrowser], session: Session) -> None:
    marketer = staff_browser("marketer")
    before = count(session, Partner)
    answer = marketer.post("/admin/partners/new",
                           _partner_form(webhook_url="http://10.0.0.1/hook"), headers=DUTCH)
    assert answer.status_code == 422
    page = text_of(answer)
    assert "de host 10.0.0.1 is geen openbaar adres" in page
    assert "is not a public address" not in page
    assert 'value="http://10.0.0.1/hook"' in answer.get_data(as_text=True)
    assert count(session, Partner) == before


def test_bad_recipients_on_the_partner_form_are_refused_in_french(
        staff_browser: Callable[..., StaffBrowser]) -> None:
    marketer = staff_browser("marketer")
    answer = marketer.post("/admin/partners/new",
                           _partner_form(email_recipients="not an address"),
                           headers={"Accept-Language": "fr"})
    assert answer.status_code == 422
    assert "not an address n'est pas une adresse e-mail valide" in text_of(answer)


def test_the_api_answers_in_english_whatever_the_browser_says(
        app: Flask, client: FlaskClient, session: Session,
        make_partner: Callable[..., Partner]) -> None:
    partner = make_partner()
    _key, plain = issue_key(session, partner, "test")
    answer = client.post("/api/v1/objections", json={"email": "not an address"},
                         headers={"Authorization": f"Bearer {plain}", **DUTCH})
    assert answer.status_code == 422
    details = answer.get_json()["error"]["details"]
    assert details["email"] == "is not a valid email address, such as name@example.com"
