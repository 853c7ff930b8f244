"""The partner API under /api/v1/: a partner's own leads and deliveries, by API key.

Every route needs a key (see `PUBLIC`), answers JSON, sets no cookie and is never cached; every
failure has the one error shape of leadpages.api.errors. The tenant seal (DESIGN.md rule 7) is
kept by the domain queries: each read starts from a `partner_*` query or getter of its service.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from leadpages.api import errors, openapi
from leadpages.api.auth import rate_limit, rate_limit_key, require_key
from leadpages.api.errors import ApiError
from leadpages.api.params import MAX_ID, after, page, parse_list_params
from leadpages.api.schemas import delivery_data, parse_objection
from leadpages.db import begin_write
from leadpages.delivery import services as delivery
from leadpages.delivery.models import Delivery
from leadpages.extensions import csrf, db, limiter
from leadpages.leads import services as leads
from leadpages.leads.models import Lead
from leadpages.objections import services as objections
from leadpages.projects.models import Project

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)

#: Endpoints served without an API key; the tenancy tests hold every other route to a key.
PUBLIC = frozenset({"api.openapi"})
LEAD_ID = re.compile(r"[0-9a-f]{32}")

# Keys, not cookies, authenticate here: no CSRF token applies.
csrf.exempt(bp)
# One shared bucket per key for the whole API (the key function authenticates; see auth.py).
limiter.shared_limit(rate_limit, scope="api", key_func=rate_limit_key)(bp)


@bp.before_request
def _authenticate() -> None:
    if request.endpoint not in PUBLIC:
        require_key()
    limit = request.max_content_length
    # An oversized body is refused before anything else happens.
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


bp.register_error_handler(ApiError, errors.handle_api_error)
bp.register_error_handler(HTTPException, errors.handle_http_exception)
# Status-specific handlers take precedence over class-based ones, at app level too: name every
# status the API produces so that an HTML handler the site adds for one never answers here.
for _status in (400, 401, 404, 405, 409, 413, 429, 500):
    bp.register_error_handler(_status, errors.handle_http_exception)


@bp.record_once
def _route_unrouted(state: BlueprintSetupState) -> None:
    """An address under /api/ that matches no route belongs to no blueprint: answer it by path.

    Runs when the blueprint is registered; whatever the site had registered for these statuses
    is kept and still answers every other path.
    """
    app = state.app
    for status in (404, 405):
        site = dict(app.error_handler_spec[None][status])
        app.register_error_handler(status, partial(errors.handle_unrouted, site=site))


def _json(body: Any, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def _partner_id() -> int:
    return require_key().partner_id


@bp.get("/leads")
def list_leads() -> Response:
    """The partner's leads, newest first, a page at a time."""
    params = parse_list_params(request.args, "lead", ("limit", "cursor", "since", "project"))
    query = leads.partner_leads_query(_partner_id(), project_slug=params.project,
                                      since=params.since)
    if params.cursor:
        query = query.where(after(Lead.created_at, Lead.id, params.cursor))
    query = query.options(selectinload(Lead.project).selectinload(Project.texts),
                          selectinload(Lead.arrangement))
    rows, next_cursor = page(db.session.scalars(query.limit(params.limit + 1)), params.limit,
                             "lead")
    body = {"data": [delivery.lead_data(lead) for lead in rows], "next_cursor": next_cursor}
    return _json(body)


@bp.get("/leads/<string(length=32):lead_id>")
def get_lead(lead_id: str) -> Response:
    """One of the partner's leads by its public id."""
    lead = (leads.get_partner_lead(db.session, _partner_id(), lead_id)
            if LEAD_ID.fullmatch(lead_id) else None)
    if lead is None:
        raise ApiError(404, "not_found", "You have no lead with this id.")
    return _json(delivery.lead_data(lead))


def _lead_ids(partner_id: int, rows: list[Delivery]) -> dict[int, str]:
    """The public ids of the leads `rows` carry that the partner may see (the leads service's
    call: its own shared leads); any other lead is given as null."""
    return leads.partner_lead_public_ids(
        db.session, partner_id, [row.lead_id for row in rows if row.lead_id is not None])


@bp.get("/deliveries")
def list_deliveries() -> Response:
    """The partner's deliveries, newest first, optionally of one status."""
    params = parse_list_params(request.args, "delivery", ("status", "limit", "cursor"))
    partner_id = _partner_id()
    query = delivery.partner_deliveries_query(partner_id, params.status)
    if params.cursor:
        query = query.where(after(Delivery.created_at, Delivery.id, params.cursor))
    rows, next_cursor = page(db.session.scalars(query.limit(params.limit + 1)), params.limit,
                             "delivery")
    public_ids = _lead_ids(partner_id, rows)
    body = {"data": [delivery_data(row, public_ids.get(row.lead_id or 0)) for row in rows],
            "next_cursor": next_cursor}
    return _json(body)


@bp.post(f"/deliveries/<int(min=1, max={MAX_ID}):delivery_id>/replay")
def replay_delivery(delivery_id: int) -> Response:
    """Send a dead letter again, with the same message id."""
    key = require_key()
    # The key was found in a read; end it, or begin_write would join that transaction instead
    # of starting the write (SQLite: BEGIN IMMEDIATE) that the read-then-write below needs.
    db.session.commit()
    begin_write(db.session)
    row = delivery.get_partner_delivery(db.session, key.partner_id, delivery_id)
    if row is None:
        raise ApiError(404, "not_found", "You have no delivery with this id.")
    try:
        delivery.replay(db.session, row, by=f"API key {key.prefix}… ({key.name})")
    except delivery.DeliveryError as error:
        reason = str(error)
        raise ApiError(409, "not_dead" if row.status != "dead" else "conflict",
                       reason[:1].upper() + reason[1:] + ".",
                       details={"status": row.status}) from None
    body = delivery_data(row, _lead_ids(key.partner_id, [row]).get(row.lead_id or 0))
    db.session.commit()
    return _json(body, 202)


@bp.post("/objections")
def record_objection() -> Response:
    """A person told the partner they object to direct marketing: put them in the register.

    The answer is the same whether or not the person is known, had leads or had objected
    already, and it never repeats the identifiers: the caller learns nothing about the person.
    """
    key = require_key()
    objection = parse_objection(request.get_data(cache=False), request.mimetype)
    # The key was found in a read; end it, so that the write below starts its own transaction.
    db.session.commit()
    # parse_objection checked what record_objection would refuse, with the same rules.
    objections.record_objection(
        db.session, email=objection.email, phone=objection.phone, scope=objection.scope,
        source="partner", partner_id=key.partner_id, note=objection.note)
    db.session.commit()
    return _json({"recorded": True, "scope": objection.scope,
                  "identifiers": objection.identifiers}, 201)


@bp.get("/openapi.json", endpoint="openapi")
def openapi_document() -> Response:
    """The OpenAPI 3.1 document of this API (no key needed)."""
    return _json(openapi.document(current_app.config["BASE_URL"] + PREFIX))
