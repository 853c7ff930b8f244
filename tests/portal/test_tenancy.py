"""The tenant seal (DESIGN.md rule 7) over every route of the portal, found from the URL map.

A route added later is checked without anyone remembering to: an anonymous visitor must be sent
to sign-in, and a route with an id must answer 404 to partner A for partner B's object. A route
with a parameter this test does not know fails until its partner-B object is added below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

from leadpages.accounts import apikeys
from leadpages.accounts.models import ApiKey
from leadpages.delivery.models import Delivery
from leadpages.extensions import db

#: The only pages open without signing in.
PUBLIC = {"portal.sign_in", "portal.forgot_password", "portal.reset_password"}
#: Values for the public pages' parameters (not ids of anything a partner owns).
PUBLIC_VALUES = {"token": "not-a-token"}
SIGN_IN = "/portal/sign-in"


def portal_rules(app: Flask) -> list[Rule]:
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("portal.")]
    assert len(rules) >= 15, "the portal's routes were not found"
    return sorted(rules, key=lambda rule: rule.rule)


def methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


@dataclass
class Tenant:
    """One partner with a user and one object of every kind a route can name."""

    partner: Any
    user: Any
    values: dict[str, Any]
    markers: list[str]


@pytest.fixture
def tenants(session: Any, make_partner: Any, make_project: Any, make_user: Any,
            make_lead: Any, make_dead_letter: Any) -> tuple[Tenant, Tenant]:
    made = []
    for name in ("alpha", "bravo"):
        partner = make_partner(webhook_url=f"http://127.0.0.1:9/{name}-hook",
                               email_recipients=[f"inbox@{name}.example"])
        project = make_project(partner=partner, slug=f"{name}-residence")
        lead = make_lead(project, first_name=f"{name.title()}first",
                         last_name=f"{name.title()}last", email=f"buyer@{name}-mail.example")
        dead = make_dead_letter(lead)
        key, _plain = apikeys.issue_key(session, partner, f"{name} key")
        user = make_user(partner, email=f"user@{name}.example")
        session.flush()
        made.append(Tenant(
            partner=partner, user=user,
            values={"public_id": lead.public_id, "delivery_id": dead.id, "key_id": key.id},
            markers=[lead.public_id, lead.email, f"{name.title()}last", f"{name}-hook",
                     f"inbox@{name}.example", f"{name} key", key.prefix, f"{name}-residence",
                     partner.legal_name],
        ))
    return made[0], made[1]


def url_for_rule(rule: Rule, values: dict[str, Any]) -> str:
    arguments = {}
    for name in rule.arguments:
        if name in values:
            arguments[name] = values[name]
        elif rule.endpoint in PUBLIC and name in PUBLIC_VALUES:
            arguments[name] = PUBLIC_VALUES[name]
        else:
            pytest.fail(f"{rule.rule} has a parameter <{name}> that the tenancy test does not "
                        "know: add an object of partner B for it to the `tenants` fixture")
    _domain, path = rule.build(arguments, append_unknown=False)  # type: ignore[misc]
    return path


def test_every_route_but_sign_in_and_reset_needs_a_signed_in_user(
    app: Flask, browser: Any, tenants: tuple[Tenant, Tenant]
) -> None:
    own, _other = tenants
    checked = 0
    for rule in portal_rules(app):
        if rule.endpoint in PUBLIC:
            continue
        url = url_for_rule(rule, own.values)
        for method in methods(rule):
            response = (browser.get(url) if method == "GET"
                        else browser.post(url) if method == "POST"
                        else browser.client.open(url, method=method))
            assert response.status_code in (302, 303), (method, rule.rule)
            assert response.headers["Location"].startswith(SIGN_IN), (method, rule.rule)
            checked += 1
    assert checked >= 15


def test_public_pages_open_without_signing_in(app: Flask, browser: Any) -> None:
    for rule in portal_rules(app):
        if rule.endpoint not in PUBLIC:
            continue
        response = browser.get(url_for_rule(rule, {}))
        assert response.status_code in (200, 400), rule.rule  # 400: the bogus reset token
        assert response.headers["Cache-Control"] == "no-store"


def test_ids_of_another_partner_are_not_found(app: Flask, browser: Any,
                                              tenants: tuple[Tenant, Tenant]) -> None:
    own, other = tenants
    browser.signed_in_as(own.user)
    checked = 0
    for rule in portal_rules(app):
        if rule.endpoint in PUBLIC or not rule.arguments:
            continue
        theirs = url_for_rule(rule, other.values)
        mine = url_for_rule(rule, own.values)
        for method in methods(rule):
            send = browser.get if method == "GET" else browser.post
            refused = send(theirs)
            assert refused.status_code == 404, (method, rule.rule)
            body = refused.get_data(as_text=True)
            for marker in other.markers:
                assert marker not in body, (method, rule.rule, marker)
            # The same route with partner A's own object is found: the 404 above is the seal,
            # not a broken URL.
            assert send(mine).status_code != 404, (method, rule.rule)
            checked += 1
    assert checked >= 4


ID_ARGUMENT = re.compile(r"<(?:[^:>]+:)?(delivery_id|key_id)>")


def test_ids_no_database_integer_can_hold_are_not_found(app: Flask, browser: Any,
                                                         tenants: tuple[Tenant, Tenant]) -> None:
    own, _other = tenants
    browser.signed_in_as(own.user)
    checked = 0
    for rule in portal_rules(app):
        if rule.endpoint in PUBLIC or not ID_ARGUMENT.search(rule.rule):
            continue
        for number in ("99999999999999999999", str(2**31), str(2**63), "0"):
            url = ID_ARGUMENT.sub(number, rule.rule)
            for method in methods(rule):
                send = browser.get if method == "GET" else browser.post
                assert send(url).status_code == 404, (method, url)
                checked += 1
    assert checked >= 12  # a delivery, its replay and a key's revocation, four numbers each


def test_no_page_shows_another_partners_data(app: Flask, browser: Any,
                                             tenants: tuple[Tenant, Tenant]) -> None:
    own, other = tenants
    browser.signed_in_as(own.user)
    seen = 0
    for rule in portal_rules(app):
        if rule.endpoint in PUBLIC or "GET" not in methods(rule):
            continue
        url = url_for_rule(rule, own.values)
        for query in ("", "?status=dead", f"?q={other.markers[2]}",
                      f"?project={other.markers[-2]}"):
            response = browser.get(url + query, follow_redirects=True)
            body = response.get_data(as_text=True)
            # What was typed into the search box is shown back in it, and only that.
            for marker in (m for m in other.markers if m not in query):
                assert marker not in body, (rule.rule, query, marker)
            seen += 1
    assert seen >= 10
    # The partner's own data does show, so the check above looks at real pages.
    leads = browser.get("/portal/leads").get_data(as_text=True)
    assert own.markers[2] in leads
    export = browser.get("/portal/leads/export.csv").get_data(as_text=True)
    assert own.markers[1] in export


def test_another_partners_objects_stay_unchanged(app: Flask, browser: Any,
                                                 tenants: tuple[Tenant, Tenant]) -> None:
    own, other = tenants
    browser.signed_in_as(own.user)
    assert browser.post(f"/portal/deliveries/{other.values['delivery_id']}/replay"
                        ).status_code == 404
    assert browser.post(f"/portal/api-keys/{other.values['key_id']}/revoke").status_code == 404
    with app.app_context():
        delivery = db.session.get(Delivery, other.values["delivery_id"])
        key = db.session.get(ApiKey, other.values["key_id"])
        assert delivery is not None
        assert delivery.status == "dead"
        assert key is not None
        assert key.revoked_at is None
        # Partner B's settings too: partner A's forms only ever change partner A.
        browser.post("/portal/settings/email", {"recipients": "new@alpha.example"})
        browser.post("/portal/settings/webhook/rotate")
        browser.post("/portal/api-keys", {"name": "alpha two"})
        db.session.expire_all()
        partner_b = other.partner.__class__
        fresh = db.session.get(partner_b, other.partner.id)
        assert fresh.email_recipients == ["inbox@bravo.example"]
        assert fresh.webhook_secrets == other.partner.webhook_secrets
        assert db.session.scalars(select(ApiKey).where(
            ApiKey.partner_id == other.partner.id)).all() == [key]
