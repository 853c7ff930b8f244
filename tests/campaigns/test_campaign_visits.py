"""Visit totals keep only the codes of existing campaigns of the project visited."""

from __future__ import annotations

from collections import Counter
from datetime import date

from leadpages.extensions import db
from leadpages.visits.models import VisitTotal
from leadpages.visits.services import resolve_codes


def _totals(app, project_id):
    with app.app_context():
        return {row.campaign_code: row.count
                for row in db.session.query(VisitTotal).filter_by(project_id=project_id)}


def test_unknown_codes_count_as_no_campaign(client, app, make_campaign, make_project):
    campaign = make_campaign()
    project = campaign.project
    other = make_campaign(make_project())
    client.get(f"/en/p/{project.slug}?c={campaign.code}")
    client.get(f"/nl/p/{project.slug}?c={campaign.code.upper()}")  # typed in capitals
    client.get(f"/en/p/{project.slug}?utm_campaign={campaign.code}")
    client.get(f"/en/p/{project.slug}?c=made-up-code")
    client.get(f"/en/p/{project.slug}?c=junk-{'x' * 40}")
    client.get(f"/en/p/{project.slug}?c={other.code}")  # another project's campaign
    client.get(f"/en/p/{project.slug}")
    assert _totals(app, project.id) == {campaign.code: 3, "": 4}


def test_codes_are_resolved_once_per_batch(session, make_campaign):
    campaign = make_campaign()
    day = date(2026, 11, 20)
    pid = campaign.project_id
    counts = Counter({(day, pid, campaign.code): 2, (day, pid, "nope"): 5, (day, pid, ""): 1,
                      (day, pid + 1, campaign.code): 7})
    assert resolve_codes(session, counts) == Counter({(day, pid, campaign.code): 2,
                                                      (day, pid, ""): 6, (day, pid + 1, ""): 7})
