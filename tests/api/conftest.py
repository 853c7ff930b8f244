"""Fixtures for the partner API: keys, leads at chosen times, calls, and the OpenAPI check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpages.accounts.apikeys import issue_key
from leadpages.delivery.models import Delivery
from leadpages.leads.models import Lead
from leadpages.leads.services import LeadInput, submit_lead
from leadpages.partners.models import Partner
from leadpages.projects.models import Project

PREFIX = "/api/v1"
DOCUMENT_URI = "urn:leadpages:openapi"


@dataclass
class Api:
    """Calls the API as one client: with a key, another key, or none."""

    client: FlaskClient

    def call(self, method: str, path: str, key: str | None = None,
             headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        sent = dict(headers or {})
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        return self.client.open(PREFIX + path, method=method, headers=sent, **kwargs)

    def get(self, path: str, key: str | None = None, **kwargs: Any) -> Any:
        return self.call("GET", path, key, **kwargs)

    def post(self, path: str, key: str | None = None, **kwargs: Any) -> Any:
        return self.call("POST", path, key, **kwargs)


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client)


@pytest.fixture
def make_key(session: Session) -> Callable[..., str]:
    """Issue a key for `partner` and return it in clear, as the partner stores it."""

    def make(partner: Partner, name: str = "test") -> str:
        _key, plain = issue_key(session, partner, name)
        return plain

    return make


@pytest.fixture
def make_lead(app: Flask, session: Session) -> Callable[..., Lead]:
    """A lead for `project` created at `at` through the real intake service (with its outbox)."""
    counter = iter(range(1, 10_000))

    def make(project: Project, at: datetime | None = None, lang: str = "en",
             campaign: str | None = None, **values: Any) -> Lead:
        n = next(counter)
        data = LeadInput(**{"first_name": "Jan", "last_name": f"Tester{n}",
                            "email": f"person{n}@example.com", "phone": f"+3247{n:07d}",
                            **values})
        # An application context only for the call: requests must open their own.
        with app.app_context():
            intake = submit_lead(session, project, data, lang=lang, campaign_code=campaign,
                                 source_ip=None, now=at)
        assert intake.created
        session.refresh(intake.lead)  # as stored (e.g. amounts with their two decimals)
        return intake.lead

    return make


@pytest.fixture
def deliveries_of(session: Session) -> Callable[[Lead], list[Delivery]]:
    def find(lead: Lead) -> list[Delivery]:
        return list(session.scalars(select(Delivery).where(Delivery.lead_id == lead.id)
                                    .order_by(Delivery.id)))

    return find


@pytest.fixture
def openapi(api: Api) -> dict[str, Any]:
    """The document as the API serves it."""
    response = api.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.get_json()
    return document


def pointer_escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def resolve(document: dict[str, Any], node: Any, pointer: str) -> tuple[Any, str]:
    """Follow `$ref`s (local ones, as ours are) to the node and its JSON pointer."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        pointer = ref[1:]
        node = document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node, pointer


@pytest.fixture
def documented(openapi: dict[str, Any]) -> Callable[..., Any]:
    """Check a real response against what the document promises for it; return its JSON.

    The response's status must be documented for the operation (or fall under `default`), its
    content type must be JSON, and its body must validate against the documented schema.
    """
    registry: Registry[Any] = Registry().with_resource(
        DOCUMENT_URI, DRAFT202012.create_resource(openapi))

    def check(response: Any, path: str, method: str) -> Any:
        operation = openapi["paths"][path][method.lower()]
        responses = operation["responses"]
        status = str(response.status_code)
        assert status in responses or "default" in responses, (path, method, status)
        key = status if status in responses else "default"
        pointer = (f"/paths/{pointer_escape(path)}/{method.lower()}/responses/"
                   f"{pointer_escape(key)}")
        documented_response, pointer = resolve(openapi, responses[key], pointer)
        assert response.mimetype == "application/json"
        assert "schema" in documented_response["content"]["application/json"]
        schema = f"{DOCUMENT_URI}#{pointer}/content/application~1json/schema"
        validator = Draft202012Validator({"$ref": schema},
                                         registry=registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        body = response.get_json()
        errors = sorted(validator.iter_errors(body), key=str)
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
        for header in documented_response.get("headers", {}):
            assert header in response.headers, (status, header)
        return body

    return check


@pytest.fixture
def write_log(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each start of a write by the API, in order: "write" when it starts a transaction of its
    own (SQLite: takes the write lock), "write joined a read" when a read was still open, where
    begin_write does nothing (a bug)."""
    from leadpages.api import auth, views

    events: list[str] = []
    real = auth.begin_write

    def begin(session: Any) -> None:
        events.append("write joined a read" if session.in_transaction() else "write")
        real(session)

    monkeypatch.setattr(auth, "begin_write", begin)
    monkeypatch.setattr(views, "begin_write", begin)
    return events
