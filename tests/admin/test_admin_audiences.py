"""Audiences for staff: define, export (same service and lock as the command), download."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from admin_support import StaffBrowser
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpages.audiences.models import Audience, AudienceExport
from leadpages.audit.models import AuditEvent
from leadpages.leads.models import Lead
from leadpages.objections import services as objections
from leadpages.projects.models import Project


@pytest.fixture(autouse=True)
def folder(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "audiences"
    monkeypatch.setitem(app.config, "AUDIENCE_PATH", str(path))
    return path




def _define(browser: StaffBrowser, **values: Any) -> Any:
    data = {"name": "Gent apartments", "categories": ["residential"], "window_days": "90",
            "platform": "csv", "min_size": "1", **values}
    return browser.post("/admin/audiences/new", data)


def test_define_and_list(marketer: StaffBrowser, session: Session) -> None:
    form = marketer.get("/admin/audiences/new").get_data(as_text=True)
    assert 'value="100"' in form  # the default minimum size
    answer = _define(marketer, categories=["residential", "luxury"])
    assert answer.status_code == 303
    audience = session.scalar(select(Audience))
    assert audience is not None
    assert audience.name == "Gent apartments"
    assert [c.code for c in audience.categories] == ["luxury", "residential"]
    assert audience.window_days == 90
    assert audience.platform == "csv"
    listing = marketer.get("/admin/audiences").get_data(as_text=True)
    assert "Gent apartments" in listing
    assert "never exported" in listing


@pytest.mark.parametrize(("values", "message"), [
    ({"name": "Wealthy retirees"}, "suggests a sensitive trait"),
    ({"categories": []}, "Choose at least one category."),
    ({"window_days": "541"}, "541"),
    ({"name": ""}, "Fill in this field."),
])
def test_bad_definition_is_422(marketer: StaffBrowser, session: Session,
                               values: dict[str, Any], message: str) -> None:
    answer = _define(marketer, **values)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in html
    if values.get("name"):
        # The refusal shows on the name field itself, with what was typed.
        assert re.search(r'id="name-error">[^<]*sensitive', html)
        assert 'value="Wealthy retirees"' in html
    assert session.scalar(select(func.count()).select_from(Audience)) == 0


def test_export_leaves_the_objector_out_and_download_is_audited(
        app: Flask, privacy_officer: StaffBrowser, make_project: Callable[..., Project],
        lead_of: Callable[..., Lead], session: Session, folder: Path) -> None:
    project = make_project()
    lead_of(project, email="kept.person@example.com", phone="0470 31 31 31")
    objector = lead_of(project, email="Olga.Objector@example.com", phone="0470 32 32 32")
    with app.app_context():
        objections.record_objection(session, email="olga.objector@EXAMPLE.com", scope="ads",
                                    source="page")
        session.commit()
    assert _define(privacy_officer).status_code == 303
    audience = session.scalar(select(Audience))
    assert audience is not None

    answer = privacy_officer.post(f"/admin/audiences/{audience.id}/export")
    assert answer.status_code == 303
    page = privacy_officer.get(f"/admin/audiences/{audience.id}").get_data(as_text=True)
    assert "Exported: 1 people in the upload file" in page
    assert "objected 1" in page
    session.expire_all()
    export = session.scalar(select(AudienceExport))
    assert export is not None
    assert export.status == "written"
    assert export.run_by.startswith("Sam Staff")
    assert export.file_digest
    assert export.file_digest in page
    written = (folder / str(export.file_name)).read_text()
    assert len(written.strip().splitlines()) == 2  # header and the one person kept
    assert "olga" not in written.lower()
    assert objector.email_key not in written

    url = f"/admin/audiences/{audience.id}/exports/{export.id}/upload"
    download = privacy_officer.get(url)
    assert download.status_code == 200
    assert download.get_data(as_text=True) == written
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    download.close()
    assert privacy_officer.get(
        f"/admin/audiences/{audience.id}/exports/{export.id}/removal").status_code == 404
    session.expire_all()
    actions = [(e.action, e.subject) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.action.startswith("audience.")))]
    assert actions == [("audience.define", f"audience:{audience.id}"),
                       ("audience.export", f"audience:{audience.id}"),
                       ("audience.download", f"audience:{audience.id}")]


def test_an_upload_file_is_handed_out_only_while_nobody_in_it_objected_since(
        app: Flask, privacy_officer: StaffBrowser, make_project: Callable[..., Project],
        lead_of: Callable[..., Lead], session: Session, folder: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project()
    lead_of(project, email="kept.person@example.com", phone="0470 31 31 31")
    lead_of(project, email="late.objector@example.com", phone="0470 33 33 33")
    assert _define(privacy_officer).status_code == 303
    audience = session.scalar(select(Audience))
    assert audience is not None
    privacy_officer.post(f"/admin/audiences/{audience.id}/export")
    session.expire_all()
    first = session.scalar(select(AudienceExport))
    assert first is not None
    url = f"/admin/audiences/{audience.id}/exports/{first.id}/upload"
    fine = privacy_officer.get(url)
    assert fine.status_code == 200
    fine.close()

    # The person objects after the file was written: the file is not handed out any more.
    with app.app_context():
        objections.record_objection(session, email="Late.Objector@example.com", scope="ads",
                                    source="page")
        session.commit()
    refused = privacy_officer.get(url)
    assert refused.status_code == 303
    page = privacy_officer.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Someone in this file objected after it was written: export again." in page

    # A new export leaves them out, puts them in its removal file, and its file is handed out;
    # the older one never again.
    privacy_officer.post(f"/admin/audiences/{audience.id}/export")
    session.expire_all()
    second = session.scalars(select(AudienceExport).order_by(AudienceExport.id.desc())).first()
    assert second is not None
    assert second.id != first.id
    new = privacy_officer.get(f"/admin/audiences/{audience.id}/exports/{second.id}/upload")
    assert new.status_code == 200
    assert "late" not in new.get_data(as_text=True)
    new.close()
    removal = privacy_officer.get(f"/admin/audiences/{audience.id}/exports/{second.id}/removal")
    assert removal.status_code == 200
    removal.close()
    assert privacy_officer.get(url).status_code == 303
    # A day later, even the newest file must be made again.
    from leadpages.audiences import services as audiences

    later = second.finished_at + audiences.UPLOAD_FILE_FRESH + timedelta(minutes=1)
    assert audiences.upload_file_blocker(session, second, now=later) is not None


def test_google_is_refused_under_legitimate_interest(
        app: Flask, marketer: StaffBrowser, session: Session, folder: Path) -> None:
    assert app.config["AUDIENCE_BASIS"] == "legitimate-interest"
    assert _define(marketer, platform="google").status_code == 303
    audience = session.scalar(select(Audience))
    assert audience is not None
    assert marketer.post(f"/admin/audiences/{audience.id}/export").status_code == 303
    page = marketer.get(f"/admin/audiences/{audience.id}").get_data(as_text=True)
    assert "Not exported (refused)" in page
    assert "Google Customer Match needs the person" in page
    assert not folder.exists() or not any(folder.glob("*.csv"))


def test_audiences_need_the_capability(client: Any, staff_browser: Callable[..., Any],
                                       session: Session) -> None:
    answer = client.get("/admin/audiences")
    assert answer.status_code == 303
    for role in ("marketer", "privacy", "admin"):
        assert staff_browser(role).get("/admin/audiences").status_code == 200
    assert client.get("/admin/audiences/1/exports/1/upload").status_code == 303
