"""Keys: `Authorization: Bearer <key>` only; 401 otherwise; per-key rate limits; no cookies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpages.accounts.apikeys import revoke_key
from leadpages.accounts.models import ApiKey


def key_row(session: Session, plain: str) -> ApiKey:
    session.expire_all()
    return session.scalars(select(ApiKey).where(ApiKey.prefix == plain[:10])).one()


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer lp_not-a-key-we-issued"},
    {"Authorization": "Bearer not-even-our-prefix"},
    {"Authorization": "Bearer lp_" + "x" * 200},
])
def test_no_valid_key_is_401_with_a_bearer_challenge(api: Any, documented: Any,
                                                      headers: dict[str, str]) -> None:
    response = api.get("/leads", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    error = documented(response, "/leads", "get")["error"]
    assert error["code"] == "unauthorized"
    assert "Authorization: Bearer" in error["message"]


def test_an_invalid_key_is_called_invalid(api: Any) -> None:
    response = api.get("/leads", "lp_not-a-key-we-issued")

    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_the_scheme_name_is_case_insensitive(api: Any, make_key: Any, make_partner: Any) -> None:
    key = make_key(make_partner())

    response = api.get("/leads", headers={"Authorization": f"bearer {key}"})

    assert response.status_code == 200


def test_a_key_anywhere_but_the_header_is_refused(api: Any, make_key: Any,
                                                   make_partner: Any) -> None:
    key = make_key(make_partner())

    assert api.get(f"/leads?api_key={key}").status_code == 401
    assert api.get("/leads", headers={"X-Api-Key": key}).status_code == 401
    assert api.get("/leads", headers={"Authorization": key}).status_code == 401


def test_a_revoked_key_stops_working_at_once(api: Any, documented: Any, make_key: Any,
                                             make_partner: Any, session: Session) -> None:
    key = make_key(make_partner())
    assert api.get("/leads", key).status_code == 200

    revoke_key(session, key_row(session, key))
    response = api.get("/leads", key)

    assert response.status_code == 401
    assert documented(response, "/leads", "get")["error"]["code"] == "unauthorized"


def test_each_use_is_recorded(api: Any, make_key: Any, make_partner: Any,
                              session: Session) -> None:
    key = make_key(make_partner())
    assert key_row(session, key).last_used_at is None

    api.get("/leads", key)

    assert key_row(session, key).last_used_at is not None


def test_a_use_is_recorded_in_a_short_write_at_most_once_a_minute(
        api: Any, make_key: Any, make_partner: Any, session: Session,
        write_log: list[str]) -> None:
    key = make_key(make_partner())

    assert api.get("/leads", key).status_code == 200
    assert write_log == ["write"]
    first = key_row(session, key).last_used_at
    assert first is not None

    # Used again within the minute: a read-only call stays a read, with no write lock.
    write_log.clear()
    assert api.get("/leads", key).status_code == 200
    assert api.get("/deliveries", key).status_code == 200
    assert write_log == []
    assert key_row(session, key).last_used_at == first

    # Over a minute later, the use is recorded again.
    row = key_row(session, key)
    row.last_used_at = first - timedelta(minutes=2)
    session.flush()
    assert api.get("/leads", key).status_code == 200
    assert write_log == ["write"]
    assert key_row(session, key).last_used_at > first


@pytest.mark.parametrize("token", ["lp_not-a-key-we-issued", "not-even-our-prefix", "revoked"])
def test_a_key_that_does_not_work_takes_no_write_lock(
        api: Any, make_key: Any, make_partner: Any, session: Session, write_log: list[str],
        token: str) -> None:
    if token == "revoked":
        token = make_key(make_partner())
        revoke_key(session, key_row(session, token))
    assert api.get("/leads", token).status_code == 401
    assert write_log == []


def test_responses_set_no_cookie_and_are_not_stored(api: Any, client: Any, make_key: Any,
                                                    make_partner: Any) -> None:
    key = make_key(make_partner())
    responses = [
        api.get("/leads", key),
        api.get("/deliveries", key),
        api.get("/leads"),
        api.get("/leads/" + "0" * 32, key),
        api.get("/no-such-thing", key),
        api.post("/deliveries/1/replay", key),
        api.call("DELETE", "/leads", key),
        api.get("/openapi.json"),
    ]

    assert [r.status_code for r in responses] == [200, 200, 401, 404, 404, 404, 405, 200]
    for response in responses:
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
        assert response.mimetype == "application/json"
    assert list(client._cookies) == []


def test_rate_limit_per_key_answers_json_429(api: Any, app: Any, documented: Any,
                                             make_key: Any, make_partner: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "RATELIMIT_API", "3 per minute")
    partner = make_partner()
    first, second = make_key(partner, "first"), make_key(partner, "second")

    # One bucket per key across the whole API, whichever endpoint is called.
    answers = [api.get("/leads", first).status_code, api.get("/deliveries", first).status_code,
               api.get("/leads", first).status_code]
    limited = api.get("/deliveries", first)

    assert answers == [200, 200, 200]
    assert limited.status_code == 429
    error = documented(limited, "/deliveries", "get")["error"]
    assert error["code"] == "rate_limited"
    assert error["details"] == {"limit": "3 per 1 minute"}
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["Cache-Control"] == "no-store"
    # Another key, even of the same partner, has its own bucket.
    assert api.get("/leads", second).status_code == 200


def test_calls_without_a_valid_key_are_limited_per_address(
        api: Any, app: Any, monkeypatch: pytest.MonkeyPatch, make_key: Any,
        make_partner: Any) -> None:
    monkeypatch.setitem(app.config, "RATELIMIT_API", "2 per minute")

    answers = [api.get("/leads", "lp_guess-" + str(n)).status_code for n in range(3)]

    assert answers == [401, 401, 429]
    # A valid key is not held back by someone guessing from the same address.
    assert api.get("/leads", make_key(make_partner())).status_code == 200
