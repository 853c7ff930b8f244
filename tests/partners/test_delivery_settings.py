"""A partner's delivery settings: which webhook addresses are allowed, and secret rotation."""

from __future__ import annotations

from typing import Any

import pytest

from leadpages.partners.services import (
    SettingsError,
    check_webhook_url,
    rotate_webhook_secret,
    signing_secrets,
)


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://example.com/x", "starting with https://"),
    ("https://example.com:99999/x", "port must be a number"),
    ("https://user:pw@example.com/x", "user name or password"),
    ("http://10.0.0.1/x", "not a public address"),
    ("http://169.254.169.254/latest", "not a public address"),
    ("http://[::ffff:10.0.0.1]/x", "not a public address"),
    ("http://[2002:a00:1::]/x", "not a public address"),
    ("http://[64:ff9b::a00:1]/x", "not a public address"),
    ("http://127.0.0.1:8080/x", "not a public address"),
])
def test_unsafe_webhook_addresses_are_refused(url: str, reason: str) -> None:
    with pytest.raises(SettingsError, match=reason):
        check_webhook_url(url, require_https=False, allow_loopback=False)


def test_https_required_in_production_and_loopback_only_when_allowed() -> None:
    with pytest.raises(SettingsError, match="must start with https://"):
        check_webhook_url("http://127.0.0.1/x", require_https=True, allow_loopback=True)
    assert check_webhook_url("http://127.0.0.1/x", require_https=False,
                             allow_loopback=True) == "http://127.0.0.1/x"


def test_rotation_keeps_at_most_the_previous_secret(session: Any, make_partner: Any) -> None:
    partner = make_partner()
    first = rotate_webhook_secret(session, partner)
    second = rotate_webhook_secret(session, partner)
    assert signing_secrets(partner) == [second, first]
    third = rotate_webhook_secret(session, partner)
    assert signing_secrets(partner) == [third, second]  # never more than two signatures
    assert all(s.startswith("whsec_") for s in (first, second, third))
