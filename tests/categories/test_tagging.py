"""Leads carry their project's categories, only while allowed, with every change in the history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpages.categories import services as categories
from leadpages.categories.models import CategoryEvent, lead_categories
from leadpages.leads.models import Lead
from leadpages.objections import services as objections
from leadpages.objections.keys import person_keys
from leadpages.projects.models import Category, Project


@pytest.fixture(autouse=True)
def _app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def consent_basis(app: Flask) -> Iterator[None]:
    app.config["AUDIENCE_BASIS"] = "consent"
    try:
        yield
    finally:
        app.config["AUDIENCE_BASIS"] = "legitimate-interest"


def leads(session: Session, project: Project) -> list[Lead]:
    return list(session.scalars(select(Lead).where(Lead.project_id == project.id)
                                .order_by(Lead.id).execution_options(populate_existing=True)))


def codes(session: Session, lead: Lead) -> list[str]:
    return list(session.scalars(
        select(Category.code).join(lead_categories, lead_categories.c.category_id == Category.id)
        .where(lead_categories.c.lead_id == lead.id).order_by(Category.code)))


def events(session: Session, lead: Lead) -> list[tuple[str, str, str]]:
    return [(event.action, code, event.reason) for event, code in categories.history(session, lead)]


def project_with(session: Session, make_project: Any, *names: str) -> Project:
    project = make_project()
    project.categories = list(session.scalars(select(Category).where(Category.code.in_(names))))
    session.flush()
    return project


def test_lead_takes_its_projects_categories_at_capture(session: Session, make_project: Any,
                                                      submit: Any) -> None:
    project = project_with(session, make_project, "residential", "luxury")
    assert submit(project).status_code == 303
    [lead] = leads(session, project)
    assert codes(session, lead) == ["luxury", "residential"]
    assert [c.code for c in lead.categories] == ["luxury", "residential"]
    assert sorted(events(session, lead)) == [("tagged", "luxury", "capture"),
                                             ("tagged", "residential", "capture")]


def test_nothing_is_derived_from_what_the_person_wrote(session: Session, make_project: Any,
                                                      submit: Any) -> None:
    project = make_project(category="residential")
    submit(project, message="Looking for a luxury villa or industrial land, budget no issue",
           preferred_location="Knokke luxury area", budget_amount="3000000")
    [lead] = leads(session, project)
    assert codes(session, lead) == ["residential"]


def test_objection_box_on_the_form_means_no_tags(session: Session, make_project: Any,
                                                submit: Any) -> None:
    project = make_project(category="residential")
    submit(project, ads_objection="y")
    [lead] = leads(session, project)
    assert codes(session, lead) == []
    assert events(session, lead) == []
    keys = person_keys(lead.email, lead.phone)
    assert objections.objected(session, keys.values(), "categorise")


@pytest.mark.usefixtures("consent_basis")
def test_under_consent_only_those_who_agreed_are_tagged(session: Session, make_project: Any,
                                                       submit: Any) -> None:
    project = make_project(category="land")
    submit(project, ads_consent="y")
    submit(project, email="other@example.com", phone="0471 00 00 00")
    agreed, silent = leads(session, project)
    assert (agreed.audience_basis, agreed.ads_consented) == ("consent", True)
    assert codes(session, agreed) == ["land"]
    assert silent.ads_consented is False
    assert codes(session, silent) == []


@pytest.mark.usefixtures("consent_basis")
def test_a_repeat_that_newly_consents_is_tagged_then(session: Session, make_project: Any,
                                                     submit: Any) -> None:
    project = make_project(category="land")
    submit(project)
    [lead] = leads(session, project)
    assert codes(session, lead) == []
    submit(project, ads_consent="y")  # the same person, within the duplicate window
    session.expire_all()
    [lead] = leads(session, project)
    assert (lead.submission_count, lead.ads_consented) == (2, True)
    assert codes(session, lead) == ["land"]


def test_objector_under_another_spelling_is_not_tagged_on_a_new_lead(
        session: Session, make_project: Any, submit: Any) -> None:
    objections.record_objection(session, email=" Jan.Janssens@Example.COM", scope="ads",
                                source="page")
    objections.record_objection(session, phone="+32 471 99 88 77", scope="marketing-email",
                                source="staff")
    session.commit()
    project = make_project(category="residential")
    submit(project)  # jan.janssens@example.com
    submit(project, email="someone@example.com", phone="0471998877")
    by_email, by_phone = leads(session, project)
    assert codes(session, by_email) == []
    assert codes(session, by_phone) == []


def test_changing_a_projects_categories_retags_its_leads_with_history(
        session: Session, make_project: Any, submit: Any) -> None:
    project = make_project(category="residential")
    other = make_project(category="residential")
    submit(project)
    submit(project, email="no-ads@example.com", phone="0471 11 22 33", ads_objection="y")
    submit(other, email="elsewhere@example.com", phone="0471 44 55 66")
    tagged, objector = leads(session, project)

    added, removed = categories.set_project_categories(session, project,
                                                       ["luxury", "land", "luxury"])
    session.commit()

    assert (added, removed) == (["land", "luxury"], ["residential"])
    assert sorted(c.code for c in project.categories) == ["land", "luxury"]
    assert codes(session, tagged) == ["land", "luxury"]
    assert events(session, tagged) == [
        ("tagged", "residential", "capture"),
        ("untagged", "residential", "project-changed"),
        ("tagged", "land", "project-changed"),
        ("tagged", "luxury", "project-changed"),
    ]
    assert codes(session, objector) == []  # an objector is never tagged, not even now
    assert events(session, objector) == []
    [elsewhere] = leads(session, other)
    assert codes(session, elsewhere) == ["residential"]  # other projects are untouched
    # The same set again changes nothing and writes no history.
    assert categories.set_project_categories(session, project, ["land", "luxury"]) == ([], [])
    assert len(events(session, tagged)) == 4


@pytest.mark.parametrize(("wanted", "message"), [
    ([], "a project needs at least one category"),
    (["residential", "mansions"], "unknown category mansions; the list is: commercial, "),
])
def test_bad_category_change_is_refused_and_changes_nothing(
        session: Session, make_project: Any, submit: Any, wanted: list[str],
        message: str) -> None:
    project = make_project(category="residential")
    submit(project)
    session.commit()
    with pytest.raises(categories.CategoryError) as raised:
        categories.set_project_categories(session, project, wanted)
    assert message in str(raised.value)
    session.rollback()
    session.refresh(project)
    assert [c.code for c in project.categories] == ["residential"]
    [lead] = leads(session, project)
    assert codes(session, lead) == ["residential"]


def test_objection_untags_and_withdrawal_retags_with_history(
        session: Session, make_project: Any, submit: Any) -> None:
    project = make_project(category="commercial")
    submit(project)
    submit(project, email="box@example.com", phone="0471 12 12 12", ads_objection="y")
    person, box = leads(session, project)

    objections.record_objection(session, email="JAN.JANSSENS@example.com ",
                                scope="marketing-email", source="link")
    session.commit()
    assert codes(session, person) == []
    assert events(session, person)[-1] == ("untagged", "commercial", "objection")

    keys = person_keys(person.email, person.phone)
    assert objections.withdraw(session, keys) >= 1
    session.commit()
    assert codes(session, person) == ["commercial"]
    assert events(session, person) == [("tagged", "commercial", "capture"),
                                       ("untagged", "commercial", "objection"),
                                       ("tagged", "commercial", "withdrawal")]

    # The form's box is the lead's own choice: withdrawing the register entry leaves it.
    assert objections.withdraw(session, person_keys(box.email, box.phone)) == 2
    session.commit()
    assert codes(session, box) == []
    assert events(session, box) == []


def test_restricted_lead_is_not_retagged(session: Session, make_project: Any,
                                        submit: Any) -> None:
    project = make_project(category="industrial")
    submit(project)
    [lead] = leads(session, project)
    objections.record_objection(session, email=lead.email, scope="all", source="staff")
    lead.status = "restricted"
    session.commit()
    assert objections.withdraw(session, person_keys(lead.email)) == 1
    assert codes(session, lead) == []
    categories.set_project_categories(session, project, ["industrial", "commercial"])
    assert codes(session, lead) == []
    assert session.scalar(select(func.count()).select_from(CategoryEvent)
                          .where(CategoryEvent.lead_id == lead.id,
                                 CategoryEvent.action == "tagged")) == 1  # capture only


def test_a_list_changed_some_other_way_is_brought_in_line_without_double_tags(
        session: Session, make_project: Any, submit: Any) -> None:
    """Project lists set directly (demo data, a later editor) must not break re-tagging."""
    project = make_project(category="residential")
    submit(project)
    [lead] = leads(session, project)
    # The list changed without re-tagging: the lead still carries residential.
    project.categories = list(session.scalars(select(Category).where(Category.code == "land")))
    session.flush()
    added, removed = categories.set_project_categories(session, project,
                                                       ["residential", "luxury"])
    assert (added, removed) == (["luxury", "residential"], ["land"])
    assert codes(session, lead) == ["luxury", "residential"]
    assert events(session, lead) == [("tagged", "residential", "capture"),
                                     ("tagged", "luxury", "project-changed")]
    categories.set_project_categories(session, project, ["land"])
    assert codes(session, lead) == ["land"]
    assert sorted(events(session, lead)[-3:]) == [("tagged", "land", "project-changed"),
                                                  ("untagged", "luxury", "project-changed"),
                                                  ("untagged", "residential", "project-changed")]
