"""Arrangements: versions, signing, immutability at every level, and their effect on intake."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from support import text_of

from leadpages.arrangements import services
from leadpages.arrangements.models import Arrangement, ArrangementError
from leadpages.db import utcnow
from leadpages.extensions import db
from leadpages.leads.models import Lead

SIGNERS = {"operator_signer": "Olivia", "operator_signer_role": "CEO",
           "partner_signer": "Piet", "partner_signer_role": "Director"}


def draft(session: Any, partner: Any, **changes: Any) -> Arrangement:
    content = {**services.default_content(partner, "Operator BV"), **changes}
    return services.create_draft(session, partner, content)


def test_versions_are_numbered_and_activation_supersedes(session: Any,
                                                         make_partner: Any) -> None:
    partner = make_partner(arrangement=False)
    first = draft(session, partner)
    services.activate(session, first, **SIGNERS)
    second = draft(session, partner, partner_retention="12 months after the last contact.")
    assert (first.version, second.version) == (1, 2)
    assert services.in_force(session, partner.id) == first
    services.activate(session, second, **SIGNERS)
    assert first.status == "superseded"
    assert first.superseded_by_id == second.id
    assert services.in_force(session, partner.id) == second
    assert services.in_force(session, partner.id, at=first.effective_from) == first
    assert len(second.digest or "") == 64
    assert second.digest != first.digest


def test_future_version_leaves_the_current_one_in_force(session: Any, make_partner: Any) -> None:
    partner = make_partner(arrangement=False)
    first = draft(session, partner)
    services.activate(session, first, **SIGNERS)
    later = draft(session, partner)
    services.activate(session, later, **SIGNERS, effective_from=utcnow() + timedelta(days=7))
    assert services.in_force(session, partner.id) == first
    assert services.in_force(session, partner.id, at=utcnow() + timedelta(days=8)) == later


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"purposes": []}, "purposes must be a non-empty list"),
        ({"purposes": ["categorise-retarget"]}, "must include forward-leads"),
        ({"contact_point": "nobody"}, "contact_point must be one of"),
        ({"rights_handling": {"access": "operator"}}, "rights_handling must name"),
        ({"partner_duties": "Be nice."}, "duty to act on objection and erasure"),
        ({"essence": {"en": "Short."}}, "essence must give a text"),
        ({"colour": "blue"}, "unknown fields: colour"),
    ],
)
def test_bad_content_is_refused_and_nothing_saved(session: Any, make_partner: Any,
                                                  changes: dict, message: str) -> None:
    partner = make_partner(arrangement=False)
    with pytest.raises(ArrangementError, match=message):
        draft(session, partner, **changes)
    assert session.scalars(select(Arrangement).where(
        Arrangement.partner_id == partner.id)).all() == []


def test_activation_needs_both_signers(session: Any, make_partner: Any) -> None:
    arrangement = draft(session, make_partner(arrangement=False))
    with pytest.raises(ArrangementError, match="give the partner signer"):
        services.activate(session, arrangement, **{**SIGNERS, "partner_signer": " "})
    assert arrangement.status == "draft"


def test_service_refuses_to_edit_a_signed_version(session: Any, make_partner: Any) -> None:
    arrangement = draft(session, make_partner(arrangement=False))
    services.activate(session, arrangement, **SIGNERS)
    with pytest.raises(ArrangementError, match="can no longer change"):
        services.update_draft(session, arrangement, services.default_content(
            arrangement.partner, "Someone else"))
    with pytest.raises(ArrangementError, match="already active"):
        services.activate(session, arrangement, **SIGNERS)


def test_orm_refuses_to_flush_a_changed_signed_version(session: Any, make_partner: Any) -> None:
    arrangement = draft(session, make_partner(arrangement=False))
    services.activate(session, arrangement, **SIGNERS)
    arrangement.partner_retention = "Forever."
    with pytest.raises(ArrangementError, match="cannot change"):
        session.flush()
    session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE arrangements SET partner_retention = 'Forever.' WHERE id = :id",
        "UPDATE arrangements SET essence = '{}' WHERE id = :id",
        "UPDATE arrangements SET status = 'draft' WHERE id = :id",
        "UPDATE arrangements SET signed_at = NULL WHERE id = :id",
        "DELETE FROM arrangements WHERE id = :id",
    ],
)
def test_database_refuses_to_change_a_signed_version(session: Any, make_partner: Any,
                                                     statement: str) -> None:
    arrangement = draft(session, make_partner(arrangement=False))
    services.activate(session, arrangement, **SIGNERS)
    session.flush()
    with pytest.raises(DatabaseError, match="signed"), session.begin_nested():
        session.execute(text(statement), {"id": arrangement.id})


def test_database_lets_drafts_change(session: Any, make_partner: Any) -> None:
    arrangement = draft(session, make_partner(arrangement=False))
    session.execute(text("UPDATE arrangements SET partner_retention = 'Six months.' "
                         "WHERE id = :id"), {"id": arrangement.id})
    session.expire_all()
    assert session.get(Arrangement, arrangement.id).partner_retention == "Six months."


def test_partner_without_arrangement_gets_no_form_and_no_leads(
    app: Any, client: Any, make_partner: Any, make_project: Any, caplog: Any
) -> None:
    from support import VALID

    project = make_project(partner=make_partner(arrangement=False))
    page = client.get(f"/en/p/{project.slug}")
    assert page.status_code == 200
    assert "takes no requests at the moment" in text_of(page)
    assert "<form" not in page.get_data(as_text=True)
    assert "no active joint-controller arrangement" in caplog.text
    response = client.post(f"/en/p/{project.slug}", data=VALID)
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Lead)).all() == []


def test_lead_records_the_version_in_force(app: Any, submit: Any, session: Any,
                                           make_project: Any) -> None:
    project = make_project()
    assert submit(project).status_code == 303
    in_force = services.in_force(session, project.partner_id)
    with app.app_context():
        lead = db.session.scalars(select(Lead)).one()
        assert lead.arrangement_id == in_force.id


def test_project_privacy_page_shows_the_essence(client: Any, make_project: Any) -> None:
    project = make_project()
    page = text_of(client.get(f"/nl/p/{project.slug}/privacy"))
    assert "zijn gezamenlijk verantwoordelijk voor de gegevens" in page
    assert "eerste aanspreekpunt" in page


def run(runner: Any, *args: str) -> Any:
    return runner.invoke(args=["arrangement", *args], catch_exceptions=False)


def test_cli_create_show_activate_list(runner: Any, make_partner: Any, make_project: Any,
                                       tmp_path: Path) -> None:
    partner = make_partner(arrangement=False)
    make_project(partner=partner)
    listed = run(runner, "list", "--partner", partner.slug)
    assert "has no arrangement in force: these pages take no requests: project-" in listed.output
    created = run(runner, "create", "--partner", partner.slug)
    assert created.exit_code == 0, created.output
    assert "Drafted version 1" in created.output
    shown = json.loads(run(runner, "show", "--partner", partner.slug).output)
    assert shown["status"] == "draft"
    assert set(shown["essence"]) == {"nl", "fr", "en"}
    activated = run(runner, "activate", "--partner", partner.slug, "--version", "1",
                    "--operator-signer", "Els", "--operator-role", "CEO",
                    "--partner-signer", "Jo", "--partner-role", "Director")
    assert activated.exit_code == 0, activated.output
    assert "is active from" in activated.output
    assert "v1   active" in run(runner, "list", "--partner", partner.slug).output

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"purposes": ["forward-leads"]}))
    refused = runner.invoke(args=["arrangement", "create", "--partner", partner.slug,
                                  "--file", str(bad)])
    assert refused.exit_code == 1
    assert "nothing was saved" in refused.output
    garbled = tmp_path / "garbled.json"
    garbled.write_text("{not json")
    assert runner.invoke(args=["arrangement", "create", "--partner", partner.slug,
                               "--file", str(garbled)]).exit_code == 2
    unknown = runner.invoke(args=["arrangement", "show", "--partner", "nobody"])
    assert unknown.exit_code == 2
    assert "no partner 'nobody'" in unknown.output
    again = runner.invoke(args=["arrangement", "activate", "--partner", partner.slug,
                                "--version", "1", "--operator-signer", "X",
                                "--operator-role", "Y", "--partner-signer", "Z",
                                "--partner-role", "W"])
    assert again.exit_code == 1
    assert "already active" in again.output
