"""`leadpages objection add|check|withdraw`: staff enter letters and calls; no one is named."""

from __future__ import annotations

from typing import Any

import pytest

from leadpages.categories.models import lead_categories
from leadpages.objections.services import record_objection

EMAIL = "Letter.Writer@Example.com"
PHONE = "0470 99 93 01"


def run(runner: Any, *args: str) -> Any:
    return runner.invoke(args=["objection", *args])


def test_add_records_a_letter_and_acts_on_it(runner: Any, register: Any, make_project: Any,
                                             make_lead: Any, session: Any, deliveries: Any,
                                             keys_of: Any) -> None:
    lead = make_lead(make_project(), email="letter.writer@example.com", phone="+32470999301")

    result = run(runner, "add", "--email", EMAIL, "--phone", PHONE, "--scope", "all",
                 "--note", "letter of 2026-11-20", "--by", "Els")

    assert result.exit_code == 0, result.output
    assert "Recorded: objection to all for the email and phone given." in result.output
    assert "1 partner notice(s) queued" in result.output
    keys = keys_of(EMAIL, PHONE)
    assert {(row.kind, row.key, row.scope, row.source, row.note) for row in register()} == {
        (kind, keys[kind], "all", "staff", "letter of 2026-11-20 (entered by Els)")
        for kind in ("email", "phone")}
    assert not session.execute(lead_categories.select().where(
        lead_categories.c.lead_id == lead.id)).all()
    assert [row.lead_id for row in deliveries("lead.objected")] == [lead.id]
    again = run(runner, "add", "--email", "letter.writer@example.com", "--scope", "ads",
                "--note", "call")
    assert again.exit_code == 0
    assert "Already in the register" in again.output
    assert len(register()) == 2


def test_by_defaults_to_the_os_user(runner: Any, register: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "opsuser")

    assert run(runner, "add", "--phone", PHONE, "--scope", "ads",
               "--note", "call of 2026-11-21").exit_code == 0

    assert register()[0].note == "call of 2026-11-21 (entered by opsuser)"


@pytest.mark.parametrize(("args", "message"), [
    (["--scope", "all", "--note", "letter"], "Give --email, --phone or both."),
    (["--email", "not-an-address", "--scope", "all", "--note", "letter"],
     "--email is not a valid email address"),
    (["--phone", "12", "--scope", "all", "--note", "letter"], "--phone is not a valid phone"),
    (["--email", EMAIL, "--scope", "everything", "--note", "letter"], "'everything' is not one"),
    (["--email", EMAIL, "--scope", "all"], "Missing option '--note'"),
    (["--email", EMAIL, "--scope", "all", "--note", "  "], "say where the objection came from"),
    (["--email", EMAIL, "--scope", "all", "--note", "x" * 190], "must fit in 200 characters"),
])
def test_add_refuses_bad_input_and_writes_nothing(runner: Any, register: Any,
                                                  args: list[str], message: str) -> None:
    result = run(runner, "add", *args)

    assert result.exit_code == 2
    assert message in result.output
    assert register() == []


def test_check_says_what_is_held_but_never_who(runner: Any, make_partner: Any,
                                               session: Any, app: Any) -> None:
    assert run(runner, "check", "--email", EMAIL).output == "Not in the register.\n"
    run(runner, "add", "--email", EMAIL, "--phone", PHONE, "--scope", "ads",
        "--note", "letter of 2026-11-20", "--by", "Els")

    result = run(runner, "check", "--email", "letter.writer@example.com")

    assert result.exit_code == 0
    assert "In the register: 1 objection(s) in force; scopes in force: ads." in result.output
    assert "email  ads" in result.output
    assert "staff" in result.output
    assert "letter of 2026-11-20 (entered by Els)" in result.output
    for identifier in (EMAIL, EMAIL.lower(), "letter.writer", "470", "999"):
        assert identifier not in result.output
    # An objection a partner passed on names the partner.
    partner = make_partner()
    with app.app_context():
        record_objection(session, email=EMAIL, scope="all", source="partner",
                         partner_id=partner.id)
    session.commit()
    assert f"partner ({partner.slug})" in run(runner, "check", "--email", EMAIL).output
    both = run(runner, "check", "--email", EMAIL, "--phone", "+32 470 99 93 01")
    assert both.output.count("in force") >= 2
    assert run(runner, "check").exit_code == 2


def test_withdraw_needs_the_persons_confirmation(runner: Any, register: Any) -> None:
    run(runner, "add", "--phone", PHONE, "--scope", "all", "--note", "call")

    refused = run(runner, "withdraw", "--phone", PHONE)
    assert refused.exit_code == 2
    assert "--confirmed-by-person" in refused.output
    assert register()[0].withdrawn_at is None
    assert run(runner, "withdraw", "--phone", "12", "--confirmed-by-person").exit_code == 2
    assert register()[0].withdrawn_at is None

    done = run(runner, "withdraw", "--phone", "+32470999301", "--confirmed-by-person",
               "--by", "Els")

    assert done.exit_code == 0, done.output
    assert "Withdrawn: 1 objection(s) ended, by Els." in done.output
    assert register()[0].withdrawn_at is not None
    assert "withdrawn 20" in run(runner, "check", "--phone", PHONE).output
    again = run(runner, "withdraw", "--phone", PHONE, "--confirmed-by-person")
    assert again.exit_code == 0
    assert "Nothing withdrawn" in again.output


def test_each_command_lands_in_the_audit_log_without_the_identifiers(
        runner: Any, register: Any, session: Any) -> None:
    from leadpages.audit import services as audit
    from leadpages.audit.models import AuditEvent

    assert run(runner, "add", "--email", EMAIL, "--scope", "ads", "--note", "call",
               "--by", "Els").exit_code == 0
    assert run(runner, "check", "--phone", PHONE).exit_code == 0
    assert run(runner, "withdraw", "--email", EMAIL, "--confirmed-by-person",
               "--by", "Els").exit_code == 0
    events = session.query(AuditEvent).order_by(AuditEvent.id).all()
    assert [(e.actor, e.action) for e in events][-3:] == [
        ("cli:Els", "objection.add"), (events[-2].actor, "register.lookup"),
        ("cli:Els", "objection.withdraw")]
    assert events[-3].detail["identifiers"] == ["email"]
    assert events[-2].detail == {"identifiers": ["phone"], "found": False}
    assert events[-1].detail["ended"] == 1
    written = " ".join(str((e.actor, e.subject, e.detail)) for e in events).lower()
    assert EMAIL.lower() not in written
    assert "470" not in written
    assert audit.verify(session).is_intact
