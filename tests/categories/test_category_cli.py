"""`leadpages category ...`: staff keep the closed list; bad input says why and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from leadpages.categories.models import CategoryEvent
from leadpages.categories.services import sensitive_words
from leadpages.extensions import db
from leadpages.leads.models import Lead
from leadpages.projects.models import Category, Project


def stored(app: Flask) -> dict[str, tuple[str, str]]:
    with app.app_context():
        return {c.code: (c.export_name, c.description)
                for c in db.session.scalars(select(Category))}


def project_codes(app: Flask, slug: str) -> list[str]:
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == slug))
        assert project is not None
        return sorted(c.code for c in project.categories)


def test_list_shows_each_category_with_its_projects_and_tagged_leads(
        runner: Any, make_project: Any, submit: Any) -> None:
    project = make_project(category="land")
    make_project(category="land", status="draft")
    submit(project)
    result = runner.invoke(args=["category", "list"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert set(lines) >= {"residential", "industrial", "luxury", "commercial", "land"}
    assert lines["land"].split()[:4] == ["land", "Building", "land", "2"]
    assert lines["land"].split()[4] == "1"
    assert "Plots to build on." in lines["land"]
    assert "Premium property" in lines["luxury"]


def test_add_and_edit(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["category", "add", "student-housing",
                                 "--export-name", "Student residences",
                                 "--description", "Rooms and studios  near campuses."])
    assert result.exit_code == 0, result.output
    assert "Category student-housing added" in result.output
    assert stored(app)["student-housing"] == ("Student residences",
                                              "Rooms and studios near campuses.")
    result = runner.invoke(args=["category", "edit", "student-housing",
                                 "--export-name", "Student rooms"])
    assert result.exit_code == 0, result.output
    assert stored(app)["student-housing"] == ("Student rooms", "Rooms and studios near campuses.")
    result = runner.invoke(args=["category", "edit", "student-housing",
                                 "--description", "Rooms near campuses."])
    assert result.exit_code == 0, result.output
    assert stored(app)["student-housing"] == ("Student rooms", "Rooms near campuses.")


@pytest.mark.parametrize(("args", "message"), [
    (["add", "Villas", "--export-name", "Villas", "--description", "x"],
     "the code 'Villas' must be 1 to 40 lower-case letters"),
    (["add", "my villas", "--export-name", "Villas", "--description", "x"],
     "must be 1 to 40 lower-case letters"),
    (["add", "--export-name", "Villas", "--description", "x", "--", "-villas"],
     "must be 1 to 40 lower-case letters"),
    (["add", "luxury", "--export-name", "Villas", "--description", "x"],
     "the category luxury exists already"),
    (["add", "villas", "--export-name", "Homes for wealthy buyers", "--description", "x"],
     "suggests something about people (wealthy)"),
    (["add", "villas", "--export-name", "Family homes", "--description", "x"],
     "suggests something about people (family)"),
    (["add", "villas", "--export-name", "Woningen voor rijke gezinnen", "--description", "x"],
     "(rijke, gezinnen)"),
    (["add", "villas", "--export-name", "  ", "--description", "x"], "the export name is empty"),
    (["add", "villas", "--export-name", "V" * 81, "--description", "x"], "longer than 80"),
    (["add", "villas", "--export-name", "Villas", "--description", " "],
     "the description is empty"),
    (["add", "villas", "--export-name", "Villas"], "Missing option '--description'"),
    (["edit", "mansions", "--export-name", "Mansions"], "there is no category 'mansions'"),
    (["edit", "luxury"], "give a new export name, a new description, or both"),
    (["edit", "luxury", "--export-name", "High income homes"], "(income)"),
])
def test_bad_input_is_refused_and_changes_nothing(app: Flask, runner: Any, args: list[str],
                                                 message: str) -> None:
    before = stored(app)
    result = runner.invoke(args=["category", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert stored(app) == before


def test_export_name_check_keeps_neutral_property_names() -> None:
    for neutral in ("Residential property", "Premium property", "Building land",
                    "Single-family houses", "Commercial property", "Bouwgrond", "Terrain à bâtir",
                    "Retail units", "Agency offices"):
        assert sensitive_words(neutral) == [], neutral
    assert sensitive_words("Affluent retirees") == ["affluent", "retirees"]


def test_set_project_reports_changes_and_retagged_leads(app: Flask, runner: Any,
                                                       make_project: Any, submit: Any) -> None:
    project = make_project(category="residential")
    submit(project)
    submit(project, email="b@example.com", phone="0471 22 33 44")
    submit(project, email="c@example.com", phone="0471 22 33 55", ads_objection="y")
    result = runner.invoke(args=["category", "set-project", project.slug, "luxury",
                                 "residential"])
    assert result.exit_code == 0, result.output
    assert f"Project {project.slug} now has: luxury, residential." in result.output
    assert "Added: luxury. Removed: -." in result.output
    assert "Leads re-tagged: 2" in result.output
    assert project_codes(app, project.slug) == ["luxury", "residential"]
    with app.app_context():
        reasons = list(db.session.scalars(
            select(CategoryEvent.reason).join(Lead, Lead.id == CategoryEvent.lead_id)
            .where(Lead.project_id == project.id, CategoryEvent.action == "tagged")))
    assert sorted(reasons) == ["capture", "capture", "project-changed", "project-changed"]

    again = runner.invoke(args=["category", "set-project", project.slug, "residential",
                                "luxury"])
    assert again.exit_code == 0, again.output
    assert "Nothing changed" in again.output


@pytest.mark.parametrize(("args", "message"), [
    (["set-project", "no-such-project", "luxury"], "there is no project 'no-such-project'"),
    (["set-project", "{slug}", "luxury", "castles"], "unknown category castles"),
    (["set-project", "{slug}"], "Missing argument 'CODES...'"),
])
def test_set_project_errors_change_nothing(app: Flask, runner: Any, make_project: Any,
                                          args: list[str], message: str) -> None:
    project = make_project(category="residential")
    result = runner.invoke(args=["category", *(a.format(slug=project.slug) for a in args)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert project_codes(app, project.slug) == ["residential"]
