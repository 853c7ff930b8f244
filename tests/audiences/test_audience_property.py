"""Property: whatever the leads and objections, and however people spell their email and phone
(case, spaces, gmail dots, +tag, googlemail, Belgian phone spellings), no export file holds an
objector, an objector who comes back with a new lead stays out, everyone else is in once, and
an objector exported before is in the next removal file."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audience_support import read_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.orm import Session

from leadpages.audiences import normalise
from leadpages.identifiers import canonical_email
from leadpages.leads.models import Lead
from leadpages.objections.services import record_objection

#: People are unique across examples (the database keeps earlier examples' rows).
PEOPLE = itertools.count(1)
CASES = [str.lower, str.upper, str.title, str.swapcase]


@dataclass(frozen=True)
class EmailSpelling:
    """How one person writes their address this time (rendered with their unique number)."""

    dots: tuple[bool, ...]
    tag: str
    googlemail: bool
    case: int
    pad: str

    def render(self, base: str, number: int, domain: str) -> str:
        local = base
        if domain == "gmail.com":
            local = base[0] + "".join(("." if dot else "") + c
                                      for dot, c in zip(self.dots, base[1:], strict=False))
            local += str(number) + self.tag
            domain = "googlemail.com" if self.googlemail else domain
        else:
            local += str(number)
        address = CASES[self.case](f"{local}@{domain}")
        return f"{self.pad}{address}{self.pad[:1]}"


email_spellings = st.builds(
    EmailSpelling, dots=st.lists(st.booleans(), min_size=6, max_size=6).map(tuple),
    tag=st.sampled_from(["", "+ads", "+news.2"]), googlemail=st.booleans(),
    case=st.integers(0, len(CASES) - 1), pad=st.sampled_from(["", " ", "  "]))


@dataclass(frozen=True)
class PhoneSpelling:
    """Spellings of one Belgian mobile: 0470 12 34 56, +32 470 12 34 56, 0032470123456..."""

    prefix: str
    sep: str

    def render(self, number: int) -> str:
        national = f"47{number:07d}"
        a, b, c, d = national[:3], national[3:5], national[5:7], national[7:]
        return f"{self.prefix}{a}{self.sep}{b}{self.sep}{c}{self.sep}{d}"


phone_spellings = st.builds(PhoneSpelling, prefix=st.sampled_from(["0", "+32 ", "+32", "0032",
                                                                   "0032 "]),
                            sep=st.sampled_from([" ", ".", "-", "/", ""]))


@dataclass(frozen=True)
class Template:
    base: str
    domain: str
    emails: tuple[EmailSpelling, ...]  # the lead, the objection, the comeback
    phones: tuple[PhoneSpelling, ...]
    objects: bool
    by: str
    comes_back: bool
    second_lead: bool


templates = st.builds(
    Template, base=st.sampled_from(["marie", "jan", "anneke", "pieter"]),
    domain=st.sampled_from(["gmail.com", "example.be", "telenet.be"]),
    emails=st.tuples(email_spellings, email_spellings, email_spellings),
    phones=st.tuples(phone_spellings, phone_spellings, phone_spellings),
    objects=st.booleans(), by=st.sampled_from(["email", "phone", "both"]),
    comes_back=st.booleans(), second_lead=st.booleans())


@dataclass
class Person:
    emails: list[str]  # [lead, objection, comeback] spellings
    phones: list[str]
    objects: bool
    by: str
    comes_back: bool
    second_lead: bool

    @classmethod
    def of(cls, template: Template) -> Person:
        """A person no earlier example had (the database keeps earlier examples' rows)."""
        n = next(PEOPLE)
        return cls([e.render(template.base, n, template.domain) for e in template.emails],
                   [p.render(n) for p in template.phones], template.objects, template.by,
                   template.comes_back, template.second_lead)

    def meta_identifiers(self) -> set[str]:
        """Every Meta hash their email or phone could have, however spelled."""
        found = {normalise.sha256(normalise.meta_email(e)) for e in self.emails}
        found |= {normalise.sha256(canonical_email(e)) for e in self.emails}
        found |= {normalise.sha256(normalise.meta_phone(p, "BE")) for p in self.phones}
        return found


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn=st.lists(templates, min_size=1, max_size=5))
def test_no_export_file_holds_an_objector(
        drawn: list[Template], session: Session, make_project: Any, make_lead: Any,
        make_audience: Any, export: Any, folder: Path) -> None:
    # Earlier examples' leads stay in the test's transaction: take them out of every audience.
    session.execute(update(Lead).values(status="erased"))
    people = [Person.of(template) for template in drawn]
    first_project, second_project = make_project(), make_project()
    for p in people:
        make_lead(first_project, email=p.emails[0], phone=p.phones[0])
        if p.second_lead:  # the same person again, spelled otherwise, on another page
            make_lead(second_project, email=p.emails[1], phone=p.phones[1])
    audience = make_audience()
    before = export(audience)
    _, rows = read_rows(folder / before.file_name)
    sent_before = {row[0] for row in rows}

    for p in people:
        if p.objects:
            record_objection(session, email=p.emails[1] if p.by != "phone" else None,
                             phone=p.phones[1] if p.by != "email" else None,
                             scope=("ads", "all")[len(p.emails[1]) % 2], source="staff")
    for p in people:
        if p.objects and p.comes_back:  # a new request after objecting, box not ticked
            make_lead(make_project(), email=p.emails[2], phone=p.phones[2])

    after = export(audience)
    stayed = [p for p in people if not p.objects]
    rows = read_rows(folder / after.file_name)[1] if after.file_name else []
    in_file = {value for row in rows for value in row[:2]}
    removals = (read_rows(folder / after.removal_file_name)[1]
                if after.removal_file_name else [])
    for p in people:
        if p.objects:
            assert not p.meta_identifiers() & in_file, p
            was_sent = p.meta_identifiers() & sent_before
            assert not was_sent or was_sent & {row[0] for row in removals}, p
        else:
            assert p.meta_identifiers() & in_file, p
    assert len(rows) == len(stayed)  # one row per person
    assert after.included == len(stayed)
