"""The form token: bound to one cookie, carrying an unforgeable time."""

from __future__ import annotations

from leadpages.leads import tokens

SECRET = "s" * 40


def test_genuine_token_reports_its_age() -> None:
    token = tokens.issue(SECRET, "nonce-aaaaaaaaaaaa", now=1000.0)
    checked = tokens.check(SECRET, "nonce-aaaaaaaaaaaa", token, now=1004.5)
    assert checked.problem is None
    assert checked.age == 4.5


def test_token_is_bound_to_cookie_secret_and_time() -> None:
    token = tokens.issue(SECRET, "nonce-aaaaaaaaaaaa", now=1000.0)
    assert tokens.check(SECRET, "nonce-bbbbbbbbbbbb", token, now=1004).problem == "invalid"
    assert tokens.check("t" * 40, "nonce-aaaaaaaaaaaa", token, now=1004).problem == "invalid"
    millis, mac = token.split(".")
    earlier = f"{int(millis) - 60_000}.{mac}"  # pretending the form was served a minute sooner
    assert tokens.check(SECRET, "nonce-aaaaaaaaaaaa", earlier, now=1004).problem == "invalid"
    assert tokens.check(SECRET, None, token, now=1004).problem == "cookie"
    for garbage in ("", ".", "abc.def", "1" * 16 + ".x", token + "x", "123.é", "²³.x"):
        assert tokens.check(SECRET, "nonce-aaaaaaaaaaaa", garbage, now=1004).problem == "invalid"


def test_old_and_future_tokens_are_refused() -> None:
    token = tokens.issue(SECRET, "n" * 22, now=1000.0)
    assert tokens.check(SECRET, "n" * 22, token, now=1000 + tokens.MAX_AGE + 1).problem
    assert tokens.check(SECRET, "n" * 22, token, now=990).problem == "invalid"


def test_non_ascii_cookie_is_refused_not_an_error() -> None:
    token = tokens.issue(SECRET, "n" * 22, now=1000.0)
    assert tokens.check(SECRET, "é" * 22, token, now=1004).problem == "invalid"
