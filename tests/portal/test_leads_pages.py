"""The lead list with its filters, a lead's detail with its deliveries, and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from support import text_of

from leadpages.db import utcnow
from leadpages.delivery.services import lead_data
from leadpages.portal import export


@pytest.fixture
def signed_in(browser: Any, make_user: Any, make_partner: Any) -> Any:
    """A browser signed in for a fresh partner, which it carries as `.partner`."""
    partner = make_partner()
    browser.signed_in_as(make_user(partner))
    browser.partner = partner
    return browser


def leaves(data: Any, prefix: str = "") -> dict[str, Any]:
    """Every value of a nested dict, by dotted path."""
    found: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            found.update(leaves(value, f"{prefix}{key}."))
        else:
            found[prefix + key] = value
    return found


def full_lead(make_lead: Any, project: Any) -> Any:
    return make_lead(project, first_name="Émilie", last_name="Dubois-Laurent",
                     email="emilie@example.be", phone="+32470999888", postcode="1000",
                     country="BE", budget_amount=Decimal("425000.00"), budget_currency="EUR",
                     preferred_location="Near the park", bedrooms=3, garden="yes",
                     timeframe="6m", contact_preference="visit",
                     message="Is there a lift?\nThanks")


def test_list_shows_only_the_partners_own_leads(signed_in: Any, make_project: Any,
                                                make_lead: Any) -> None:
    own = make_lead(make_project(partner=signed_in.partner), last_name="Ownlead")
    other = make_lead(make_project(), last_name="Otherlead", email="other@example.com")
    page = signed_in.get("/portal/leads")
    assert page.status_code == 200
    body = text_of(page)
    assert "Ownlead" in body
    assert own.email in body
    assert "Otherlead" not in body
    assert other.email not in body
    assert "1 lead matches" in body


def test_list_filters_by_search_project_dates_and_delivery_state(
    signed_in: Any, make_project: Any, make_lead: Any, make_dead_letter: Any
) -> None:
    first = make_project(partner=signed_in.partner)
    second = make_project(partner=signed_in.partner)
    now = utcnow()
    old = make_lead(first, at=now - timedelta(days=10), last_name="Oldfield")
    new = make_lead(second, at=now, last_name="Newman", email="newman@example.org")
    make_dead_letter(old)

    def names(query: str) -> set[str]:
        page = signed_in.get(f"/portal/leads?{query}")
        assert page.status_code == 200, query
        body = text_of(page)
        return {name for name in ("Oldfield", "Newman") if name in body}

    assert names("") == {"Oldfield", "Newman"}
    assert names("q=newm") == {"Newman"}
    assert names("q=EXAMPLE.ORG") == {"Newman"}
    assert names(f"q={new.phone[-6:]}") == {"Newman"}
    assert names(f"project={first.slug}") == {"Oldfield"}
    assert names(f"project={second.slug}") == {"Newman"}
    day = (now - timedelta(days=10)).date().isoformat()
    assert names(f"since={day}&until={day}") == {"Oldfield"}
    assert names(f"since={(now - timedelta(days=1)).date().isoformat()}") == {"Newman"}
    assert names("status=dead") == {"Oldfield"}
    assert names("status=pending") == {"Oldfield", "Newman"}
    assert names("status=delivered") == set()


@pytest.mark.parametrize(
    ("query", "field"),
    [("since=2026-13-45", "since"), ("since=2026-05-02&until=2026-05-01", "until"),
     ("project=someone-elses", "project"), ("status=lost", "status")],
)
def test_bad_filters_get_an_error_beside_the_field(signed_in: Any, make_project: Any,
                                                   make_lead: Any, query: str,
                                                   field: str) -> None:
    make_lead(make_project(partner=signed_in.partner), last_name="Hidden")
    page = signed_in.get(f"/portal/leads?{query}")
    assert page.status_code == 422
    body = page.get_data(as_text=True)
    assert f'id="{field}-error"' in body
    assert "Hidden" not in body
    assert signed_in.get(f"/portal/leads/export.csv?{query}").status_code == 422


@pytest.mark.parametrize(("query", "field"), [
    ("until=9999-12-31", "until"),  # a day later does not exist
    ("until=3000-01-01", "until"),
    ("since=0001-01-01", "since"),
    ("since=1999-12-31&until=9999-12-31", "since"),
])
def test_dates_out_of_range_get_an_error_not_a_crash(signed_in: Any, make_project: Any,
                                                     make_lead: Any, query: str,
                                                     field: str) -> None:
    make_lead(make_project(partner=signed_in.partner), last_name="Hidden")
    for url in (f"/portal/leads?{query}", f"/portal/leads/export.csv?{query}"):
        page = signed_in.get(url)
        assert page.status_code == 422, url
        body = page.get_data(as_text=True)
        assert f'id="{field}-error"' in body
        assert "Choose a date from 2000-01-01 to 2999-12-31." in text_of(page)
        assert "Hidden" not in body


def test_the_widest_dates_still_list(signed_in: Any, make_project: Any,
                                     make_lead: Any) -> None:
    make_lead(make_project(partner=signed_in.partner), last_name="Shown")
    page = signed_in.get("/portal/leads?since=2000-01-01&until=2999-12-31")
    assert page.status_code == 200
    assert "Shown" in text_of(page)


def test_another_partners_project_is_not_a_filter_choice(signed_in: Any,
                                                         make_project: Any) -> None:
    own = make_project(partner=signed_in.partner)
    other = make_project()
    body = signed_in.get("/portal/leads").get_data(as_text=True)
    assert f'value="{own.slug}"' in body
    assert other.slug not in body


def test_list_is_paginated(signed_in: Any, make_project: Any, make_lead: Any) -> None:
    from leadpages.web.pagination import PER_PAGE

    project = make_project(partner=signed_in.partner)
    now = utcnow()
    for n in range(PER_PAGE + 2):
        make_lead(project, at=now - timedelta(minutes=n), last_name=f"Person{n:03d}")
    first = text_of(signed_in.get("/portal/leads"))
    assert "Person000" in first
    assert f"Person{PER_PAGE - 1:03d}" in first
    assert f"Person{PER_PAGE:03d}" not in first
    assert "Page 1 of 2" in first
    second = text_of(signed_in.get("/portal/leads?page=2"))
    assert f"Person{PER_PAGE:03d}" in second
    assert f"Person{PER_PAGE + 1:03d}" in second
    assert "Person000" not in second


def test_lead_detail_shows_every_field_and_the_delivery_history(
    signed_in: Any, make_project: Any, make_lead: Any, make_dead_letter: Any
) -> None:
    lead = full_lead(make_lead, make_project(partner=signed_in.partner))
    make_dead_letter(lead)
    page = signed_in.get(f"/portal/leads/{lead.public_id}")
    assert page.status_code == 200
    body = text_of(page)
    for path, value in leaves(lead_data(lead)).items():
        if value is None:
            continue
        shown = value.replace("\n", " ") if isinstance(value, str) else str(value)
        if path == "created_at":
            shown = lead.created_at.strftime("%Y-%m-%d %H:%M UTC")
        assert shown in body, path
    # The email delivery queued at intake, and the dead webhook letter with its attempt.
    assert "email" in body
    assert "Waiting to be sent" in body
    assert "Dead letter" in body
    assert "HTTP 410 Gone" in body
    assert "410" in body


def test_unknown_lead_is_not_found(signed_in: Any) -> None:
    assert signed_in.get("/portal/leads/0123456789abcdef0123456789abcdef").status_code == 404


def test_erased_lead_is_not_shown(app: Any, signed_in: Any, make_project: Any,
                                  make_lead: Any, session: Any) -> None:
    lead = make_lead(make_project(partner=signed_in.partner), last_name="Forgotten")
    lead.status = "erased"
    session.flush()
    assert signed_in.get(f"/portal/leads/{lead.public_id}").status_code == 404
    assert "Forgotten" not in text_of(signed_in.get("/portal/leads"))


def read_csv(response: Any) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_has_every_field_of_lead_data_and_only_own_leads(
    signed_in: Any, make_project: Any, make_lead: Any
) -> None:
    lead = full_lead(make_lead, make_project(partner=signed_in.partner))
    make_lead(make_project(), last_name="Stranger", email="stranger@example.com")
    response = signed_in.get("/portal/leads/export.csv")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="leads-{signed_in.partner.slug}-')
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response)
    header, body = rows[0], rows[1:]
    assert len(body) == 1
    record = dict(zip(header, body[0], strict=True))
    data = leaves(lead_data(lead))
    paths = {".".join(path): name for name, path in export.COLUMNS}
    # Every field partners receive is a column (budget is a pair of sub-fields).
    expected = {p for p in data if p != "details.budget"} | {"details.budget.amount",
                                                           "details.budget.currency"}
    assert expected <= set(paths)
    assert record[paths["contact.first_name"]] == "Émilie"
    assert record[paths["details.message"]] == "Is there a lift?\nThanks"
    assert record[paths["details.budget.amount"]] == "425000.00"
    assert record[paths["contact.phone"]] == "'+32470999888"
    assert record[paths["id"]] == lead.public_id
    assert "stranger@example.com" not in response.get_data(as_text=True)


def test_csv_follows_the_filters(signed_in: Any, make_project: Any, make_lead: Any) -> None:
    project = make_project(partner=signed_in.partner)
    make_lead(project, last_name="Keep")
    make_lead(project, last_name="Drop")
    rows = read_csv(signed_in.get("/portal/leads/export.csv?q=keep"))
    assert len(rows) == 2
    assert "Keep" in rows[1]


def test_csv_neutralises_formulas_and_quotes_properly(signed_in: Any, make_project: Any,
                                                      make_lead: Any) -> None:
    make_lead(make_project(partner=signed_in.partner), first_name="=HYPERLINK(\"x\")",
              last_name="+SUM(A1)", preferred_location="-2+3", message='@cmd, "quoted"; x')
    rows = read_csv(signed_in.get("/portal/leads/export.csv"))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["first_name"] == "'=HYPERLINK(\"x\")"
    assert record["last_name"] == "'+SUM(A1)"
    assert record["preferred_location"] == "'-2+3"
    assert record["message"] == "'@cmd, \"quoted\"; x"
    assert '"\'@cmd, ""quoted""; x"' in signed_in.get(
        "/portal/leads/export.csv").get_data(as_text=True)


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("+32", "'+32"), ("-5", "'-5"), ("@SUM", "'@SUM"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("a=b", "a=b"), ("", ""), (None, ""), (3, "3")],
)
def test_neutralise(value: Any, cell: str) -> None:
    assert export.neutralise(value) == cell


def test_csv_of_many_leads_comes_in_several_chunks(signed_in: Any, make_project: Any,
                                                   make_lead: Any) -> None:
    project = make_project(partner=signed_in.partner)
    for _ in range(export.CHUNK + 1):
        make_lead(project)
    response = signed_in.get("/portal/leads/export.csv")
    chunks = list(response.iter_encoded())
    assert len(chunks) >= 2
    text = b"".join(chunks).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text, newline="")))) == export.CHUNK + 2
