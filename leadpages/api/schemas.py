"""What the API returns, and the JSON Schemas (2020-12, as OpenAPI 3.1 uses) that describe it.

A lead is exactly `leadpages.delivery.services.lead_data`, the one representation every channel
shares; the Lead schema below describes it key for key, and the tests hold real responses to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadpages.api.errors import ApiError
from leadpages.delivery.models import CHANNELS, DELIVERY_STATUSES, EVENT_TYPES, Delivery
from leadpages.delivery.services import PAYLOAD_VERSION
from leadpages.i18n import LANGUAGES
from leadpages.identifiers import is_plain_text
from leadpages.objections.models import SCOPES
from leadpages.objections.services import identifier_problems


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def delivery_data(delivery: Delivery, lead_public_id: str | None) -> dict[str, Any]:
    """A delivery as the partner sees it: what was sent where, and how it went."""
    return {
        "id": delivery.id,
        "message_id": delivery.message_id,
        "kind": delivery.kind,
        "channel": delivery.channel,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "lead_id": lead_public_id,
        "created_at": _iso(delivery.created_at),
        "delivered_at": _iso(delivery.delivered_at),
        "last_error": delivery.last_error,
        # The worker keeps the column after its last try; only a pending row has a next one.
        "next_attempt_at": _iso(delivery.next_attempt_at) if delivery.status == "pending" else None,
    }


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema["type"]
    return {**schema, "type": [kind, "null"]}


def _object(properties: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    """A closed object whose every property is always present (null when empty)."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


STRING = {"type": "string"}
TIMESTAMP = {"type": "string", "format": "date-time"}
LEAD_ID = {"type": "string", "pattern": "^[0-9a-f]{32}$",
           "description": "The lead's public id (32 hexadecimal characters)."}

LEAD = _object({
    "schema_version": {"type": "integer", "const": PAYLOAD_VERSION,
                       "description": "Version of this representation; changes are announced."},
    "id": LEAD_ID,
    "created_at": {**TIMESTAMP, "description": "When the person sent the form (UTC)."},
    "language": {"type": "string", "enum": list(LANGUAGES),
                 "description": "The language the person used."},
    "project": _object({"slug": STRING, "title": STRING}),
    "campaign": _nullable({"type": "string", "description": "The campaign code, if any."}),
    "contact": _object({
        "first_name": STRING,
        "last_name": STRING,
        "email": {"type": "string", "format": "email"},
        "phone": {"type": "string", "description": "E.164, e.g. +32470123456."},
    }),
    "details": _object({
        "postcode": _nullable(STRING),
        "country": _nullable({"type": "string", "description": "ISO 3166-1 alpha-2."}),
        "budget": _nullable(_object({
            "amount": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$",
                       "description": "A decimal number written as a string."},
            "currency": _nullable({"type": "string", "description": "ISO 4217, e.g. EUR."}),
        })),
        "preferred_location": _nullable(STRING),
        "bedrooms": _nullable({"type": "integer"}),
        "garden": _nullable(STRING),
        "timeframe": _nullable(STRING),
        "contact_preference": _nullable(STRING),
        "message": _nullable(STRING),
    }, "The optional details the project's form asks; null when not given."),
    "arrangement": _nullable(_object({
        "version": {"type": "integer"},
        "digest": _nullable({"type": "string", "description": "SHA-256 of its content."}),
    }, "The joint-controller arrangement in force when the lead was captured.")),
}, "A lead exactly as partners receive it in every channel (webhook, email, API, CSV).")

PING = _object({"partner": STRING, "message": STRING}, "The data of a `ping` test message.")

SCOPE = {"type": "string", "enum": list(SCOPES),
         "description": "What the person objects to: `all` direct marketing, only `ads` about "
                        "similar projects, or only `marketing-email` about similar projects."}

LEAD_OBJECTED = _object({
    "schema_version": {"type": "integer", "const": PAYLOAD_VERSION,
                       "description": "Version of this representation; changes are announced."},
    "id": LEAD_ID,
    "project": _object({"slug": STRING}),
    "scope": SCOPE,
    "objected_at": {**TIMESTAMP, "description": "When the objection was recorded (UTC)."},
}, "The data of `lead.objected`: the person of this lead (one you received) objected to direct "
   "marketing. Stop it for them within the scope, as the arrangement says; you may still "
   "answer their request.")

WEBHOOK_EVENT = _object({
    "type": {"type": "string", "enum": list(EVENT_TYPES)},
    "timestamp": {**TIMESTAMP, "description": "When the event was queued (UTC)."},
    "data": {"oneOf": [{"$ref": "#/components/schemas/Lead"},
                       {"$ref": "#/components/schemas/LeadObjected"},
                       {"$ref": "#/components/schemas/Ping"}]},
}, "The JSON body of every webhook (Standard Webhooks): `type`, `timestamp`, `data`. "
   "`lead.created` carries the lead in `data`; `lead.objected` a LeadObjected; `ping` a Ping.")

DELIVERY = _object({
    "id": {"type": "integer", "minimum": 1},
    "message_id": {"type": "string",
                   "description": "The webhook-id header: the same on every retry and replay."},
    "kind": {"type": "string", "enum": list(EVENT_TYPES)},
    "channel": {"type": "string", "enum": list(CHANNELS)},
    "status": {"type": "string", "enum": list(DELIVERY_STATUSES)},
    "attempts": {"type": "integer", "minimum": 0},
    "lead_id": _nullable({**LEAD_ID, "description": (
        "The lead it carries; null for a ping, and for a lead no longer shared with you "
        "(restricted or erased: stored only, never pulled).")}),
    "created_at": TIMESTAMP,
    "delivered_at": _nullable(TIMESTAMP),
    "last_error": _nullable(STRING),
    "next_attempt_at": _nullable({**TIMESTAMP, "description": "Set while pending."}),
}, "One message to the partner through one channel, and how its sending went.")

ERROR = _object({
    "error": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "pattern": "^[a-z_]+$",
                     "description": "Stable, for programs: e.g. not_found, invalid_parameters."},
            "message": {"type": "string", "description": "A sentence for people."},
            "details": {"type": "object",
                        "description": "More about the problem, e.g. one sentence per bad "
                                       "query parameter."},
        },
        "required": ["code", "message"],
        "additionalProperties": False,
    },
}, "Every error of the API has this shape.")


def list_envelope(item: str) -> dict[str, Any]:
    """A page of a list, with the cursor to the next page (null on the last)."""
    return _object({
        "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
        "next_cursor": _nullable({"type": "string",
                                  "description": "Pass as `cursor` for the next page; null "
                                                 "when this is the last."}),
    }, f"A page of {item} objects, newest first.")


# The objection a partner passes on: POST /objections.

NOTE_LIMIT = 200
OBJECTION_FIELDS = ("email", "phone", "scope", "note")

OBJECTION_REQUEST = {
    "type": "object",
    "properties": {
        "email": {"type": ["string", "null"], "format": "email", "maxLength": 254,
                  "description": "The person's email address, in any spelling."},
        "phone": {"type": ["string", "null"], "maxLength": 32,
                  "description": "The person's phone number; E.164 (+32470123456) or national "
                                 "(read in the installation's country)."},
        "scope": {**SCOPE, "default": "all"},
        "note": {"type": ["string", "null"], "maxLength": NOTE_LIMIT,
                 "description": "Your reference, e.g. 'call of 2026-11-20'; never the person's "
                                "identifiers."},
    },
    "additionalProperties": False,
    "anyOf": [{"required": ["email"]}, {"required": ["phone"]}],
    "description": "A person's objection, received by you. Give the email address, the phone "
                   "number or both.",
}

OBJECTION_RECORDED = _object({
    "recorded": {"type": "boolean", "const": True},
    "scope": SCOPE,
    "identifiers": {"type": "array", "items": {"type": "string", "enum": ["email", "phone"]},
                    "minItems": 1, "uniqueItems": True,
                    "description": "Which identifiers were recorded (never their values)."},
}, "The objection is in the register and holds for every action from now on. The same answer "
   "whether or not the person was known or had objected before.")


@dataclass(frozen=True)
class ObjectionInput:
    """A validated POST /objections body."""

    email: str | None
    phone: str | None
    scope: str
    note: str | None

    @property
    def identifiers(self) -> list[str]:
        return [name for name in ("email", "phone") if getattr(self, name)]


def _invalid_body(message: str) -> ApiError:
    return ApiError(400, "invalid_json", message)


def parse_objection(raw: bytes, mimetype: str) -> ObjectionInput:
    """The body of POST /objections, checked: 400 if it is no JSON object, 422 naming each bad
    field (all at once) otherwise."""
    if mimetype != "application/json":
        raise _invalid_body("Send a JSON object with 'Content-Type: application/json'.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _invalid_body("The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise _invalid_body("The body must be a JSON object, such as "
                            '{"email": "name@example.com", "scope": "all"}.')
    problems: dict[str, str] = {}
    values: dict[str, str | None] = {}
    for name, value in body.items():
        if name not in OBJECTION_FIELDS:
            problems[name] = ("is not a field of this request; it takes "
                              + ", ".join(OBJECTION_FIELDS))
        elif value is None:
            values[name] = None
        elif not isinstance(value, str):
            problems[name] = "must be a string (or null)"
        elif not value.strip():
            problems[name] = "must not be empty; leave the field out or send null"
        elif not is_plain_text(value):
            problems[name] = "must not hold control or invisible characters"
        else:
            values[name] = value.strip()
    scope = values.get("scope") or "all"
    if "scope" not in problems and scope not in SCOPES:
        problems["scope"] = f"must be one of {', '.join(SCOPES)}"
    note = values.get("note")
    if note is not None and len(note) > NOTE_LIMIT:
        problems["note"] = f"must be at most {NOTE_LIMIT} characters"
    email, phone = values.get("email"), values.get("phone")
    # A bad identifier is reported as it is, not also as missing.
    if email or phone or not {"email", "phone"} & problems.keys():
        for name, problem in identifier_problems(email, phone).items():
            problems.setdefault(name, problem)
    if problems:
        raise ApiError(422, "invalid_fields", "Some fields are not valid; see details.",
                       details=problems)
    return ObjectionInput(email=email, phone=phone, scope=scope, note=note)
