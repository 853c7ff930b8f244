"""Direct upload to Meta's custom audience users endpoint, against a loopback server that checks
what is sent: the token, the schema, batch sizes, and that every value is a SHA-256 hex."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from audience_support import read_rows
from flask import Flask
from sqlalchemy.orm import Session

from leadpages.audiences import meta
from leadpages.objections.services import record_objection

TOKEN = "EAAB-test-token"
SCHEMA = ["EMAIL", "PHONE", "FN", "LN", "ZIP", "COUNTRY"]


@dataclass
class Call:
    method: str
    path: str
    rows: list[list[str]]
    session: dict[str, Any]


@dataclass
class FakeMeta:
    """Meta's users endpoint: refuses anything malformed the way Meta does (400 + error)."""

    url: str = ""
    calls: list[Call] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fail_with: tuple[int, str] | None = None

    def check(self, method: str, path: str, form: dict[str, list[str]]) -> str | None:
        if form.get("access_token") != [TOKEN]:
            return "Invalid OAuth access token"
        if not re.fullmatch(r"/v21\.0/\d+/users", path):
            return f"unknown path {path}"
        payload = json.loads(form["payload"][0])
        if payload.get("schema") != SCHEMA:
            return f"bad schema {payload.get('schema')}"
        data = payload["data"]
        if not 1 <= len(data) <= meta.BATCH:
            return f"batch of {len(data)} rows"
        for row in data:
            if len(row) != len(SCHEMA):
                return "row length"
            for value in row:
                if value and not re.fullmatch(r"[0-9a-f]{64}", value):
                    return f"value not hashed: {value!r}"
            if not row[0] and not row[1]:
                return "row without email or phone"
        self.calls.append(Call(method, path, data, json.loads(form["session"][0])))
        return None


@pytest.fixture
def fake_meta(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMeta]:
    state = FakeMeta()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
            problem = state.check(self.command, self.path, parse_qs(body))
            if state.fail_with:
                status, message = state.fail_with
            elif problem:
                state.problems.append(problem)
                status, message = 400, problem
            else:
                status, message = 200, ""
            answer = ({"error": {"message": message, "type": "OAuthException", "code": 190}}
                      if status != 200 else
                      {"audience_id": self.path.split("/")[2], "session_id": 1,
                       "num_received": len(state.calls[-1].rows), "num_invalid_entries": 0,
                       "invalid_entry_samples": {}})
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_DELETE = _answer

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/v21.0"
    monkeypatch.setitem(app.config, "META_API_URL", state.url)
    monkeypatch.setitem(app.config, "META_ACCESS_TOKEN", TOKEN)
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_batches_are_10000_rows_at_most() -> None:
    assert meta.BATCH == 10_000


def test_adds_and_removals_are_sent_in_batches(
        session: Session, make_project: Any, make_lead: Any, make_audience: Any, export: Any,
        folder: Path, fake_meta: FakeMeta, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(meta, "BATCH", 3)  # seven people make batches of 3, 3 and 1
    project = make_project()
    leads = [make_lead(project, postcode="9000", country="BE") for _ in range(7)]
    audience = make_audience(platform_audience_id="23851234567890")

    done = export(audience)

    assert fake_meta.problems == []
    assert done.upload == "sent: 7 sent"
    assert [(c.method, len(c.rows)) for c in fake_meta.calls] == [
        ("POST", 3), ("POST", 3), ("POST", 1)]
    assert {c.path for c in fake_meta.calls} == {"/v21.0/23851234567890/users"}
    sessions = [c.session for c in fake_meta.calls]
    assert [s["batch_seq"] for s in sessions] == [1, 2, 3]
    assert [s["last_batch_flag"] for s in sessions] == [False, False, True]
    assert len({s["session_id"] for s in sessions}) == 1
    assert all(s["estimated_num_total"] == 7 for s in sessions)
    _, rows = read_rows(folder / done.file_name)
    assert [row for c in fake_meta.calls for row in c.rows] == rows  # the file, as written

    record_objection(session, email=leads[0].email, scope="ads", source="staff")
    fake_meta.calls.clear()
    again = export(audience)
    assert fake_meta.problems == []
    assert again.upload == "sent: 1 removed, 6 sent"
    assert [(c.method, len(c.rows)) for c in fake_meta.calls] == [
        ("DELETE", 1), ("POST", 3), ("POST", 3)]
    _, removals = read_rows(folder / again.removal_file_name)
    assert fake_meta.calls[0].rows == removals


def test_a_refused_upload_is_recorded_and_the_files_stay(
        session: Session, make_project: Any, make_lead: Any, make_audience: Any, cli: Any,
        folder: Path, fake_meta: FakeMeta) -> None:
    make_lead(make_project())
    make_audience(name="Meta buyers", platform_audience_id="123")
    session.commit()
    fake_meta.fail_with = (400, "Error validating access token: Session has expired")
    result = cli("audience", "export", "Meta buyers")
    assert result.exit_code == 1
    assert ("the upload failed: failed: upload batch 1 of 1: Meta answered 400: Error "
            "validating access token") in result.output
    assert TOKEN not in result.output
    written = list(folder.iterdir())
    assert len(written) == 1
    assert written[0].suffix == ".csv"


def test_upload_is_off_without_a_token_or_when_declined(
        session: Session, make_project: Any, make_lead: Any, make_audience: Any, export: Any,
        app: Flask, fake_meta: FakeMeta, monkeypatch: pytest.MonkeyPatch, cli: Any) -> None:
    make_lead(make_project())
    audience = make_audience(name="Quiet", platform_audience_id="123")
    assert export(audience, upload=False).upload == "not requested"
    monkeypatch.setitem(app.config, "META_ACCESS_TOKEN", "")
    assert export(audience).upload == "not configured"
    session.commit()
    asked = cli("audience", "export", "Quiet", "--upload")
    assert asked.exit_code == 2
    assert "direct upload is off: set LEADPAGES_META_ACCESS_TOKEN" in asked.output
    assert fake_meta.calls == []


def test_no_answer_is_an_error_not_a_crash(
        make_project: Any, make_lead: Any, make_audience: Any, export: Any, app: Flask,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setitem(app.config, "META_API_URL", f"http://127.0.0.1:{port}/v21.0")
    monkeypatch.setitem(app.config, "META_ACCESS_TOKEN", TOKEN)
    make_lead(make_project())
    done = export(make_audience(platform_audience_id="42"))
    assert done.status == "written"
    assert done.upload == "failed: upload batch 1 of 1: no answer from Meta (ConnectionError)"
