"""Helpers for the workspace tests: a test client that signs in (both factors) and sends CSRF."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
from flask.testing import FlaskClient

from leadpages.staff.models import StaffUser

PASSWORD = "correct Horse battery"

_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client: FlaskClient, page: str = "/admin/sign-in") -> str:
    """A CSRF token valid for the client's session, read from a page that has a form."""
    html = client.get(page, follow_redirects=True).get_data(as_text=True)
    found = _TOKEN.search(html) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def code_for(user: StaffUser, offset_steps: int = 0) -> str:
    """The authenticator app's code for `user` now (or `offset_steps` steps away)."""
    assert user.totp_secret
    return pyotp.TOTP(user.totp_secret).at(time.time() + 30 * offset_steps)


class StaffBrowser:
    """A test client that speaks the workspace: signs in, and sends forms with their CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.user: StaffUser | None = None

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST with a valid CSRF token (read from the sign-in page, valid for this session)."""
        return self.client.post(url, data={"csrf_token": csrf_token(self.client),
                                           **(data or {})}, **kwargs)

    def sign_in(self, user: StaffUser, password: str = PASSWORD) -> StaffBrowser:
        """Both steps of the sign-in, as a person with the authenticator app would."""
        first = self.post("/admin/sign-in", {"email": user.email, "password": password})
        assert first.status_code == 303, first.get_data(as_text=True)
        second = self.post("/admin/sign-in/code", {"code": code_for(user)})
        assert second.status_code == 303, second.get_data(as_text=True)
        self.user = user
        return self
