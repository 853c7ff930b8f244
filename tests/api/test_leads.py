"""GET /api/v1/leads and /api/v1/leads/<id>: the partner's own leads, exactly as lead_data."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from leadpages.db import utcnow
from leadpages.delivery.services import lead_data
from leadpages.leads.models import Lead


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["data"]]


def newest_first(leads: list[Lead]) -> list[str]:
    return [lead.public_id for lead in sorted(leads, key=lambda x: (x.created_at, x.id),
                                              reverse=True)]


@pytest.fixture
def base() -> datetime:
    # After the test partners' arrangements took effect (a day ago), before now.
    return utcnow() - timedelta(hours=12)


def test_lists_own_leads_newest_first_exactly_as_lead_data(
        api: Any, documented: Any, make_key: Any, make_project: Any, make_lead: Any,
        base: datetime) -> None:
    project = make_project()
    other = make_project()
    key = make_key(project.partner)
    older = make_lead(project, at=base, campaign="spring-meta", postcode="9000", country="BE",
                      budget_amount=Decimal("350000"), budget_currency="EUR", bedrooms=2,
                      garden="yes", timeframe="6m", contact_preference="visit",
                      message="Graag een brochure.")
    newer = make_lead(project, at=base + timedelta(minutes=5), lang="nl")
    make_lead(other, at=base + timedelta(minutes=1))

    response = api.get("/leads", key)

    assert response.status_code == 200
    body = documented(response, "/leads", "get")
    assert body == {"data": [lead_data(newer), lead_data(older)], "next_cursor": None}
    assert body["data"][1]["details"]["budget"] == {"amount": "350000.00", "currency": "EUR"}


def test_pages_through_every_lead_once_even_with_equal_times_and_new_arrivals(
        api: Any, documented: Any, make_key: Any, make_project: Any, make_lead: Any,
        base: datetime) -> None:
    project = make_project()
    key = make_key(project.partner)
    # Three leads share one timestamp: the id breaks the tie, so the cursor splits them safely.
    times = [base, base + timedelta(minutes=1), base + timedelta(minutes=1),
             base + timedelta(minutes=1), base + timedelta(minutes=2), base + timedelta(minutes=3),
             base + timedelta(minutes=4)]
    leads = [make_lead(project, at=at) for at in times]

    seen: list[str] = []
    pages = 0
    cursor = None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = api.get("/leads", key, query_string=query)
        assert response.status_code == 200
        body = documented(response, "/leads", "get")
        assert 1 <= len(body["data"]) <= 2
        seen += ids(body)
        pages += 1
        if pages == 1:
            # A lead that arrives meanwhile is newer than every page still to come.
            make_lead(project, at=utcnow())
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert seen == newest_first(leads)
    assert pages == 4


def test_last_full_page_has_no_cursor(api: Any, make_key: Any, make_project: Any,
                                      make_lead: Any, base: datetime) -> None:
    project = make_project()
    key = make_key(project.partner)
    for minute in range(4):
        make_lead(project, at=base + timedelta(minutes=minute))

    first = api.get("/leads", key, query_string={"limit": 2}).get_json()
    second = api.get("/leads", key, query_string={"limit": 2,
                                                  "cursor": first["next_cursor"]}).get_json()

    assert len(second["data"]) == 2
    assert second["next_cursor"] is None


def test_default_page_is_fifty(api: Any, make_key: Any, make_project: Any, make_lead: Any,
                               base: datetime) -> None:
    project = make_project()
    key = make_key(project.partner)
    for second in range(51):
        make_lead(project, at=base + timedelta(seconds=second))

    body = api.get("/leads", key).get_json()

    assert len(body["data"]) == 50
    assert body["next_cursor"] is not None


def test_since_keeps_leads_created_at_or_after_the_moment(
        api: Any, documented: Any, make_key: Any, make_project: Any, make_lead: Any,
        base: datetime) -> None:
    project = make_project()
    key = make_key(project.partner)
    early, middle, late = (make_lead(project, at=base + timedelta(hours=h)) for h in (0, 1, 2))
    moment = middle.created_at

    as_utc = api.get("/leads", key,
                     query_string={"since": moment.isoformat().replace("+00:00", "Z")})
    # The same moment written in another zone (query_string encodes the '+' as %2B).
    offset = api.get("/leads", key, query_string={
        "since": moment.astimezone(timezone(timedelta(hours=2))).isoformat()})

    for response in (as_utc, offset):
        assert response.status_code == 200
        assert ids(documented(response, "/leads", "get")) == [late.public_id, middle.public_id]
    assert early.public_id not in as_utc.get_data(as_text=True)


def test_since_and_cursor_combine(api: Any, make_key: Any, make_project: Any, make_lead: Any,
                                  base: datetime) -> None:
    project = make_project()
    key = make_key(project.partner)
    leads = [make_lead(project, at=base + timedelta(minutes=m)) for m in range(5)]
    since = leads[1].created_at.isoformat()

    first = api.get("/leads", key, query_string={"since": since, "limit": 3}).get_json()
    rest = api.get("/leads", key, query_string={"since": since, "limit": 3,
                                                "cursor": first["next_cursor"]}).get_json()

    assert ids(first) + ids(rest) == newest_first(leads[1:])
    assert rest["next_cursor"] is None


def test_project_filter_is_within_the_partners_own_projects(
        api: Any, documented: Any, make_key: Any, make_partner: Any, make_project: Any,
        make_lead: Any, base: datetime) -> None:
    partner = make_partner()
    first, second = make_project(partner=partner), make_project(partner=partner)
    strangers = make_project()
    key = make_key(partner)
    wanted = make_lead(first, at=base)
    make_lead(second, at=base + timedelta(minutes=1))
    make_lead(strangers, at=base + timedelta(minutes=2))

    own = api.get("/leads", key, query_string={"project": first.slug})
    foreign = api.get("/leads", key, query_string={"project": strangers.slug})
    unknown = api.get("/leads", key, query_string={"project": "no-such-project"})

    assert ids(documented(own, "/leads", "get")) == [wanted.public_id]
    assert documented(foreign, "/leads", "get") == {"data": [], "next_cursor": None}
    assert unknown.get_json() == {"data": [], "next_cursor": None}


def test_bad_parameters_are_each_reported_and_nothing_is_listed(
        api: Any, documented: Any, make_key: Any, make_project: Any, make_lead: Any,
        base: datetime) -> None:
    project = make_project()
    key = make_key(project.partner)
    make_lead(project, at=base)

    response = api.get("/leads?limit=0&cursor=bm9wZQ&since=2025-01-31T09:00:00"
                       "&project=Not%20a%20slug&satus=dead", key)

    assert response.status_code == 400
    error = documented(response, "/leads", "get")["error"]
    assert error["code"] == "invalid_parameters"
    assert set(error["details"]) == {"limit", "cursor", "since", "project", "satus"}
    assert "1 to 100" in error["details"]["limit"]
    assert "time zone" in error["details"]["since"]


@pytest.mark.parametrize(("query", "parameter", "words"), [
    ("limit=101", "limit", "1 to 100"),
    ("limit=abc", "limit", "whole number"),
    ("limit=-1", "limit", "whole number"),
    ("limit=1_0", "limit", "whole number"),
    ("limit=5&limit=6", "limit", "at most once"),
    ("limit=", "limit", "must not be empty"),
    ("since=yesterday", "since", "ISO 8601"),
    ("since=2025-01-31", "since", "time zone"),
    # An unencoded '+' arrives as a space; the message says how to write it.
    ("since=2025-01-31T09:00:00+01:00", "since", "%2B"),
    ("since=0001-01-01T00:00:00%2B01:00", "since", "out of range"),
    ("cursor=!!!", "cursor", "next_cursor"),
    ("status=dead", "status", "not a parameter"),
])
def test_each_bad_parameter(api: Any, documented: Any, make_key: Any, make_partner: Any,
                            query: str, parameter: str, words: str) -> None:
    response = api.get(f"/leads?{query}", make_key(make_partner()))

    assert response.status_code == 400
    error = documented(response, "/leads", "get")["error"]
    assert list(error["details"]) == [parameter]
    assert words in error["details"][parameter]


def crafted_cursor(kind: str, at: str, row_id: Any) -> str:
    """A cursor in the API's own encoding, with whatever position a client made up."""
    raw = json.dumps([kind, at, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(("path", "kind"), [("/leads", "lead"), ("/deliveries", "delivery")])
@pytest.mark.parametrize(("at", "row_id"), [
    ("2025-01-31T09:00:00+00:00", 10**30),  # no database integer
    ("2025-01-31T09:00:00+00:00", 2**31),
    ("0001-01-01T00:00:00+01:00", 5),  # before year 1 in UTC
    ("9999-12-31T23:59:59-01:00", 5),  # after year 9999 in UTC
])
def test_a_crafted_cursor_out_of_range_is_a_bad_parameter(
        api: Any, documented: Any, make_key: Any, make_project: Any, make_lead: Any,
        base: datetime, path: str, kind: str, at: str, row_id: Any) -> None:
    project = make_project()
    key = make_key(project.partner)
    make_lead(project, at=base)  # with its deliveries: both lists have a row to page past

    response = api.get(path, key, query_string={"cursor": crafted_cursor(kind, at, row_id)})

    assert response.status_code == 400
    error = documented(response, path, "get")["error"]
    assert error["code"] == "invalid_parameters"
    assert list(error["details"]) == ["cursor"]


def test_a_cursor_at_the_largest_id_and_another_zone_still_pages(
        api: Any, make_key: Any, make_project: Any, make_lead: Any, base: datetime) -> None:
    project = make_project()
    key = make_key(project.partner)
    lead = make_lead(project, at=base)
    later = (base + timedelta(minutes=1)).astimezone(timezone(timedelta(hours=2)))

    response = api.get("/leads", key, query_string={
        "cursor": crafted_cursor("lead", later.isoformat(), 2**31 - 1)})

    assert response.status_code == 200
    assert [row["id"] for row in response.get_json()["data"]] == [lead.public_id]


def test_a_delivery_cursor_is_no_lead_cursor(api: Any, make_key: Any, make_project: Any,
                                             make_lead: Any, base: datetime) -> None:
    project = make_project()
    key = make_key(project.partner)
    for minute in range(3):
        make_lead(project, at=base + timedelta(minutes=minute))
    cursor = api.get("/deliveries", key, query_string={"limit": 1}).get_json()["next_cursor"]

    response = api.get("/leads", key, query_string={"cursor": cursor})

    assert response.status_code == 400
    assert list(response.get_json()["error"]["details"]) == ["cursor"]


def test_one_lead_by_public_id(api: Any, documented: Any, make_key: Any, make_project: Any,
                               make_lead: Any, base: datetime) -> None:
    project = make_project()
    key = make_key(project.partner)
    lead = make_lead(project, at=base)

    response = api.get(f"/leads/{lead.public_id}", key)

    assert response.status_code == 200
    assert documented(response, "/leads/{lead_id}", "get") == lead_data(lead)


def test_another_partners_lead_does_not_exist(api: Any, documented: Any, make_key: Any,
                                              make_partner: Any, make_project: Any,
                                              make_lead: Any, base: datetime) -> None:
    theirs = make_lead(make_project(), at=base)

    response = api.get(f"/leads/{theirs.public_id}", make_key(make_partner()))

    assert response.status_code == 404
    assert documented(response, "/leads/{lead_id}", "get")["error"]["code"] == "not_found"


@pytest.mark.parametrize("lead_id", ["0" * 32, "A" * 32, "xyz", "1", "0" * 33])
def test_malformed_or_unknown_lead_ids_are_404(api: Any, make_key: Any, make_partner: Any,
                                               lead_id: str) -> None:
    response = api.get(f"/leads/{lead_id}", make_key(make_partner()))

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_erased_leads_are_gone(api: Any, make_key: Any, make_project: Any, make_lead: Any,
                               session: Session, base: datetime) -> None:
    project = make_project()
    key = make_key(project.partner)
    kept, erased = make_lead(project, at=base), make_lead(project, at=base)
    erased.status = "erased"
    session.flush()

    assert ids(api.get("/leads", key).get_json()) == [kept.public_id]
    assert api.get(f"/leads/{erased.public_id}", key).status_code == 404
