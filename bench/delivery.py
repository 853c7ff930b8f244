"""`make bench`, delivery part: webhooks from `leadpages worker` into a loopback receiver.

What it measures and how to read it: bench/README.md, section "Delivery". In short, in an
instance and a database of its own (so that it neither sees nor leaves anything in the other
measurements):

1. `leadpages db upgrade` and `leadpages demo`; the demo partner of the landing page gets a
   webhook on a receiver in this process (and no email recipients), through the app's own
   `set_webhook_url`, which issues the signing secret.
2. Throughput: N leads are queued with the app's own `submit_lead` (real leads, real outbox
   rows), then 1 worker process delivers them; then N new ones with 4 workers. Deliveries per
   second, and a check that every message arrived exactly once with a valid signature.
3. Latency: the real app under gunicorn and 1 idle worker; leads are submitted one at a time
   through the real form POST at a steady rate; the time from just before each POST to the
   receipt of that lead's webhook, p50 and p99 (bar: p99 <= 2000 ms).
"""

from __future__ import annotations

import json
import math
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from run import (
    PAGE_PATH,
    ROOT,
    THANKS_PATH,
    VENV_BIN,
    BenchError,
    Children,
    Settings,
    bench_database,
    read_lead_form,
    real_app_env,
    say,
    set_up_real_app,
    start_gunicorn,
    step,
)
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

PARTNER = "scheldeland"  # the demo partner that owns the landing page's project
PROJECT = "residentie-parkzicht"
LATENCY_BAR_MS = 2000.0  # issue 3: a healthy partner has the lead within 2 s at p99
WORKER_COUNTS = (1, 4)
#: Longest wait for one throughput batch to be delivered, and for the last latency receipts.
BATCH_TIMEOUT = 60.0
DRAIN_TIMEOUT = 15.0


# --- the receiver -----------------------------------------------------------------------------


@dataclass
class Receipt:
    at: float  # time.time() once the whole request was read
    message_id: str
    headers: dict[str, str]
    body: bytes


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # four workers connecting at once must never meet a full backlog


class Receiver:
    """A partner's webhook on loopback: answers 204 at once and records each request.

    The handler does nothing but read, timestamp, record and answer; signatures are verified
    afterwards (`verify`), off the measured path, with the published `standardwebhooks` library.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._receipts: list[Receipt] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                at = time.time()
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    receiver._receipts.append(
                        Receipt(at, headers.get("webhook-id", ""), headers, body))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/leads"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                        name="bench-receiver")
        self._thread.start()

    def count(self) -> int:
        with self._lock:
            return len(self._receipts)

    def emails(self) -> set[str | None]:
        """The lead emails of what arrived since the last take (without taking it)."""
        with self._lock:
            receipts = list(self._receipts)
        return {_email_of(r) for r in receipts}

    def take(self) -> list[Receipt]:
        """Everything received since the last take."""
        with self._lock:
            taken, self._receipts = self._receipts, []
        return taken

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def verify(receipts: list[Receipt], secret: str) -> list[str]:
    """The receipts whose signature the Standard Webhooks library rejects, with its reason."""
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    webhook = Webhook(secret)
    bad = []
    for receipt in receipts:
        try:
            webhook.verify(receipt.body, receipt.headers)
        except WebhookVerificationError as error:
            bad.append(f"{receipt.message_id or '(no webhook-id)'}: {error}")
    return bad


# --- the application, in this process ---------------------------------------------------------


class BenchApp:
    """The real application on the delivery instance's database, used in this process to set
    the partner's webhook, to queue leads with the app's own intake, and to read the outbox."""

    def __init__(self, instance: Path, database_url: str) -> None:
        from leadpages import ConfigError, create_app

        try:
            self.app = create_app({"INSTANCE_PATH": str(instance),
                                   "DATABASE_URL": database_url, "ENV": "development",
                                   "WEBHOOK_ALLOW_LOOPBACK": True})
        except ConfigError as error:
            raise BenchError(f"the application does not start in the bench: {error}") from None
        self.sequence = 0  # every lead of this part is a new person

    def dispose(self) -> None:
        from leadpages.extensions import db

        db.state(self.app).engine.dispose()

    def set_up_partner(self, webhook_url: str) -> str:
        """The demo partner gets the receiver as its webhook and no email recipients; returns
        its signing secret."""
        from leadpages.db import begin_write
        from leadpages.extensions import db
        from leadpages.partners.models import Partner
        from leadpages.partners.services import (
            set_email_recipients,
            set_webhook_url,
            signing_secrets,
        )

        with self.app.app_context():
            session = db.session
            begin_write(session)  # reads, then writes: a writer from the start (SQLite)
            partner = session.scalar(select(Partner).where(Partner.slug == PARTNER))
            if partner is None:
                raise BenchError(f"the demo partner {PARTNER} is missing after `leadpages demo`")
            set_webhook_url(session, partner, webhook_url, require_https=False,
                            allow_loopback=True)
            set_email_recipients(session, partner, [])
            secrets = signing_secrets(partner)
            session.commit()
        if len(secrets) != 1:
            raise BenchError(f"expected one signing secret for {PARTNER}, got {len(secrets)}")
        return secrets[0]

    @property
    def poll_seconds(self) -> float:
        return float(self.app.config["WORKER_POLL_SECONDS"])

    def next_person(self, tag: str) -> tuple[str, str]:
        """A new email and Belgian mobile number, never used before in this part."""
        self.sequence += 1
        return f"bench+{tag}-d{self.sequence}@example.com", f"+3247{self.sequence:07d}"

    def last_delivery_id(self) -> int:
        from leadpages.delivery.models import Delivery
        from leadpages.extensions import db

        with self.app.app_context():
            return int(db.session.scalar(select(func.max(Delivery.id))) or 0)

    def queue_leads(self, count: int, tag: str) -> tuple[int, set[str]]:
        """`count` new leads through `submit_lead` (committed 100 at a time); returns the last
        outbox id before them and the message ids of their outbox rows (all webhook)."""
        from leadpages.delivery.models import Delivery
        from leadpages.extensions import db
        from leadpages.leads.services import LeadInput, submit_lead
        from leadpages.projects.models import Project

        before = self.last_delivery_id()
        with self.app.app_context():
            session = db.session
            project = session.scalar(select(Project).where(Project.slug == PROJECT))
            if project is None:
                raise BenchError(f"the demo project {PROJECT} is missing")
            # End the read so that submit_lead begins its own write transaction (on SQLite a
            # read transaction cannot become a writer once another connection has written).
            session.commit()
            for number in range(count):
                email, phone = self.next_person(tag)
                intake = submit_lead(session, project, LeadInput(
                    first_name="Bench", last_name="Delivery", email=email, phone=phone),
                    lang="en", campaign_code=None, source_ip=None)
                if not intake.created:
                    raise BenchError(f"submit_lead merged {email} into an earlier lead")
                if number % 100 == 99:
                    session.commit()
            session.commit()
            rows = session.execute(select(Delivery.message_id, Delivery.channel)
                                   .where(Delivery.id > before)).all()
        channels = Counter(channel for _, channel in rows)
        if channels != Counter({"webhook": count}):
            raise BenchError(f"{count} leads queued {dict(channels)} outbox rows, not "
                             f"{count} webhook rows")
        return before, {message_id for message_id, _ in rows}

    def statuses(self, after_id: int) -> Counter[str]:
        """Outbox rows after `after_id` by status."""
        from leadpages.delivery.models import Delivery
        from leadpages.extensions import db

        with self.app.app_context():
            rows = db.session.execute(
                select(Delivery.status, func.count()).where(Delivery.id > after_id)
                .group_by(Delivery.status)).all()
        return Counter({status: int(n) for status, n in rows})

    def retried(self, after_id: int) -> int:
        """Outbox rows after `after_id` that took more than one try."""
        from leadpages.delivery.models import Delivery
        from leadpages.extensions import db

        with self.app.app_context():
            return int(db.session.scalar(select(func.count()).select_from(Delivery)
                                         .where(Delivery.id > after_id,
                                                Delivery.attempts > 1)) or 0)


# --- the part ---------------------------------------------------------------------------------


def nearest_rank(values: list[float], percentile: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `percentile` % of the
    values at or below it (so p99 of 100 values is the 99th, of 160 the 159th)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percentile / 100 * len(ordered)) - 1)]


@dataclass
class Options:
    leads: int  # per throughput batch
    latency_seconds: float
    latency_rate: float  # form submissions per second


class DeliveryBench:
    def __init__(self, children: Children, workdir: Path, settings: Settings, tag: str,
                 env: dict[str, str], app: BenchApp, receiver: Receiver, secret: str) -> None:
        self.children = children
        self.workdir = workdir
        self.settings = settings
        self.tag = tag
        self.env = env
        self.app = app
        self.receiver = receiver
        self.secret = secret
        self.started: list[tuple[str, Any]] = []  # (name, process) of this part, to stop

    def start_worker(self, name: str) -> Any:
        log = self.workdir / f"worker-{name}.log"
        proc = self.children.spawn([str(VENV_BIN / "leadpages"), "worker", "--name", name],
                                   cwd=ROOT, env=self.env, log=log)
        self.started.append((name, proc))
        return proc

    def stop(self, procs: list[Any]) -> list[int | None]:
        """Stop processes of this part (SIGINT first: a worker finishes its send and exits)."""
        codes = []
        for proc in procs:
            self.children.stop(proc)
            codes.append(proc.returncode)
            self.started = [(n, p) for n, p in self.started if p is not proc]
        return codes

    def stop_all(self) -> None:
        self.stop([proc for _, proc in self.started])

    def worker_log(self, name: str, chars: int = 2000) -> str:
        try:
            return (self.workdir / f"worker-{name}.log").read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def _check_alive(self, names: list[str], procs: list[Any]) -> None:
        for name, proc in zip(names, procs, strict=True):
            if proc.poll() is not None:
                raise BenchError(f"worker {name} exited ({proc.returncode}) while delivering:\n"
                                 + self.worker_log(name))

    # -- throughput --

    def throughput(self, workers: int, leads: int) -> dict[str, Any]:
        clock = time.monotonic()
        before, expected = self.app.queue_leads(leads, self.tag)
        queued_s = time.monotonic() - clock
        step(f"delivery: {leads} leads queued in {queued_s:.1f} s; {workers} worker(s) "
             "deliver them")
        self.receiver.take()
        names = [f"bench-{workers}w-{n}" for n in range(1, workers + 1)]
        spawned = time.time()
        procs = [self.start_worker(name) for name in names]
        deadline = time.monotonic() + BATCH_TIMEOUT
        statuses: Counter[str] = Counter()
        try:
            while True:
                if self.receiver.count() >= leads:
                    statuses = self.app.statuses(before)
                    if statuses["delivered"] == leads:
                        break
                self._check_alive(names, procs)
                if time.monotonic() > deadline:
                    statuses = self.app.statuses(before)
                    break
                time.sleep(0.05)
        finally:
            codes = self.stop(procs)
        receipts = self.receiver.take()
        ours = [r for r in receipts if r.message_id in expected]
        received = Counter(r.message_id for r in ours)
        times = sorted(r.at for r in ours)
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        bad = verify(receipts, self.secret)
        result = {
            "workers": workers,
            "leads": leads,
            "queue_seconds": round(queued_s, 2),
            "received": len(received),
            "receipts": len(receipts),
            "duplicates": sum(n - 1 for n in received.values()),
            "missing": len(expected - set(received)),
            "unexpected": len(receipts) - len(ours),
            "bad_signatures": len(bad),
            "bad_signature_examples": bad[:5],
            "retried": self.app.retried(before),
            "statuses": dict(statuses),
            # Receipts over the time between the first and the last: the workers' steady rate.
            "deliveries_per_s": round((len(times) - 1) / span, 1) if span else 0.0,
            "seconds_first_to_last": round(span, 3),
            # The same from the moment the workers were started (includes their start-up).
            "seconds_from_start": round(times[-1] - spawned, 3) if times else None,
            "worker_exit_codes": codes,
            "complete": statuses["delivered"] == leads,
        }
        result["problems"] = throughput_problems(result)
        say(f"    {result['deliveries_per_s']:.1f} deliveries/s ({len(received)} of {leads} in "
            f"{span:.2f} s first to last receipt, {result['seconds_from_start'] or 0:.2f} s from "
            f"the workers' start); duplicates {result['duplicates']}, missing "
            f"{result['missing']}, bad signatures {result['bad_signatures']}")
        return result

    # -- latency --

    def latency(self, options: Options) -> dict[str, Any]:
        server = start_gunicorn(self.children, "delivery", "wsgi:app", cwd=ROOT, env=self.env,
                                settings=self.settings, workdir=self.workdir, probe=PAGE_PATH)
        self.started.append(("gunicorn", server.proc))
        worker = self.start_worker("bench-latency")
        page = server.base + PAGE_PATH
        try:
            # One lead first, not counted: the worker has started, and is idle again after it.
            sent = self._submit(page)
            if sent["status"] != 303:
                raise BenchError(f"the warm-up form POST answered {sent['status']}, not 303")
            if not self._wait_for({sent["email"]}, DRAIN_TIMEOUT):
                raise BenchError("the worker did not deliver the warm-up lead within "
                                 f"{DRAIN_TIMEOUT:g} s:\n" + self.worker_log("bench-latency"))
            self.receiver.take()
            count = max(1, round(options.latency_rate * options.latency_seconds))
            step(f"delivery: {count} form POSTs at {options.latency_rate:g}/s through gunicorn, "
                 "1 worker, time to receipt")
            submissions = []
            start = time.monotonic()
            for number in range(count):
                pause = start + number / options.latency_rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                submissions.append(self._submit(page))
                if worker.poll() is not None:
                    raise BenchError(f"the worker exited ({worker.returncode}):\n"
                                     + self.worker_log("bench-latency"))
            submit_seconds = time.monotonic() - start
            accepted = {s["email"] for s in submissions if s["status"] == 303}
            self._wait_for(accepted, DRAIN_TIMEOUT)
        finally:
            codes = self.stop([worker, server.proc])
        receipts = self.receiver.take()
        bad = verify(receipts, self.secret)
        arrived: dict[str, list[float]] = {}
        for receipt in receipts:
            email = _email_of(receipt)
            if email:
                arrived.setdefault(email, []).append(receipt.at)
        samples = []
        for sub in submissions:
            times = arrived.get(sub["email"])
            if sub["status"] == 303 and times:
                samples.append((min(times) - sub["sent"]) * 1000)
        post_ms = [s["answer_ms"] for s in submissions]
        wrong = [s for s in submissions if s["status"] != 303]
        result: dict[str, Any] = {
            "submissions": len(submissions),
            "rate_per_s": options.latency_rate,
            "seconds": round(submit_seconds, 2),
            "received": len(samples),
            "missing": len(accepted) - len(samples),
            "duplicates": sum(len(arrived.get(e, [])) - 1 for e in accepted
                              if len(arrived.get(e, [])) > 1),
            "bad_signatures": len(bad),
            "bad_signature_examples": bad[:5],
            "unexpected_answers": len(wrong),
            "unexpected_examples": [f"{s['status']} {s['location']}" for s in wrong[:5]],
            "worker_poll_seconds": self.app.poll_seconds,
            "worker_exit_codes": codes,
            "p50_ms": round(nearest_rank(samples, 50), 1) if samples else None,
            "p99_ms": round(nearest_rank(samples, 99), 1) if samples else None,
            "max_ms": round(max(samples), 1) if samples else None,
            "mean_ms": round(statistics.fmean(samples), 1) if samples else None,
            "post_answer_p50_ms": round(nearest_rank(post_ms, 50), 1) if post_ms else None,
            "post_answer_p99_ms": round(nearest_rank(post_ms, 99), 1) if post_ms else None,
            "bar_ms": LATENCY_BAR_MS,
            "samples_ms": [round(s, 1) for s in samples],
        }
        result["pass"] = (result["p99_ms"] is not None and result["p99_ms"] <= LATENCY_BAR_MS
                          and result["missing"] == 0)
        result["problems"] = latency_problems(result)
        if samples:
            say(f"    p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, max "
                f"{result['max_ms']:.0f} ms over {len(samples)} leads; missing "
                f"{result['missing']}, duplicates {result['duplicates']}")
        return result

    def _submit(self, page: str) -> dict[str, Any]:
        """One person as a browser would: GET the page (form fields, cookie), POST the form."""
        session = requests.Session()
        form = read_lead_form(session, page)
        email, phone = self.app.next_person(self.tag)
        sent = time.time()
        response = session.post(form.action, data=form.data(email, phone),
                                allow_redirects=False, timeout=30)
        answered = time.time()
        location = response.headers.get("Location", "")
        status = response.status_code
        if status == 303 and urlsplit(location).path != THANKS_PATH:
            status = -303  # a redirect, but not to the thanks page: not accepted
        return {"email": email, "sent": sent, "answer_ms": (answered - sent) * 1000,
                "status": status, "location": location}

    def _wait_for(self, emails: set[str], seconds: float) -> bool:
        """Wait until a webhook for each of `emails` has arrived (peeking, not taking)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if emails <= self.receiver.emails():
                return True
            time.sleep(0.05)
        return False


def _email_of(receipt: Receipt) -> str | None:
    try:
        body = json.loads(receipt.body)
        return str(body["data"]["contact"]["email"]).lower()
    except (ValueError, KeyError, TypeError):
        return None


def throughput_problems(row: dict[str, Any]) -> list[str]:
    problems = []
    if not row["complete"]:
        problems.append(f"only {row['statuses'].get('delivered', 0)} of {row['leads']} delivered "
                        f"within {BATCH_TIMEOUT:g} s ({row['statuses']})")
    for key, what in (("duplicates", "received twice or more"), ("missing", "never received"),
                      ("bad_signatures", "with a signature that does not verify"),
                      ("unexpected", "received but not of this batch")):
        if row[key]:
            problems.append(f"{row[key]} message(s) {what}")
    return problems


def latency_problems(row: dict[str, Any]) -> list[str]:
    problems = []
    for key, what in (("missing", "accepted leads never received"),
                      ("duplicates", "leads received twice or more"),
                      ("bad_signatures", "messages with a signature that does not verify")):
        if row[key]:
            problems.append(f"{row[key]} {what}")
    return problems


def run(children: Children, workdir: Path, settings: Settings, tag: str,
        database_url: str | None, options: Options) -> dict[str, Any]:
    """The delivery part in an instance and a database of its own; returns its results."""
    began = time.monotonic()
    instance = workdir / "delivery-instance"
    # SQLite in its own instance folder; on PostgreSQL a throwaway database of its own.
    given = database_url if database_url and database_url.startswith("postgres") else None
    with bench_database(given, instance, as_is=False) as url:
        database = make_url(url).render_as_string(hide_password=True)
        env = real_app_env(instance, url)
        env["LEADPAGES_WEBHOOK_ALLOW_LOOPBACK"] = "true"
        step(f"delivery: its own instance in {instance}, database {database}")
        set_up_real_app(children, env)
        receiver = Receiver()
        app = BenchApp(instance, url)
        part = None
        try:
            secret = app.set_up_partner(receiver.url)
            part = DeliveryBench(children, workdir, settings, tag, env, app, receiver, secret)
            step(f"delivery: partner {PARTNER} sends to {receiver.url} (signed, checked with "
                 f"standardwebhooks), no email; worker poll {app.poll_seconds:g} s")
            result: dict[str, Any] = {
                "ran": True, "database": database, "receiver": receiver.url,
                "worker_poll_seconds": app.poll_seconds, "throughput": [], "latency": None,
            }
            for workers in WORKER_COUNTS:
                row = part.throughput(workers, options.leads)
                result["throughput"].append(row)
                if not row["complete"]:
                    break  # its leftovers would be counted in the next batch
            if all(row["complete"] for row in result["throughput"]):
                result["latency"] = part.latency(options)
        finally:
            if part is not None:
                part.stop_all()
            receiver.close()
            app.dispose()
    result["seconds"] = round(time.monotonic() - began, 1)
    latency = result["latency"]
    rows = result["throughput"]
    result["exactly_once"] = (all(not row["problems"] for row in rows)
                              and latency is not None and not latency["problems"])
    result["pass"] = bool(result["exactly_once"] and latency and latency["pass"])
    # Answers other than 303 to the form mean the latency was not measured as it should.
    result["invalid"] = bool(latency and latency["unexpected_answers"])
    return result


def report(result: dict[str, Any] | None) -> list[str]:
    """The delivery lines of the final summary."""
    if result is None:
        return ["Delivery: skipped (--skip-delivery)"]
    if not result["ran"]:
        verb = "could not measure" if result.get("invalid") else "not run"
        return [f"Delivery: {verb}: {result['reason']}"]
    lines = [f"Delivery: signed webhooks from `leadpages worker` into a loopback receiver "
             f"(own instance, {urlsplit(result['database']).scheme.split('+')[0]}, "
             f"worker poll {result['worker_poll_seconds']:g} s; this part took "
             f"{result['seconds']:.0f} s)"]
    lines.append(f"{'workers':<10}{'leads':>7}{'deliv/s':>10}{'first-last s':>14}"
                 f"{'from start s':>14}{'dupl.':>7}{'missing':>9}{'bad sig':>9}{'retried':>9}")
    for row in result["throughput"]:
        lines.append(f"{row['workers']:<10}{row['leads']:>7}{row['deliveries_per_s']:>10.1f}"
                     f"{row['seconds_first_to_last']:>14.2f}"
                     f"{row['seconds_from_start'] or 0:>14.2f}{row['duplicates']:>7}"
                     f"{row['missing']:>9}{row['bad_signatures']:>9}{row['retried']:>9}")
        for problem in row["problems"]:
            lines.append(f"  problem ({row['workers']} worker(s)): {problem}")
        if any(code != 0 for code in row["worker_exit_codes"]):
            lines.append(f"  warning: the workers did not all stop cleanly on SIGINT (exit codes "
                         f"{row['worker_exit_codes']})")
    latency = result["latency"]
    if latency is None:
        lines.append("submission to receipt: not measured (a throughput batch did not finish)"
                     "   FAIL")
    else:
        lines.append(
            f"submission to receipt ({latency['submissions']} form POSTs at "
            f"{latency['rate_per_s']:g}/s under gunicorn, 1 idle worker): p50 "
            f"{_ms(latency['p50_ms'])} ms, p99 {_ms(latency['p99_ms'])} ms, max "
            f"{_ms(latency['max_ms'])} ms   bar p99 <= {latency['bar_ms']:.0f} ms   "
            f"{'PASS' if latency['pass'] else 'FAIL'}")
        lines.append(f"  (the form POST's own answer: p50 {_ms(latency['post_answer_p50_ms'])} "
                     f"ms, p99 {_ms(latency['post_answer_p99_ms'])} ms; received "
                     f"{latency['received']} of {latency['submissions']})")
        for problem in latency["problems"]:
            lines.append(f"  problem (latency): {problem}")
        if latency["unexpected_answers"]:
            lines.append(f"  INVALID: {latency['unexpected_answers']} form POSTs not answered "
                         f"303 to the thanks page: {', '.join(latency['unexpected_examples'])}")
    lines.append("every message received exactly once, signature verified by standardwebhooks"
                 f"   {'PASS' if result['exactly_once'] else 'FAIL'}")
    return lines


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"
