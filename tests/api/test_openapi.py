"""The OpenAPI 3.1 document: valid, complete, and true to what the API really answers."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator
from sqlalchemy.orm import Session

from leadpages.db import utcnow
from leadpages.delivery.services import lead_data

METHODS = {"get", "put", "post", "delete", "patch"}


def api_routes(app: Flask) -> set[tuple[str, str]]:
    """(path as the document writes it, method) for every route of the api blueprint."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                routes.add((path.removeprefix("/api/v1"), method.lower()))
    return routes


def all_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in all_refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in all_refs(value)]
    return []


def test_served_without_a_key(api: Any) -> None:
    response = api.get("/openapi.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json()["openapi"] == "3.1.0"


def test_is_valid_openapi_3_1(openapi: dict[str, Any]) -> None:
    validator = pytest.importorskip("openapi_spec_validator")

    validator.validate(openapi)


def test_structure(openapi: dict[str, Any], app: Flask) -> None:
    assert openapi["openapi"].startswith("3.1.")
    assert openapi["info"]["title"]
    assert openapi["info"]["version"]
    assert openapi["servers"] == [{"url": app.config["BASE_URL"] + "/api/v1"}]
    assert openapi["components"]["securitySchemes"]["bearer"] == {
        **openapi["components"]["securitySchemes"]["bearer"], "type": "http", "scheme": "bearer"}
    assert openapi["security"] == [{"bearer": []}]
    for schema in openapi["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for ref in all_refs(openapi):
        node: Any = openapi
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
    operation_ids = [operation["operationId"] for item in openapi["paths"].values()
                     for method, operation in item.items() if method in METHODS]
    assert len(operation_ids) == len(set(operation_ids))


def test_documents_every_route_and_nothing_else(openapi: dict[str, Any], app: Flask) -> None:
    documented = {(path, method) for path, item in openapi["paths"].items()
                  for method in item if method in METHODS}

    assert documented == api_routes(app)


def test_only_the_document_itself_needs_no_key(openapi: dict[str, Any]) -> None:
    open_operations = [operation["operationId"] for item in openapi["paths"].values()
                       for method, operation in item.items()
                       if method in METHODS and operation.get("security") == []]

    assert open_operations == ["getOpenApi"]


def test_documented_query_parameters_are_the_accepted_ones(
        api: Any, openapi: dict[str, Any], make_key: Any, make_partner: Any) -> None:
    key = make_key(make_partner())
    for path, item in openapi["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        for reference in operation.get("parameters", []):
            name = reference["$ref"].rsplit("/", 1)[-1]
            parameter = openapi["components"]["parameters"][name]
            if parameter["in"] != "query":
                continue
            details = api.get(f"{path}?{parameter['name']}=", key).get_json()["error"]["details"]
            # Known to the endpoint: refused for being empty, not for being unknown.
            assert "must not be empty" in details[parameter["name"]], (path, name)


def test_lead_schema_is_lead_data_key_for_key(openapi: dict[str, Any], make_project: Any,
                                              make_lead: Any, session: Session) -> None:
    schema = openapi["components"]["schemas"]["Lead"]
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    project = make_project()
    at = utcnow() - timedelta(hours=1)
    full = make_lead(project, at=at, campaign="spring", postcode="9000", country="BE",
                     budget_amount=Decimal("350000"), budget_currency="EUR",
                     preferred_location="Gent", bedrooms=3, garden="yes", timeframe="6m",
                     contact_preference="visit", message="Graag een brochure.")
    bare = make_lead(project, at=at, lang="fr")
    # Leads captured before arrangements existed carry none (the column is nullable).
    bare.arrangement = None
    session.flush()

    for lead in (full, bare):
        data = lead_data(lead)
        errors = sorted(validator.iter_errors(data), key=str)
        assert not errors, [error.message for error in errors]
    assert all(value is not None for value in lead_data(full)["details"].values())
    assert all(value is None for value in lead_data(bare)["details"].values())


def test_the_schemas_are_closed(openapi: dict[str, Any]) -> None:
    """Every object lists all its keys as required and allows no others: no silent drift."""

    def objects(node: Any) -> list[dict[str, Any]]:
        if isinstance(node, dict):
            own = [node] if "properties" in node else []
            return own + [found for value in node.values() for found in objects(value)]
        return []

    for name in ("Lead", "Delivery", "LeadList", "DeliveryList"):
        for schema in objects(openapi["components"]["schemas"][name]):
            assert schema["additionalProperties"] is False, name
            assert set(schema["required"]) == set(schema["properties"]), name
