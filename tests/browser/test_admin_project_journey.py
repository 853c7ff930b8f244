"""A marketer makes a project page in a browser: texts, a photo, publish; a visitor sees it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

pytestmark = pytest.mark.browser

TEXTS = {
    "nl": ("Wonen aan het water", "Achttien appartementen aan de Schelde.\n\nMet terras."),
    "fr": ("Vivre au bord de l'eau", "Dix-huit appartements au bord de l'Escaut."),
    "en": ("Living by the water", "Eighteen apartments on the Scheldt.\n\nWith terraces."),
}


def write_photo(path: Path) -> Path:
    """A JPEG photo-like picture, large enough for the page's widths."""
    image = Image.linear_gradient("L").resize((1200, 800)).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((650, 250, 1050, 700), fill=(150, 80, 60))
    for x in range(680, 1030, 60):
        draw.rectangle((x, 300, x + 30, 340), fill=(230, 230, 250))
    image.save(path, "JPEG", quality=88)
    return path


def create_and_publish_project(page: Any, base_url: str, partner_label: str, slug: str,
                               title: str, photo_path: Path | str) -> None:
    """As a signed-in marketer: a new project for the partner with texts in nl, fr and en (the
    title in each), one photo, published. Leaves the page on the project's workspace page."""
    page.goto(f"{base_url}/admin/projects/new")
    page.select_option("#partner_id", label=partner_label)
    page.fill("#slug", slug)
    page.check("input[name=categories][value=residential]")
    page.fill("#street", "Kaai 7")
    page.fill("#postcode", "9000")
    page.fill("#city", "Gent")
    page.fill("#units_total", "18")
    page.fill("#units_available", "12")
    page.fill("#price_min", "265000")
    page.fill("#price_max", "520000")
    page.check("input[name=unit_types][value=apartment]")
    page.fill("#delivery_date", "2028-06-30")
    page.check("input[name=optional_fields][value=budget]")
    for lang, (tagline, description) in TEXTS.items():
        page.fill(f"#{lang}_title", title)
        page.fill(f"#{lang}_tagline", tagline)
        page.fill(f"#{lang}_description", description)
    page.get_by_role("button", name="Create the project").click()
    page.wait_for_url(re.compile(r".*/admin/projects/\d+$"))
    project_url = page.url.split("#")[0]
    page.get_by_role("link", name=re.compile(r"^Photos")).click()
    page.set_input_files("#photos", str(photo_path))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(r".*/admin/projects/\d+/photos$"))
    assert page.locator(".photo-list li").count() == 1, page.content()
    page.goto(project_url)
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(project_url)
    assert "The page is published." in page.locator(".flash").inner_text(), page.content()


def test_a_marketer_publishes_a_project_with_a_photo(staff_page: Any, live_server: Any,
                                                     tmp_path: Path) -> None:
    page = staff_page("marketer")
    photo = write_photo(tmp_path / "waterfront.jpg")

    create_and_publish_project(page, live_server.url, "Bouwgroep Scheldeland NV",
                               "wonen-aan-de-kaai", "Kaai Zeven", photo)

    page.get_by_role("link", name=re.compile("Preview in FR")).click()
    assert "Aperçu, non publié." in page.locator(".preview-banner").inner_text()
    assert page.get_by_role("button", name=re.compile("Envoyer")).is_disabled()
    page.goto(f"{live_server.url}/en/p/wonen-aan-de-kaai")
    assert page.locator("h1").inner_text() == "Kaai Zeven"
    hero = page.locator(".hero img")
    hero.wait_for()
    assert hero.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.get_by_label("First name").is_visible()
