"""`leadpages mailing ...`: create, preview, send, report and list; bad input changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadpages.mailings.models import Mailing, MailingRecipient
from leadpages.objections import services as objections


@pytest.fixture
def fast(app: Flask) -> Iterator[None]:
    """The command sleeps for real between messages: make the rate high."""
    app.config["MAILING_RATE_PER_MINUTE"] = 6000
    try:
        yield
    finally:
        app.config["MAILING_RATE_PER_MINUTE"] = 60


def mailing_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Mailing)) or 0


def create(runner: Any, target: str, categories: str = "residential,luxury") -> Any:
    return runner.invoke(args=["mailing", "create", "--target", target, "--categories",
                               categories, "--by", "Mia Marketing"])


def created_id(output: str) -> int:
    found = re.search(r"Mailing (\d+) about", output)
    assert found, output
    return int(found.group(1))


@pytest.mark.usefixtures("fast")
def test_create_preview_send_report_list(session: Session, runner: Any, make_project: Any,
                                         make_lead: Any, smtp: Any) -> None:
    source, target = make_project(category="luxury"), make_project()
    make_lead(source, "nora@example.com", "0470 70 00 01", lang="nl", first_name="Nora")
    make_lead(source, "otto@example.com", "0470 70 00 02")
    make_lead(source, "pia@example.com", "0470 70 00 03")
    objections.record_objection(session, email="PIA@example.com", scope="marketing-email",
                                source="staff")
    session.commit()

    result = create(runner, target.slug)
    assert result.exit_code == 0, result.output
    mailing_id = created_id(result.output)
    assert f"about {target.slug} (categories luxury, residential): 2 recipient(s) planned." \
        in result.output
    assert "Not planned: 1 objected" in result.output

    shown = runner.invoke(args=["mailing", "preview", str(mailing_id), "--lang", "fr"])
    assert shown.exit_code == 0, shown.output
    assert f"Subject: {target.text('fr').title} à {target.city} : un projet comme celui" \
        in shown.output
    assert "List-Unsubscribe: <http://" in shown.output
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in shown.output
    assert "Language: fr" in shown.output
    assert f"/fr/p/{target.slug}?c=mailing-{mailing_id}" in shown.output
    assert not smtp.messages  # a preview sends nothing

    # Otto objects after planning: the send skips him.
    objections.record_objection(session, email="otto@example.com", scope="all", source="link")
    session.commit()
    sent = runner.invoke(args=["mailing", "send", str(mailing_id)])
    assert sent.exit_code == 0, sent.output
    assert f"Mailing {mailing_id}: 2 queued, at most 6000 per minute." in sent.output
    assert ": sent" in sent.output
    assert "skipped (objected)" in sent.output
    assert re.search(r"skipped:objected\s+1", sent.output)
    assert re.search(r"sent\s+1", sent.output)
    assert [m["To"] for m in smtp.of_mailing(mailing_id)] == ["nora@example.com"]

    report = runner.invoke(args=["mailing", "report", str(mailing_id)])
    assert report.exit_code == 0, report.output
    assert f"Mailing {mailing_id} about {target.slug}: sent, created by Mia Marketing" \
        in report.output
    assert re.search(r"excluded:objected\s+1", report.output)
    assert re.search(r"planned\s+2", report.output)

    listed = runner.invoke(args=["mailing", "list"])
    assert listed.exit_code == 0, listed.output
    line = next(li for li in listed.output.splitlines() if li.split()[0] == str(mailing_id))
    assert "sent" in line
    assert "planned 2 sent 1 by Mia Marketing" in line


@pytest.mark.parametrize(("target", "categories", "message"), [
    ("no-such-page", "residential", "there is no project 'no-such-page'"),
    ("{draft}", "residential", "is draft, not published"),
    ("{ok}", "residential,castles", "unknown category castles"),
    ("{ok}", ",", "give at least one source category"),
])
def test_create_errors_change_nothing(session: Session, runner: Any, make_project: Any,
                                      target: str, categories: str, message: str) -> None:
    slugs = {"draft": make_project(status="draft").slug, "ok": make_project().slug}
    session.commit()
    result = create(runner, target.format(**slugs), categories)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert mailing_count(session) == 0


@pytest.mark.parametrize("command", ["preview", "send", "report"])
def test_unknown_mailing_is_a_usage_error(runner: Any, command: str) -> None:
    result = runner.invoke(args=["mailing", command, "9999"])
    assert result.exit_code == 2, result.output
    assert "there is no mailing 9999" in result.output


def test_a_second_send_while_one_runs_is_refused(session: Session, runner: Any,
                                                 make_project: Any, make_lead: Any,
                                                 smtp: Any) -> None:
    make_lead(make_project())
    result = create(runner, make_project().slug, "residential")
    mailing_id = created_id(result.output)
    session.execute(update(Mailing).where(Mailing.id == mailing_id).values(status="sending"))
    session.commit()
    refused = runner.invoke(args=["mailing", "send", str(mailing_id)])
    assert refused.exit_code == 2, refused.output
    assert "is being sent by another run" in refused.output
    assert "--takeover" in refused.output
    assert smtp.messages == []
    assert session.scalar(select(MailingRecipient.status)
                          .where(MailingRecipient.mailing_id == mailing_id)) == "queued"


def test_list_without_mailings(runner: Any) -> None:
    result = runner.invoke(args=["mailing", "list"])
    assert result.exit_code == 0
    assert "No mailings yet." in result.output
