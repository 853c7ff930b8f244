"""Campaign and results pages: create, links, creatives, bundle, dashboard, CSV, roles."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from leadpages.campaigns import services as campaigns
from leadpages.campaigns.models import Campaign
from leadpages.db import utcnow
from leadpages.media.images import store_photo
from leadpages.projects.models import ProjectPhoto
from leadpages.visits.models import VisitTotal


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(Campaign))


def _campaign(app, session, project, **values) -> Campaign:
    with app.app_context():
        return campaigns.create_campaign(session, project, campaigns.CampaignInput(
            name=values.pop("name", "Spring open house"), channel=values.pop("channel", "meta"),
            **values))


def _photo(app, session, project, size=(1600, 2400)) -> None:
    stored = store_photo(Image.new("RGB", size, (90, 140, 90)), app.config["UPLOAD_PATH"])
    project.photos = [ProjectPhoto(key=stored.key, width=stored.width, height=stored.height,
                                   widths=stored.widths, alt={}, focus_x=0.4, focus_y=0.6)]
    session.flush()


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_a_marketer_creates_a_campaign_and_sees_its_links(marketer, session, make_project):
    project = make_project()
    page = marketer.get(f"/admin/campaigns/new?project={project.id}")
    assert page.status_code == 200
    assert f'<option selected value="{project.id}">' in page.get_data(as_text=True)
    sent = marketer.post("/admin/campaigns/new", {
        "project_id": project.id, "channel": "google", "name": "Autumn search",
        "starts_on": "2026-11-01", "ends_on": "2026-12-31", "utm_source": "",
        "utm_medium": "", "utm_campaign": "", "utm_content": "text-ad-1"})
    assert sent.status_code == 303, _text(sent)
    campaign = session.scalars(select(Campaign).where(Campaign.project_id == project.id)).one()
    assert sent.headers["Location"].endswith(f"/admin/campaigns/{campaign.id}")
    assert (campaign.utm_source, campaign.utm_medium, campaign.utm_campaign) == (
        "google", "cpc", "autumn-search")
    assert campaign.created_by_id == marketer.user.id
    shown = _text(marketer.get(f"/admin/campaigns/{campaign.id}"))
    assert "created" in shown
    for lang in ("nl", "fr", "en"):
        link = (f"http://127.0.0.1:8000/{lang}/p/{project.slug}?c={campaign.code}"
                "&utm_source=google&utm_medium=cpc&utm_campaign=autumn-search"
                "&utm_content=text-ad-1")
        assert f'readonly value="{link}"' in shown
    listed = _text(marketer.get(f"/admin/campaigns?project={project.id}"))
    assert "Autumn search" in listed
    assert campaign.code in listed


@pytest.mark.parametrize(("values", "message"), [
    ({"name": ""}, "Fill in this field."),
    ({"starts_on": "2026-12-01", "ends_on": "2026-11-01"},
     "The end date must be on or after the start date."),
    ({"utm_source": "face book"}, "(no spaces)"),
    ({"channel": "tiktok"}, "Not a valid choice"),
    ({"starts_on": "first of May"}, "Not a valid date value"),
])
def test_bad_input_is_refused_with_what_was_typed_kept(marketer, session, make_project, values,
                                                       message):
    project = make_project()
    before = _count(session)
    data = {"project_id": project.id, "channel": "meta", "name": "Typed name",
            "utm_medium": "kept-medium", **values}
    sent = marketer.post("/admin/campaigns/new", data)
    assert sent.status_code == 422
    page = _text(sent)
    assert message in page
    assert 'value="kept-medium"' in page
    assert _count(session) == before


def test_an_edit_keeps_the_code(app, marketer, session, make_project):
    campaign = _campaign(app, session, make_project())
    code = campaign.code
    page = marketer.get(f"/admin/campaigns/{campaign.id}/edit")
    assert page.status_code == 200
    assert campaign.name in _text(page)
    # Values equal to the channel's defaults are not shown as overrides.
    assert 'value="paid_social"' not in _text(page)
    blank = {"utm_source": "", "utm_medium": "", "utm_campaign": "", "utm_content": "",
             "starts_on": "", "ends_on": ""}
    refused = marketer.post(f"/admin/campaigns/{campaign.id}/edit", {
        "project_id": campaign.project_id, "channel": "meta", "name": "x" * 130, **blank})
    assert refused.status_code == 422
    assert "Use at most 120 characters." in _text(refused)
    sent = marketer.post(f"/admin/campaigns/{campaign.id}/edit", {
        "project_id": campaign.project_id, "channel": "newsletter", "name": "December mail",
        **blank})
    assert sent.status_code == 303
    session.refresh(campaign)
    assert (campaign.name, campaign.channel, campaign.code, campaign.utm_medium) == (
        "December mail", "newsletter", code, "email")


def test_creatives_and_the_bundle(app, marketer, session, make_project):
    project = make_project()
    _photo(app, session, project)
    campaign = _campaign(app, session, project)
    shown = _text(marketer.get(f"/admin/campaigns/{campaign.id}"))
    for fmt in ("square", "landscape", "vertical"):
        assert f"/admin/campaigns/{campaign.id}/creatives/{fmt}-1.jpg" in shown
    assert "/ 40" in shown
    assert "/ 125" in shown
    image = marketer.get(f"/admin/campaigns/{campaign.id}/creatives/landscape-1.jpg")
    data = image.data
    image.close()  # send_file's response holds the file open until closed
    assert image.status_code == 200
    assert image.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(data)) as opened:
        assert opened.size == (1200, 628)
    cached = Path(app.config["UPLOAD_PATH"]) / "creatives" / str(campaign.id)
    key = project.photos[0].key
    assert (cached / f"landscape-{key}-400-600.jpg").is_file()  # kept for the next time
    assert marketer.get(f"/admin/campaigns/{campaign.id}/creatives/square-2.jpg"
                        ).status_code == 404
    bundle = marketer.get(f"/admin/campaigns/{campaign.id}/bundle.zip")
    zipped = bundle.data
    bundle.close()
    assert bundle.status_code == 200
    assert bundle.mimetype == "application/zip"
    assert f"{campaign.code}-creatives.zip" in bundle.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        assert archive.testzip() is None
        assert {"README.txt", "manifest.json", "texts.csv", "images/square-1.jpg",
                "images/landscape-1.jpg", "images/vertical-1.jpg"} == set(archive.namelist())
        assert f"c={campaign.code}" in archive.read("README.txt").decode()


def test_the_results_page_shows_figures_chart_and_table(app, marketer, session, make_project,
                                                         submit):
    project = make_project()
    campaign = _campaign(app, session, project, name="Spring")
    submit(project, "en", f"?c={campaign.code}")  # a visit and a lead of the campaign
    submit(project, "en")  # the same person again: one lead still
    submit(project, "en", email="piet@example.com", phone="0470 99 88 77")  # no campaign
    today = utcnow().date()
    session.add(VisitTotal(day=today - timedelta(days=3), project_id=project.id,
                           campaign_code=campaign.code, count=8))
    session.flush()
    page = marketer.get(f"/admin/results?project={project.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'id="figure-visits">11<', html)
    assert re.search(r'id="figure-leads">2<', html)
    assert re.search(r'id="figure-conversion">18.2 %<', html)
    assert 'role="img"' in html
    assert "<svg" in html
    assert "<title" in html
    assert "<desc" in html
    assert "style=" not in html
    assert f"{today.isoformat()}</th><td>3</td><td>2</td>" in html  # the hidden table
    assert "No campaign" in html
    assert "Spring" in html
    one = marketer.get(f"/admin/campaigns/{campaign.id}/results")
    assert one.status_code == 200
    assert re.search(r'id="figure-visits">9<', one.get_data(as_text=True))
    assert re.search(r'id="figure-leads">1<', one.get_data(as_text=True))
    week = marketer.get(f"/admin/results?project={project.id}&days=7")
    assert week.status_code == 200
    assert (today - timedelta(days=6)).isoformat() in week.get_data(as_text=True)


def test_results_csv(app, marketer, session, make_project):
    project = make_project()
    campaign = _campaign(app, session, project, name="Spring")
    session.add(VisitTotal(day=utcnow().date(), project_id=project.id,
                           campaign_code=campaign.code, count=4))
    session.flush()
    days = marketer.get(f"/admin/results/days.csv?project={project.id}")
    assert days.status_code == 200
    assert days.mimetype == "text/csv"
    assert "attachment" in days.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(days.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["date", "visits", "leads"]
    assert len(rows) == 31
    assert rows[-1] == [utcnow().date().isoformat(), "4", "0"]
    table = marketer.get(f"/admin/results/campaigns.csv?project={project.id}"
                         f"&campaign={campaign.id}")
    rows = list(csv.reader(io.StringIO(table.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1] == ["Spring", "meta", campaign.code, "4", "0", "0.0"]


@pytest.mark.parametrize(("query", "message"), [
    ("from=2026-02-30", "Enter the dates as year-month-day"),
    ("from=2026-11-10&to=2026-11-01", "The end date must be on or after the start date."),
    ("from=2024-01-01&to=2026-01-01", "at most 366 days"),
])
def test_bad_periods_get_422(marketer, make_project, query, message):
    project = make_project()
    page = marketer.get(f"/admin/results?project={project.id}&{query}")
    assert page.status_code == 422
    assert message in _text(page)
    assert marketer.get(f"/admin/results/days.csv?project={project.id}&{query}"
                        ).status_code == 422


def test_roles(app, session, privacy_officer, admin, client, make_project):
    campaign = _campaign(app, session, make_project())
    urls = ["/admin/campaigns", "/admin/campaigns/new", f"/admin/campaigns/{campaign.id}",
            f"/admin/campaigns/{campaign.id}/bundle.zip", "/admin/results",
            f"/admin/campaigns/{campaign.id}/results", "/admin/results/days.csv"]
    for url in urls:
        assert privacy_officer.get(url).status_code == 403, url
        answer = client.get(url)
        assert answer.status_code == 303
        assert "/admin/sign-in" in answer.headers["Location"]
    assert privacy_officer.post("/admin/campaigns/new", {"name": "x"}).status_code == 403
    assert admin.get("/admin/campaigns").status_code == 200
    assert admin.get("/admin/results").status_code == 200
    assert admin.get("/admin/campaigns/99999").status_code == 404


def test_leads_with_unknown_codes_count_as_no_campaign(app, marketer, session, make_project,
                                                        submit):
    project = make_project()
    campaign = _campaign(app, session, project, name="Spring")
    submit(project, "en", "?c=made-up")
    html = marketer.get(f"/admin/results?project={project.id}").get_data(as_text=True)
    assert re.search(r'id="figure-leads">1<', html)
    table = marketer.get(f"/admin/results/campaigns.csv?project={project.id}")
    rows = list(csv.reader(io.StringIO(table.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["Spring", "meta", campaign.code, "0", "0", ""] in rows
    assert rows[-1] == ["", "", "", "1", "1", "100.0"]
