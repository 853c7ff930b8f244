"""Every change to a project's page is kept as a numbered version, and two can be compared."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from admin_support import StaffBrowser
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_admin_projects import create, project_form

from leadpages.partners.models import Partner
from leadpages.projects import editing
from leadpages.projects.models import Project, ProjectVersion


def versions_of(session: Session, project: Project) -> list[ProjectVersion]:
    session.expire_all()
    return list(session.scalars(select(ProjectVersion).where(
        ProjectVersion.project_id == project.id).order_by(ProjectVersion.number)))


def test_each_change_is_a_version_and_an_unchanged_save_is_none(
        marketer: StaffBrowser, session: Session, make_partner: Callable[..., Partner]) -> None:
    project = create(marketer, session, make_partner())
    form = project_form(project.partner)

    unchanged = marketer.post(f"/admin/projects/{project.id}", form)
    marketer.post(f"/admin/projects/{project.id}", {**form, "en_title": "The Lime Trees",
                                                    "units_available": "8"})
    marketer.post(f"/admin/projects/{project.id}/publish")
    marketer.post(f"/admin/projects/{project.id}/close")
    marketer.post(f"/admin/projects/{project.id}/reopen")

    assert unchanged.status_code == 303
    versions = versions_of(session, project)
    assert [(v.number, v.action) for v in versions] == [
        (1, "created"), (2, "saved"), (3, "published"), (4, "closed"), (5, "reopened")]
    assert versions[1].snapshot["texts"]["en"]["title"] == "The Lime Trees"
    assert versions[0].snapshot["texts"]["en"]["title"] == "De Linde Residence"
    assert versions[4].snapshot["status"] == "draft"
    listing = marketer.get(f"/admin/projects/{project.id}/versions").get_data(as_text=True)
    assert listing.count("Compare with version") == 4


def test_a_version_is_compared_with_the_one_before(
        marketer: StaffBrowser, session: Session, make_partner: Callable[..., Partner]) -> None:
    project = create(marketer, session, make_partner())
    marketer.post(f"/admin/projects/{project.id}", {
        **project_form(project.partner), "en_title": "The Lime Trees", "price_max": "495000",
        "categories": ["residential", "luxury"]})

    page = marketer.get(f"/admin/projects/{project.id}/versions/2")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "texts.en.title" in html
    assert "<del>De Linde Residence</del>" in html
    assert "<ins>The Lime Trees</ins>" in html
    assert "price_max" in html
    assert "texts.nl.title" not in html
    older, newer = versions_of(session, project)
    changes = {c.field: (c.before, c.after) for c in editing.compare(older.snapshot,
                                                                     newer.snapshot)}
    assert changes == {
        "texts.en.title": ("De Linde Residence", "The Lime Trees"),
        "price_max": ("480000", "495000"),
        "categories": (["residential"], ["luxury", "residential"]),
    }
    assert marketer.get(f"/admin/projects/{project.id}/versions/9").status_code == 404


def test_the_first_version_shows_everything(
        marketer: StaffBrowser, session: Session, make_partner: Callable[..., Partner]) -> None:
    project = create(marketer, session, make_partner())

    html = marketer.get(f"/admin/projects/{project.id}/versions/1").get_data(as_text=True)

    assert "Everything in version 1" in html
    assert "<ins>Résidence Le Tilleul</ins>" in html


def test_versions_are_for_project_staff_only(
        privacy_officer: StaffBrowser, make_project: Callable[..., Project], client: Any) -> None:
    project = make_project()

    assert privacy_officer.get(f"/admin/projects/{project.id}/versions/1").status_code == 403
    assert client.get(f"/admin/projects/{project.id}/versions").status_code == 303
