"""A visitor on a phone, in a real browser: reads the page, fills the form, sees the result."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.browser

SLUG = "residentie-parkzicht"


def test_phone_visitor_sends_a_lead_with_the_keyboard(live_server: Any, phone: Any) -> None:
    base = live_server.url
    requested: list[str] = []
    phone.on("request", lambda request: requested.append(request.url))
    errors: list[str] = []
    phone.on("console", lambda message: errors.append(message.text)
             if message.type == "error" else None)

    phone.goto(f"{base}/en/p/{SLUG}?c=browser-test")
    assert phone.title().startswith("Parkzicht Residence")
    assert phone.locator("h1").inner_text() == "Parkzicht Residence"
    hero = phone.locator("img.hero-img")
    assert hero.evaluate("img => img.complete && img.naturalWidth > 0")

    # Keyboard only: focus the first field, then Tab through the form in order.
    phone.locator("#first_name").focus()
    phone.keyboard.type("Eva")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.id") == "last_name"
    phone.keyboard.type("Peeters")
    phone.keyboard.press("Tab")
    phone.keyboard.type("eva.peeters@example.com")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.id") == "phone"
    phone.keyboard.type("0470 55 66 77")
    phone.wait_for_timeout(1100)  # the form refuses what is sent quicker than a person types
    phone.keyboard.press("Enter")

    phone.wait_for_url(f"{base}/en/p/{SLUG}/thanks")
    assert "your request has been received" in phone.locator("h1").inner_text()
    assert "Sofie Van Damme" in phone.locator("main").inner_text()

    hosts = {urlsplit(url).netloc for url in requested if not url.startswith("data:")}
    assert hosts == {urlsplit(base).netloc}, hosts
    assert errors == []

    from leadpages.extensions import db
    from leadpages.leads.models import Lead

    with db.state(live_server.app).factory() as session:
        lead = session.scalars(select(Lead).where(Lead.email == "eva.peeters@example.com")).one()
        assert (lead.phone, lead.campaign_code, lead.language) == (
            "+32470556677", "browser-test", "en")


def test_errors_are_shown_in_french_and_typed_values_kept(live_server: Any, phone: Any) -> None:
    base = live_server.url
    phone.goto(f"{base}/fr/p/{SLUG}")
    phone.fill("#last_name", "Dupont")
    phone.fill("#email", "pas-une-adresse")
    phone.fill("#phone", "12")
    phone.wait_for_timeout(1100)
    phone.get_by_role("button", name="Envoyer ma demande").click()

    summary = phone.get_by_role("alert")
    summary.wait_for()
    text = summary.inner_text()
    # The summary takes the focus, so a phone scrolls to it and a screen reader reads it.
    assert phone.evaluate("document.activeElement.id") == "errors"
    assert "Remplissez ce champ." in text
    assert "Saisissez une adresse e-mail valide" in text
    assert "Saisissez un numéro de téléphone valide" in text
    assert phone.locator("#email-error").inner_text().startswith("Saisissez une adresse")
    assert phone.locator("#email").get_attribute("aria-invalid") == "true"
    assert phone.input_value("#last_name") == "Dupont"
    assert phone.input_value("#email") == "pas-une-adresse"
    assert phone.locator("html").get_attribute("lang") == "fr"


def test_page_works_without_javascript(live_server: Any, browser: Any) -> None:
    base = live_server.url
    context = browser.new_context(java_script_enabled=False,
                                  viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{base}/nl/p/{SLUG}")
        assert page.locator("h1").inner_text() == "Residentie Parkzicht"
        page.fill("#first_name", "Lotte")
        page.fill("#last_name", "Claes")
        page.fill("#email", "lotte.claes@example.com")
        page.fill("#phone", "+32 470 11 22 33")
        page.wait_for_timeout(1100)
        page.get_by_role("button", name="Mijn aanvraag versturen").click()
        page.wait_for_url(f"{base}/nl/p/{SLUG}/thanks")
    finally:
        context.close()
