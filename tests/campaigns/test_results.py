"""Results: exact figures from known visit totals and leads, every day present, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from leadpages.campaigns import results
from leadpages.campaigns.results import Period, PeriodError, parse_period
from leadpages.delivery.models import Delivery
from leadpages.visits.models import VisitTotal

PERIOD = Period(date(2026, 11, 1), date(2026, 11, 7))


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def scene(session, make_project, make_campaign, make_lead):
    """A project with two campaigns, visit totals and leads inside and outside the period."""
    project = make_project()
    spring = make_campaign(project, name="Spring", channel="meta")
    autumn = make_campaign(project, name="Autumn", channel="google")
    other = make_project()
    visits = [
        (date(2026, 11, 1), project.id, spring.code, 40),
        (date(2026, 11, 1), project.id, "", 10),
        (date(2026, 11, 3), project.id, spring.code, 60),
        (date(2026, 11, 3), project.id, "old-junk-code", 5),  # from before codes were checked
        (date(2026, 11, 7), project.id, autumn.code, 0),
        (date(2026, 10, 31), project.id, spring.code, 1000),  # before the period
        (date(2026, 11, 8), project.id, "", 1000),  # after it
        (date(2026, 11, 2), other.id, "", 1000),  # another project
    ]
    session.add_all(VisitTotal(day=d, project_id=p, campaign_code=c, count=n)
                    for d, p, c, n in visits)
    leads = [
        make_lead(project, spring.code, at(1, 0)),
        make_lead(project, spring.code.upper(), at(1, 23)),
        make_lead(project, spring.code, at(3)),
        make_lead(project, None, at(3)),
        make_lead(project, "unknown-code", at(7, 23)),  # kept as given, counted as no campaign
        make_lead(project, spring.code, datetime(2026, 10, 31, 23, 59, tzinfo=UTC)),
        make_lead(project, spring.code, datetime(2026, 11, 8, 0, 0, tzinfo=UTC)),
        make_lead(other, None, at(2)),
    ]
    leads[3].status = "erased"  # still a lead this project had
    session.flush()
    return project, spring, autumn, leads


def test_figures_of_a_project(session, scene):
    project, spring, autumn, leads = scene
    result = results.results(session, project, PERIOD)
    assert (result.visits, result.leads) == (115, 5)
    assert result.conversion == pytest.approx(100 * 5 / 115)
    assert result.days == [
        (date(2026, 11, 1), 50, 2), (date(2026, 11, 2), 0, 0), (date(2026, 11, 3), 65, 2),
        (date(2026, 11, 4), 0, 0), (date(2026, 11, 5), 0, 0), (date(2026, 11, 6), 0, 0),
        (date(2026, 11, 7), 0, 1),
    ]
    rows = {(row.campaign.code if row.campaign else None): (row.visits, row.leads)
            for row in result.rows}
    assert rows == {spring.code: (100, 3), autumn.code: (0, 0), None: (15, 2)}
    assert [row.campaign.name if row.campaign else None for row in result.rows] == [
        "Autumn", "Spring", None]
    assert next(r for r in result.rows if r.campaign == autumn).conversion is None
    assert leads[4].campaign_code == "unknown-code"


def test_figures_of_one_campaign(session, scene):
    project, spring, _autumn, _leads = scene
    result = results.results(session, project, PERIOD, spring)
    assert (result.visits, result.leads) == (100, 3)
    assert result.conversion == pytest.approx(3.0)
    assert [(row.campaign, row.visits, row.leads) for row in result.rows] == [(spring, 100, 3)]


def test_delivery_success_counts_the_deliveries_of_these_leads(session, scene):
    project, _spring, _autumn, leads = scene
    deliveries = session.scalars(select(Delivery).where(
        Delivery.lead_id.in_([lead.id for lead in leads[:5]]),
        Delivery.kind == "lead.created")).all()
    assert len(deliveries) == 5  # one email delivery per lead in the period
    for delivery in deliveries[:3]:
        delivery.status = "delivered"
    deliveries[3].status = "dead"
    session.flush()
    result = results.results(session, project, PERIOD)
    assert (result.delivered, result.deliveries) == (3, 5)
    assert result.delivery_success == pytest.approx(60.0)


def test_no_visits_no_conversion(session, make_project, make_lead):
    project = make_project()
    make_lead(project, None, at(2))
    result = results.results(session, project, PERIOD)
    assert (result.visits, result.leads, result.conversion) == (0, 1, None)
    empty = results.results(session, make_project(), PERIOD)
    assert (empty.visits, empty.leads, empty.conversion, empty.delivery_success) == (
        0, 0, None, None)
    assert [leads for _day, _visits, leads in empty.days] == [0] * 7


def test_csv_exports(session, scene):
    project, spring, _autumn, _leads = scene
    result = results.results(session, project, PERIOD)
    days = list(csv.reader(io.StringIO(results.days_csv(result))))
    assert days[0] == ["date", "visits", "leads"]
    assert days[1:3] == [["2026-11-01", "50", "2"], ["2026-11-02", "0", "0"]]
    assert len(days) == 8
    table = list(csv.reader(io.StringIO(results.campaigns_csv(result))))
    assert table[0] == ["campaign", "channel", "code", "visits", "leads", "conversion_percent"]
    assert ["Spring", "meta", spring.code, "100", "3", "3.0"] in table
    assert table[-1] == ["", "", "", "15", "2", "13.3"]


def test_a_formula_in_a_name_is_neutralised(session, make_campaign):
    campaign = make_campaign(name="=HYPERLINK(1)")
    result = results.results(session, campaign.project, PERIOD)
    assert "'=HYPERLINK(1)" in results.campaigns_csv(result)


def test_periods():
    today = date(2026, 11, 21)
    assert parse_period("", "", today) == Period(date(2026, 10, 23), today)
    assert parse_period("2026-11-01", "2026-11-07", today) == PERIOD
    assert parse_period("2026-11-01", "", today) == Period(date(2026, 11, 1), date(2026, 11, 30))
    assert parse_period("", "2026-11-30", today) == Period(date(2026, 11, 1), date(2026, 11, 30))
    assert parse_period("2025-11-21", "2026-11-21", today).days[-1] == today  # 366 days
    for start, end in [("2026-13-01", ""), ("yesterday", ""), ("2026-11-07", "2026-11-01"),
                       ("2025-11-20", "2026-11-21")]:
        with pytest.raises(PeriodError):
            parse_period(start, end, today)
    assert results.last_days(7, today) == Period(date(2026, 11, 15), today)


def test_the_chart_is_an_accessible_svg_with_a_bar_per_day():
    from xml.etree import ElementTree

    from leadpages.campaigns.chart import bar_chart

    days = [(date(2026, 11, d), n) for d, n in zip(range(1, 8), [2, 0, 5, 0, 0, 0, 1],
                                                      strict=True)]
    svg = str(bar_chart(days, "Leads <per> day", 'From "a" & b'))
    # Well-formed, with the text escaped (our own output: no untrusted XML).
    tree = ElementTree.fromstring(svg)  # noqa: S314
    ns = "{http://www.w3.org/2000/svg}"
    assert tree.get("role") == "img"
    assert tree.get("aria-label") == "Leads <per> day"
    assert tree.get("viewBox") == "0 0 720 260"
    assert tree.find(f"{ns}title").text == "Leads <per> day"
    assert tree.find(f"{ns}desc").text == 'From "a" & b'
    assert "style" not in svg
    bars = tree.findall(f"{ns}g/{ns}rect")
    assert len(bars) == 7
    heights = [float(bar.get("height")) for bar in bars]
    assert heights[2] == max(heights)
    assert heights[1] == 0
    assert heights[0] == pytest.approx(heights[2] * 2 / 5)
    labels = [text.text for text in tree.findall(f"{ns}text")]
    assert "5" in labels
    assert "2026-11-01" in labels
    assert "2026-11-07" in labels
    empty = ElementTree.fromstring(str(bar_chart([], "t", "d")))  # noqa: S314
    assert empty.findall(f"{ns}g/{ns}rect") == []
