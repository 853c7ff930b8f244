"""Similar-project mailings for staff: compose, preview, send (by the worker), report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from admin_support import StaffBrowser
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadpages.audit.models import AuditEvent
from leadpages.delivery.worker import Worker
from leadpages.leads.models import Lead
from leadpages.mailings import services as mailings
from leadpages.mailings.models import Mailing
from leadpages.objections import services as objections
from leadpages.projects.models import Project


@pytest.fixture
def people(make_project: Callable[..., Project], lead_of: Callable[..., Lead]
           ) -> tuple[Project, Project]:
    """A source project with two opted-in leads (one of whom objects later), and a target."""
    source = make_project()
    lead_of(source, email="rita.reader@example.com", phone="0470 41 41 41",
            marketing_email="y")
    lead_of(source, email="otto.objector@example.com", phone="0470 42 42 42",
            marketing_email="y")
    return source, make_project(category="residential")


def _compose(browser: StaffBrowser, session: Session, target: Project) -> Mailing:
    answer = browser.post("/admin/mailings/new", {"target": target.slug,
                                                  "categories": ["residential"]})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    found = session.get(Mailing, int(answer.headers["Location"].rsplit("/", 1)[1]))
    assert found is not None
    return found


def test_compose_preview_send_and_report(
        app: Flask, marketer: StaffBrowser, people: tuple[Project, Project], session: Session,
        smtp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _source, target = people
    mailing = _compose(marketer, session, target)
    page = marketer.get(f"/admin/mailings/{mailing.id}").get_data(as_text=True)
    assert "<code>planned</code></td><td>2" in page
    # The preview, in each of the target's languages: subject, text, and the HTML as source.
    assert "a project like the one you asked about" in page
    assert 'lang="nl"' in page
    assert 'lang="fr"' in page
    assert "&lt;html" in page or "&lt;!doctype" in page.lower()
    assert "<iframe" not in page

    with app.app_context():
        objections.record_objection(session, email="otto.objector@example.com",
                                    scope="marketing-email", source="page")
        session.commit()
    assert marketer.post(f"/admin/mailings/{mailing.id}/send").status_code == 303
    page = marketer.get(f"/admin/mailings/{mailing.id}").get_data(as_text=True)
    assert "waiting for the worker" in page
    assert smtp.of_mailing(mailing.id) == []  # the request itself sent nothing
    again = marketer.post(f"/admin/mailings/{mailing.id}/send")
    assert "already waiting for the worker" in marketer.get(
        again.headers["Location"]).get_data(as_text=True)

    monkeypatch.setitem(app.config, "MAILING_RATE_PER_MINUTE", 6000)
    Worker(app, name="test-worker").run_once()
    sent = smtp.of_mailing(mailing.id)
    assert [str(m["To"]) for m in sent] == ["rita.reader@example.com"]
    page = marketer.get(f"/admin/mailings/{mailing.id}").get_data(as_text=True)
    assert "<code>sent</code></td><td>1" in page
    assert "<code>skipped:objected</code></td><td>1" in page
    assert "waiting for the worker" not in page
    listing = marketer.get("/admin/mailings").get_data(as_text=True)
    assert f"#{mailing.id}" in listing

    session.expire_all()
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "mailing.send"))
    assert event.subject == f"mailing:{mailing.id}"
    assert event.detail == {"queued": 2}
    # A second turn sends nothing more (the request was taken up).
    Worker(app, name="test-worker").run_once()
    assert len(smtp.of_mailing(mailing.id)) == 1


def test_the_worker_sends_in_slices_at_the_pace(
        app: Flask, people: tuple[Project, Project], session: Session, smtp: Any) -> None:
    _source, target = people

    class Clock:
        now = 100.0

        def __call__(self) -> float:
            return self.now

        def sleep(self, seconds: float) -> None:
            self.now += seconds

    clock = Clock()
    with app.app_context():
        mailing = mailings.create_mailing(session, target.slug, ["residential"], "tester")
        mailings.plan(session, mailing)
        mailings.request_send(session, mailing)
        session.commit()
        pacer = mailings.Pacer(60, sleep=clock.sleep, clock=clock)  # one a second
        # A slice of half a second: the first message, then the second is not due yet.
        first = mailings.send(session, mailing, app.config, pacer=pacer, until=clock.now + 0.5)
        assert [step.status for step in first.done] == ["sent"]
        assert mailings.is_send_requested(mailing)
        assert mailing.status == "sent"
        assert mailings.next_requested(session) == mailing
        rest = mailings.send(session, mailing, app.config, pacer=pacer, until=clock.now + 2)
        assert [step.status for step in rest.done] == ["sent"]
        assert not mailings.is_send_requested(mailing)
        assert mailings.next_requested(session) is None
    assert len(smtp.of_mailing(mailing.id)) == 2


def test_a_second_worker_keeps_the_pace_of_the_first(
        app: Flask, people: tuple[Project, Project], session: Session, smtp: Any) -> None:
    """Each worker has its own pacer; the pace between them comes from the last message sent."""
    from datetime import timedelta

    from leadpages.db import utcnow

    _source, target = people
    start = utcnow()

    class Clock:
        now = 100.0

        def __call__(self) -> float:
            return self.now

        def sleep(self, seconds: float) -> None:
            self.now += seconds

        def wall(self) -> Any:
            return start + timedelta(seconds=self.now - 100.0)

    clock = Clock()
    with app.app_context():
        mailing = mailings.create_mailing(session, target.slug, ["residential"], "tester")
        mailings.plan(session, mailing)
        mailings.request_send(session, mailing)
        session.commit()
        first = mailings.Pacer(60, sleep=clock.sleep, clock=clock)  # one a second
        one = mailings.send(session, mailing, app.config, pacer=first, until=clock.now + 0.5,
                            now=clock.wall)
        assert [step.status for step in one.done] == ["sent"]
        # Another worker, a fresh pacer, a moment later: the second message is not due yet.
        clock.now += 0.2
        second = mailings.Pacer(60, sleep=clock.sleep, clock=clock)
        none = mailings.send(session, mailing, app.config, pacer=second,
                             until=clock.now + 0.5, now=clock.wall)
        assert none.done == []
        assert mailings.is_send_requested(mailing)
        clock.now += 1.0
        rest = mailings.send(session, mailing, app.config, pacer=second, until=clock.now + 0.5,
                             now=clock.wall)
        assert [step.status for step in rest.done] == ["sent"]
    assert len(smtp.of_mailing(mailing.id)) == 2


def test_the_worker_resumes_a_send_whose_run_stopped(
        app: Flask, people: tuple[Project, Project], session: Session, smtp: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed mid-slice leaves the mailing `sending`; another resumes it later."""
    from datetime import timedelta

    from leadpages.db import utcnow

    _source, target = people
    with app.app_context():
        mailing = mailings.create_mailing(session, target.slug, ["residential"], "tester")
        mailings.plan(session, mailing)
        mailings.request_send(session, mailing)
        session.commit()
    monkeypatch.setitem(app.config, "MAILING_RATE_PER_MINUTE", 6000)
    # Killed a moment ago: still within the quiet time, so it is left alone.
    session.execute(update(Mailing).where(Mailing.id == mailing.id)
                    .values(status="sending", started_at=utcnow() - timedelta(minutes=1)))
    session.commit()
    Worker(app, name="second-worker").run_once()
    assert smtp.of_mailing(mailing.id) == []
    # Quiet for longer than a run ever is: it stopped. The next turn takes it over.
    session.execute(update(Mailing).where(Mailing.id == mailing.id).values(
        started_at=utcnow() - mailings.STALLED_AFTER - timedelta(minutes=1)))
    session.commit()
    Worker(app, name="second-worker").run_once()
    assert len(smtp.of_mailing(mailing.id)) == 2
    session.expire_all()
    found = session.get(Mailing, mailing.id)
    assert found is not None
    assert found.status == "sent"
    assert not mailings.is_send_requested(found)


def test_worker_drops_a_request_it_cannot_carry_out(
        app: Flask, people: tuple[Project, Project], session: Session) -> None:
    _source, target = people
    with app.app_context():
        mailing = mailings.create_mailing(session, target.slug, ["residential"], "tester")
        mailings.plan(session, mailing)
        mailings.request_send(session, mailing)
        target.status = "closed"
        session.commit()
    Worker(app, name="test-worker").turn()
    session.expire_all()
    found = session.get(Mailing, mailing.id)
    assert found is not None
    assert not mailings.is_send_requested(found)


def test_a_second_worker_leaves_the_request_of_a_mailing_another_one_sends(
        app: Flask, people: tuple[Project, Project], session: Session,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _source, target = people
    with app.app_context():
        mailing = mailings.create_mailing(session, target.slug, ["residential"], "tester")
        mailings.plan(session, mailing)
        mailings.request_send(session, mailing)
        session.commit()
    # The second worker found it waiting; the first claimed it a moment before.
    monkeypatch.setattr(mailings, "next_requested",
                        lambda session: session.get(Mailing, mailing.id))
    session.execute(update(Mailing).where(Mailing.id == mailing.id).values(status="sending"))
    session.commit()
    Worker(app, name="second-worker").turn()
    session.expire_all()
    found = session.get(Mailing, mailing.id)
    assert found is not None
    assert mailings.is_send_requested(found)  # the first worker's next slice carries it on


@pytest.mark.parametrize(("data", "message"), [
    ({"target": "", "categories": ["residential"]}, "Fill in this field."),
    ({"target": "TARGET", "categories": []}, "Choose at least one category."),
    ({"target": "nope", "categories": ["residential"]}, "Not a valid choice"),
])
def test_bad_mailing_is_422(marketer: StaffBrowser, people: tuple[Project, Project],
                            session: Session, data: dict[str, Any], message: str) -> None:
    if data["target"] == "TARGET":
        data = {**data, "target": people[1].slug}
    answer = marketer.post("/admin/mailings/new", data)
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Mailing)) == 0


def test_mailings_need_a_session(client: Any) -> None:
    for url in ("/admin/mailings", "/admin/mailings/new", "/admin/mailings/1"):
        answer = client.get(url)
        assert answer.status_code == 303
        assert "/admin/sign-in" in answer.headers["Location"]
