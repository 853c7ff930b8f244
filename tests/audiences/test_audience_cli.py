"""`leadpages audience define|list|show|export` as staff use them, including their mistakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from audience_support import read_rows
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpages.audiences.models import Audience, AudienceExport


def count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_define_then_export_a_meta_audience(cli: Any, session: Session, make_project: Any,
                                            make_lead: Any, folder: Path) -> None:
    project = make_project()
    for _ in range(3):
        make_lead(project)
    session.commit()
    defined = cli("audience", "define", "Parkzicht buyers", "--platform", "meta",
                  "--categories", "residential,luxury", "--window-days", "180",
                  "--min-size", "2", "--by", "Els")
    assert defined.exit_code == 0, defined.output
    assert ("Audience 'Parkzicht buyers' defined: meta, categories luxury, residential, leads "
            "of the last 180 days, at least 2 people.") in defined.output

    result = cli("audience", "export", "parkzicht buyers", "--by", "Els")
    assert result.exit_code == 0, result.output
    assert "Reading leads" in result.stderr  # the progress bar is on stderr
    assert "Reading leads" not in result.stdout
    assert "written; 3 people included, 0 to remove" in result.stdout
    written = next(line for line in result.stdout.splitlines() if line.endswith(".csv"))
    assert Path(written).parent == folder
    header, rows = read_rows(Path(written))
    assert header == ["email", "phone", "fn", "ln", "zip", "country"]
    assert len(rows) == 3
    exported = session.scalars(select(AudienceExport)).one()
    assert exported.run_by == "Els"
    assert exported.upload == "not configured"

    listed = cli("audience", "list")
    assert "Parkzicht buyers" in listed.output
    assert "written, 3 people; removals due 0" in listed.output
    shown = cli("audience", "show", "Parkzicht buyers")
    assert "3 people sent now" in shown.output
    assert "sha256 " in shown.output


def test_by_defaults_to_the_os_user(cli: Any, session: Session,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "maria")
    result = cli("audience", "define", "Coast", "--platform", "csv", "--categories",
                 "residential", "--window-days", "30")
    assert result.exit_code == 0, result.output
    assert session.scalars(select(Audience)).one().created_by == "maria"


@pytest.mark.parametrize(("args", "message"), [
    (["--categories", "castles"], "unknown category castles"),
    (["--window-days", "541"], "the window must be from 1 to 540 days"),
    (["--window-days", "0"], "the window must be from 1 to 540 days"),
    (["--min-size", "0"], "the minimum size must be at least 1"),
    (["--platform", "tiktok"], "'tiktok' is not one of 'meta', 'google', 'csv'"),
    (["--window-days", "many"], "'many' is not a valid integer"),
])
def test_define_refuses_bad_input_and_writes_nothing(cli: Any, session: Session,
                                                     args: list[str], message: str) -> None:
    base = {"--platform": "meta", "--categories": "residential", "--window-days": "30"}
    for name, value in zip(args[::2], args[1::2], strict=True):
        base[name] = value
    flat = [part for pair in base.items() for part in pair]
    result = cli("audience", "define", "Buyers", *flat)
    assert result.exit_code == 2
    assert message in result.output
    assert count(session, Audience) == 0


def test_define_refuses_a_sensitive_name_and_a_duplicate(cli: Any, session: Session) -> None:
    options = ["--platform", "meta", "--categories", "residential", "--window-days", "30"]
    result = cli("audience", "define", "Low income families", *options)
    assert result.exit_code == 2
    assert "suggests a sensitive trait" in result.output
    assert "'income" in result.output
    assert count(session, Audience) == 0
    assert cli("audience", "define", "Buyers", *options).exit_code == 0
    again = cli("audience", "define", "BUYERS", *options)
    assert again.exit_code == 2
    assert "already an audience named 'BUYERS'" in again.output
    assert count(session, Audience) == 1


def test_export_errors(cli: Any, session: Session, make_audience: Any, folder: Path) -> None:
    unknown = cli("audience", "export", "Nobody")
    assert unknown.exit_code == 2
    assert "there is no audience named 'Nobody'" in unknown.output
    make_audience(name="Google list", platform="google")
    make_audience(name="Plain", platform="csv")
    session.commit()
    refused = cli("audience", "export", "Google list")
    assert refused.exit_code == 1
    assert "export refused: Google Customer Match needs the person's consent" in refused.output
    assert session.scalars(select(AudienceExport.status)).all() == ["refused"]
    upload = cli("audience", "export", "Plain", "--upload")
    assert upload.exit_code == 2
    assert "direct upload exists for Meta audiences only" in upload.output
    assert count(session, AudienceExport) == 1  # nothing recorded for a refused option
    assert not folder.exists() or not list(folder.iterdir())


def test_list_without_audiences(cli: Any) -> None:
    result = cli("audience", "list")
    assert result.exit_code == 0
    assert "No audiences yet" in result.output
