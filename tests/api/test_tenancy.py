"""The tenant seal (DESIGN.md rule 7) over every route of the API, found from the URL map.

A route added later is checked here without anyone listing it: it needs a key, and an object of
another partner named in its URL does not exist for the caller. A route that takes an argument
this test cannot fill, or a new kind of route (a write without an id), fails until it is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from leadpages.api import views
from leadpages.db import utcnow
from leadpages.delivery.models import Delivery
from leadpages.leads.models import Lead

#: The only endpoint anyone may call without a key.
PUBLIC = {"api.openapi"}
#: OPTIONS is answered by Flask from the URL map alone (the allowed methods), never from data.
AUTOMATIC = {"OPTIONS"}
#: Writes without an id, each sealed by tests of its own: POST /objections answers the same
#: whoever the person is (tests/api/test_objections_api.py).
SEALED_ELSEWHERE = {"api.record_objection"}


@dataclass
class Tenant:
    key: str
    lead: Lead
    delivery: Delivery
    secrets: list[str]  # strings of this tenant's that must never appear in another's answer


@pytest.fixture
def tenants(make_partner: Any, make_project: Any, make_lead: Any, make_key: Any,
            deliveries_of: Any, session: Session) -> tuple[Tenant, Tenant]:
    made = []
    for name in ("a", "b"):
        partner = make_partner(webhook_url=f"https://crm.{name}.example/hook")
        project = make_project(partner=partner, slug=f"project-of-{name}")
        lead = make_lead(project, at=utcnow() - timedelta(hours=1), email=f"buyer@{name}.example",
                         campaign=f"campaign-{name}")
        rows = deliveries_of(lead)
        for row in rows:
            row.status, row.last_error = "dead", f"receiver of {name} said 410"
        session.flush()
        secrets = [lead.public_id, lead.email, project.slug, f"campaign-{name}",
                   *(row.message_id for row in rows)]
        made.append(Tenant(make_key(partner), lead, rows[0], secrets))
    return made[0], made[1]


def api_rules(app: Flask) -> list[Rule]:
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")]
    assert len(rules) >= 5
    return rules


def url_of(rule: Rule, owner: Tenant) -> str:
    """The rule's URL naming `owner`'s objects."""
    objects = {"lead_id": owner.lead.public_id, "delivery_id": owner.delivery.id}
    unknown = set(rule.arguments) - set(objects)
    assert not unknown, f"{rule.rule}: give this test an object of each tenant for {unknown}"
    built = rule.build({name: objects[name] for name in rule.arguments})
    assert built is not None
    return built[1]


def auth(tenant: Tenant) -> dict[str, str]:
    return {"Authorization": f"Bearer {tenant.key}"}


def test_the_public_endpoints_are_exactly_the_document() -> None:
    assert set(views.PUBLIC) == PUBLIC


def test_every_route_but_the_document_needs_a_key(app: Flask, client: Any,
                                                  tenants: tuple[Tenant, Tenant]) -> None:
    _a, b = tenants
    for rule in api_rules(app):
        url = url_of(rule, b)
        for method in sorted(rule.methods or ()):
            response = client.open(url, method=method)
            if rule.endpoint in PUBLIC:
                assert response.status_code == 200, (method, url)
            else:
                assert response.status_code == 401, (method, url, response.status_code)
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
                if method != "HEAD":
                    assert response.get_json()["error"]["code"] == "unauthorized"


def test_another_partners_objects_do_not_exist(app: Flask, client: Any,
                                               tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    checked = 0
    for rule in api_rules(app):
        if not rule.arguments:
            continue
        url = url_of(rule, b)
        methods = sorted((rule.methods or set()) - AUTOMATIC)
        for method in methods:
            response = client.open(url, method=method, headers=auth(a))
            assert response.status_code == 404, (method, url, response.status_code)
            if method != "HEAD":
                assert response.get_json()["error"]["code"] == "not_found"
            checked += 1
        # The owner reaches the very same URL: the 404 above is the seal, not a bad address.
        for method in methods:
            response = client.open(url, method=method, headers=auth(b))
            assert response.status_code in (200, 202), (method, url, response.status_code)
    assert checked >= 3  # lead (GET, HEAD) and replay (POST) at least


def test_lists_show_only_the_callers_own(app: Flask, client: Any,
                                         tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    for rule in api_rules(app):
        if rule.arguments or rule.endpoint in PUBLIC | SEALED_ELSEWHERE:
            continue
        assert (rule.methods or set()) - AUTOMATIC <= {"GET", "HEAD"}, (
            f"{rule.rule} is a new kind of route: add its tenant check here")
        for caller, other in ((a, b), (b, a)):
            body = client.get(url_of(rule, caller), headers=auth(caller)).get_data(as_text=True)
            assert caller.lead.public_id in body or caller.delivery.message_id in body, rule.rule
            for secret in other.secrets:
                assert secret not in body, (rule.rule, secret)


def test_naming_another_partners_project_lists_nothing(client: Any,
                                                       tenants: tuple[Tenant, Tenant]) -> None:
    a, _b = tenants

    response = client.get("/api/v1/leads?project=project-of-b", headers=auth(a))

    assert response.get_json() == {"data": [], "next_cursor": None}
