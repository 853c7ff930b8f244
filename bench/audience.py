"""`make bench`, audience part: exporting an audience over 1,000,000 leads, against a bare loop.

What it measures and how to read it: bench/README.md, section "Audience export". In short, in an
instance and a database of its own:

1. `leadpages db upgrade`, then N leads (`--audience-leads`, 1,000,000) written straight into the
   tables with Core executemany: register keys, categories, some second leads of one person,
   some restricted or erased, some objections in the register (their leads untagged, as the
   register would do).
2. In a fresh process each (so that each peak memory is its own): the **bare loop** reads the
   very rows the export reads (the export's own SELECT, streamed the same way) and hashes the
   email and phone of each with SHA-256; the **export** is `audiences.services.export_audience`
   of a Meta audience over every category and 540 days (the first export: upload file, members
   stored, record). Then a second export after new objections (removal file, 1M members
   merged). Time of the work itself (not the process start) and peak RSS (`ru_maxrss`).
3. Bars: export time at most 2 x the bare loop, peak RSS under 300 MB.

Run alone: `.venv/bin/python bench/audience.py [--audience-leads N] [--database-url URL]`.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIME_BAR = 2.0  # export time <= 2 x the bare loop
MEMORY_BAR_MB = 300.0  # peak RSS of the export process
AUDIENCE = "All projects"
WINDOW_DAYS = 540
DEFAULT_LEADS = 1_000_000

FIRST_NAMES = (
    "Jan", "Marie", "Pieter", "Anneke", "Luc", "Sofie", "Tom", "Els", "Bart", "Nathalie", "Koen",
    "Veerle", "Wim", "Katrien", "Dirk", "Inge", "Geert", "Hilde", "Kris", "Lieve", "Stijn",
    "Sarah", "Thomas", "Julie", "Lucas", "Emma", "Louis", "Olivia", "Arthur", "Louise", "Noah",
    "Mila", "Liam", "Elena", "Jules", "Lina", "Adam", "Nora", "Victor", "Hélène", "François",
    "Zoë", "Chloé", "Noé", "Anaïs", "Jérôme", "Léa", "Renée", "Sébastien", "Ines", "Mohamed",
    "Fatima", "Youssef", "Aïcha", "Łukasz", "Agnieszka", "Đorđe", "Søren", "Jürgen", "Björn",
    "Dmitri", "Ana", "Joaquín", "Marta", "Jean-Pierre", "Anne-Sophie",
)
LAST_NAMES = (
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
    "Wouters", "De Smet", "Dubois", "Lambert", "Dupont", "Martin", "Leroy", "Simon", "Laurent",
    "Lemaire", "Van Damme", "Vermeulen", "Hermans", "Aerts", "Van den Bossche", "Desmet",
    "D'Hondt", "Verstraete", "Lefèvre", "Müller", "Nowak", "Kowalski", "Ødegaard", "Çelik",
    "Yılmaz", "El Amrani", "Benali", "Fernández", "García", "Rossi", "Bianchi", "Öztürk",
    "Dvořák", "Novák", "Szabó",
)
DOMAINS = ("gmail.com", "telenet.be", "skynet.be", "hotmail.com", "proximus.be", "outlook.com")
PROJECT_CATEGORIES = (("residential",) * 10 + ("luxury",) * 4 + ("commercial",) * 3
                      + ("land",) * 2 + ("industrial",))


def say(message: str = "") -> None:
    print(message, flush=True)


# --- the data ---------------------------------------------------------------------------------


def _env(instance: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADPAGES_")}
    env.update({"LEADPAGES_INSTANCE_PATH": str(instance), "LEADPAGES_ENV": "development",
                "LEADPAGES_DATABASE_URL": database_url,
                "LEADPAGES_AUDIENCE_PATH": str(instance / "audiences")})
    return env


def _app(env: dict[str, str]) -> Any:
    os.environ.update(env)
    from leadpages import create_app

    return create_app()


def build(env: dict[str, str], leads: int, seed: int = 4) -> dict[str, int]:
    """Partners, projects and `leads` leads as the app stores them; what was written."""
    from sqlalchemy import insert, select

    from leadpages.arrangements import services as arrangements
    from leadpages.audiences import services
    from leadpages.categories.models import lead_categories
    from leadpages.extensions import db
    from leadpages.identifiers import canonical_email
    from leadpages.leads.models import Lead
    from leadpages.notices.models import PrivacyNotice
    from leadpages.objections.models import Objection
    from leadpages.partners.models import Partner
    from leadpages.projects.models import Category, Project, ProjectText

    rng = random.Random(seed)
    app = _app(env)
    counts = {"leads": 0, "people": 0, "objections": 0, "tagged": 0}
    with app.app_context():
        session = db.session
        secret = str(app.config["REGISTER_KEY"]).encode()

        def key(kind: str, canonical: str) -> str:
            return hmac.new(secret, f"{kind}:{canonical}".encode(), hashlib.sha256).hexdigest()

        partner = Partner(slug="bench", legal_name="Bench NV", enterprise_number="BE 0400.1",
                          address="Benchstraat 1, 9000 Gent", contact_name="B",
                          contact_email="b@bench.example", privacy_email="p@bench.example",
                          email_recipients=[])
        session.add(partner)
        session.flush()
        draft = arrangements.create_draft(session, partner,
                                          arrangements.default_content(partner, "Op"))
        arrangements.activate(session, draft, operator_signer="O", operator_signer_role="CEO",
                              partner_signer="P", partner_signer_role="CEO")
        notice = PrivacyNotice(language="nl", version=1, body="-", digest="0" * 64)
        session.add(notice)
        categories = {c.code: c for c in session.scalars(select(Category))}
        projects = []
        for n, code in enumerate(PROJECT_CATEGORIES):
            project = Project(partner=partner, slug=f"project-{n}", status="published",
                              city="Gent", languages=["nl"], optional_fields=[],
                              texts=[ProjectText(language="nl", title=f"Project {n}")],
                              categories=[categories[code]])
            session.add(project)
            projects.append(project)
        session.flush()
        services.define_audience(session, name=AUDIENCE, platform="meta",
                                 categories=list(categories), window_days=WINDOW_DAYS,
                                 min_size=100, created_by="bench")
        session.commit()
        project_ids = [(p.id, categories[code].id)
                       for p, code in zip(projects, PROJECT_CATEGORIES, strict=True)]
        arrangement_id, notice_id, partner_id = draft.id, notice.id, partner.id

        connection = session.connection()
        lead_table, objection_table = Lead.__table__, Objection.__table__
        now = datetime.now(UTC)
        batch: list[dict[str, Any]] = []
        tags: list[dict[str, int]] = []
        objections: list[dict[str, Any]] = []
        person = 0
        lead_id = 0
        previous: dict[str, Any] | None = None

        def flush() -> None:
            if batch:
                connection.execute(insert(lead_table), batch)
                batch.clear()
            if tags:
                connection.execute(insert(lead_categories), tags)
                tags.clear()
            if objections:
                connection.execute(insert(objection_table), objections)
                objections.clear()

        for _ in range(leads):
            lead_id += 1
            # One lead in ten is the same person again, on another project.
            if previous is not None and rng.random() < 0.1:
                values = dict(previous)
            else:
                person += 1
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                local = "".join(c for c in f"{first}.{last}".lower() if c.isascii()
                                and (c.isalnum() or c == "."))
                email = f"{local}{person}@{rng.choice(DOMAINS)}"
                phone = f"+324{rng.choice('6789')}{person:07d}"
                values = {"first_name": first, "last_name": last, "email": email,
                          "email_canonical": canonical_email(email), "phone": phone,
                          "email_key": key("email", canonical_email(email)),
                          "phone_key": key("phone", phone),
                          "postcode": str(rng.randint(1000, 9999)),
                          "country": "BE" if rng.random() < 0.95 else "NL"}
            previous = values
            project_id, category_id = rng.choice(project_ids)
            roll = rng.random()
            status = "restricted" if roll < 0.005 else "erased" if roll < 0.01 else "new"
            boxed = 0.01 <= roll < 0.03  # ticked the form's objection box
            objector = boxed or 0.03 <= roll < 0.045
            created = now - timedelta(days=rng.uniform(0, WINDOW_DAYS - 40),
                                      seconds=lead_id)
            batch.append({
                "id": lead_id, "public_id": f"{lead_id:032x}", "project_id": project_id,
                "partner_id": partner_id, "language": "nl", **values,
                "marketing_email_opt_in": False, "marketing_email_text_version": "1",
                "audience_basis": "legitimate-interest", "ads_objected": boxed,
                "ads_consented": False, "ads_text_version": "1",
                "arrangement_id": arrangement_id, "notice_id": notice_id, "status": status,
                "submission_count": 1, "created_at": created, "updated_at": created,
                "last_submitted_at": created,
            })
            if objector:
                # In the register (by email, or by phone for some), their leads untagged.
                kind = "phone" if roll >= 0.04 else "email"
                objections.append({"kind": kind, "key": values[f"{kind}_key"],
                                   "scope": "ads" if boxed else "all",
                                   "source": "form" if boxed else "page",
                                   "received_at": created})
                counts["objections"] += 1
            elif status == "new":
                tags.append({"lead_id": lead_id, "category_id": category_id})
                counts["tagged"] += 1
            if len(batch) >= 20_000:
                flush()
        flush()
        session.commit()
        counts["leads"], counts["people"] = lead_id, person
        # Measure from a settled database: SQLite's log folded in, PostgreSQL's statistics made
        # (as its autovacuum would soon do on its own, in the middle of a measurement).
        with db.engine.connect() as settle:
            settle = settle.execution_options(isolation_level="AUTOCOMMIT")
            if settle.dialect.name == "sqlite":
                settle.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                settle.exec_driver_sql("VACUUM ANALYZE")
        db.state(app).engine.dispose()
    return counts


def object_some(env: dict[str, str], people: int, seed: int = 5) -> int:
    """Objections from `people` exported people (email or phone), as the register records them."""
    from sqlalchemy import select

    from leadpages.extensions import db
    from leadpages.leads.models import Lead
    from leadpages.objections.services import record_objection

    rng = random.Random(seed)
    app = _app(env)
    with app.app_context():
        session = db.session
        top = session.scalar(select(Lead.id).order_by(Lead.id.desc()).limit(1)) or 1
        done = 0
        for lead_id in rng.sample(range(1, top + 1), people):
            email, phone = session.execute(select(Lead.email, Lead.phone)
                                           .where(Lead.id == lead_id)).one()
            if lead_id % 2:
                record_objection(session, email=email.upper(), scope="ads", source="page")
            else:
                record_objection(session, phone=phone, scope="all", source="staff")
            session.commit()
            done += 1
        db.state(app).engine.dispose()
    return done


# --- the two measured processes ---------------------------------------------------------------


def child(mode: str) -> None:
    """In a fresh process: run `mode` once, print its time and this process's peak RSS."""
    from leadpages.audiences import services
    from leadpages.db import utcnow
    from leadpages.extensions import db

    app = _app({})
    with app.app_context():
        session = db.session
        audience = services.find_audience(session, AUDIENCE)
        audience.categories  # noqa: B018 - loaded before the clock starts
        session.commit()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        began = time.perf_counter()
        if mode == "bare":
            rule = services.eligibility(audience, utcnow(), app.config["AUDIENCE_BASIS"])
            rows = 0
            sha256 = hashlib.sha256
            with db.engine.connect() as connection:
                result = connection.execute(services.lead_rows(rule)
                                            .execution_options(yield_per=services.BATCH))
                for row in result:  # reason, email key, phone key, email, phone, ...
                    sha256(row[3].encode()).hexdigest()
                    sha256(row[4].encode()).hexdigest()
                    rows += 1
            outcome: dict[str, Any] = {"rows": rows}
        else:
            export = services.export_audience(session, audience, run_by="bench", upload=False)
            outcome = {"status": export.status, "included": export.included,
                       "removed": export.removed, "excluded": export.excluded}
        seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"mode": mode, "seconds": round(seconds, 3), "peak_mb": round(peak, 1),
                      "start_mb": round(rss_before, 1), **outcome}))


def measure(env: dict[str, str], mode: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--child", mode], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1800, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"the {mode} process failed ({proc.returncode}):\n"
                           + (proc.stderr or proc.stdout)[-3000:])
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# --- the part ---------------------------------------------------------------------------------


def run(workdir: Path, leads: int = DEFAULT_LEADS, database_url: str | None = None,
        objections: int = 1000) -> dict[str, Any]:
    """Build the data, measure bare loop and exports; the results with PASS or FAIL."""
    from run import bench_database  # bench/run.py

    began = time.monotonic()
    instance = workdir / "audience-instance"
    instance.mkdir(parents=True, exist_ok=True)
    given = database_url if database_url and database_url.startswith("postgres") else None
    with bench_database(given, instance, as_is=False) as url:
        env = _env(instance, url)
        say(f"· audience: its own instance in {instance}")
        upgrade = subprocess.run([str(ROOT / ".venv" / "bin" / "leadpages"), "db", "upgrade"],
                                 cwd=ROOT, env=env, capture_output=True, text=True,
                                 timeout=300, check=False)
        if upgrade.returncode != 0:
            raise RuntimeError("leadpages db upgrade failed:\n" + upgrade.stderr[-3000:])
        t = time.monotonic()
        counts = _in_process(build, env, leads)
        say(f"· audience: {counts['leads']:,} leads of {counts['people']:,} people written in "
            f"{time.monotonic() - t:.0f} s ({counts['objections']:,} in the register)")
        runs: dict[str, Any] = {}
        for mode in ("bare", "export", "bare-again"):
            say(f"· audience: {mode.replace('-again', ' loop again')} ...")
            runs[mode] = measure(env, mode.removesuffix("-again"))
            say(f"    {runs[mode]['seconds']:.2f} s, peak {runs[mode]['peak_mb']:.0f} MB")
        t = time.monotonic()
        made = _in_process(object_some, env, objections)
        say(f"· audience: {made} objections recorded in {time.monotonic() - t:.0f} s; "
            "second export ...")
        runs["export-again"] = measure(env, "export")
        say(f"    {runs['export-again']['seconds']:.2f} s, peak "
            f"{runs['export-again']['peak_mb']:.0f} MB")
        audiences_folder = instance / "audiences"
        sizes = {p.name: p.stat().st_size for p in audiences_folder.iterdir()}
    bare = min(runs["bare"]["seconds"], runs["bare-again"]["seconds"])
    result: dict[str, Any] = {"ran": True, "leads": counts, "runs": runs, "files": sizes,
                              "bare_seconds": bare, "database": url.split(":")[0]}
    for name in ("export", "export-again"):
        ratio = runs[name]["seconds"] / bare if bare else float("inf")
        result[name] = {"ratio": round(ratio, 2), "time_pass": ratio <= TIME_BAR,
                        "memory_pass": runs[name]["peak_mb"] < MEMORY_BAR_MB}
    result["pass"] = all(result[n]["time_pass"] and result[n]["memory_pass"]
                         for n in ("export", "export-again"))
    result["seconds"] = round(time.monotonic() - began, 1)
    return result


def _in_process(function: Any, env: dict[str, str], *args: Any) -> Any:
    """Run `function` in a child Python (the app reads its settings from the environment)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(function, (env, *args))


def report(result: dict[str, Any] | None) -> list[str]:
    if result is None:
        return ["Audience export: skipped (--skip-audience)"]
    if not result["ran"]:
        return [f"Audience export: could not measure: {result['reason']}"]
    runs = result["runs"]
    leads = result["leads"]
    lines = [f"Audience export: a Meta audience over {leads['leads']:,} leads "
             f"({leads['people']:,} people, {result['database']}; this part took "
             f"{result['seconds']:.0f} s)",
             f"{'run':<34}{'rows':>10}{'seconds':>9}{'peak MB':>9}"]
    labels = {"bare": "bare loop (same rows, sha256 x2)",
              "bare-again": "bare loop, again",
              "export": "export (first)",
              "export-again": "export (after objections)"}
    for name, label in labels.items():
        row = runs[name]
        count = row.get("rows", row.get("included"))
        lines.append(f"{label:<34}{count:>10,}{row['seconds']:>9.2f}{row['peak_mb']:>9.0f}")
    for name in ("export", "export-again"):
        verdict = result[name]
        lines.append(
            f"{labels[name]:<34} {verdict['ratio']:.2f} x bare   bar <= {TIME_BAR:g} x   "
            f"{'PASS' if verdict['time_pass'] else 'FAIL'};   peak {runs[name]['peak_mb']:.0f}"
            f" MB   bar < {MEMORY_BAR_MB:.0f} MB   "
            f"{'PASS' if verdict['memory_pass'] else 'FAIL'}")
    second = runs["export-again"]
    lines.append(f"  (second export: {second['included']:,} people, {second['removed']:,} in "
                 f"the removal file; excluded {second['excluded']})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/audience.py", description=__doc__.split("\n")[0])
    parser.add_argument("--audience-leads", type=int, default=DEFAULT_LEADS,
                        help="leads in the database (1,000,000)")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL server to create a throwaway database on (else SQLite)")
    parser.add_argument("--keep-temp", action="store_true")
    parser.add_argument("--child", choices=("bare", "export"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    sys.path.insert(0, str(ROOT / "bench"))
    workdir = Path(tempfile.mkdtemp(prefix="leadpages-audience-bench-"))
    try:
        result = run(workdir, args.audience_leads, args.database_url)
    finally:
        if args.keep_temp:
            say(f"(kept {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    for line in report(result):
        say(line)
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
