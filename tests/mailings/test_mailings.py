"""Similar-project mailings: who gets one, the check right before each message, SMTP, pacing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from support import loaded_urls

from leadpages.db import utcnow
from leadpages.identifiers import canonical_email
from leadpages.leads.models import Lead
from leadpages.mailings import services
from leadpages.mailings.models import Mailing, MailingRecipient
from leadpages.objections import links
from leadpages.objections import services as objections
from leadpages.objections.keys import person_keys
from leadpages.objections.models import Objection


def recipients(session: Session, mailing: Mailing) -> list[MailingRecipient]:
    return list(session.scalars(
        select(MailingRecipient).where(MailingRecipient.mailing_id == mailing.id)
        .order_by(MailingRecipient.id).execution_options(populate_existing=True)))


def planned_mailing(session: Session, target: Any, *codes: str) -> Mailing:
    mailing = services.create_mailing(session, target.slug, list(codes or ["residential"]),
                                      "Mia Marketing")
    services.plan(session, mailing)
    session.commit()
    return mailing


def run(session: Session, app: Flask, mailing: Mailing, fake_time: Any,
        **kwargs: Any) -> services.SendResult:
    return services.send(session, mailing, app.config, sleep=fake_time.sleep,
                         clock=fake_time.clock, **kwargs)


# --- Creating ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("target", "codes", "message"), [
    ("nope", ["residential"], "there is no project 'nope'"),
    ("draft", ["residential"], "is draft, not published"),
    ("closed", ["residential"], "is closed, not published"),
    ("ok", [], "give at least one source category"),
    ("ok", [" ", ""], "give at least one source category"),
    ("ok", ["residential", "villas"], "unknown category villas; the list is: commercial, "),
])
def test_create_refuses_bad_choices_and_writes_nothing(session: Session, make_project: Any,
                                                       target: str, codes: list[str],
                                                       message: str) -> None:
    slugs = {"ok": make_project().slug, "draft": make_project(status="draft").slug,
             "closed": make_project(status="closed").slug, "nope": "nope"}
    with pytest.raises(services.MailingError, match=re.escape(message)):
        services.create_mailing(session, slugs[target], codes, "Mia")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Mailing)) == 0


def test_create_needs_who(session: Session, make_project: Any) -> None:
    with pytest.raises(services.MailingError, match="who creates"):
        services.create_mailing(session, make_project().slug, ["residential"], "  ")


# --- Who is planned ---------------------------------------------------------------------------


def test_only_opted_in_non_objectors_of_the_categories_once_per_person(
        session: Session, make_project: Any, make_lead: Any) -> None:
    residential = make_project(category="residential")
    luxury = make_project(category="luxury")
    industrial = make_project(category="industrial")
    target = make_project(category="residential")
    week_ago = utcnow() - timedelta(days=7)

    wanted = make_lead(residential, "ann@example.com", "0470 00 00 01")
    make_lead(residential, "bert@example.com", "0470 00 00 02", opt_in=False)
    make_lead(industrial, "carl@example.com", "0470 00 00 03")  # not a source category
    # Objected (marketing email) under other spellings of both identifiers.
    make_lead(residential, "Dora.Dee@gmail.com", "0470 00 00 04")
    objections.record_objection(session, email=" d.o.r.a.d.e.e+ads@GOOGLEMAIL.com ",
                                scope="marketing-email", source="staff")
    make_lead(luxury, "eve@example.com", "0470 00 00 05")
    objections.record_objection(session, phone="+32 470 00 00 05", scope="all", source="page")
    restricted = make_lead(residential, "fay@example.com", "0470 00 00 06")
    erased = make_lead(residential, "gus@example.com", "0470 00 00 07")
    restricted.status, erased.status = "restricted", "erased"
    # Already asked about the target itself, with another address but the same phone.
    make_lead(residential, "hal@example.com", "0470 00 00 08")
    make_lead(target, "hal.work@example.com", "+32470000008")
    # Two leads, two categories: one email, to the newest lead (address, language).
    make_lead(residential, "ida@example.com", "0470 00 00 09", lang="nl", created_at=week_ago)
    newest = make_lead(luxury, "IDA@example.com ", "0470000009", lang="fr")
    # Ticked the form's ads objection: not categorised, so not in any category's mailing.
    make_lead(residential, "jan@example.com", "0470 00 00 10", ads_objected=True)
    # The same person with a second address (same phone): one email.
    make_lead(residential, "kim@example.com", "0470 00 00 11", created_at=week_ago)
    kim = make_lead(luxury, "kim.home@example.com", "0470 00 00 11")

    mailing = planned_mailing(session, target, "residential", "luxury")

    got = {r.lead_id for r in recipients(session, mailing)}
    assert got == {wanted.id, newest.id, kim.id}
    assert mailing.report == {
        "planned": 3,
        "excluded:objected": 2,
        "excluded:restricted": 1,
        "excluded:erased": 1,
        "excluded:already-lead": 1,
        "excluded:not-categorised": 1,
        "excluded:same-person": 1,
    }
    assert {r.status for r in recipients(session, mailing)} == {"queued"}
    # Planning again adds nobody twice (one row per person is also a database constraint).
    assert services.plan(session, mailing) == 0
    assert len(recipients(session, mailing)) == 3


def test_objector_who_submits_a_new_lead_by_the_form_is_still_excluded(
        app: Flask, session: Session, make_project: Any, submit: Any) -> None:
    source, later, target = make_project(), make_project(), make_project()
    assert submit(source, marketing_email="y", email="Piet.Pol@gmail.com").status_code == 303
    objections.record_objection(session, email="pietpol@gmail.com", scope="marketing-email",
                                source="page")
    session.commit()
    assert submit(later, marketing_email="y", email="PIET.POL+new@googlemail.com",
                  phone="+32 470 12 34 56").status_code == 303
    mailing = planned_mailing(session, target)
    assert recipients(session, mailing) == []
    assert mailing.report["excluded:objected"] == 1


def test_only_draft_mailings_are_planned(session: Session, make_project: Any) -> None:
    mailing = planned_mailing(session, make_project())
    mailing.status = "sent"
    with pytest.raises(services.MailingError, match="only a draft is planned"):
        services.plan(session, mailing)


# --- Sending ----------------------------------------------------------------------------------


def test_message_over_smtp_says_why_who_and_how_to_object(
        app: Flask, session: Session, make_project: Any, make_lead: Any, smtp: Any,
        fake_time: Any) -> None:
    source, target = make_project(), make_project(city="Brugge")
    lead = make_lead(source, "Mary.Smith@gmail.com", "0470 12 34 56", first_name="Mary",
                     lang="nl")
    mailing = planned_mailing(session, target)

    result = run(session, app, mailing, fake_time)

    assert result.report == {"planned": 1, "sent": 1}
    assert session.get(Mailing, mailing.id, populate_existing=True).status == "sent"
    [message] = smtp.of_mailing(mailing.id)
    assert message["To"] == "Mary.Smith@gmail.com"
    assert message["From"] == app.config["MAIL_FROM"]
    nl_title = target.text("nl").title
    assert message["Subject"].startswith(f"{nl_title} in Brugge")
    keys = person_keys("Mary.Smith@gmail.com", "0470 12 34 56")
    url = links.one_click_url(keys)
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert url in body
        assert f"/nl/p/{target.slug}?c=mailing-{mailing.id}" in body.replace("&amp;", "&")
        assert source.text("nl").title in body  # why: the project they asked about
        assert "Beste Mary," in body
        assert app.config["OPERATOR_NAME"] in body  # who sends it
        assert app.config["OPERATOR_PRIVACY_EMAIL"] in body
    assert loaded_urls(html) == []  # nothing loads: no pixel, no image, no font
    token = url.rsplit("/u/", 1)[1]
    assert links.read_one_click_token(token) == keys
    row = recipients(session, mailing)[0]
    assert (row.status, row.lead_id, row.reason) == ("sent", lead.id, None)
    assert row.sent_at is not None


def test_raw_header_is_a_plain_address_mail_clients_can_read(
        app: Flask, session: Session, make_project: Any, make_lead: Any, smtp: Any,
        fake_time: Any) -> None:
    make_lead(make_project())
    mailing = planned_mailing(session, make_project())
    run(session, app, mailing, fake_time)
    [raw] = smtp.raw  # as it came over the wire
    header = next(line for line in raw.split(b"\n") if line.startswith(b"List-Unsubscribe:"))
    assert header.startswith(b"List-Unsubscribe: <http://")
    assert b"=?" not in header


def test_one_click_link_in_the_email_records_the_objection(
        app: Flask, session: Session, client: Any, make_project: Any, make_lead: Any,
        smtp: Any, fake_time: Any) -> None:
    """Depends on the route /u/<token> (leadpages/objections/views.py)."""
    if not any(rule.rule == "/u/<token>" for rule in app.url_map.iter_rules()):
        pytest.skip("the one-click route /u/<token> is not there yet")
    make_lead(make_project(), "olga@example.com", "0470 55 55 55")
    mailing = planned_mailing(session, make_project())
    run(session, app, mailing, fake_time)
    url = smtp.of_mailing(mailing.id)[0]["List-Unsubscribe"].strip("<>")
    path = url.removeprefix(app.config["BASE_URL"])
    assert client.get(path).status_code == 200  # opening it changes nothing
    keys = person_keys("olga@example.com", "0470 55 55 55")
    assert not objections.objected(session, keys.values(), "marketing-email")
    # What a mail client's unsubscribe button sends (RFC 8058).
    answer = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert objections.objected(session, keys.values(), "marketing-email")


def test_register_is_checked_again_right_before_each_message(
        app: Flask, session: Session, make_project: Any, make_lead: Any, smtp: Any,
        fake_time: Any) -> None:
    source = make_project()
    for hours, name in ((1, "a"), (2, "b"), (3, "c")):  # sent newest first: a, b, c
        make_lead(source, f"{name}@example.com", f"0470 10 00 0{hours}",
                  created_at=utcnow() - timedelta(hours=hours))
    mailing = planned_mailing(session, make_project())
    assert mailing.report["planned"] == 3
    # After planning, before sending: b objects through another channel, by phone.
    objections.record_objection(session, phone="0032 470 10 00 02", scope="marketing-email",
                                source="partner")
    session.commit()

    def object_c_after_first(step: services.Progress) -> None:
        # While the mailing runs: c objects after the first message left.
        if step.status == "sent" and step.recipient_id == recipients(session, mailing)[0].id:
            objections.record_objection(session, email="C@Example.com", scope="all",
                                        source="link")
            session.commit()

    result = run(session, app, mailing, fake_time, progress=object_c_after_first)

    assert result.report == {"planned": 3, "sent": 1, "skipped:objected": 2}
    assert [m["To"] for m in smtp.of_mailing(mailing.id)] == ["a@example.com"]
    assert [(r.status, r.reason) for r in recipients(session, mailing)] == [
        ("sent", None), ("skipped", "objected"), ("skipped", "objected")]


def test_lead_state_is_checked_again_before_each_message(
        app: Flask, session: Session, make_project: Any, make_lead: Any, smtp: Any,
        fake_time: Any) -> None:
    source, target = make_project(), make_project()
    leads = [make_lead(source, f"p{i}@example.com", f"0470 20 00 0{i}") for i in range(5)]
    mailing = planned_mailing(session, target)
    leads[0].status = "restricted"
    leads[1].status = "erased"
    leads[2].marketing_email_opt_in = False
    make_lead(target, "p3.other@example.com", "0470 20 00 03")  # asked about the target since
    # The lead is gone (deleted leads set the recipient's lead to NULL).
    session.execute(update(MailingRecipient).where(MailingRecipient.lead_id == leads[4].id)
                    .values(lead_id=None))
    session.commit()

    result = run(session, app, mailing, fake_time)

    assert result.report == {"planned": 5, "skipped:already-lead": 1, "skipped:erased": 1,
                             "skipped:lead-gone": 1, "skipped:opted-out": 1,
                             "skipped:restricted": 1}
    assert smtp.of_mailing(mailing.id) == []


def test_messages_are_paced_to_the_configured_rate(
        app: Flask, session: Session, make_project: Any, make_lead: Any, smtp: Any,
        fake_time: Any) -> None:
    source = make_project()
    for i in range(4):
        make_lead(source, f"r{i}@example.com", f"0470 30 00 0{i}")
    mailing = planned_mailing(session, make_project())
    # The third is skipped: a skip takes no slot of the rate.
    objections.record_objection(session, email="r2@example.com", scope="all", source="staff")
    session.commit()
    app.config["MAILING_RATE_PER_MINUTE"] = 30
    try:
        result = run(session, app, mailing, fake_time)
    finally:
        app.config["MAILING_RATE_PER_MINUTE"] = 60
    assert result.report["sent"] == 3
    # 30 per minute: two seconds apart; the skip in between adds no wait of its own.
    assert fake_time.sleeps == [2.0, 2.0]
    assert fake_time.now == 1004.0


def test_temporary_failure_stays_queued_and_a_later_run_sends_it_once(
        app: Flask, session: Session, make_project: Any, make_lead: Any, smtp: Any,
        fake_time: Any) -> None:
    source = make_project()
    make_lead(source, "t1@example.com", "0470 40 00 01")
    make_lead(source, "t2@example.com", "0470 40 00 02")
    make_lead(source, "t3@example.com", "0470 40 00 03")
    mailing = planned_mailing(session, make_project())
    smtp.refuse("451 4.3.0 Mailbox busy, try again later")  # the first message only
    first = run(session, app, mailing, fake_time)
    assert first.report == {"planned": 3, "queued:temporary-failure": 1, "sent": 2}
    assert first.retry_later == 1
    rows = recipients(session, mailing)
    assert rows[0].status == "queued"
    assert (rows[0].reason or "").startswith("temporary: SMTP 451")
    assert session.get(Mailing, mailing.id).status == "sent"  # the run ended

    second = run(session, app, mailing, fake_time)
    assert second.report == {"planned": 3, "sent": 3}
    sent_to = [m["To"] for m in smtp.of_mailing(mailing.id)]
    assert sorted(sent_to) == ["t1@example.com", "t2@example.com", "t3@example.com"]
    third = run(session, app, mailing, fake_time)  # nothing is ever sent twice
    assert third.done == []
    assert len(smtp.of_mailing(mailing.id)) == 3


def test_permanent_failure_is_recorded_and_not_retried(
        app: Flask, session: Session, make_project: Any, make_lead: Any, smtp: Any,
        fake_time: Any) -> None:
    make_lead(make_project(), "gone@example.com")
    mailing = planned_mailing(session, make_project())
    smtp.refuse("550 5.1.1 No such user")
    result = run(session, app, mailing, fake_time)
    assert result.report == {"failed": 1, "planned": 1}
    row = recipients(session, mailing)[0]
    assert row.status == "failed"
    assert "SMTP 550" in (row.reason or "")
    assert run(session, app, mailing, fake_time).done == []


def test_one_run_at_a_time_and_a_stopped_run_is_not_sent_twice(
        app: Flask, session: Session, make_project: Any, make_lead: Any, smtp: Any,
        fake_time: Any) -> None:
    source = make_project()
    make_lead(source, "s1@example.com", "0470 50 00 01")
    make_lead(source, "s2@example.com", "0470 50 00 02")
    mailing = planned_mailing(session, make_project())
    claimed, other = recipients(session, mailing)
    other_lead = session.get(Lead, other.lead_id)
    assert other_lead is not None
    # Another run holds the mailing and had claimed the first recipient when it stopped.
    session.execute(update(Mailing).where(Mailing.id == mailing.id).values(status="sending"))
    session.execute(update(MailingRecipient).where(MailingRecipient.id == claimed.id)
                    .values(reason=services.SENDING))
    session.commit()

    with pytest.raises(services.MailingError, match=r"being sent by another run.*--takeover"):
        run(session, app, mailing, fake_time)
    assert smtp.of_mailing(mailing.id) == []

    result = run(session, app, mailing, fake_time, takeover=True)
    assert result.report == {"failed": 1, "planned": 2, "sent": 1}
    assert [m["To"] for m in smtp.of_mailing(mailing.id)] == [other_lead.email]
    assert recipients(session, mailing)[0].reason == services.INTERRUPTED


def test_a_target_closed_since_is_not_mailed(app: Flask, session: Session, make_project: Any,
                                            make_lead: Any, smtp: Any, fake_time: Any) -> None:
    make_lead(make_project())
    target = make_project()
    mailing = planned_mailing(session, target)
    target.status = "closed"
    session.commit()
    with pytest.raises(services.MailingError, match="closed, not published"):
        run(session, app, mailing, fake_time)
    assert session.get(Mailing, mailing.id, populate_existing=True).status == "draft"
    assert smtp.messages == []


# --- Preview ----------------------------------------------------------------------------------


def test_preview_is_written_for_a_made_up_person_in_the_asked_language(
        session: Session, make_project: Any, make_lead: Any) -> None:
    source, target = make_project(), make_project()
    make_lead(source, "fr@example.com", lang="fr", first_name="Aline")
    mailing = planned_mailing(session, target)
    own = services.preview(session, mailing, "fr")
    assert own.lang == "fr"
    assert target.text("fr").title in own.subject
    assert "Bonjour Jan," in own.text
    assert "Aline" not in own.text + own.html  # a planned recipient is never shown
    assert own.to == "jan@example.com"
    english = services.preview(session, mailing, "en")
    assert english.lang == "en"
    assert f"/en/p/{target.slug}?c=mailing-{mailing.id}" in english.text
    assert "Why you receive this email" in english.text


def test_preview_without_recipients_uses_a_made_up_person(
        session: Session, make_project: Any) -> None:
    target = make_project(languages=["nl", "fr"])
    mailing = planned_mailing(session, target)
    shown = services.preview(session, mailing, "en")
    assert shown.lang == "nl"  # the page has no English version: the email follows the page
    assert "Beste Jan," in shown.text
    assert session.scalar(select(func.count()).select_from(Lead)) == 0


def test_the_person_is_matched_by_canonical_email(session: Session, make_project: Any,
                                                  make_lead: Any) -> None:
    """One person, three spellings: planned once, whatever the spelling of each lead."""
    source = make_project()
    for project, email in ((source, "Anne.Marie@gmail.com"),
                           (make_project(), "annemarie+x@googlemail.com"),
                           (make_project(), " ANNE.MARIE@GMAIL.COM")):
        make_lead(project, email, "0470 60 00 01")
    mailing = planned_mailing(session, make_project())
    rows = recipients(session, mailing)
    assert len(rows) == 1
    lead = session.get(Lead, rows[0].lead_id)
    assert lead is not None
    assert canonical_email(lead.email) == "annemarie@gmail.com"


def test_plan_asks_the_register_itself_not_only_the_tags(session: Session, make_project: Any,
                                                         make_lead: Any) -> None:
    """An objection stored by a path that did not untag (an import, a bug) still excludes."""
    source = make_project()
    make_lead(source, "quinn@example.com", "0470 80 00 01")
    kept = make_lead(source, "rosa@example.com", "0470 80 00 02")
    session.add(Objection(kind="phone", key=person_keys(phone="0470800001")["phone"],
                          scope="marketing-email", source="staff"))
    session.commit()
    mailing = planned_mailing(session, make_project())
    assert [r.lead_id for r in recipients(session, mailing)] == [kept.id]
    assert mailing.report["excluded:objected"] == 1


def test_objecting_to_ads_after_planning_stops_the_email_too(
        app: Flask, session: Session, make_project: Any, make_lead: Any, smtp: Any,
        fake_time: Any) -> None:
    """Any objection stops categorising; the categories are why the person was chosen."""
    make_lead(make_project(), "sam@example.com", "0470 80 00 03")
    mailing = planned_mailing(session, make_project())
    objections.record_objection(session, email="sam@example.com", scope="ads", source="page")
    session.commit()
    result = run(session, app, mailing, fake_time)
    assert result.report == {"planned": 1, "skipped:not-categorised": 1}
    assert smtp.messages == []
