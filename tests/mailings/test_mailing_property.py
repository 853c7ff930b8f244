"""Property: however identifiers are written, no mailing reaches an objector (DESIGN.md rule 5).

Each example draws people with a gmail or other address and a Belgian mobile number, leads
written in varied spellings (case, spaces, gmail dots, `+tag`, googlemail.com, phone formats),
objections in other spellings, and for some objectors a new lead after their objection. The
mailing is planned and sent over real SMTP; what arrives is compared with the register.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpages.identifiers import canonical_email, canonical_phone
from leadpages.leads.models import Lead
from leadpages.mailings import services
from leadpages.mailings.models import MailingRecipient
from leadpages.objections import services as objections
from leadpages.projects.models import Category

EXAMPLE = itertools.count(1)


@dataclass(frozen=True)
class Person:
    """One person of an example: their address and number, unique to the example."""

    local: str
    gmail: bool
    number: str  # the 8 digits after the mobile prefix 04

    def email(self) -> str:
        return f"{self.local}@{'gmail.com' if self.gmail else 'example.com'}"

    def phone(self) -> str:
        return f"+324{self.number}"

    def spell_email(self, how: dict[str, Any]) -> str:
        """The address as someone might type it; the same person for the register."""
        local = self.local
        if self.gmail:
            if how["dot"]:  # dots anywhere in a gmail local part
                local = f"{local[:how['dot']]}.{local[how['dot']:]}"
            if how["tag"]:
                local += f"+{how['tag']}"
            domain = ("gmail.com", "googlemail.com", "GMail.com")[how["domain"]]
        else:
            domain = ("example.com", "EXAMPLE.com", "Example.Com")[how["domain"]]
        address = f"{local}@{domain}"
        address = (address, address.upper(), address.title())[how["case"]]
        return " " * how["before"] + address + " " * how["after"]

    def spell_phone(self, how: int) -> str:
        n = self.number
        return (f"04{n}", f"04{n[:2]} {n[2:4]} {n[4:6]} {n[6:]}",
                f"+32 4{n[:2]} {n[2:4]} {n[4:]}", f"00324{n}", f"+324{n}",
                f"04{n[:2]}/{n[2:4]}.{n[4:6]}.{n[6:]}")[how]


EMAIL_SPELLING = st.fixed_dictionaries({
    "dot": st.integers(0, 2), "tag": st.sampled_from(["", "ads", "x1"]),
    "domain": st.integers(0, 2), "case": st.integers(0, 2), "before": st.integers(0, 2),
    "after": st.integers(0, 1)})
PHONE_SPELLING = st.integers(0, 5)
LEAD = st.fixed_dictionaries({"email": EMAIL_SPELLING, "phone": PHONE_SPELLING,
                              "opt_in": st.booleans()})
OBJECTION = st.fixed_dictionaries({
    "by": st.sampled_from(["email", "phone", "both"]),
    "scope": st.sampled_from(["marketing-email", "all", "ads"]),
    "email": EMAIL_SPELLING, "phone": PHONE_SPELLING,
    "then_new_lead": st.booleans(),
    # After planning, before sending: only the check right before each message stops it.
    "after_plan": st.booleans()})
PEOPLE = st.lists(st.fixed_dictionaries({
    "local": st.text("abcdefgh", min_size=3, max_size=6), "gmail": st.booleans(),
    "leads": st.lists(LEAD, min_size=1, max_size=2),
    "objection": st.none() | OBJECTION}),
    min_size=1, max_size=4, unique_by=lambda p: p["local"])


def record(session: Session, person: Person, objection: dict[str, Any]) -> None:
    by = objection["by"]
    objections.record_objection(
        session, scope=objection["scope"], source="staff",
        email=person.spell_email(objection["email"]) if by in ("email", "both") else None,
        phone=person.spell_phone(objection["phone"]) if by in ("phone", "both") else None)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(people=PEOPLE)
def test_no_mailing_contains_an_objector(app: Flask, session: Session, make_project: Any,
                                        make_lead: Any, smtp: Any, fake_time: Any,
                                        people: list[dict[str, Any]]) -> None:
    n = next(EXAMPLE)  # people unique to the example: the register keeps earlier objections
    persons = [Person(f"{p['local']}{n}", p["gmail"], f"7{i}{n:06d}")
               for i, p in enumerate(people)]
    # A category of this example's own, so earlier examples' leads stay out of its mailing.
    session.add(Category(code=f"prop-{n}", export_name="Property", description="Property."))
    session.flush()
    sources = [make_project(category=f"prop-{n}") for _ in range(3)]
    target = make_project(category=f"prop-{n}")
    region = app.config["PHONE_REGION"]
    objected_emails: set[str] = set()
    objected_phones: set[str] = set()
    for person, entry in zip(persons, people, strict=True):
        for index, lead in enumerate(entry["leads"]):
            make_lead(sources[index], person.spell_email(lead["email"]),
                      person.spell_phone(lead["phone"]), opt_in=lead["opt_in"])
        objection = entry["objection"]
        if objection is None:
            continue
        objected_emails.add(canonical_email(person.email()))
        objected_phones.add(canonical_phone(person.phone(), region) or "")
        if objection["after_plan"]:
            continue
        record(session, person, objection)
        if objection["then_new_lead"]:  # objects, then asks about another project
            make_lead(sources[2], person.spell_email(lead["email"]),
                      person.spell_phone((lead["phone"] + 1) % 6), opt_in=True)
    session.commit()

    mailing = services.create_mailing(session, target.slug, [f"prop-{n}"], "property test")
    services.plan(session, mailing)
    session.commit()
    for person, entry in zip(persons, people, strict=True):
        if entry["objection"] and entry["objection"]["after_plan"]:
            record(session, person, entry["objection"])
    session.commit()
    services.send(session, mailing, app.config, sleep=fake_time.sleep, clock=fake_time.clock)

    arrived = smtp.of_mailing(mailing.id)
    emails = [canonical_email(m["To"]) for m in arrived]
    assert not set(emails) & objected_emails
    assert len(emails) == len(set(emails))  # one email per person
    # Everyone else who opted in somewhere got exactly one.
    expected = {canonical_email(person.email()) for person, entry in zip(persons, people,
                                                                         strict=True)
                if entry["objection"] is None and any(lead["opt_in"] for lead in entry["leads"])}
    assert set(emails) == expected
    sent_phones = {canonical_phone(lead.phone, region) for lead in session.scalars(
        select(Lead).join(MailingRecipient, MailingRecipient.lead_id == Lead.id)
        .where(MailingRecipient.mailing_id == mailing.id, MailingRecipient.status == "sent"))}
    assert len(sent_phones) == len(emails)
    assert not sent_phones & objected_phones
