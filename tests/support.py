"""Helpers shared by the tests: settings for test applications and reading pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def base_overrides(tmp: Path, database_url: str) -> dict[str, Any]:
    """Settings for a test application: fast forms, no page cache, immediate visit counts."""
    return {
        "ENV": "test",
        "INSTANCE_PATH": str(tmp / "instance"),
        "UPLOAD_PATH": str(tmp / "uploads"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "FORM_MIN_SECONDS": 0,
        "PAGE_CACHE_SECONDS": 0,
        "VISIT_FLUSH_SECONDS": 0,
        "RATELIMIT_LEADS": "1000 per minute",
    }


class HiddenInputs(HTMLParser):
    """Collects the hidden inputs of the lead form in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and "lead" in (attributes.get("class") or ""):
            self._in_form = True
        if self._in_form and tag == "input" and attributes.get("type") == "hidden":
            self.values[attributes["name"] or ""] = attributes.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False


def hidden_inputs(html: str) -> dict[str, str]:
    """The hidden fields (CSRF token, start time, campaign) of the page's lead form."""
    parser = HiddenInputs()
    parser.feed(html)
    return parser.values


VALID = {
    "first_name": "Jan",
    "last_name": "Janssens",
    "email": "jan.janssens@example.com",
    "phone": "0470 12 34 56",
}


class Loads(HTMLParser):
    """Every URL a page makes the browser load by itself: scripts, images, styles, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("img", "script", "iframe", "source", "audio", "video") and attributes.get("src"):
            self.urls.append(attributes["src"] or "")
        for name in ("srcset",):
            for candidate in (attributes.get(name) or "").split(","):
                if candidate.strip():
                    self.urls.append(candidate.split()[0])
        if tag == "link" and attributes.get("rel") in ("stylesheet", "icon", "preload",
                                                        "modulepreload", "manifest"):
            self.urls.append(attributes.get("href") or "")


def loaded_urls(html: str) -> list[str]:
    """The URLs the browser would fetch on its own to show `html`."""
    parser = Loads()
    parser.feed(html)
    return parser.urls


def text_of(response: Any) -> str:
    """A response body as text with tags removed and white space folded, for `in` checks."""
    body = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))
