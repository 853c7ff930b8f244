"""API keys (shown once, listed, revoked) and the arrangement in force."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from support import text_of

from leadpages.accounts import apikeys
from leadpages.accounts.models import ApiKey
from leadpages.extensions import db


@pytest.fixture
def signed_in(browser: Any, make_user: Any, make_partner: Any) -> Any:
    partner = make_partner()
    browser.signed_in_as(make_user(partner))
    browser.partner = partner
    return browser


def keys_of(app: Any, partner_id: int) -> list[ApiKey]:
    with app.app_context():
        return list(db.session.scalars(select(ApiKey).where(ApiKey.partner_id == partner_id)))


def test_a_new_key_is_shown_once_and_works(app: Any, signed_in: Any) -> None:
    response = signed_in.post("/portal/api-keys", {"name": "CRM sync"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    [key] = keys_of(app, signed_in.partner.id)
    body = response.get_data(as_text=True)
    start = body.index(key.prefix)
    plain = body[start:body.index('"', start)]
    assert plain.startswith("lp_")
    assert len(plain) > 40
    with app.app_context():
        found = apikeys.authenticate(db.session, plain)
        assert found is not None
        assert found.id == key.id
    listing = signed_in.get("/portal/api-keys").get_data(as_text=True)
    assert "CRM sync" in listing
    assert f"{key.prefix}…" in listing
    assert plain not in listing


def test_a_key_needs_a_name(app: Any, signed_in: Any) -> None:
    response = signed_in.post("/portal/api-keys", {"name": "  "})
    assert response.status_code == 422
    assert 'id="name-error"' in response.get_data(as_text=True)
    too_long = signed_in.post("/portal/api-keys", {"name": "k" * 81})
    assert too_long.status_code == 422
    assert "k" * 81 in too_long.get_data(as_text=True)
    assert keys_of(app, signed_in.partner.id) == []


def test_revoking_a_key_stops_it(app: Any, signed_in: Any, session: Any) -> None:
    key, plain = apikeys.issue_key(session, signed_in.partner, "Old CRM")
    session.flush()
    response = signed_in.post(f"/portal/api-keys/{key.id}/revoke")
    assert response.status_code == 303
    assert response.headers["Location"] == "/portal/api-keys"
    with app.app_context():
        assert apikeys.authenticate(db.session, plain) is None
    page = signed_in.get("/portal/api-keys")
    assert "is revoked" in text_of(page)
    assert f"/portal/api-keys/{key.id}/revoke" not in page.get_data(as_text=True)


def test_only_own_keys_are_listed(signed_in: Any, session: Any, make_partner: Any) -> None:
    apikeys.issue_key(session, signed_in.partner, "Mine")
    apikeys.issue_key(session, make_partner(), "Theirs")
    session.flush()
    body = text_of(signed_in.get("/portal/api-keys"))
    assert "Mine" in body
    assert "Theirs" not in body


def test_arrangement_page_shows_the_version_in_force(signed_in: Any, session: Any) -> None:
    from leadpages.arrangements.services import in_force

    arrangement = in_force(session, signed_in.partner.id)
    assert arrangement is not None
    page = signed_in.get("/portal/arrangement")
    assert page.status_code == 200
    body = text_of(page)
    assert f"Version {arrangement.version}" in body
    assert "Piet Partner, Director" in body
    assert "Olivia Operator, CEO" in body
    assert arrangement.digest in body
    for text in arrangement.essence.values():
        assert text[:60] in page.get_data(as_text=True)
    assert arrangement.signed_at.strftime("%Y-%m-%d %H:%M UTC") in body
    assert "No arrangement is in force" not in body


def test_arrangement_page_says_clearly_when_there_is_none(browser: Any, make_user: Any,
                                                         make_partner: Any) -> None:
    browser.signed_in_as(make_user(make_partner(arrangement=False)))
    page = browser.get("/portal/arrangement")
    assert page.status_code == 200
    body = text_of(page)
    assert "No arrangement is in force" in body
    assert "your project pages take no requests" in body
