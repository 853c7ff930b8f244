"""`make bench`: landing page and lead form against bare Flask baselines; Lighthouse; weight.

What it measures and how to read it: bench/README.md. In short, in one run:

1. Sets up the real app in a temporary instance folder (`leadpages db upgrade`, `leadpages demo`)
   and serves it with gunicorn; captures the demo landing page once; serves the bare app
   (bench/bare_app.py) with the very same gunicorn settings.
2. Checks by hand that one form POST is accepted (303 to the thanks page, one lead, outbox rows),
   and that the bare app serves the captured bytes and inserts its row.
3. Loads, with wrk on loopback, each of: the real landing page, the bare page, the real form POST,
   the bare insert; warm-up first, then a timed run; checks that every answer was the expected
   one and that every accepted POST stored its row.
4. Weighs the page without photos (HTML, CSS, JavaScript, fonts) and runs Lighthouse on it.
5. Delivery (bench/delivery.py), in an instance of its own: deliveries per second of 1 and of 4
   `leadpages worker` processes into a loopback webhook receiver, and the time from a form POST
   to the receipt of its signed webhook, p50 and p99.
6. Audience export (bench/audience.py), in an instance of its own: exporting a Meta audience
   over 1,000,000 leads, time and peak memory, beside a bare loop that reads the same rows and
   hashes them.
7. Prints requests/s, p50 and p99 of each, the ratios, the delivery and audience figures and
   every bar with PASS or FAIL, and writes the same as JSON to bench/results/latest.json.

Exit status: 0 when every bar passes, 1 when a bar fails, 2 when the bench could not measure.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy import table as sql_table
from sqlalchemy.engine import make_url

if __name__ == "__main__":
    # bench/delivery.py imports from this module by its name: let it find this very run of it
    # (not a second copy, whose BenchError would not be caught here).
    sys.modules.setdefault("run", sys.modules[__name__])

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
LUA = BENCH / "load.lua"
VENV_BIN = ROOT / ".venv" / "bin"

SLUG = "residentie-parkzicht"
PAGE_PATH = f"/en/p/{SLUG}"
THANKS_PATH = f"{PAGE_PATH}/thanks"

PAGE_BAR = 0.8  # landing page req/s >= 0.8 x bare page
POST_BAR = 0.5  # form POST req/s >= 0.5 x bare insert
WEIGHT_BAR = 50_000  # bytes transferred for HTML, CSS, JS and fonts (50 KB, decimal)
LIGHTHOUSE_CATEGORIES = ("performance", "accessibility", "best-practices", "seo")

CHROME_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--no-default-browser-check", "--disable-default-apps", "--disable-extensions",
    "--disable-domain-reliability", "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    # Nothing but loopback resolves inside the browser: a request to any other host fails
    # instead of leaving the machine (and shows up in the report as a failed request).
    '--host-resolver-rules="MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost"',
]

FONT_EXTENSIONS = (".woff2", ".woff", ".ttf", ".otf", ".eot")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".avif", ".gif", ".svg", ".ico")

#: Real leads per wrk run are at most 100,000 per thread (the phone's 7 digits are
#: offset + thread * 100,000 + counter), so each real POST run gets its own block of 1,000,000.
PHONE_BLOCK = 1_000_000


class BenchError(Exception):
    """The bench could not measure; the message says what went wrong and what to look at."""


def say(message: str = "") -> None:
    print(message, flush=True)


def step(message: str) -> None:
    say(f"· {message}")


# --- child processes --------------------------------------------------------------------------


class Children:
    """Every process the bench starts, each in its own process group, stopped at the end."""

    def __init__(self) -> None:
        self._procs: list[subprocess.Popen[bytes]] = []

    def spawn(self, argv: list[str], *, cwd: Path, env: dict[str, str],
              log: Path | None = None) -> subprocess.Popen[bytes]:
        out: Any = subprocess.PIPE
        handle = None
        if log is not None:
            handle = log.open("wb")
            out = handle
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        finally:
            if handle is not None:
                handle.close()
        self._procs.append(proc)
        return proc

    def run(self, argv: list[str], *, cwd: Path, env: dict[str, str],
            timeout: float) -> tuple[int, str]:
        """Run to completion (or stop it after `timeout`); return its exit code and output."""
        proc = self.spawn(argv, cwd=cwd, env=env)
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(proc)
            raise BenchError(f"{Path(argv[0]).name} did not finish within {timeout:.0f} s: "
                             + " ".join(argv)) from None
        finally:
            self.stop(proc)
        return proc.returncode, output.decode("utf-8", "replace")

    def stop(self, proc: subprocess.Popen[bytes], grace: float = 10) -> None:
        """SIGINT the process group (as Ctrl-C would: Lighthouse then closes its chromium),
        then SIGTERM, then SIGKILL what is left."""
        if proc in self._procs:
            self._procs.remove(proc)
        for sig, wait in ((signal.SIGINT, 5), (signal.SIGTERM, grace), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
            # The leader is gone; make sure nothing else of its group is left behind.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            break
        if proc.stdout is not None:
            proc.stdout.close()

    def stop_all(self) -> None:
        for proc in reversed(list(self._procs)):
            self.stop(proc)


def reap_strays(workdir: Path) -> list[int]:
    """Kill what is left of the bench's own processes, found by the temporary folder that each
    of them names on its command line (gunicorn's config, Lighthouse's chromium profile).

    Chromium runs in a process group of its own (chrome-launcher detaches it); Lighthouse closes
    it on SIGINT, and this catches it if Lighthouse could not.
    """
    marker = str(workdir).encode()
    killed = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in cmdline:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
    return killed


def _raise_interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


# --- tools ------------------------------------------------------------------------------------


def _apt_install(packages: list[str], why: str) -> None:
    if os.geteuid() != 0:
        raise BenchError(f"{why} is missing and only root may install it here: run "
                         f"`sudo apt-get install {' '.join(packages)}`, then `make bench` again.")
    if not shutil.which("apt-get"):
        raise BenchError(f"{why} is missing and this is not a Debian system: install "
                         f"{' '.join(packages)} by hand.")
    step(f"installing {' '.join(packages)} from Debian ({why} is missing)...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"],
                 ["apt-get", "install", "-y", "-qq", *packages]):
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600,
                              check=False)
        if done.returncode != 0:
            raise BenchError(f"`{' '.join(argv)}` failed:\n{done.stdout[-2000:]}"
                             f"{done.stderr[-2000:]}")


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if not found:
        _apt_install(["wrk"], "the load generator wrk")
        found = shutil.which("wrk")
    if not found:
        raise BenchError("wrk is still not on PATH after installing it")
    return found


def ensure_lighthouse(children: Children) -> tuple[str, Path]:
    """Node and the pinned Lighthouse under bench/node_modules (installed from the lock file)."""
    if not shutil.which("node") or not shutil.which("npm"):
        _apt_install(["nodejs", "npm"], "Node.js (for Lighthouse)")
    node = shutil.which("node")
    npm = shutil.which("npm")
    assert node
    assert npm
    cli = BENCH / "node_modules" / "lighthouse" / "cli" / "index.js"
    if not cli.exists():
        lock = BENCH / "package-lock.json"
        verb = "ci" if lock.exists() else "install"
        step(f"npm {verb} --prefix bench (Lighthouse, pinned in bench/package.json)...")
        code, output = children.run(
            [npm, verb, "--prefix", str(BENCH), "--no-audit", "--no-fund"],
            cwd=BENCH, env=dict(os.environ), timeout=600)
        if code != 0 or not cli.exists():
            raise BenchError(f"npm {verb} failed:\n{output[-3000:]}")
    return node, cli


# --- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Settings:
    workers: int
    worker_class: str
    threads: int
    wrk_threads: int
    connections: int
    duration: float
    warmup: float
    rounds: int

    def gunicorn_args(self, port: int, config: Path) -> list[str]:
        args = [
            "--config", str(config),  # an empty file: no gunicorn.conf.py of either side applies
            "--workers", str(self.workers),
            "--worker-class", self.worker_class,
            "--bind", f"127.0.0.1:{port}",
            "--backlog", "2048",
            "--timeout", "30",
            "--graceful-timeout", "5",
            "--log-level", "warning",
            "--error-logfile", "-",
        ]
        if self.worker_class == "gthread":
            args += ["--threads", str(self.threads)]
        return args


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


def start_gunicorn(children: Children, name: str, app: str, *, cwd: Path, env: dict[str, str],
                   settings: Settings, workdir: Path, probe: str) -> Server:
    gunicorn = VENV_BIN / "gunicorn"
    if not gunicorn.exists():
        gunicorn = Path(sys.executable).parent / "gunicorn"
    config = workdir / "gunicorn-empty.conf.py"
    config.write_text("# identical, empty gunicorn configuration for every bench server\n")
    port = free_port()
    log = workdir / f"gunicorn-{name}.log"
    env = {k: v for k, v in env.items() if k != "GUNICORN_CMD_ARGS"}
    proc = children.spawn([str(gunicorn), *settings.gunicorn_args(port, config), app],
                          cwd=cwd, env=env, log=log)
    server = Server(name, port, proc, log)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise BenchError(f"gunicorn for the {name} app exited ({proc.returncode}) at start:\n"
                             + server.log_tail())
        try:
            if requests.get(server.base + probe, timeout=2).status_code < 500:
                return server
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise BenchError(f"gunicorn for the {name} app did not answer {probe} within 60 s:\n"
                             + server.log_tail())
        time.sleep(0.2)


# --- the database -----------------------------------------------------------------------------


def normalise_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@contextlib.contextmanager
def bench_database(given: str | None, instance: Path, as_is: bool) -> Iterator[str]:
    """The database URL both apps use: SQLite in the temporary instance folder by default.

    A PostgreSQL URL names a server and a database to connect to; unless `as_is`, the bench
    creates a throwaway database beside it for the run and drops it at the end, so that runs
    never meet each other's leads (the duplicate rule would merge them) and leave nothing behind.
    """
    if not given:
        yield f"sqlite:///{instance / 'leadpages.sqlite3'}"
        return
    url = normalise_url(given)
    if not url.startswith("postgresql") or as_is:
        yield url
        return
    base = make_url(url)
    name = f"{base.database or 'leadpages'}_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        raise BenchError(f"could not create the throwaway database {name} on {base.host}: "
                         f"{error}\nGive a role that may create databases, or pass "
                         "--use-database-as-is to run in the given database.") from error
    step(f"created the throwaway PostgreSQL database {name} (dropped at the end)")
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except Exception as error:  # report, but do not hide the run's own outcome
            say(f"warning: could not drop the throwaway database {name}: {error}")
        admin.dispose()


class RowCounter:
    """Counts rows of the real app's and the bare app's tables, straight from the database."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)

    def count(self, table: str) -> int | None:
        with self.engine.connect() as conn:
            if not inspect(conn).has_table(table):
                return None
            query = select(func.count()).select_from(sql_table(table))
            return int(conn.execute(query).scalar_one())

    def counts(self, *tables: str) -> dict[str, int | None]:
        return {table: self.count(table) for table in tables}

    def close(self) -> None:
        self.engine.dispose()


def delta(after: dict[str, int | None], before: dict[str, int | None], table: str) -> int | None:
    a, b = after.get(table), before.get(table)
    return None if a is None or b is None else a - b


# --- the lead form ----------------------------------------------------------------------------


class FormParser(HTMLParser):
    """Every <form> of a page with its action, method and inputs (name, type, value)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._open = {"action": attr.get("action", ""),
                          "method": attr.get("method", "get").lower(), "inputs": []}
            self.forms.append(self._open)
        elif tag in ("input", "textarea", "select") and self._open is not None:
            self._open["inputs"].append({
                "tag": tag, "name": attr.get("name", ""),
                "type": attr.get("type", "text" if tag == "input" else tag).lower(),
                "value": attr.get("value", ""),
            })

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


REQUIRED_FIELDS = ("first_name", "last_name", "email", "phone")


@dataclass
class LeadForm:
    action: str
    hidden: list[tuple[str, str]]
    cookie: str

    def fixed_body(self) -> str:
        """The urlencoded form without email and phone (each request adds its own)."""
        return urlencode([*self.hidden, ("first_name", "Bench"), ("last_name", "Mark")])

    def data(self, email: str, phone: str) -> list[tuple[str, str]]:
        return [*self.hidden, ("first_name", "Bench"), ("last_name", "Mark"),
                ("email", email), ("phone", phone)]


def read_lead_form(session: requests.Session, page_url: str) -> LeadForm:
    response = session.get(page_url, timeout=10)
    if response.status_code != 200:
        raise BenchError(f"GET {page_url} answered {response.status_code}, not 200:\n"
                         + response.text[:1500])
    parser = FormParser()
    parser.feed(response.text)
    forms = [f for f in parser.forms
             if f["method"] == "post" and {i["name"] for i in f["inputs"]} >= {"email", "phone"}]
    if not forms:
        raise BenchError(f"no POST form with email and phone fields on {page_url}")
    form = forms[0]
    names = {i["name"] for i in form["inputs"]}
    missing = [name for name in REQUIRED_FIELDS if name not in names]
    if missing:
        raise BenchError(f"the lead form on {page_url} has no field {', '.join(missing)}")
    hidden = [(i["name"], i["value"]) for i in form["inputs"]
              if i["tag"] == "input" and i["type"] == "hidden" and i["name"]]
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    action = urljoin(page_url, form["action"] or page_url)
    return LeadForm(action=action, hidden=hidden, cookie=cookie)


def check_one_post(session: requests.Session, form: LeadForm, counter: RowCounter,
                   tag: str) -> dict[str, Any]:
    """One POST by hand: 303 to the thanks page, one more lead and its outbox rows."""
    before = counter.counts("leads", "deliveries")
    response = session.post(form.action,
                            data=form.data(f"bench+{tag}-check@example.com", "+32480000001"),
                            allow_redirects=False, timeout=30)
    location = response.headers.get("Location", "")
    if response.status_code != 303 or urlsplit(location).path != THANKS_PATH:
        raise BenchError(
            f"the hand-checked form POST to {form.action} answered {response.status_code} "
            f"(Location: {location or '-'}), not 303 to {THANKS_PATH}. Fields sent: "
            f"{', '.join(name for name, _ in form.data('', ''))}.\nBody excerpt:\n"
            + _text_excerpt(response.text))
    time.sleep(0.2)
    after = counter.counts("leads", "deliveries")
    leads, outbox = delta(after, before, "leads"), delta(after, before, "deliveries")
    if leads != 1:
        raise BenchError(f"the accepted POST changed the leads table by {leads}, not by 1")
    return {"status": 303, "location": location, "leads_created": leads,
            "outbox_rows_created": outbox}


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))


def _text_excerpt(html: str, limit: int = 1500) -> str:
    parser = _TextOnly()
    parser.feed(html)
    return " | ".join(parser.parts)[:limit] or html[:limit]


# --- load -------------------------------------------------------------------------------------


@dataclass
class Target:
    key: str
    title: str
    server: Server
    method: str  # get or post
    expect: int  # the one status every answer must have
    table: str | None = None  # rows one accepted request creates
    runs: list[dict[str, Any]] = field(default_factory=list)
    wrk_runs: int = 0  # warm-up included


class Load:
    """Runs wrk with load.lua against a target, with a new identity block for every POST run."""

    def __init__(self, wrk: str, children: Children, settings: Settings, form: LeadForm,
                 counter: RowCounter, tag: str) -> None:
        self.wrk = wrk
        self.children = children
        self.settings = settings
        self.form = form
        self.counter = counter
        self.tag = tag

    def _wrk(self, target: Target, seconds: float, label: str) -> dict[str, Any]:
        s = self.settings
        target.wrk_runs += 1
        if target.method == "get":
            script_args = ["get"]
        else:
            # A new email tag for every run, and a new block of phone numbers for every run of
            # this target, so that no two POSTs of the bench look like the same person.
            script_args = ["post", f"{self.tag}{target.key[-4:]}{target.wrk_runs}",
                           str((target.wrk_runs % 10) * PHONE_BLOCK),
                           self.form.fixed_body(), self.form.cookie]
        argv = [self.wrk, "-t", str(s.wrk_threads), "-c", str(s.connections),
                "-d", f"{seconds:g}s", "--timeout", "10s", "--latency", "-s", str(LUA),
                target.server.base + PAGE_PATH, "--", *script_args]
        code, output = self.children.run(argv, cwd=BENCH, env=dict(os.environ),
                                         timeout=seconds + 60)
        (RESULTS / f"wrk-{target.key}-{label}.txt").write_text(output)
        line = next((ln for ln in output.splitlines() if ln.startswith("BENCH_JSON ")), None)
        if code != 0 or line is None:
            raise BenchError(f"wrk against {target.title} failed ({code}):\n{output[-2000:]}")
        result: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
        result["statuses"] = {int(k): v for k, v in result["statuses"].items()}
        return result

    def warm_up(self, target: Target) -> None:
        if self.settings.warmup > 0:
            self._wrk(target, self.settings.warmup, "warmup")

    def settle(self, target: Target) -> dict[str, int | None]:
        """Row counts once the requests still queued when wrk stopped have been served.

        wrk stops reading at the deadline, but the requests it had sent wait in the server's
        backlog and are still served (and stored); wait until the count stops changing.
        """
        if not target.table:
            time.sleep(0.5)
            return {}
        counts = self.counter.counts(target.table)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            time.sleep(0.3)
            again = self.counter.counts(target.table)
            if again == counts:
                break
            counts = again
        return counts

    def measure(self, target: Target) -> dict[str, Any]:
        s = self.settings
        before = self.settle(target)
        result = self._wrk(target, s.duration, f"run{len(target.runs) + 1}")
        if target.table:
            after = self.settle(target)
            result["rows_created"] = delta(after, before, target.table)
        seconds = result["duration_us"] / 1e6
        result["rps"] = result["requests"] / seconds if seconds else 0.0
        result["problems"] = problems_of(target, result, s.connections)
        target.runs.append(result)
        return result


def problems_of(target: Target, result: dict[str, Any], connections: int) -> list[str]:
    """Why this run does not measure what it should: wrong answers, socket errors, lost rows."""
    problems = []
    unexpected = {k: v for k, v in result["statuses"].items() if k != target.expect}
    if unexpected:
        problems.append(f"{sum(unexpected.values())} answers were not {target.expect}: "
                        + ", ".join(f"{v}x {k}" for k, v in sorted(unexpected.items())))
    errors = {k: v for k, v in result["errors"].items() if v and k != "status"}
    if errors:
        problems.append("socket errors: " + ", ".join(f"{k} {v}" for k, v in errors.items()))
    if result["requests"] == 0:
        problems.append("no request completed")
    if target.table:
        ok = result["statuses"].get(target.expect, 0)
        rows = result.get("rows_created")
        # Requests still in flight when wrk stops may store a row whose answer it never reads.
        if rows is None:
            problems.append(f"table {target.table} not found")
        elif not ok <= rows <= ok + connections:
            problems.append(f"{ok} answers {target.expect} but {rows} new rows in {target.table}"
                            " (merged as duplicates, or not stored)")
    return problems


def summarise(target: Target) -> dict[str, Any]:
    """One figure per target: req/s over all its runs; each latency percentile, its median."""
    runs = target.runs
    requests_total = sum(r["requests"] for r in runs)
    seconds = sum(r["duration_us"] for r in runs) / 1e6

    def median_ms(percentile: str) -> float:
        values = sorted(r["latency_us"][percentile] for r in runs)
        return float(statistics.median(values)) / 1000

    statuses: dict[int, int] = {}
    for run in runs:
        for status, count in run["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    return {
        "title": target.title,
        "url": target.server.base + PAGE_PATH,
        "method": target.method.upper(),
        "rps": requests_total / seconds if seconds else 0.0,
        "rps_per_run": [round(r["rps"], 1) for r in runs],
        "p50_ms": median_ms("p50"),
        "p90_ms": median_ms("p90"),
        "p99_ms": median_ms("p99"),
        "requests": requests_total,
        "seconds": seconds,
        "expected_status": target.expect,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "unexpected_answers": sum(v for k, v in statuses.items() if k != target.expect),
        "rows_created": (sum(r.get("rows_created") or 0 for r in runs)
                         if target.table else None),
        "problems": [p for r in runs for p in r["problems"]],
    }


# --- page weight ------------------------------------------------------------------------------


class AssetParser(HTMLParser):
    """Stylesheets, scripts, fonts (and images, counted apart) that a page references."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str]] = []  # (kind, url)
        self.inline_css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: (v or "") for k, v in attrs}
        if tag == "link" and attr.get("href"):
            rel = set(attr.get("rel", "").lower().split())
            kind = None
            if "stylesheet" in rel:
                kind = "css"
            elif "modulepreload" in rel:
                kind = "js"
            elif "preload" in rel or "prefetch" in rel:
                kind = {"style": "css", "script": "js", "font": "font",
                        "image": "image"}.get(attr.get("as", "").lower())
            elif rel & {"icon", "apple-touch-icon"}:
                kind = "image"
            if kind:
                self.refs.append((kind, attr["href"]))
        elif tag == "script" and attr.get("src"):
            self.refs.append(("js", attr["src"]))
        elif tag == "img":
            for name in ("src", "srcset"):
                if attr.get(name):
                    self.refs.append(("image", attr[name].split()[0]))
        elif tag == "source" and attr.get("srcset"):
            self.refs.append(("image", attr["srcset"].split()[0]))
        elif tag == "style":
            self._in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.inline_css.append(data)


CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+?)\1\s*\)""")
CSS_IMPORT = re.compile(r"""@import\s+(['"])([^'"]+)\1""")


def css_refs(css: str) -> list[tuple[str, str]]:
    refs = [("css", m.group(2)) for m in CSS_IMPORT.finditer(css)]
    for match in CSS_URL.finditer(css):
        ref = match.group(2).strip()
        if ref.startswith(("data:", "#")):
            continue
        path = urlsplit(ref).path.lower()
        if path.endswith(FONT_EXTENSIONS):
            refs.append(("font", ref))
        elif path.endswith(".css"):
            refs.append(("css", ref))
        else:
            refs.append(("image", ref))
    return refs


def _decode(body: bytes, encoding: str) -> bytes | None:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    if encoding == "br":
        try:
            import brotli  # type: ignore[import-not-found]
        except ImportError:
            return None
        return bytes(brotli.decompress(body))
    return None


def page_weight(base: str) -> dict[str, Any]:
    """HTML, CSS, JS and fonts of the landing page: bytes as transferred and uncompressed."""
    session = requests.Session()
    session.headers.update({
        "Accept-Encoding": "gzip, deflate, br",
        "User-Agent": "Mozilla/5.0 (Linux; Android 11) leadpages-bench",
    })
    host = urlsplit(base).netloc
    rows: list[dict[str, Any]] = []
    elsewhere: list[str] = []
    images: set[str] = set()
    seen: set[str] = set()
    queue: list[tuple[str, str]] = [("html", base + PAGE_PATH)]
    while queue:
        kind, url = queue.pop(0)
        url = url.split("#")[0]
        if url in seen:
            continue
        seen.add(url)
        if urlsplit(url).netloc != host:
            elsewhere.append(url)
            continue
        if kind == "image":
            images.add(url)
            continue
        response = session.get(url, stream=True, timeout=10)
        raw = response.raw.read(decode_content=False)
        encoding = response.headers.get("Content-Encoding", "")
        body = _decode(raw, encoding)
        rows.append({
            "kind": kind, "url": url.removeprefix(base), "status": response.status_code,
            "transfer_bytes": len(raw), "uncompressed_bytes": len(body) if body else None,
            "encoding": encoding or "identity",
            "cache_control": response.headers.get("Cache-Control", ""),
        })
        if response.status_code != 200 or body is None:
            continue
        text_body = body.decode(response.encoding or "utf-8", "replace")
        if kind == "html":
            parser = AssetParser()
            parser.feed(text_body)
            refs = parser.refs + [r for css in parser.inline_css for r in css_refs(css)]
        elif kind == "css":
            refs = css_refs(text_body)
        else:
            refs = []
        queue.extend((k, urljoin(url, ref)) for k, ref in refs)
    transfer = sum(r["transfer_bytes"] for r in rows)
    uncompressed = (sum(r["uncompressed_bytes"] for r in rows)
                    if all(r["uncompressed_bytes"] is not None for r in rows) else None)
    bad = [r for r in rows if r["status"] != 200]
    return {
        "resources": rows,
        "transfer_bytes": transfer,
        "uncompressed_bytes": uncompressed,
        "images_not_counted": len(images),
        "other_hosts": elsewhere,
        "broken": [f"{r['url']} ({r['status']})" for r in bad],
        "bar_bytes": WEIGHT_BAR,
        "pass": transfer < WEIGHT_BAR and not elsewhere and not bad,
    }


# --- Lighthouse -------------------------------------------------------------------------------


def lighthouse(children: Children, url: str, workdir: Path, runs: int) -> dict[str, Any]:
    """Lighthouse `runs` times; the run with the median performance score is the result.

    Performance varies from run to run with what else the machine is doing (Lighthouse's own
    advice is to take the median of several runs); the other categories hardly vary.
    """
    chrome = os.environ.get("CHROME_PATH") or "/usr/bin/chromium"
    if not Path(chrome).exists():
        return {"ran": False, "reason": f"no chromium at {chrome} (run `make browser`, or set "
                                        "CHROME_PATH)", "pass": False}
    node, cli = ensure_lighthouse(children)
    tmp = workdir / "lighthouse-tmp"  # chromium's profile goes here, so reap_strays finds it
    tmp.mkdir(exist_ok=True)
    env = {**os.environ, "CHROME_PATH": chrome, "TMPDIR": str(tmp)}
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                  "no_proxy"):
        env.pop(proxy, None)
    reports: list[tuple[float, int, Path, dict[str, Any]]] = []
    for number in range(1, runs + 1):
        out = workdir / f"lighthouse-{number}.json"
        argv = [node, str(cli), url, "--output=json", f"--output-path={out}", "--quiet",
                f"--only-categories={','.join(LIGHTHOUSE_CATEGORIES)}",
                "--disable-full-page-screenshot", "--max-wait-for-load=30000",
                f"--chrome-flags={' '.join(CHROME_FLAGS)}"]
        # Lighthouse itself says to run it again after a failed trace (NO_NAVSTART and the
        # like, seen when the machine is busy): up to three attempts per run.
        for attempt in range(1, 4):
            out.unlink(missing_ok=True)
            code, output = children.run(argv, cwd=workdir, env=env, timeout=300)
            report = json.loads(out.read_text()) if code == 0 and out.exists() else {}
            if report and not report.get("runtimeError"):
                break
            problem = (report.get("runtimeError") or {}).get("message") or output[-3000:]
            if attempt == 3:
                raise BenchError(f"Lighthouse failed three times ({code}):\n{problem}")
            say(f"    Lighthouse run {number} failed, trying again: {problem.strip()[-300:]}")
        performance = (report["categories"].get("performance") or {}).get("score") or 0.0
        reports.append((performance, number, out, report))
    ordered = sorted(reports, key=lambda r: (r[0], r[1]))
    _, _, chosen, report = ordered[(len(ordered) - 1) // 2]
    shutil.copyfile(chosen, RESULTS / "lighthouse.json")
    result = read_lighthouse(report)
    result["runs"] = runs
    result["performance_per_run"] = [round(r[0] * 100) for r in reports]
    return result


def _audit_items(audit: dict[str, Any], limit: int = 5) -> list[str]:
    """A few lines saying where an audit failed: the element, the URL or the message."""
    details = audit.get("details") or {}
    lines = [audit["explanation"]] if audit.get("explanation") else []
    for item in details.get("items", [])[:limit]:
        if not isinstance(item, dict):
            continue
        node = item.get("node") if isinstance(item.get("node"), dict) else {}
        source = item.get("sourceLocation") if isinstance(item.get("sourceLocation"), dict) else {}
        parts = [str(p) for p in (node.get("snippet"), node.get("explanation"),
                                  item.get("url") or source.get("url"), item.get("description"),
                                  item.get("source")) if p]
        if parts:
            lines.append(" ".join(" | ".join(parts).split())[:240])
    return lines


def read_lighthouse(report: dict[str, Any]) -> dict[str, Any]:
    audits = report["audits"]
    scores: dict[str, int | None] = {}
    failing: dict[str, list[dict[str, Any]]] = {}
    for key in LIGHTHOUSE_CATEGORIES:
        category = report["categories"].get(key)
        score = None if category is None or category["score"] is None else category["score"]
        scores[key] = None if score is None else round(score * 100)
        if category is None:
            continue
        for ref in category["auditRefs"]:
            audit = audits.get(ref["id"], {})
            mode = audit.get("scoreDisplayMode")
            if audit.get("score") is None or mode in ("notApplicable", "informative", "manual"):
                continue
            if audit["score"] < 1 and (ref.get("weight", 0) > 0 or mode == "binary"):
                failing.setdefault(key, []).append({
                    "id": ref["id"], "title": audit.get("title", ref["id"]),
                    "score": audit["score"], "weight": ref.get("weight", 0),
                    "display": audit.get("displayValue", ""),
                    "items": _audit_items(audit),
                })
    metrics = {}
    for audit_id in ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
                     "cumulative-layout-shift", "speed-index"):
        if audit_id in audits:
            metrics[audit_id] = audits[audit_id].get("displayValue", "")
    requested = [item.get("url", "") for item in
                 audits.get("network-requests", {}).get("details", {}).get("items", [])]
    offsite = sorted({u for u in requested
                      if urlsplit(u).scheme in ("http", "https")
                      and urlsplit(u).hostname not in ("127.0.0.1", "localhost")})
    return {
        "ran": True,
        "lighthouse_version": report.get("lighthouseVersion"),
        "form_factor": report.get("configSettings", {}).get("formFactor"),
        "scores": scores,
        # What keeps a category below 100; `imperfect_audits` also lists those below a full
        # score in categories that still round to 100.
        "failing_audits": {k: v for k, v in failing.items() if scores.get(k) != 100},
        "imperfect_audits": failing,
        "metrics": metrics,
        "requests": len(requested),
        "offsite_requests": offsite,
        "run_warnings": report.get("runWarnings", []),
        "runtime_error": report.get("runtimeError"),
        "pass": all(v == 100 for v in scores.values()) and not offsite,
    }


# --- the run ----------------------------------------------------------------------------------


def real_app_env(instance: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "LEADPAGES_INSTANCE_PATH": str(instance),
        "LEADPAGES_ENV": "development",
        "LEADPAGES_FORM_MIN_SECONDS": "0",  # the bench posts as soon as it has the form
        # The limit is per client address, and all the load comes from 127.0.0.1.
        "LEADPAGES_RATELIMIT_LEADS": "1000000 per minute",
        "LEADPAGES_DATABASE_URL": database_url,
    })
    return env


def check_application() -> None:
    missing = [p for p in ("wsgi.py", "leadpages/cli.py") if not (ROOT / p).exists()]
    if missing or not (VENV_BIN / "leadpages").exists():
        raise BenchError("the application is not complete yet (missing: "
                         + ", ".join(missing or [".venv/bin/leadpages"])
                         + "); run `make install` once it is.")


def set_up_real_app(children: Children, env: dict[str, str]) -> None:
    for command in (["db", "upgrade"], ["demo"]):
        step(f"leadpages {' '.join(command)}")
        code, output = children.run([str(VENV_BIN / "leadpages"), *command], cwd=ROOT, env=env,
                                    timeout=300)
        if code != 0:
            raise BenchError(f"`leadpages {' '.join(command)}` failed ({code}):\n"
                             + output[-3000:])


def capture_page(real: Server, workdir: Path) -> tuple[Path, Path, int]:
    """The landing page as wrk gets it (no cookie, no compression asked): body and headers."""
    response = requests.get(real.base + PAGE_PATH, headers={"Accept-Encoding": "identity"},
                            timeout=10)
    if response.status_code != 200:
        raise BenchError(f"GET {PAGE_PATH} answered {response.status_code}, not 200:\n"
                         + _text_excerpt(response.text))
    skip = {"date", "server", "content-length", "set-cookie", "connection", "transfer-encoding",
            "keep-alive", "content-encoding"}
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in skip]
    body_file, headers_file = workdir / "page.html", workdir / "page-headers.json"
    body_file.write_bytes(response.content)
    headers_file.write_text(json.dumps(headers))
    return body_file, headers_file, len(response.content)


def check_bare(bare: Server, page_file: Path, counter: RowCounter) -> str:
    body = requests.get(bare.base + PAGE_PATH, headers={"Accept-Encoding": "identity"},
                        timeout=10).content
    if body != page_file.read_bytes():
        raise BenchError("the bare app does not serve the captured page's bytes")
    before = counter.count("bench_bare_leads") or 0
    response = requests.post(bare.base + PAGE_PATH, allow_redirects=False, timeout=10,
                             data={"first_name": "Bench", "last_name": "Check",
                                   "email": "bench-check@example.com", "phone": "+32480000002"})
    if response.status_code != 303 or urlsplit(response.headers["Location"]).path != THANKS_PATH:
        raise BenchError(f"the bare insert answered {response.status_code}: {response.text[:500]}")
    if (counter.count("bench_bare_leads") or 0) != before + 1:
        raise BenchError("the bare insert answered 303 but stored no row")
    engine: str = requests.get(bare.base + "/_bench/engine", timeout=10).json()["engine"]
    return engine


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(result: dict[str, Any]) -> None:
    s = result["settings"]
    t = result["targets"]
    say()
    say("=" * 78)
    say(f"Leadpages bench  {result['finished_at']}  database: {result['database']}")
    say(f"gunicorn: {s['workers']} {s['worker_class']} worker(s) per server, identical for real "
        f"and bare; wrk: {s['wrk_threads']} threads, {s['connections']} connections, "
        f"{s['warmup']:g} s warm-up, then {s['rounds']} x {s['duration']:g} s per target, "
        "real and bare interleaved")
    say("=" * 78)
    say(f"{'target':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}"
        f"{'unexpected':>12}")
    for key in ("landing_real", "landing_bare", "post_real", "post_bare"):
        row = t[key]
        say(f"{row['title']:<28}{row['rps']:>10.1f}{row['p50_ms']:>10.1f}{row['p99_ms']:>10.1f}"
            f"{row['requests']:>10}{row['unexpected_answers']:>12}")
    say()
    for key, label in (("landing", "landing page / bare page"),
                       ("post", "form POST / bare insert")):
        ratio = result["ratios"][key]
        rounds = ", ".join(f"{r:.2f}" for r in ratio["per_round"])
        say(f"{label:<28}{ratio['value']:>10.2f}   bar >= {ratio['bar']:.2f}   "
            f"{verdict(ratio['pass'])}   (per round: {rounds})")
    check = result["post_check"]
    say(f"one form POST: 303 -> {urlsplit(check['location']).path}, "
        f"{check['leads_created']} lead + {check['outbox_rows_created']} outbox row(s); "
        f"under load: {t['post_real']['rows_created']} leads stored for "
        f"{t['post_real']['statuses'].get('303', 0)} answers 303")
    for row in t.values():
        for problem in row["problems"]:
            say(f"INVALID {row['title']}: {problem}")

    w = result["page_weight"]
    say()
    say(f"Page weight without photos ({len(w['resources'])} resources, "
        f"{w['images_not_counted']} images not counted):")
    for res in w["resources"]:
        raw = res["uncompressed_bytes"]
        say(f"  {res['kind']:<5} {res['url'][:52]:<52} {res['transfer_bytes']:>8} B"
            f"  ({'?' if raw is None else raw} B uncompressed, {res['encoding']})")
    total_raw = w["uncompressed_bytes"]
    say(f"  total transferred {w['transfer_bytes']} B = {w['transfer_bytes'] / 1000:.1f} KB "
        f"(uncompressed {'?' if total_raw is None else total_raw} B)   bar < "
        f"{WEIGHT_BAR / 1000:.0f} KB   {verdict(w['pass'])}")
    for url in w["other_hosts"]:
        say(f"  REFERENCES ANOTHER HOST: {url}")
    for broken in w["broken"]:
        say(f"  BROKEN: {broken}")

    lh = result["lighthouse"]
    say()
    if lh is None:
        say("Lighthouse: skipped (--skip-lighthouse)")
    elif not lh["ran"]:
        say(f"Lighthouse: NOT RUN: {lh['reason']}   FAIL")
    else:
        scores = "  ".join(f"{k} {'-' if v is None else v}" for k, v in lh["scores"].items())
        say(f"Lighthouse {lh['lighthouse_version']} ({lh['form_factor']}): {scores}   bar 100 "
            f"each   {verdict(lh['pass'])}")
        if lh["runs"] > 1:
            say(f"  median of {lh['runs']} runs by performance (performance per run: "
                + ", ".join(str(v) for v in lh["performance_per_run"]) + ")")
        say("  " + ", ".join(f"{k} {v}" for k, v in lh["metrics"].items()))
        for category, audits in lh["failing_audits"].items():
            say(f"  {category} below 100 because of:")
            for audit in audits:
                extra = f" ({audit['display']})" if audit["display"] else ""
                say(f"    - {audit['title']}{extra}  [{audit['id']}, score "
                    f"{audit['score']:.2f}, weight {audit['weight']}]")
                for item in audit["items"]:
                    say(f"        {item}")
        for url in lh["offsite_requests"]:
            say(f"  REQUEST TO ANOTHER HOST: {url}")
        for warning in lh["run_warnings"]:
            say(f"  warning: {warning}")
    say()
    import audience
    import delivery

    for line in delivery.report(result["delivery"]):
        say(line)
    say()
    for line in audience.report(result["audience"]):
        say(line)
    say()
    say(f"Overall: {result['overall']}   (JSON: {RESULTS.relative_to(ROOT)}/latest.json)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Landing page and form POST against bare Flask baselines under gunicorn "
                    "with wrk; Lighthouse; page weight. See bench/README.md.")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 s warm-up, one 2 s run per target, one Lighthouse run")
    parser.add_argument("--skip-lighthouse", action="store_true", help="do not run Lighthouse")
    parser.add_argument("--lighthouse-runs", type=int, default=3, choices=range(1, 10),
                        help="Lighthouse runs; the median by performance is reported (3)")
    parser.add_argument("--database-url", default=os.environ.get("LEADPAGES_DATABASE_URL"),
                        help="database for both apps (default: $LEADPAGES_DATABASE_URL, else "
                             "SQLite in the temporary instance folder); on PostgreSQL the bench "
                             "works in a throwaway database created beside the one named")
    parser.add_argument("--use-database-as-is", action="store_true",
                        help="on PostgreSQL, use the named database itself (it keeps the "
                             "bench's leads and its bench_bare_leads table)")
    parser.add_argument("--duration", type=float, default=5,
                        help="seconds of each timed run (5; at most 60)")
    parser.add_argument("--warmup", type=float, default=2,
                        help="seconds of warm-up before a target's first run (2)")
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 10),
                        help="timed runs per target, real and bare interleaved (3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn workers per server (2: one per core)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (sync)")
    parser.add_argument("--threads", type=int, default=4,
                        help="threads per worker with --worker-class gthread (4)")
    parser.add_argument("--skip-delivery", action="store_true",
                        help="do not measure delivery (workers into a loopback receiver)")
    parser.add_argument("--delivery-leads", type=int, default=None,
                        help="leads per throughput batch (1000 on SQLite, 2000 on PostgreSQL)")
    parser.add_argument("--latency-seconds", type=float, default=20,
                        help="seconds of form POSTs for submission-to-receipt latency (20)")
    parser.add_argument("--latency-rate", type=float, default=8,
                        help="form POSTs per second for the latency (8)")
    parser.add_argument("--skip-audience", action="store_true",
                        help="do not measure the audience export")
    parser.add_argument("--audience-leads", type=int, default=None,
                        help="leads under the audience export (1,000,000; 100,000 with --quick)")
    parser.add_argument("--keep-temp", action="store_true",
                        help="keep the temporary folder (instance, logs) for inspection")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.rounds, args.lighthouse_runs = 2, 1, 1, 1
        args.delivery_leads = args.delivery_leads or 200
        args.latency_seconds = 5
        args.audience_leads = args.audience_leads or 100_000
    if args.delivery_leads is not None and not 1 <= args.delivery_leads <= 100_000:
        parser.error("--delivery-leads must be from 1 to 100000")
    if args.audience_leads is not None and not 1_000 <= args.audience_leads <= 5_000_000:
        parser.error("--audience-leads must be from 1000 to 5000000")
    if not 0 < args.latency_seconds <= 120 or not 0 < args.latency_rate <= 50:
        parser.error("--latency-seconds must be from 0 to 120, --latency-rate from 0 to 50")
    if not 0 < args.duration <= 60 or args.warmup < 0:
        parser.error("--duration must be from 0 to 60 seconds, --warmup not negative")
    if args.wrk_threads > args.connections:
        parser.error("--wrk-threads must not exceed --connections")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for stale in (*RESULTS.glob("wrk-*.txt"), RESULTS / "latest.json", RESULTS / "lighthouse.json"):
        stale.unlink(missing_ok=True)
    children = Children()
    workdir = Path(tempfile.mkdtemp(prefix="leadpages-bench-"))
    started = time.monotonic()
    try:
        return _main(args, children, workdir)
    except BenchError as error:
        say(f"\nbench: ERROR: {error}")
        return 2
    except KeyboardInterrupt:
        say("\nbench: interrupted; stopping everything it started")
        return 130
    finally:
        children.stop_all()
        strays = reap_strays(workdir)
        if strays:
            say(f"(stopped {len(strays)} leftover process(es) of the bench)")
        if args.keep_temp:
            say(f"(temporary folder kept: {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        say(f"(bench took {time.monotonic() - started:.0f} s)")


def _main(args: argparse.Namespace, children: Children, workdir: Path) -> int:
    settings = Settings(workers=args.workers, worker_class=args.worker_class,
                        threads=args.threads, wrk_threads=args.wrk_threads,
                        connections=args.connections, duration=args.duration,
                        warmup=args.warmup, rounds=args.rounds)
    check_application()
    wrk = ensure_wrk()
    if not args.skip_lighthouse:
        ensure_lighthouse(children)  # before timing anything: npm may take a while once
    instance = workdir / "instance"
    tag = uuid.uuid4().hex[:8]
    with bench_database(args.database_url, instance, args.use_database_as_is) as database_url:
        database = make_url(database_url).render_as_string(hide_password=True)
        env = real_app_env(instance, database_url)
        step(f"real app in {instance}, database {database}")
        set_up_real_app(children, env)
        counter = RowCounter(database_url)
        try:
            return _measure(args, children, workdir, settings, wrk, env, database_url,
                            database, counter, tag)
        finally:
            counter.close()
            children.stop_all()  # before the throwaway database is dropped


def measure_delivery(args: argparse.Namespace, children: Children, workdir: Path,
                     settings: Settings, database_url: str, tag: str) -> dict[str, Any] | None:
    """The delivery part (bench/delivery.py), in an instance and a database of its own."""
    if args.skip_delivery:
        return None
    import delivery

    on_postgres = database_url.startswith("postgres")
    if on_postgres and args.use_database_as_is:
        return {"ran": False, "pass": True,
                "reason": "--use-database-as-is: the delivery part needs a throwaway database "
                          "of its own (it changes the demo partner's webhook)"}
    leads = args.delivery_leads or (2000 if on_postgres else 1000)
    options = delivery.Options(leads=leads, latency_seconds=args.latency_seconds,
                               latency_rate=args.latency_rate)
    # On PostgreSQL the part creates its own throwaway database beside the one given.
    given = normalise_url(args.database_url) if on_postgres and args.database_url else None
    try:
        return delivery.run(children, workdir, settings, tag, given, options)
    except Exception as error:  # an error of the app in this process too (submit_lead, ...)
        # The other figures are still worth printing; the run as a whole is INVALID (exit 2).
        message = str(error) if isinstance(error, BenchError) else \
            f"{type(error).__name__}: {str(error)[:1500]}"
        say(f"    delivery: ERROR: {message}")
        return {"ran": False, "pass": False, "invalid": True, "reason": f"ERROR: {message}"}


def measure_audience(args: argparse.Namespace, workdir: Path,
                     database_url: str) -> dict[str, Any] | None:
    """The audience part (bench/audience.py), in an instance and a database of its own."""
    if args.skip_audience:
        return None
    import audience

    given = normalise_url(args.database_url) \
        if database_url.startswith("postgres") and args.database_url else None
    try:
        return audience.run(workdir, args.audience_leads or audience.DEFAULT_LEADS, given)
    except Exception as error:  # the other figures are still worth printing
        message = f"{type(error).__name__}: {str(error)[:1500]}"
        say(f"    audience: ERROR: {message}")
        return {"ran": False, "pass": False, "invalid": True, "reason": f"ERROR: {message}"}


def _measure(args: argparse.Namespace, children: Children, workdir: Path, settings: Settings,
             wrk: str, env: dict[str, str], database_url: str, database: str,
             counter: RowCounter, tag: str) -> int:
    real = start_gunicorn(children, "real", "wsgi:app", cwd=ROOT, env=env, settings=settings,
                          workdir=workdir, probe=PAGE_PATH)
    step(f"real app: gunicorn on {real.base}")
    page_file, headers_file, size = capture_page(real, workdir)
    step(f"captured {PAGE_PATH}: {size} bytes")

    session = requests.Session()
    form = read_lead_form(session, real.base + PAGE_PATH)
    step(f"lead form: POST {urlsplit(form.action).path}, hidden fields "
         f"{', '.join(name for name, _ in form.hidden)}; cookie "
         f"{'set' if form.cookie else 'none'}")
    post_check = check_one_post(session, form, counter, tag)
    step(f"one POST by hand: 303 to {THANKS_PATH}, 1 lead, "
         f"{post_check['outbox_rows_created']} outbox row(s)")

    bare_env = {k: v for k, v in os.environ.items() if not k.startswith("LEADPAGES_")}
    bare_env.update({"BENCH_DATABASE_URL": database_url, "BENCH_PAGE_FILE": str(page_file),
                     "BENCH_PAGE_HEADERS": str(headers_file)})
    bare = start_gunicorn(children, "bare", "bare_app:app", cwd=BENCH, env=bare_env,
                          settings=settings, workdir=workdir, probe=PAGE_PATH)
    engine_origin = check_bare(bare, page_file, counter)
    step(f"bare app: gunicorn on {bare.base}, same bytes, insert engine from {engine_origin}")

    targets = {
        "landing_real": Target("landing_real", "landing page (real app)", real, "get", 200),
        "landing_bare": Target("landing_bare", "same bytes (bare Flask)", bare, "get", 200),
        "post_real": Target("post_real", "form POST (real app)", real, "post", 303, "leads"),
        "post_bare": Target("post_bare", "one insert (bare Flask)", bare, "post", 303,
                            "bench_bare_leads"),
    }
    load = Load(wrk, children, settings, form, counter, tag)
    pairs = (("landing_real", "landing_bare"), ("post_real", "post_bare"))
    for round_number in range(1, settings.rounds + 1):
        for pair in pairs:
            # Real first in odd rounds, bare first in even ones: a drift in the machine's speed
            # during the run then weighs on both sides alike.
            for key in pair if round_number % 2 else reversed(pair):
                target = targets[key]
                warm = not target.runs and settings.warmup > 0
                step(f"round {round_number}/{settings.rounds}: {target.title} ("
                     + (f"{settings.warmup:g} s warm-up + " if warm else "")
                     + f"{settings.duration:g} s)")
                if warm:
                    load.warm_up(target)
                run = load.measure(target)
                extra = f", {run['rows_created']} new rows" if target.table else ""
                say(f"    {run['rps']:.1f} req/s, p50 {run['latency_us']['p50'] / 1000:.1f} ms,"
                    f" p99 {run['latency_us']['p99'] / 1000:.1f} ms, statuses "
                    f"{dict(sorted(run['statuses'].items()))}{extra}")
                if run["problems"]:
                    say("    INVALID: " + "; ".join(run["problems"]))

    summary = {key: summarise(target) for key, target in targets.items()}
    step("page weight without photos")
    weight = page_weight(real.base)
    lh = None
    if not args.skip_lighthouse:
        step(f"Lighthouse (mobile) on the real landing page, {args.lighthouse_runs} run(s)")
        lh = lighthouse(children, real.base + PAGE_PATH, workdir, args.lighthouse_runs)
    deliveries = measure_delivery(args, children, workdir, settings, database_url, tag)
    audiences = measure_audience(args, workdir, database_url)

    def ratio(a: str, b: str, bar: float) -> dict[str, Any]:
        value = summary[a]["rps"] / summary[b]["rps"] if summary[b]["rps"] else 0.0
        per_round = [round(x / y, 3) if y else 0.0 for x, y in
                     zip(summary[a]["rps_per_run"], summary[b]["rps_per_run"], strict=True)]
        return {"value": round(value, 3), "bar": bar, "pass": value >= bar,
                "per_round": per_round}

    ratios = {"landing": ratio("landing_real", "landing_bare", PAGE_BAR),
              "post": ratio("post_real", "post_bare", POST_BAR)}
    valid = (not any(row["problems"] for row in summary.values())
             and not (deliveries and deliveries.get("invalid"))
             and not (audiences and audiences.get("invalid")))
    passed = (all(r["pass"] for r in ratios.values()) and weight["pass"]
              and (lh is None or lh["pass"])
              and (deliveries is None or not deliveries["ran"] or deliveries["pass"])
              and (audiences is None or audiences["pass"]))
    overall = "INVALID (see above)" if not valid else verdict(passed)
    result = {
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "overall": overall,
        "database": database,
        "settings": {**settings.__dict__, "gunicorn_args": [
            a.replace(":0", ":<free port>") for a in
            settings.gunicorn_args(0, Path("<empty file>"))],
                     "wrk": wrk, "bare_engine": engine_origin},
        "targets": summary,
        "ratios": ratios,
        "post_check": post_check,
        "page_weight": weight,
        "lighthouse": lh,
        "delivery": deliveries,
        "audience": audiences,
    }
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    report(result)
    if not valid:
        return 2
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

