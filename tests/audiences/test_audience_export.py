"""Exporting audiences: who is in the file, who is left out and why, removals, the record."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from audience_support import read_rows
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leadpages.audiences import normalise, services
from leadpages.audiences.models import Audience, AudienceExport, AudienceMember
from leadpages.audiences.normalise import LeadFields
from leadpages.db import utcnow
from leadpages.leads.models import Lead
from leadpages.objections.services import record_objection


def fields_of(lead: Lead) -> LeadFields:
    return LeadFields(lead.email, lead.phone, lead.first_name, lead.last_name, lead.postcode,
                      lead.country)


def meta_row(lead: Lead) -> list[str]:
    return list(normalise.meta_row(fields_of(lead), "BE"))


def removal_row(lead: Lead) -> list[str]:
    """What a removal file holds for a person: the hashed identifiers they were sent with."""
    return [*meta_row(lead)[:2], "", "", "", ""]


def members(session: Session, audience: Audience) -> list[AudienceMember]:
    session.expire_all()
    return list(session.scalars(select(AudienceMember).where(
        AudienceMember.audience_id == audience.id).order_by(AudienceMember.email_key)))


def files(folder: Path) -> list[str]:
    """Every file in the folder, hidden temporary ones included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_meta_export_leaves_out_objectors_under_any_spelling(
        session: Session, make_project: Any, make_lead: Any, make_audience: Any,
        export: Any, folder: Path) -> None:
    project = make_project()
    mary = make_lead(project, email="Mary.Smith@gmail.com", phone="+32470123456",
                     first_name="Zoë", last_name="Van Damme", postcode="9000", country="BE")
    jan = make_lead(project, email="jan@example.com", phone="+32470111111")
    piet = make_lead(project, email="Piet.Peeters+ads@gmail.com", phone="+32470999888")
    boxed = make_lead(project, ads_objected=True)  # ticked the form's objection box
    restricted = make_lead(project)
    erased = make_lead(project)
    make_lead(make_project(category="industrial"))  # other category: outside the audience
    restricted.status, erased.status = "restricted", "erased"
    # Piet objects by letter, his address written otherwise, his phone nationally.
    record_objection(session, email=" PIETPEETERS@googlemail.com ", phone="0470 99 98 88",
                     scope="ads", source="staff")
    audience = make_audience(name="Residential buyers")

    done = export(audience, run_by="Els")

    assert done.status == "written", done.reason
    assert done.included == 2
    assert done.removed == 0
    assert done.excluded == {"erased": 1, "restricted": 1, "objected": 2, "no-basis": 0,
                             "untagged": 0}
    header, rows = read_rows(folder / done.file_name)
    assert header == ["email", "phone", "fn", "ln", "zip", "country"]
    assert sorted(rows) == sorted([meta_row(mary), meta_row(jan)])
    values = {v for row in rows for v in row}
    for spelling in ("piet.peeters+ads@gmail.com", "pietpeeters@gmail.com",
                     "pietpeeters@googlemail.com"):
        assert normalise.sha256(spelling) not in values
    assert normalise.sha256("32470999888") not in values
    for left_out in (piet, boxed):
        assert not set(meta_row(left_out)[:2]) & values  # neither email nor phone
    # The record: counts, who, when, the digest of the file; never an identifier.
    data = (folder / done.file_name).read_bytes()
    assert done.file_digest == hashlib.sha256(data).hexdigest()
    assert done.run_by == "Els"
    assert done.finished_at >= done.started_at
    assert done.removal_file_name is None
    record = json.dumps({c.name: str(getattr(done, c.name))
                         for c in AudienceExport.__table__.columns})
    for value in (values - {""}) | {"mary", "jan@", "piet", "3247"}:
        assert value not in record.lower()
    # Every value in the file is a SHA-256 in lower-case hex, or empty when not known.
    assert all(re.fullmatch(r"[0-9a-f]{64}", v) for v in values - {""})
    assert "" not in meta_row(mary)
    assert meta_row(jan)[4:] == ["", ""]
    assert files(folder) == [done.file_name]
    assert {m.email_key for m in members(session, audience)} == {mary.email_key, jan.email_key}


def test_one_row_per_person_with_their_latest_details(
        session: Session, make_project: Any, make_lead: Any, make_audience: Any,
        export: Any, folder: Path) -> None:
    first = make_lead(make_project(), email="an@example.com", last_name="Old")
    latest = make_lead(make_project(), email=" AN@example.com", last_name="New",
                       phone="+32470555555")
    session.execute(update(Lead).where(Lead.id == first.id)
                    .values(created_at=utcnow() - timedelta(days=3)))
    done = export(make_audience())
    _, rows = read_rows(folder / done.file_name)
    assert rows == [meta_row(latest)]
    assert done.included == 1


def test_window_and_categories(session: Session, make_project: Any, make_lead: Any,
                               make_audience: Any, export: Any, folder: Path) -> None:
    luxury = make_project(category="luxury")
    inside = make_lead(luxury)
    outside = make_lead(luxury)
    residential = make_lead(make_project())
    session.execute(update(Lead).where(Lead.id == inside.id)
                    .values(created_at=utcnow() - timedelta(days=89)))
    session.execute(update(Lead).where(Lead.id == outside.id)
                    .values(created_at=utcnow() - timedelta(days=91)))
    done = export(make_audience(categories=["luxury", "residential"], window_days=90))
    _, rows = read_rows(folder / done.file_name)
    assert sorted(rows) == sorted([meta_row(inside), meta_row(residential)])
    assert sum(done.excluded.values()) == 0  # outside the window is outside the scope


def test_leads_whose_project_lost_the_category_count_as_untagged(
        session: Session, make_project: Any, make_lead: Any, make_audience: Any,
        export: Any) -> None:
    from leadpages.categories.models import lead_categories

    project = make_project()
    lead = make_lead(project)
    session.execute(lead_categories.delete().where(lead_categories.c.lead_id == lead.id))
    done = export(make_audience(min_size=1))
    assert done.status == "below-minimum"
    assert done.excluded["untagged"] == 1
    assert done.included == 0


def test_objection_after_an_export_is_in_the_next_removal_file(
        session: Session, make_project: Any, make_lead: Any, make_audience: Any,
        export: Any, folder: Path, cli: Any) -> None:
    project = make_project()
    mary = make_lead(project, email="mary@example.com")
    jan = make_lead(project, email="Jan.Janssens@gmail.com", phone="+32470121212")
    audience = make_audience(name="Parkzicht")
    first = export(audience)
    _, rows = read_rows(folder / first.file_name)
    assert meta_row(jan) in rows

    record_objection(session, email="janjanssens+x@googlemail.com", scope="all", source="page")
    session.commit()
    due = {m.email_key: m.removal_due_at for m in members(session, audience)}
    assert due[jan.email_key] is not None
    assert due[mary.email_key] is None
    listed = cli("audience", "list")
    assert "removals due 1" in listed.output

    second = export(audience)
    _, rows = read_rows(folder / second.file_name)
    assert rows == [meta_row(mary)]
    header, removals = read_rows(folder / second.removal_file_name)
    assert header == list(normalise.META_COLUMNS)
    assert removals == [removal_row(jan)]  # as sent, so that the platform can match them
    assert second.removed == 1
    assert second.excluded["objected"] == 1
    assert second.removal_digest == hashlib.sha256(
        (folder / second.removal_file_name).read_bytes()).hexdigest()
    assert [m.email_key for m in members(session, audience)] == [mary.email_key]

    third = export(audience)
    assert third.removed == 0
    assert third.removal_file_name is None


def test_people_who_are_no_longer_eligible_for_any_reason_are_removed(
        session: Session, make_project: Any, make_lead: Any, make_audience: Any,
        export: Any, folder: Path) -> None:
    project = make_project()
    leads = [make_lead(project) for _ in range(4)]
    audience = make_audience()
    export(audience)
    leads[0].status = "restricted"
    leads[1].status = "erased"
    session.execute(update(Lead).where(Lead.id == leads[2].id)
                    .values(created_at=utcnow() - timedelta(days=541)))
    session.flush()
    done = export(audience)
    _, removals = read_rows(folder / done.removal_file_name)
    assert sorted(removals) == sorted(removal_row(lead) for lead in leads[:3])
    _, rows = read_rows(folder / done.file_name)
    assert rows == [meta_row(leads[3])]


def test_a_person_who_objected_and_comes_back_stays_out(
        session: Session, make_project: Any, make_lead: Any, make_audience: Any,
        export: Any, folder: Path) -> None:
    make_lead(make_project(), email="other@example.com")
    record_objection(session, email="Returner@Example.com", scope="ads", source="link")
    again = make_lead(make_project(), email="returner@example.com ", phone="+32470777777")
    done = export(make_audience())
    _, rows = read_rows(folder / done.file_name)
    assert meta_row(again)[0] not in {row[0] for row in rows}
    assert normalise.sha256("32470777777") not in {row[1] for row in rows}
    assert done.included == 1


def test_below_minimum_writes_nothing(session: Session, make_project: Any, make_lead: Any,
                                      make_audience: Any, export: Any, folder: Path) -> None:
    project = make_project()
    for _ in range(3):
        make_lead(project)
    audience = make_audience(min_size=4)
    done = export(audience)
    assert done.status == "below-minimum"
    assert "3 people, fewer than the minimum of 4" in (done.reason or "")
    assert done.file_name is None
    assert done.file_digest is None
    assert files(folder) == []
    assert members(session, audience) == []


def test_below_minimum_still_removes_people_who_objected(
        session: Session, make_project: Any, make_lead: Any, make_audience: Any,
        export: Any, folder: Path) -> None:
    project = make_project()
    stays, also, goes, gone = (make_lead(project) for _ in range(4))
    audience = make_audience(min_size=4)
    assert export(audience).status == "written"
    for objector in (goes, gone):
        record_objection(session, email=objector.email, scope="ads", source="staff")
    newcomer = make_lead(project)
    session.execute(update(Lead).where(Lead.id == stays.id).values(first_name="Changed"))
    done = export(audience)
    assert done.status == "below-minimum"
    assert done.file_name is None
    assert done.included == 3
    _, removals = read_rows(folder / done.removal_file_name)
    assert sorted(removals) == sorted([removal_row(goes), removal_row(gone)])
    # An objection is never held back by the minimum, but nobody new is added and nobody
    # still eligible is touched while the audience is below it.
    kept = members(session, audience)
    assert {m.email_key for m in kept} == {stays.email_key, also.email_key}
    assert newcomer.email_key not in {m.email_key for m in kept}
    row = next(m.row for m in kept if m.email_key == stays.email_key)
    assert json.loads(row) == meta_row(stays)[:2]


def test_identifiers_sent_before_are_removed_when_they_change(
        session: Session, make_project: Any, make_lead: Any, make_audience: Any,
        export: Any, folder: Path) -> None:
    # Meta's email rule keeps gmail dots: one person, two hashes. The one sent first must not
    # stay on the platform, out of reach of a later removal.
    first = make_lead(make_project(), email="mary.smith@gmail.com", phone="+32470123456")
    audience = make_audience()
    export(audience)
    again = make_lead(make_project(), email="marysmith@gmail.com", phone="+32470654321")
    assert again.email_key == first.email_key
    done = export(audience)
    _, rows = read_rows(folder / done.file_name)
    assert rows == [meta_row(again)]
    _, removals = read_rows(folder / done.removal_file_name)
    assert removals == [removal_row(first)]
    assert json.loads(members(session, audience)[0].row) == meta_row(again)[:2]
    assert members(session, audience)[0].phone_key == again.phone_key
    # Nothing changed since: nothing to remove, nothing to store.
    assert export(audience).removal_file_name is None


def test_withdrawn_objection_ends_the_removal_due(
        session: Session, make_project: Any, make_lead: Any, make_audience: Any,
        export: Any, folder: Path) -> None:
    from leadpages.objections.keys import person_keys
    from leadpages.objections.services import withdraw

    lead = make_lead(make_project(), email="back@example.com")
    make_lead(make_project())
    audience = make_audience()
    export(audience)
    record_objection(session, email="back@example.com", scope="ads", source="page")
    assert services.pending_removals(session) == {audience.id: 1}
    withdraw(session, person_keys(email="back@example.com"))
    done = export(audience)
    _, rows = read_rows(folder / done.file_name)
    assert meta_row(lead) in rows
    assert done.removal_file_name is None
    assert services.pending_removals(session) == {}


def test_a_failed_export_leaves_no_file_and_changes_no_member(
        session: Session, make_project: Any, make_lead: Any, make_audience: Any,
        export: Any, folder: Path) -> None:
    project = make_project()
    make_lead(project)
    audience = make_audience()
    first = export(audience)
    make_lead(project)
    before = [(m.email_key, m.row) for m in members(session, audience)]

    def crash(done: int, total: int) -> None:
        if done == total:  # every row is in the temporary files by now
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        export(audience, progress=crash)
    assert files(folder) == [first.file_name]
    assert [(m.email_key, m.row) for m in members(session, audience)] == before
    failed = session.scalars(select(AudienceExport).order_by(AudienceExport.id.desc())).first()
    assert failed is not None
    assert failed.status == "failed"
    assert "disk full" in (failed.reason or "")


def test_google_is_refused_under_legitimate_interest(
        session: Session, make_project: Any, make_lead: Any, make_audience: Any,
        export: Any, folder: Path) -> None:
    make_lead(make_project())
    done = export(make_audience(platform="google"))
    assert done.status == "refused"
    assert "Google Customer Match needs the person's consent" in (done.reason or "")
    assert "LEADPAGES_AUDIENCE_BASIS=consent" in (done.reason or "")
    assert files(folder) == []


def test_consent_basis_holds_only_people_who_agreed(
        app: Flask, session: Session, make_project: Any, make_lead: Any, make_audience: Any,
        export: Any, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project()
    before = make_lead(project)  # captured under legitimate interest, did not object
    monkeypatch.setitem(app.config, "AUDIENCE_BASIS", "consent")
    agreed = make_lead(project, ads_consented=True, postcode="1000", country="BE",
                       first_name="Zoë")
    make_lead(project, ads_consented=False)
    audience = make_audience(platform="google")
    done = export(audience)
    header, rows = read_rows(folder / done.file_name)
    assert header == ["Email", "Phone", "First Name", "Last Name", "Country", "Zip"]
    assert rows == [list(normalise.google_row(fields_of(agreed), "BE"))]
    assert rows[0][4:] == ["BE", "1000"]
    assert done.excluded["no-basis"] == 2
    # Under legitimate interest again, both the agreed and the earlier lead may be in a Meta
    # audience; Google stays refused.
    monkeypatch.setitem(app.config, "AUDIENCE_BASIS", "legitimate-interest")
    meta = export(make_audience())
    _, rows = read_rows(folder / meta.file_name)
    assert sorted(rows) == sorted([meta_row(before), meta_row(agreed)])
    assert export(audience).status == "refused"


def test_csv_platform_is_a_neutral_hashed_list(make_project: Any, make_lead: Any,
                                               make_audience: Any, export: Any,
                                               folder: Path) -> None:
    make_lead(make_project(), email="J.Peeters+x@gmail.com", phone="+32470123456")
    done = export(make_audience(platform="csv"))
    header, rows = read_rows(folder / done.file_name)
    assert header == ["email_sha256", "phone_sha256"]
    assert rows == [[normalise.sha256("jpeeters@gmail.com"), normalise.sha256("+32470123456")]]


def test_sensitive_names_are_refused(session: Session, make_audience: Any, export: Any,
                                     folder: Path) -> None:
    for name, word in (("High income buyers", "income"), ("Rijke kopers", "rijke"),
                       ("Acheteurs aisés", "aisés"), ("Seniors at the coast", "seniors"),
                       ("Low-income buyers", "income"), ("HOGE-INKOMENS", "inkomens")):
        with pytest.raises(services.AudienceError, match=re.escape(repr(word))):
            make_audience(name=name)
    # A name stored before the word list knew it is refused at export time.
    audience = Audience(name="Wealthy buyers", platform="meta", window_days=30, min_size=1,
                        created_by="someone")
    session.add(audience)
    session.flush()
    done = export(audience)
    assert done.status == "refused"
    assert "'wealthy'" in (done.reason or "")
    assert files(folder) == []


def test_a_second_export_waits_for_a_running_one(session: Session, make_audience: Any,
                                                 export: Any) -> None:
    audience = make_audience()
    running = AudienceExport(audience_id=audience.id, run_by="Bob", status="running",
                             excluded={}, started_at=utcnow() - timedelta(minutes=5))
    session.add(running)
    session.commit()
    with pytest.raises(services.AudienceError, match=r"started by Bob .* is still running"):
        export(audience)
    running.started_at = utcnow() - timedelta(hours=3)  # died long ago
    session.commit()
    assert export(audience).status == "below-minimum"
    session.refresh(running)
    assert (running.status, running.reason) == ("failed", "abandoned")


def test_define_rules(session: Session, make_audience: Any) -> None:
    make_audience(name="Coast buyers")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "coast BUYERS"}, "already an audience named"),
        ({"categories": ["castles"]}, "unknown category castles; the list is: commercial"),
        ({"categories": []}, "at least one category"),
        ({"window_days": 541}, "from 1 to 540 days"),
        ({"window_days": 0}, "from 1 to 540 days"),
        ({"min_size": 0}, "at least 1"),
        ({"platform": "tiktok"}, "meta, google, csv"),
        ({"name": "   "}, "empty"),
        ({"name": "x" * 81}, "longer than 80"),
        ({"platform_audience_id": "12 34"}, "letters or digits"),
    ]
    for values, message in cases:
        with pytest.raises(services.AudienceError, match=message):
            make_audience(**values)
    assert session.scalar(select(Audience.name).where(Audience.name != "Coast buyers")) is None
    assert make_audience(name="Luxury", window_days=540, min_size=1).window_days == 540


def test_export_record_lists_reasons_in_show(cli: Any, make_project: Any, make_lead: Any,
                                             make_audience: Any, export: Any,
                                             session: Session) -> None:
    project = make_project()
    make_lead(project)
    objector = make_lead(project)
    record_objection(session, phone=objector.phone, scope="ads", source="staff")
    audience = make_audience(name="Show me")
    export(audience)
    session.commit()
    result = cli("audience", "show", "show me")
    assert result.exit_code == 0, result.output
    assert "1 people included, 0 to remove; leads left out: objected 1" in result.output
    assert "upload file show-me-" in result.output


def test_uses_objected_from_the_register(session: Session, make_project: Any, make_lead: Any,
                                         make_audience: Any, export: Any, folder: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The export asks the register itself, not only the tags the objection took away."""
    from leadpages.categories import services as categories

    monkeypatch.setattr(categories, "untag_person", lambda *a, **k: 0)
    project = make_project()
    make_lead(project)
    objector = make_lead(project)
    record_objection(session, email=objector.email.upper(), scope="ads", source="staff")
    done = export(make_audience())
    _, rows = read_rows(folder / done.file_name)
    assert meta_row(objector) not in rows
    assert len(rows) == 1
    assert done.excluded["objected"] == 1


def test_platform_rows_are_built_per_lead() -> None:
    built: list[Callable[..., Any]] = [p.row for p in normalise.PLATFORMS.values()]
    lead = LeadFields("a@example.com", "+32470123456", "A", "B", "1000", "BE")
    assert [len(build(lead, "BE")) for build in built] == [6, 6, 2]


def test_phone_index_is_there_after_a_first_export_and_finds_the_person(
        session: Session, make_project: Any, make_lead: Any, make_audience: Any,
        export: Any) -> None:
    """A first export builds the phone index after its members (SQLite); it must be whole."""
    from sqlalchemy import inspect

    project = make_project()
    make_lead(project, email="mary@example.com", phone="+32470123456")
    jan = make_lead(project, email="jan@example.com", phone="+32470121212")
    audience = make_audience(name="Kust")
    export(audience)
    names = {index["name"] for index in inspect(session.connection()).get_indexes(
        "audience_members")}
    assert "ix_audience_members_phone" in names
    record_objection(session, phone="0470 12 12 12", scope="ads", source="staff")
    session.commit()
    due = {m.email_key: m.removal_due_at for m in members(session, audience)}
    assert due[jan.email_key] is not None
    assert sum(value is not None for value in due.values()) == 1
