"""One JSON error shape everywhere under /api/, while the public site keeps its HTML pages."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator

from leadpages.api import views


@pytest.fixture
def error_schema(openapi: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(openapi["components"]["schemas"]["Error"])


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/leads/", "/api/v1",
                                  "/api/v1/deliveries/1", "/api/v2/leads", "/api/"])
def test_unknown_addresses_under_api_are_json_404(client: Any, error_schema: Any,
                                                  make_key: Any, make_partner: Any,
                                                  path: str) -> None:
    key = make_key(make_partner())

    for headers in ({}, {"Authorization": f"Bearer {key}"}):
        response = client.get(path, headers=headers)

        assert response.status_code == 404
        assert response.mimetype == "application/json"
        error_schema.validate(response.get_json())
        assert response.get_json()["error"]["code"] == "not_found"
        assert response.headers["Cache-Control"] == "no-store"


def test_wrong_method_is_json_405_with_allow(api: Any, documented: Any, make_key: Any,
                                             make_partner: Any) -> None:
    key = make_key(make_partner())

    response = api.call("DELETE", "/leads", key)
    on_replay = api.get("/deliveries/1/replay", key)

    assert response.status_code == 405
    error = documented(response, "/leads", "get")["error"]
    assert error["code"] == "method_not_allowed"
    assert "DELETE" in error["message"]
    assert "GET" in response.headers["Allow"]
    assert on_replay.status_code == 405
    assert on_replay.headers["Allow"] == "OPTIONS, POST"


def test_public_site_keeps_its_html_error_pages(client: Any) -> None:
    missing = client.get("/en/p/no-such-project-anywhere")
    unrouted = client.get("/apiary")
    wrong_method = client.delete("/")

    for response, status in ((missing, 404), (unrouted, 404), (wrong_method, 405)):
        assert response.status_code == status
        assert response.mimetype == "text/html"
        assert "<html" in response.get_data(as_text=True)


def test_server_error_is_json_and_changes_nothing(api: Any, app: Any, documented: Any,
                                                  make_key: Any, make_partner: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Let the application handle the exception as in production instead of re-raising it.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views.leads, "partner_leads_query", broken)

    response = api.get("/leads", make_key(make_partner()))

    assert response.status_code == 500
    error = documented(response, "/leads", "get")["error"]
    assert error["code"] == "server_error"
    assert "database" not in error["message"]
    assert response.headers["Cache-Control"] == "no-store"



def test_a_site_handler_for_the_same_status_is_kept_for_the_site() -> None:
    site = Flask("site")
    site.register_error_handler(404, lambda _error: ("the site's own 404", 404))
    site.register_blueprint(views.bp)
    client = site.test_client()

    assert client.get("/nowhere").get_data(as_text=True) == "the site's own 404"
    assert client.get("/api/v1/nowhere").get_json()["error"]["code"] == "not_found"
