"""Results of a project (or one of its campaigns) over a period: visits, leads, deliveries.

Visits are the anonymous daily totals (visits.models.VisitTotal). A lead counts once however
often the person sent the form (duplicates are merged into one lead at intake), on the UTC day it
was captured, whatever became of it since: an erased or restricted lead was still a lead the
campaign brought, and its row keeps nothing personal that this counts. Leads and visits are
attributed to a campaign only by the code of an existing campaign of the project; anything else
is "no campaign". Dates are grouped in Python, so the SQL is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpages.campaigns.models import Campaign
from leadpages.db import utcnow
from leadpages.delivery.models import Delivery
from leadpages.leads.models import Lead
from leadpages.projects.models import Project
from leadpages.visits.models import VisitTotal

DEFAULT_DAYS = 30
MAX_DAYS = 366
PRESETS = (7, 30, 90)


class PeriodError(ValueError):
    """A period that cannot be shown; the message says what to fix."""


@dataclass(frozen=True)
class Period:
    """The days from `start` to `end`, both included (UTC)."""

    start: date
    end: date

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def until(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)


def last_days(days: int, today: date | None = None) -> Period:
    """The `days` days up to and including today (UTC)."""
    end = today or utcnow().date()
    return Period(end - timedelta(days=days - 1), end)


def parse_period(start: str | None, end: str | None, today: date | None = None) -> Period:
    """The period from two `YYYY-MM-DD` texts (empty: the last 30 days), or PeriodError."""
    start_text, end_text = (start or "").strip(), (end or "").strip()
    default = last_days(DEFAULT_DAYS, today)
    try:
        first = date.fromisoformat(start_text) if start_text else None
        last = date.fromisoformat(end_text) if end_text else None
    except ValueError:
        raise PeriodError(_l("Enter the dates as year-month-day, such as 2026-11-01.")) from None
    if last is None:
        last = first + timedelta(days=DEFAULT_DAYS - 1) if first else default.end
    if first is None:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise PeriodError(_l("The end date must be on or after the start date."))
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(_l("Choose a period of at most %(days)d days.", days=MAX_DAYS))
    return Period(first, last)


def percent(part: int, whole: int) -> float | None:
    """`part` of `whole` as a percentage, or None when there is no whole."""
    return None if whole <= 0 else 100.0 * part / whole


@dataclass
class Row:
    """One line of the per-campaign table; `campaign` is None for "no campaign"."""

    campaign: Campaign | None
    visits: int = 0
    leads: int = 0

    @property
    def conversion(self) -> float | None:
        return percent(self.leads, self.visits)


@dataclass
class Results:
    """The figures of one project, or one campaign, over a period."""

    project: Project
    campaign: Campaign | None
    period: Period
    visits: int = 0
    leads: int = 0
    visits_per_day: dict[date, int] = field(default_factory=dict)
    leads_per_day: dict[date, int] = field(default_factory=dict)
    deliveries: int = 0
    delivered: int = 0
    rows: list[Row] = field(default_factory=list)

    @property
    def conversion(self) -> float | None:
        """Leads per visit, in percent; None without visits."""
        return percent(self.leads, self.visits)

    @property
    def delivery_success(self) -> float | None:
        """Deliveries of these leads that arrived, in percent; None without deliveries."""
        return percent(self.delivered, self.deliveries)

    @property
    def days(self) -> list[tuple[date, int, int]]:
        """Every day of the period with its visits and leads, zeros included."""
        return [(day, self.visits_per_day.get(day, 0), self.leads_per_day.get(day, 0))
                for day in self.period.days]


def results(session: Session, project: Project, period: Period,
            campaign: Campaign | None = None) -> Results:
    """The figures of `project` (or only `campaign` of it) over `period`."""
    campaigns = list(session.scalars(select(Campaign).where(Campaign.project_id == project.id)
                                     .order_by(Campaign.name, Campaign.id)))
    by_code = {c.code.lower(): c for c in campaigns}
    rows: dict[int | None, Row] = {c.id: Row(c) for c in campaigns}
    rows[None] = Row(None)

    def attributed(code: str | None) -> Campaign | None:
        return by_code.get(code.lower()) if code else None

    result = Results(project, campaign, period)
    visits = select(VisitTotal.day, VisitTotal.campaign_code, func.sum(VisitTotal.count)).where(
        VisitTotal.project_id == project.id, VisitTotal.day >= period.start,
        VisitTotal.day <= period.end,
    ).group_by(VisitTotal.day, VisitTotal.campaign_code)
    if campaign is not None:
        visits = visits.where(VisitTotal.campaign_code == campaign.code)
    per_day: Counter[date] = Counter()
    for day, code, count in session.execute(visits):
        owner = attributed(code)
        rows[owner.id if owner else None].visits += int(count or 0)
        per_day[day] += int(count or 0)
    result.visits_per_day = dict(per_day)

    leads = select(Lead.id, Lead.campaign_code, Lead.created_at).where(
        Lead.project_id == project.id, Lead.created_at >= period.since,
        Lead.created_at < period.until,
    )
    if campaign is not None:
        leads = leads.where(func.lower(Lead.campaign_code) == campaign.code.lower())
    lead_days: Counter[date] = Counter()
    for _lead_id, lead_code, created_at in session.execute(leads):
        owner = attributed(lead_code)
        rows[owner.id if owner else None].leads += 1
        lead_days[created_at.astimezone(UTC).date()] += 1
    result.leads_per_day = dict(lead_days)
    result.visits, result.leads = sum(per_day.values()), sum(lead_days.values())

    # Deliveries of these very leads (the first message, not later notices about them).
    delivered = select(Delivery.status, func.count()).where(
        Delivery.kind == "lead.created", Delivery.lead_id.in_(leads.with_only_columns(Lead.id)),
    ).group_by(Delivery.status)
    for status, count in session.execute(delivered):
        result.deliveries += int(count)
        if status == "delivered":
            result.delivered += int(count)

    if campaign is not None:
        result.rows = [rows[campaign.id]]
    else:
        result.rows = [*(rows[c.id] for c in campaigns), rows[None]]
    return result


def default_project(session: Session) -> Project | None:
    """The project a results page opens on: the first that has leads, else the first one."""
    with_leads = session.scalar(select(Project).where(Project.id.in_(select(Lead.project_id)))
                                .order_by(Project.id).limit(1))
    return with_leads or session.scalar(select(Project).order_by(Project.id).limit(1))


#: A text cell starting with one of these is read as a formula by spreadsheet programs (as
#: leadpages.portal.export.FORMULA_STARTS; a domain module may not import a surface).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """A CSV cell: text that would start a formula gets a leading single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(rows: list[list[object]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


def _percent_text(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def days_csv(result: Results) -> str:
    """The figures per day as CSV: date, visits, leads."""
    return _csv([["date", "visits", "leads"],
                 *([day.isoformat(), visits, leads] for day, visits, leads in result.days)])


def campaigns_csv(result: Results) -> str:
    """The per-campaign table as CSV; "no campaign" has empty name, channel and code."""
    return _csv([["campaign", "channel", "code", "visits", "leads", "conversion_percent"],
                 *([row.campaign.name if row.campaign else "",
                    row.campaign.channel if row.campaign else "",
                    row.campaign.code if row.campaign else "",
                    row.visits, row.leads, _percent_text(row.conversion)]
                   for row in result.rows)])
