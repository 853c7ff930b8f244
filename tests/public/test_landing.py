"""The landing page: facts, form, languages, closed and unknown projects, cookies, caching."""

from __future__ import annotations

from typing import Any

from support import loaded_urls, text_of

from leadpages.campaigns.models import Campaign
from leadpages.extensions import db
from leadpages.visits.models import VisitTotal


def test_landing_page_shows_facts_partner_form_and_notice(client: Any, make_project: Any) -> None:
    project = make_project(unit_types=["apartment", "penthouse"])
    response = client.get(f"/en/p/{project.slug}")
    assert response.status_code == 200
    page = text_of(response)
    assert project.text("en").title in page
    assert "€250,000 – €450,000" in page
    assert "Apartment, Penthouse" in page
    assert "June 2028" in page
    assert project.partner.legal_name in page
    assert "Your contact: Anna Peeters" in page
    assert "Request information" in page
    assert "jointly responsible" in page
    assert "data-protection authority" in page
    body = response.get_data(as_text=True)
    assert f'href="/en/p/{project.slug}/privacy"' in body
    assert 'href="/en/privacy"' in body
    assert 'fetchpriority="high"' in body
    assert "srcset=" in body


def test_required_and_optional_fields_are_marked(client: Any, make_project: Any) -> None:
    project = make_project(optional_fields=["budget"])
    body = client.get(f"/en/p/{project.slug}").get_data(as_text=True)
    assert body.count("(required)") == 0  # marked in words, not parentheses
    for label in ("First name", "Last name", "Email", "Phone"):
        assert f'{label} <span class="tag">required</span>' in body
    assert 'Budget <span class="tag">optional</span>' in body
    assert 'name="postcode"' not in body  # not asked by this project
    assert 'name="message"' not in body


def test_page_in_each_language(client: Any, make_project: Any) -> None:
    project = make_project()
    dutch = client.get(f"/nl/p/{project.slug}")
    french = client.get(f"/fr/p/{project.slug}")
    assert '<html lang="nl">' in dutch.get_data(as_text=True)
    assert "Informatie aanvragen" in text_of(dutch)
    assert "Residentie" in text_of(dutch)
    assert '<html lang="fr">' in french.get_data(as_text=True)
    assert "Demander des informations" in text_of(french)
    assert "Résidence" in text_of(french)


def test_negotiated_address_redirects_to_browser_language(client: Any, make_project: Any) -> None:
    project = make_project()
    response = client.get(f"/p/{project.slug}?c=spring",
                          headers={"Accept-Language": "fr-BE,fr;q=0.9"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/fr/p/{project.slug}?c=spring"
    assert "Accept-Language" in response.headers["Vary"]
    other = client.get(f"/p/{project.slug}", headers={"Accept-Language": "de"})
    assert other.headers["Location"] == f"/en/p/{project.slug}"


def test_language_switcher_links_the_same_page(client: Any, make_project: Any) -> None:
    project = make_project()
    body = client.get(f"/en/p/{project.slug}").get_data(as_text=True)
    assert f'href="/nl/p/{project.slug}" hreflang="nl"' in body
    assert f'href="/fr/p/{project.slug}" hreflang="fr"' in body


def test_unknown_project_is_404_in_visitors_language(client: Any) -> None:
    response = client.get("/nl/p/bestaat-niet")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in text_of(response)
    assert client.get("/fr/p/nexiste-pas").status_code == 404
    assert "Page introuvable" in text_of(client.get("/fr/p/nexiste-pas"))


def test_draft_project_is_not_public(client: Any, make_project: Any) -> None:
    project = make_project(status="draft")
    assert client.get(f"/en/p/{project.slug}").status_code == 404


def test_closed_project_shows_page_without_form(client: Any, make_project: Any) -> None:
    project = make_project(status="closed")
    response = client.get(f"/en/p/{project.slug}")
    assert response.status_code == 200
    assert "no longer takes requests" in text_of(response)
    assert "<form" not in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


def test_only_the_form_sets_a_cookie(client: Any, make_project: Any) -> None:
    project = make_project()
    assert "Set-Cookie" not in client.get("/en/").headers
    assert "Set-Cookie" not in client.get("/en/privacy").headers
    cookies = client.get(f"/en/p/{project.slug}").headers.getlist("Set-Cookie")
    assert len(cookies) == 1
    assert cookies[0].startswith("lp_form=")
    assert "HttpOnly" in cookies[0]
    assert "SameSite=Lax" in cookies[0]


def test_page_loads_nothing_from_other_hosts(client: Any, make_project: Any) -> None:
    project = make_project()
    response = client.get(f"/en/p/{project.slug}")
    urls = loaded_urls(response.get_data(as_text=True))
    assert len(urls) > 5  # stylesheet, icon, photos in two formats and several widths
    assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "img-src 'self'" in csp


def test_visits_are_counted_per_day_project_and_campaign(
    client: Any, app: Any, session: Any, make_project: Any
) -> None:
    project = make_project()
    session.add(Campaign(project_id=project.id, name="Spring", channel="meta",
                         code="spring-meta", utm_source="facebook", utm_medium="paid_social",
                         utm_campaign="spring"))
    session.flush()
    client.get(f"/en/p/{project.slug}")
    client.get(f"/en/p/{project.slug}?c=spring-meta")
    client.get(f"/nl/p/{project.slug}?utm_campaign=spring-meta")
    client.get(f"/en/p/{project.slug}?c=%3Cscript%3E")  # not a code: counted as none
    client.get(f"/en/p/{project.slug}?c=autumn-meta")  # no such campaign: counted as none
    with app.app_context():
        totals = {
            row.campaign_code: row.count
            for row in db.session.query(VisitTotal).filter_by(project_id=project.id)
        }
    assert totals == {"": 3, "spring-meta": 2}


def test_a_visit_stores_nothing_about_the_visitor(client: Any, app: Any, make_project: Any) -> None:
    project = make_project()
    client.get(f"/en/p/{project.slug}", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    with app.app_context():
        row = db.session.query(VisitTotal).filter_by(project_id=project.id).one()
        assert set(VisitTotal.__table__.columns.keys()) == {
            "id", "day", "project_id", "campaign_code", "count"
        }
        assert row.count == 1


def test_index_lists_published_projects_only(client: Any, make_project: Any) -> None:
    shown = make_project()
    hidden = make_project(status="draft")
    closed = make_project(status="closed")
    page = text_of(client.get("/en/"))
    assert shown.text("en").title in page
    assert hidden.text("en").title not in page
    assert closed.text("en").title not in page
    root = client.get("/", headers={"Accept-Language": "nl"})
    assert shown.text("nl").title in text_of(root)


def test_project_privacy_page_names_both_controllers(client: Any, make_project: Any) -> None:
    project = make_project()
    page = text_of(client.get(f"/en/p/{project.slug}/privacy"))
    assert project.partner.legal_name in page
    assert project.partner.privacy_email in page
    assert "joint controllers" in page


def test_static_files_are_cached_for_a_year(client: Any) -> None:
    body = client.get("/en/").get_data(as_text=True)
    href = body.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    assert "?v=" in href
    with client.get(href) as response:
        assert response.status_code == 200
        assert "max-age=31536000" in response.headers["Cache-Control"]


def test_page_cache_serves_fresh_tokens(app: Any, client: Any, make_project: Any) -> None:
    from support import hidden_inputs

    project = make_project()
    app.config["PAGE_CACHE_SECONDS"] = 60
    try:
        first = hidden_inputs(client.get(f"/en/p/{project.slug}?c=one").get_data(as_text=True))
        other = app.test_client()
        second = hidden_inputs(other.get(f"/en/p/{project.slug}?c=two").get_data(as_text=True))
    finally:
        app.config["PAGE_CACHE_SECONDS"] = 0
    assert first["c"] == "one"
    assert second["c"] == "two"
    assert first["token"] != second["token"]
    assert "@@" not in first["token"] + first["c"]


def test_redirect_keeps_only_campaign_values(client: Any, make_project: Any) -> None:
    project = make_project()
    response = client.get(f"/p/{project.slug}?lang=fr&_anchor=x&c=spring&utm_source=meta&x=1",
                          headers={"Accept-Language": "nl"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/nl/p/{project.slug}?c=spring&utm_source=meta"
