"""Helpers shared by the tests: settings for test applications and reading pages."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

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


# A partner's webhook receiver, real, on loopback.


@dataclass
class Received:
    """One request the receiver got, and whether its signature verified."""

    headers: dict[str, str]
    body: bytes
    verified: bool


@dataclass
class Receiver:
    """Answers with the queued responses in turn (then 204), verifying each signature."""

    url: str = ""
    secret: str | None = None
    script: list[dict[str, Any]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def answer(self, status: int = 204, delay: float = 0, headers: dict[str, str] | None = None,
               body: str = "") -> None:
        self.script.append({"status": status, "delay": delay, "headers": headers or {},
                            "body": body})


@contextlib.contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 at a free port, for as long as the block runs."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            verified = False
            if state.secret:
                try:
                    Webhook(state.secret).verify(body, headers)
                    verified = True
                except WebhookVerificationError:
                    verified = False
            state.received.append(Received(headers, body, verified))
            step = state.script.pop(0) if state.script else {"status": 204, "delay": 0,
                                                               "headers": {}, "body": ""}
            time.sleep(step["delay"])
            try:
                self.send_response(step["status"])
                for name, value in step["headers"].items():
                    self.send_header(name, value)
                payload = step["body"].encode()
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up (timeout) or was killed mid-request

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/leads"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
