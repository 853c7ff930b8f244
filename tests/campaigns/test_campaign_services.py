"""Campaigns: codes, UTM defaults, checks, tracking links, and which codes are known."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from leadpages.campaigns import services as campaigns
from leadpages.campaigns.models import Campaign
from leadpages.campaigns.services import CampaignError, CampaignInput


@pytest.mark.parametrize(("channel", "source", "medium"), [
    ("meta", "facebook", "paid_social"),
    ("google", "google", "cpc"),
    ("newsletter", "newsletter", "email"),
    ("other", "other", "referral"),
])
def test_a_channel_gives_its_utm_defaults_and_a_code(make_campaign, make_project, channel,
                                                      source, medium):
    project = make_project(slug="residentie-parkzicht")
    campaign = make_campaign(project, name="Lente Open Huis – Gent!", channel=channel)
    assert (campaign.utm_source, campaign.utm_medium) == (source, medium)
    assert campaign.utm_campaign == "lente-open-huis-gent"
    assert campaign.utm_content is None
    assert re.fullmatch(rf"residentie-parkzicht-{channel}-[a-z0-9]{{6}}", campaign.code)


def test_codes_are_unique_short_and_lower_case(make_campaign, make_project):
    project = make_project(slug="a-very-long-project-slug-that-goes-on-and-on-and-on-forever-x")
    codes = {make_campaign(project, channel="google").code for _ in range(5)}
    assert len(codes) == 5
    for code in codes:
        assert code == code.lower()
        assert len(code) <= 64
        assert re.fullmatch(r"[a-z0-9-]+", code)
        assert code.startswith("a-very-long-project-")


def test_utm_values_given_are_kept(make_campaign):
    campaign = make_campaign(name="Autumn", channel="meta", utm_source="instagram",
                             utm_medium="story", utm_campaign="autumn_2026", utm_content="v2")
    assert (campaign.utm_source, campaign.utm_medium, campaign.utm_campaign,
            campaign.utm_content) == ("instagram", "story", "autumn_2026", "v2")


@pytest.mark.parametrize(("values", "field"), [
    ({"name": "  "}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"channel": "tiktok"}, "channel"),
    ({"starts_on": "2026-12-01", "ends_on": "2026-11-01"}, "ends_on"),
    ({"utm_source": "face book"}, "utm_source"),
    ({"utm_content": "<script>"}, "utm_content"),
])
def test_bad_input_is_refused_and_nothing_is_written(app, session, make_project, values,
                                                     field):
    from datetime import date
    project = make_project()
    data = {"name": "Spring", "channel": "meta", **values}
    for key in ("starts_on", "ends_on"):
        if key in data:
            data[key] = date.fromisoformat(data[key])
    before = session.scalar(select(func.count()).select_from(Campaign))
    with app.app_context(), pytest.raises(CampaignError) as refused:
        campaigns.create_campaign(session, project, CampaignInput(**data))
    assert refused.value.field == field
    assert str(refused.value)
    assert session.scalar(select(func.count()).select_from(Campaign)) == before


def test_an_update_keeps_the_code(app, session, make_campaign):
    campaign = make_campaign(name="Spring", channel="meta")
    code = campaign.code
    with app.app_context():
        campaigns.update_campaign(session, campaign, CampaignInput(name="Summer", channel="google"))
    assert (campaign.name, campaign.channel, campaign.code) == ("Summer", "google", code)
    assert (campaign.utm_source, campaign.utm_campaign) == ("google", "summer")


def test_tracking_links_carry_the_code_and_utm_values(app, make_campaign):
    campaign = make_campaign(name="Spring", utm_content="blue ad".replace(" ", "-"))
    with app.app_context():
        negotiated = campaigns.tracking_link(campaign)
        dutch = campaigns.tracking_link(campaign, "nl")
    base = app.config["BASE_URL"].rstrip("/")
    assert negotiated.startswith(f"{base}/p/{campaign.project.slug}?")
    assert dutch.startswith(f"{base}/nl/p/{campaign.project.slug}?")
    query = parse_qs(urlsplit(dutch).query)
    assert query == {"c": [campaign.code], "utm_source": ["facebook"],
                     "utm_medium": ["paid_social"], "utm_campaign": ["spring"],
                     "utm_content": ["blue-ad"]}


def test_known_codes_are_those_of_existing_campaigns(session, make_campaign, make_project):
    campaign = make_campaign()
    other = make_project()
    assert campaigns.known_code(session, campaign.code) == campaign.code
    assert campaigns.known_code(session, campaign.code.upper()) == campaign.code
    assert campaigns.known_code(session, campaign.code, campaign.project_id) == campaign.code
    assert campaigns.known_code(session, campaign.code, other.id) is None
    assert campaigns.known_code(session, "spring-meta") is None
    assert campaigns.known_code(session, None) is None
    many = [f"junk-{n}" for n in range(1200)] + [campaign.code]
    assert campaigns.known_codes(session, many) == {
        campaign.code: (campaign.code, campaign.project_id)}
