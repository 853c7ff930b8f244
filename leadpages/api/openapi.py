"""The OpenAPI 3.1 document of the partner API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from leadpages.api import schemas
from leadpages.api.auth import DEFAULT_RATE
from leadpages.api.params import DEFAULT_LIMIT, MAX_LIMIT
from leadpages.delivery.models import DELIVERY_STATUSES

DESCRIPTION = f"""\
Pull your leads, watch their delivery, and pass on objections people send you. Authenticate
every call with an API key from the partner portal or your account manager:
`Authorization: Bearer <key>`.

Lists are newest first and paged with an opaque cursor: pass `next_cursor` as `cursor` until it
is null. Every error has the same shape (`Error`). Each key may make {DEFAULT_RATE} unless agreed
otherwise; beyond it the API answers 429 with a Retry-After header.
"""


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: dict[str, Any], description: str,
          headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description,
                                "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    return _json(_ref("schemas", "Error"), description, headers)


def _responses(success: str, body: dict[str, Any], description: str,
               *errors: str) -> dict[str, Any]:
    responses = {success: _json(body, description)}
    for name in ("Unauthorized", *errors, "TooManyRequests"):
        responses[ERROR_STATUS[name]] = _ref("responses", name)
    responses["default"] = _ref("responses", "Error")
    return responses


ERROR_STATUS = {
    "BadRequest": "400",
    "InvalidBody": "400",
    "Unauthorized": "401",
    "NotFound": "404",
    "Conflict": "409",
    "PayloadTooLarge": "413",
    "Unprocessable": "422",
    "TooManyRequests": "429",
}

PARAMETERS: dict[str, Any] = {
    "limit": {
        "name": "limit", "in": "query", "required": False,
        "description": f"How many items per page, 1 to {MAX_LIMIT}.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                   "default": DEFAULT_LIMIT},
    },
    "cursor": {
        "name": "cursor", "in": "query", "required": False,
        "description": "The `next_cursor` of the previous page, exactly as received.",
        "schema": {"type": "string"},
    },
    "since": {
        "name": "since", "in": "query", "required": False,
        "description": "Only leads created at or after this moment: ISO 8601 with a time zone, "
                       "e.g. 2025-01-31T09:00:00Z (write '+' as %2B).",
        "schema": {"type": "string", "format": "date-time"},
    },
    "project": {
        "name": "project", "in": "query", "required": False,
        "description": "Only leads for the project with this slug.",
        "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,79}$"},
    },
    "status": {
        "name": "status", "in": "query", "required": False,
        "description": "Only deliveries in this state; dead letters can be replayed.",
        "schema": {"type": "string", "enum": list(DELIVERY_STATUSES)},
    },
    "lead_id": {
        "name": "lead_id", "in": "path", "required": True,
        "schema": schemas.LEAD_ID,
    },
    "delivery_id": {
        "name": "delivery_id", "in": "path", "required": True,
        "schema": {"type": "integer", "minimum": 1},
    },
}

RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before the next call.",
                               "schema": {"type": "integer"}}}
WWW_AUTHENTICATE = {"WWW-Authenticate": {"description": "Bearer, as RFC 6750 says.",
                                         "schema": {"type": "string"}}}


def _params(*names: str) -> list[dict[str, str]]:
    return [_ref("parameters", name) for name in names]


def document(server_url: str) -> dict[str, Any]:
    """The whole document, with `server_url` (e.g. https://host/api/v1) as its server."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Leadpages partner API", "version": "1.0.0",
                 "description": DESCRIPTION},
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": {
            "/leads": {"get": {
                "operationId": "listLeads",
                "summary": "Your leads, newest first",
                "parameters": _params("limit", "cursor", "since", "project"),
                "responses": _responses("200", _ref("schemas", "LeadList"), "A page of leads.",
                                        "BadRequest"),
            }},
            "/leads/{lead_id}": {"get": {
                "operationId": "getLead",
                "summary": "One of your leads",
                "parameters": _params("lead_id"),
                "responses": _responses("200", _ref("schemas", "Lead"), "The lead.",
                                        "NotFound"),
            }},
            "/deliveries": {"get": {
                "operationId": "listDeliveries",
                "summary": "Messages sent to you and how they went, newest first",
                "parameters": _params("status", "limit", "cursor"),
                "responses": _responses("200", _ref("schemas", "DeliveryList"),
                                        "A page of deliveries.", "BadRequest"),
            }},
            "/deliveries/{delivery_id}/replay": {"post": {
                "operationId": "replayDelivery",
                "summary": "Send a dead letter again, with the same message id",
                "description": "Only a delivery whose status is `dead` can be replayed; it "
                               "becomes `pending` and is sent again shortly.",
                "parameters": _params("delivery_id"),
                "responses": _responses("202", _ref("schemas", "Delivery"),
                                        "Accepted: the delivery, now pending.",
                                        "NotFound", "Conflict", "PayloadTooLarge"),
            }},
            "/objections": {"post": {
                "operationId": "recordObjection",
                "summary": "Pass on a person's objection to direct marketing",
                "description": "For a person who told you they object (by phone, letter, "
                               "email...). No proof of identity is needed: an objection only "
                               "reduces processing. It holds for every action from now on: the "
                               "person is left out of audiences and emails about similar "
                               "projects, removed from audiences already uploaded, and every "
                               "partner that received one of their leads gets `lead.objected`. "
                               "Idempotent; the answer never says whether the person was known.",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": _ref("schemas", "ObjectionRequest")}}},
                "responses": _responses("201", _ref("schemas", "ObjectionRecorded"),
                                        "Recorded.", "InvalidBody", "PayloadTooLarge",
                                        "Unprocessable"),
            }},
            "/openapi.json": {"get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": _json({"type": "object"}, "The OpenAPI 3.1 document."),
                    "default": _ref("responses", "Error"),
                },
            }},
        },
        "webhooks": {
            kind: {"post": {
                "operationId": f"webhook_{kind.replace('.', '_')}",
                "summary": f"`{kind}` sent to your webhook URL",
                "description": "Signed by the Standard Webhooks specification: verify the "
                               "`webhook-id`, `webhook-timestamp` and `webhook-signature` headers "
                               "with the standardwebhooks library and your `whsec_` secret "
                               "(see docs/webhooks.md). Answer 2xx once stored; the same "
                               "`webhook-id` on a retry means the same message.",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": _ref("schemas", "WebhookEvent")}}},
                "responses": {"2XX": {"description": "Received; no retry."}},
            }}
            for kind in ("lead.created", "lead.objected", "ping")
        },
        "components": {
            "schemas": {
                "WebhookEvent": schemas.WEBHOOK_EVENT,
                "Ping": schemas.PING,
                "LeadObjected": schemas.LEAD_OBJECTED,
                "ObjectionRequest": schemas.OBJECTION_REQUEST,
                "ObjectionRecorded": schemas.OBJECTION_RECORDED,
                "Lead": schemas.LEAD,
                "Delivery": schemas.DELIVERY,
                "LeadList": schemas.list_envelope("Lead"),
                "DeliveryList": schemas.list_envelope("Delivery"),
                "Error": schemas.ERROR,
            },
            "parameters": PARAMETERS,
            "responses": {
                "BadRequest": _error("A query parameter is not valid; `details` names each one "
                                     "with what is wrong (code `invalid_parameters`)."),
                "InvalidBody": _error("The body is not a JSON object sent as application/json "
                                      "(code `invalid_json`)."),
                "Unprocessable": _error("Some fields are not valid; `details` names each one "
                                        "with what is wrong (code `invalid_fields`)."),
                "Unauthorized": _error("No valid API key (code `unauthorized`).",
                                       WWW_AUTHENTICATE),
                "NotFound": _error("No such object among yours (code `not_found`)."),
                "Conflict": _error("The object is not in a state that allows this (code "
                                   "`not_dead` for a replay of a delivery that is not dead)."),
                "PayloadTooLarge": _error("The request body is too large (code "
                                          "`payload_too_large`)."),
                "TooManyRequests": _error("Rate limit reached (code `rate_limited`).",
                                          RETRY_AFTER),
                "Error": _error("Any other error, e.g. 405 `method_not_allowed` or 500 "
                                "`server_error`."),
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "An API key issued for your organisation."},
            },
        },
    }
