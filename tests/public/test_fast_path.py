"""The landing page's fast path: a cached page answered before Flask, exactly as Flask would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from support import VALID, hidden_inputs

from leadpages.extensions import db
from leadpages.leads.models import Lead
from leadpages.visits.models import VisitTotal


@pytest.fixture
def cached(app: Any) -> Iterator[None]:
    app.config["PAGE_CACHE_SECONDS"] = 60
    yield
    app.config["PAGE_CACHE_SECONDS"] = 0


def served_by_fast_path(app: Any, monkeypatch: Any) -> list[str]:
    """Record which requests reach Flask's view: the fast path answers the others."""
    from leadpages.public import views

    seen: list[str] = []
    original = views.pages.cached_landing

    def spy(lang: str, slug: str) -> Any:
        seen.append(f"{lang}/{slug}")
        return original(lang, slug)

    monkeypatch.setattr(views.pages, "cached_landing", spy)
    return seen


@pytest.mark.usefixtures("cached")
def test_second_view_is_answered_before_flask_and_alike(app: Any, client: Any,
                                                        make_project: Any,
                                                        monkeypatch: Any) -> None:
    project = make_project()
    reached_flask = served_by_fast_path(app, monkeypatch)
    first = client.get(f"/en/p/{project.slug}?c=one")
    second = app.test_client().get(f"/en/p/{project.slug}?utm_campaign=two")
    assert reached_flask == [f"en/{project.slug}"]  # only the first, which filled the cache
    for response in (first, second):
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "private, no-cache"
        assert response.headers.getlist("Set-Cookie")[0].startswith("lp_form=")
    one, two = (hidden_inputs(r.get_data(as_text=True)) for r in (first, second))
    assert (one["c"], two["c"]) == ("one", "two")
    assert one["token"] != two["token"]
    assert first.get_data(as_text=True).count("<form") == 1


@pytest.mark.usefixtures("cached")
def test_fast_path_token_sends_a_lead_and_counts_visits(app: Any, client: Any,
                                                        make_project: Any) -> None:
    project = make_project()
    client.get(f"/en/p/{project.slug}")  # fills the cache
    page = client.get(f"/en/p/{project.slug}?c=%3Cb%3E")  # from the fast path; code refused
    assert "Set-Cookie" not in page.headers  # the browser has its cookie already
    assert "<b>" not in page.get_data(as_text=True)
    data = {**hidden_inputs(page.get_data(as_text=True)), **VALID}
    assert client.post(f"/en/p/{project.slug}", data=data).status_code == 303
    assert client.head(f"/en/p/{project.slug}").status_code == 200
    with app.app_context():
        assert db.session.scalars(select(Lead)).one().campaign_code is None
        totals = list(db.session.scalars(select(VisitTotal)))
        assert sum(t.count for t in totals) == 2  # two GETs; HEAD is not a visit


@pytest.mark.usefixtures("cached")
def test_other_requests_go_to_flask(app: Any, client: Any, make_project: Any,
                                    monkeypatch: Any) -> None:
    project = make_project(languages=["nl"])
    client.get(f"/nl/p/{project.slug}")
    reached_flask = served_by_fast_path(app, monkeypatch)
    assert client.get(f"/en/p/{project.slug}").status_code == 302  # not in that language
    assert client.get(f"/xx/p/{project.slug}").status_code == 404
    assert client.get(f"/nl/p/{project.slug}/thanks").status_code == 200
    assert client.post(f"/nl/p/{project.slug}", data=VALID).status_code == 422
    assert reached_flask == [f"en/{project.slug}"]
