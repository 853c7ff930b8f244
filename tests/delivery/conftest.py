"""A real webhook receiver and a real SMTP server on loopback, for the delivery tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


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


@pytest.fixture
def receiver() -> Iterator[Receiver]:
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
    yield state
    server.shutdown()
    server.server_close()


