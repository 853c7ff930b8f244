"""API keys as services: found in a read, their use recorded in a short write of its own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from leadpages.accounts import apikeys
from leadpages.db import utcnow


def test_finding_a_key_writes_nothing(session: Any, make_partner: Any) -> None:
    key, plain = apikeys.issue_key(session, make_partner(), "CRM sync")
    session.flush()
    assert apikeys.find_key(session, plain) is key
    assert key.last_used_at is None
    assert not session.dirty
    assert apikeys.find_key(session, plain + "x") is None
    assert apikeys.find_key(session, "lp_" + "x" * 200) is None


def test_a_use_is_to_be_recorded_once_a_minute(session: Any, make_partner: Any) -> None:
    key, _plain = apikeys.issue_key(session, make_partner(), "CRM sync")
    now = utcnow()
    assert apikeys.use_to_record(key, now)
    assert apikeys.record_use(session, key, now) is key
    assert key.last_used_at == now
    assert not apikeys.use_to_record(key, now + timedelta(seconds=59))
    assert apikeys.use_to_record(key, now + timedelta(seconds=61))


def test_a_key_revoked_after_it_was_found_is_not_recorded(session: Any,
                                                          make_partner: Any) -> None:
    key, plain = apikeys.issue_key(session, make_partner(), "CRM sync")
    session.flush()
    found = apikeys.find_key(session, plain)
    assert found is not None
    apikeys.revoke_key(session, key)
    assert apikeys.record_use(session, found) is None
    assert key.last_used_at is None


def test_authenticate_finds_and_records_in_one_go(session: Any, make_partner: Any) -> None:
    key, plain = apikeys.issue_key(session, make_partner(), "CRM sync")
    session.flush()
    assert apikeys.authenticate(session, plain) is key
    assert key.last_used_at is not None
    apikeys.revoke_key(session, key)
    assert apikeys.authenticate(session, plain) is None
