"""Projects in the workspace: create, edit, photos, preview, publish and close, as a marketer."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from admin_support import StaffBrowser
from flask import Flask
from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpages.audit.models import AuditEvent
from leadpages.leads.models import Lead
from leadpages.media.images import photo_path
from leadpages.partners.models import Partner
from leadpages.projects.models import Project, ProjectVersion

GPS_IFD = 0x8825


def project_form(partner: Partner, slug: str = "residentie-de-linde", **over: Any
                 ) -> dict[str, Any]:
    """Every field of the project form filled in, texts in three languages."""
    data: dict[str, Any] = {
        "partner_id": str(partner.id), "slug": slug, "street": "Lindelaan 3",
        "postcode": "9000", "city": "Gent", "country": "BE", "units_total": "24",
        "units_available": "10", "price_min": "245 000", "price_max": "480000",
        "currency": "EUR", "unit_types": ["apartment", "penthouse"],
        "delivery_date": "2028-09-01", "languages": ["nl", "fr", "en"],
        "optional_fields": ["budget", "message"], "categories": ["residential"],
        "nl_title": "Residentie De Linde", "nl_tagline": "Wonen onder de lindes",
        "nl_description": "Vierentwintig appartementen.\n\nMet tuin.",
        "fr_title": "Résidence Le Tilleul", "fr_tagline": "Vivre sous les tilleuls",
        "fr_description": "Vingt-quatre appartements.",
        "en_title": "De Linde Residence", "en_tagline": "Living under the lime trees",
        "en_description": "Twenty-four apartments.",
    }
    data.update(over)
    return data


def project_of(session: Session, slug: str) -> Project | None:
    session.expire_all()
    return session.scalar(select(Project).where(Project.slug == slug))


def create(marketer: StaffBrowser, session: Session, partner: Partner,
           slug: str = "residentie-de-linde", **over: Any) -> Project:
    answer = marketer.post("/admin/projects/new", project_form(partner, slug, **over))
    assert answer.status_code == 303, answer.get_data(as_text=True)
    project = project_of(session, slug)
    assert project is not None
    return project


def jpeg_with_gps(size: tuple[int, int] = (1200, 800)) -> bytes:
    """A real JPEG whose EXIF carries a camera make and a GPS position; grainy, so that it is
    larger than the app's body limit for public forms, as a camera's photo is."""
    # (Below 500 kB: the test client would spool a larger body to a file it leaves open.)
    cells = (size[0] // 4, size[1] // 4)
    grain = Image.frombytes("L", cells, random.Random(5).randbytes(cells[0] * cells[1]))
    grain = grain.resize(size, Image.Resampling.BILINEAR)
    image = Image.merge("RGB", (Image.linear_gradient("L").resize(size), grain,
                                Image.new("L", size, 90)))
    ImageDraw.Draw(image).rectangle((700, 100, 1000, 300), fill=(200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (50.0, 50.0, 46.0), 3: "E", 4: (4.0, 21.0, 8.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def test_a_marketer_creates_a_project_with_every_field_and_three_languages(
        marketer: StaffBrowser, session: Session, make_partner: Callable[..., Partner]) -> None:
    partner = make_partner()
    form = marketer.get("/admin/projects/new").get_data(as_text=True)
    assert '<fieldset lang="fr"' in form
    assert 'name="categories"' in form

    project = create(marketer, session, partner)

    assert project.status == "draft"
    assert (project.partner_id, project.street, project.postcode, project.city,
            project.country) == (partner.id, "Lindelaan 3", "9000", "Gent", "BE")
    assert (project.units_total, project.units_available) == (24, 10)
    assert (project.price_min, project.price_max) == (Decimal("245000"), Decimal("480000"))
    assert project.unit_types == ["apartment", "penthouse"]
    assert project.delivery_date == date(2028, 9, 1)
    assert project.languages == ["nl", "fr", "en"]
    assert project.optional_fields == ["budget", "message"]
    assert [c.code for c in project.categories] == ["residential"]
    assert {t.language: t.title for t in project.texts} == {
        "nl": "Residentie De Linde", "fr": "Résidence Le Tilleul", "en": "De Linde Residence"}
    assert project.text("nl").description == "Vierentwintig appartementen.\n\nMet tuin."
    versions = list(session.scalars(select(ProjectVersion).where(
        ProjectVersion.project_id == project.id)))
    assert [(v.number, v.action) for v in versions] == [(1, "created")]
    assert versions[0].created_by_id == marketer.user.id  # type: ignore[union-attr]
    assert versions[0].snapshot["texts"]["fr"]["title"] == "Résidence Le Tilleul"
    listing = marketer.get("/admin/projects?status=draft").get_data(as_text=True)
    assert "residentie-de-linde" in listing
    assert partner.legal_name in listing


def test_bad_input_is_refused_with_messages_and_kept(
        marketer: StaffBrowser, session: Session, make_partner: Callable[..., Partner],
        make_project: Callable[..., Project]) -> None:
    partner = make_partner()
    taken = make_project(partner=partner)

    typed = marketer.post("/admin/projects/new", project_form(
        partner, "Bad Slug!", units_total="many", nl_title="", nl_tagline="Een slogan"))
    service = marketer.post("/admin/projects/new", project_form(partner, taken.slug))
    prices = marketer.post("/admin/projects/new", project_form(
        partner, "nieuw-project", price_min="500000", price_max="400000"))
    no_category = marketer.post("/admin/projects/new", project_form(
        partner, "nieuw-project", categories=[]))

    assert typed.status_code == 422
    html = typed.get_data(as_text=True)
    assert "Not a valid integer value" in html
    assert 'value="Bad Slug!"' in html
    assert 'value="Een slogan"' in html
    assert "Vierentwintig appartementen." in html
    assert service.status_code == 422
    assert "Another project has this address already." in service.get_data(as_text=True)
    assert prices.status_code == 422
    assert "The highest price is below the lowest." in prices.get_data(as_text=True)
    assert no_category.status_code == 422
    assert "Choose at least one category." in no_category.get_data(as_text=True)
    assert project_of(session, "nieuw-project") is None
    assert session.scalar(select(func.count()).select_from(ProjectVersion)) == 0


def test_a_text_without_a_title_is_refused(
        marketer: StaffBrowser, session: Session, make_partner: Callable[..., Partner]) -> None:
    answer = marketer.post("/admin/projects/new", project_form(
        make_partner(), nl_title="", nl_tagline="Een slogan"))

    assert answer.status_code == 422
    assert "A page in this language needs a title." in answer.get_data(as_text=True)
    assert project_of(session, "residentie-de-linde") is None


def test_publish_is_refused_without_an_arrangement_in_force(
        marketer: StaffBrowser, session: Session, make_partner: Callable[..., Partner],
        client: Any) -> None:
    partner = make_partner(arrangement=False)
    project = create(marketer, session, partner)

    answer = marketer.post(f"/admin/projects/{project.id}/publish")

    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert f"{partner.legal_name} has no joint-controller arrangement in force" in html
    assert project_of(session, project.slug).status == "draft"  # type: ignore[union-attr]
    assert client.get(f"/en/p/{project.slug}").status_code == 404


def test_publish_edit_and_close_show_on_the_public_page_at_once(
        marketer: StaffBrowser, session: Session, make_partner: Callable[..., Partner],
        client: Any, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    # The page cache on, as in production: a change must not wait for the cached page to expire.
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 600)
    project = create(marketer, session, make_partner())

    published = marketer.post(f"/admin/projects/{project.id}/publish")
    first = client.get(f"/en/p/{project.slug}").get_data(as_text=True)
    edited = marketer.post(f"/admin/projects/{project.id}", project_form(
        project.partner, en_title="De Linde Gardens"))
    second = client.get(f"/en/p/{project.slug}").get_data(as_text=True)
    closed = marketer.post(f"/admin/projects/{project.id}/close")
    third = client.get(f"/en/p/{project.slug}").get_data(as_text=True)

    assert published.status_code == 303
    assert "De Linde Residence" in first
    assert 'name="first_name"' in first
    assert edited.status_code == 303
    assert "De Linde Gardens" in second
    assert "De Linde Residence" not in second
    assert closed.status_code == 303
    assert "This project no longer takes requests for information." in third
    assert 'name="first_name"' not in third
    actions = list(session.scalars(select(AuditEvent.action).where(
        AuditEvent.subject == f"project:{project.id}").order_by(AuditEvent.id)))
    assert actions == ["project.publish", "project.close"]
    assert project_of(session, project.slug).status == "closed"  # type: ignore[union-attr]


def test_the_address_of_a_published_page_cannot_change(
        marketer: StaffBrowser, session: Session, make_project: Callable[..., Project]) -> None:
    project = make_project()

    answer = marketer.post(f"/admin/projects/{project.id}", project_form(
        project.partner, "another-address"))

    assert answer.status_code == 422
    assert "cannot change: ads link to it" in answer.get_data(as_text=True)
    assert project_of(session, project.slug) is not None


def test_the_preview_shows_a_draft_as_visitors_will_see_it_and_sends_nothing(
        marketer: StaffBrowser, session: Session, make_partner: Callable[..., Partner]) -> None:
    project = create(marketer, session, make_partner())

    answer = marketer.get(f"/admin/projects/{project.id}/preview/fr")

    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "Aperçu, non publié." in html  # the banner speaks the language of the page
    assert html.index("preview-banner") < html.index('<main id="main">')
    assert "<h1>Résidence Le Tilleul</h1>" in html
    assert '<html lang="fr">' in html
    assert 'method="get" action="#request"' in html
    assert f'action="/fr/p/{project.slug}"' not in html
    assert "disabled" in html.split('name="first_name"', 1)[1]


def test_photo_upload_strips_metadata_and_stores_every_width(
        marketer: StaffBrowser, session: Session, make_partner: Callable[..., Partner],
        app: Flask) -> None:
    project = create(marketer, session, make_partner())

    jpeg = jpeg_with_gps()
    assert len(jpeg) > app.config["MAX_CONTENT_LENGTH"]

    answer = marketer.post(f"/admin/projects/{project.id}/photos", {
        "photos": [(io.BytesIO(jpeg), "site.jpg", "image/jpeg")]},
        content_type="multipart/form-data")

    assert answer.status_code == 303, answer.get_data(as_text=True)
    project = project_of(session, project.slug)  # type: ignore[assignment]
    [photo] = project.photos
    assert photo.widths == [480, 960]
    # Found at upload (where exactly is media.focus's test; grain is everywhere here).
    assert 0.05 <= photo.focus_x <= 0.95
    assert 0.05 <= photo.focus_y <= 0.95
    for width in photo.widths:
        for fmt in ("jpg", "webp"):
            path: Path = photo_path(app.config["UPLOAD_PATH"], photo.key, width, fmt)
            with Image.open(path) as stored:
                assert len(stored.getexif()) == 0
                assert not stored.getexif().get_ifd(GPS_IFD)
                assert stored.width == width
            assert b"SecretCamera" not in path.read_bytes()
    page = marketer.get(f"/admin/projects/{project.id}/photos").get_data(as_text=True)
    assert f"{photo.key}-960.webp" in page
    assert [v.action for v in project_versions(session, project)] == ["created", "photos"]


def project_versions(session: Session, project: Project) -> list[ProjectVersion]:
    return list(session.scalars(select(ProjectVersion).where(
        ProjectVersion.project_id == project.id).order_by(ProjectVersion.number)))


def test_a_file_that_is_not_an_image_is_refused_with_a_message(
        marketer: StaffBrowser, session: Session, make_partner: Callable[..., Partner]) -> None:
    project = create(marketer, session, make_partner())

    answer = marketer.post(f"/admin/projects/{project.id}/photos", {
        "photos": [(io.BytesIO(b"just some words\n" * 20), "holiday.jpg", "image/jpeg")]},
        content_type="multipart/form-data")

    assert answer.status_code == 422
    assert "holiday.jpg: The file is not an image." in answer.get_data(as_text=True)
    assert project_of(session, project.slug).photos == []  # type: ignore[union-attr]


def test_photo_details_order_and_removal(
        marketer: StaffBrowser, session: Session, make_partner: Callable[..., Partner]) -> None:
    project = create(marketer, session, make_partner())
    for shade in (10, 200):
        image = Image.new("RGB", (800, 600), (shade, 90, 90))
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        marketer.post(f"/admin/projects/{project.id}/photos", {
            "photos": [(io.BytesIO(buffer.getvalue()), f"p{shade}.png", "image/png")]},
            content_type="multipart/form-data")
    project = project_of(session, project.slug)  # type: ignore[assignment]
    first, second = project.photos
    prefix = f"photo-{second.id}-"

    bad = marketer.post(f"/admin/projects/{project.id}/photos/{second.id}", {
        f"{prefix}focus_x": "140", f"{prefix}focus_y": "20", f"{prefix}alt_en": "A garden"})
    good = marketer.post(f"/admin/projects/{project.id}/photos/{second.id}", {
        f"{prefix}focus_x": "30", f"{prefix}focus_y": "20", f"{prefix}alt_en": "A garden",
        f"{prefix}alt_nl": "Een tuin"})
    moved = marketer.post(f"/admin/projects/{project.id}/photos/{second.id}/up")

    assert bad.status_code == 422
    assert 'value="A garden"' in bad.get_data(as_text=True)
    assert good.status_code == 303
    assert moved.status_code == 303
    project = project_of(session, project.slug)  # type: ignore[assignment]
    assert [p.id for p in project.photos] == [second.id, first.id]
    assert project.photos[0].alt == {"en": "A garden", "nl": "Een tuin"}
    assert (project.photos[0].focus_x, project.photos[0].focus_y) == (0.3, 0.2)

    marketer.post(f"/admin/projects/{project.id}/photos/{first.id}/remove")

    assert [p.id for p in project_of(session, project.slug).photos] == [  # type: ignore[union-attr]
        second.id]


def test_changing_categories_re_tags_the_projects_leads(
        marketer: StaffBrowser, session: Session, make_project: Callable[..., Project],
        submit: Callable[..., Any]) -> None:
    project = make_project()
    assert submit(project).status_code == 303

    answer = marketer.post(f"/admin/projects/{project.id}", project_form(
        project.partner, project.slug, categories=["residential", "luxury"]))

    assert answer.status_code == 303, answer.get_data(as_text=True)
    session.expire_all()
    lead = session.scalar(select(Lead).where(Lead.project_id == project.id))
    assert lead is not None
    assert sorted(c.code for c in lead.categories) == ["luxury", "residential"]


def test_roles_without_projects_are_kept_out(
        privacy_officer: StaffBrowser, client: Any, make_project: Callable[..., Project]) -> None:
    project = make_project()

    for url in ("/admin/projects", "/admin/projects/new", f"/admin/projects/{project.id}",
                f"/admin/projects/{project.id}/photos",
                f"/admin/projects/{project.id}/preview/en",
                f"/admin/projects/{project.id}/versions"):
        assert privacy_officer.get(url).status_code == 403, url
        assert client.get(url).status_code == 303, url
    assert privacy_officer.post(f"/admin/projects/{project.id}/close").status_code == 403


def test_an_upload_without_the_form_token_is_refused(
        marketer: StaffBrowser, session: Session, make_partner: Callable[..., Partner]) -> None:
    project = create(marketer, session, make_partner())

    answer = marketer.client.post(f"/admin/projects/{project.id}/photos", data={
        "photos": [(io.BytesIO(jpeg_with_gps()), "site.jpg", "image/jpeg")]},
        content_type="multipart/form-data")

    assert answer.status_code == 400  # the app-wide CSRF check, as for every other POST
    assert project_of(session, project.slug).photos == []  # type: ignore[union-attr]


def test_only_a_workspace_session_may_send_a_large_body(
        app: Any, marketer: StaffBrowser, session: Session,
        make_partner: Callable[..., Partner]) -> None:
    project = create(marketer, session, make_partner())
    size = app.config["MAX_CONTENT_LENGTH"] * 2
    anonymous = app.test_client().post(f"/admin/projects/{project.id}/photos", data={
        "photos": [(io.BytesIO(b"x" * size), "big.jpg", "image/jpeg")]},
        content_type="multipart/form-data")
    assert anonymous.status_code == 413
    staff = marketer.post(f"/admin/projects/{project.id}/photos", {
        "photos": [(io.BytesIO(b"x" * size), "big.jpg", "image/jpeg")]},
        content_type="multipart/form-data")
    assert staff.status_code == 422  # read whole, then refused for what it is
    assert "big.jpg: The file is not an image." in staff.get_data(as_text=True)
