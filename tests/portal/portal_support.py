"""Helpers for the portal tests: a test client that signs in and sends CSRF tokens."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from leadpages.accounts.models import PartnerUser

PASSWORD = "correct Horse battery"

_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client: FlaskClient) -> str:
    """A CSRF token valid for the client's session, read from a page that has a form."""
    page = client.get("/portal/forgot-password").get_data(as_text=True)
    found = _TOKEN.search(page) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


class Browser:
    """A test client that speaks the portal: signs in, and sends forms with their CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.post(url, data={"csrf_token": csrf_token(self.client), **(data or {})},
                                **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD) -> Any:
        return self.post("/portal/sign-in", {"email": email, "password": password})

    def signed_in_as(self, user: PartnerUser, password: str = PASSWORD) -> Browser:
        response = self.sign_in(user.email, password)
        assert response.status_code == 303, response.get_data(as_text=True)
        return self
