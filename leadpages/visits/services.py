"""Counting visits as anonymous daily totals, with no per-visit row and nothing about the visitor.

Each web process adds visits up in memory and writes the totals in one upsert every
LEADPAGES_VISIT_FLUSH_SECONDS, so a page view costs no database write. A crashed process loses at
most that many seconds of counts; leads are never counted this way.

Only the codes of existing campaigns (of the project visited) are kept: any other code, however
well-formed, is counted under "" (no campaign), so junk links cannot grow the totals without
bound. The check is made once per flush for the batch's distinct codes (`resolve_codes`), never
per page view.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leadpages.campaigns.services import known_codes
from leadpages.db import utcnow
from leadpages.visits.models import VisitTotal

log = logging.getLogger(__name__)

CAMPAIGN_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

Key = tuple[date, int, str]


def campaign_code(*candidates: str | None) -> str | None:
    """The first well-formed campaign code among `candidates` (`?c=`, `utm_campaign`)."""
    for candidate in candidates:
        if candidate and CAMPAIGN_CODE.fullmatch(candidate.strip()):
            return candidate.strip()
    return None


def resolve_codes(session: Session, counts: Counter[Key]) -> Counter[Key]:
    """`counts` with each code as its campaign's, or "" when no campaign of the project has it."""
    known = known_codes(session, {code for (_day, _project, code) in counts if code})
    resolved: Counter[Key] = Counter()
    for (day, project_id, code), count in counts.items():
        match = known.get(code.lower()) if code else None
        kept = match[0] if match is not None and match[1] == project_id else ""
        resolved[(day, project_id, kept)] += count
    return resolved


def add_totals(session: Session, counts: Counter[Key]) -> None:
    """Add `counts` to the stored totals in one statement per batch; flushed by the caller."""
    if not counts:
        return
    rows = [
        {"day": day, "project_id": project_id, "campaign_code": code, "count": count}
        for (day, project_id, code), count in counts.items()
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(VisitTotal).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["day", "project_id", "campaign_code"],
        set_={"count": VisitTotal.count + statement.excluded.count},
    )
    session.execute(statement)


class VisitCounter:
    """A process's visit counts, written to the database in batches."""

    def __init__(self, session_factory: Callable[[], Session], interval: float) -> None:
        self._session_factory = session_factory
        self._interval = interval
        self._lock = threading.Lock()
        self._counts: Counter[Key] = Counter()
        self._last_flush = time.monotonic()
        atexit.register(self.flush)

    def record(self, project_id: int, code: str | None) -> None:
        """Count one view of a project's page today (UTC), from `code` or none."""
        with self._lock:
            self._counts[(utcnow().date(), project_id, code or "")] += 1
            due = time.monotonic() - self._last_flush >= self._interval
        if due:
            self.flush()

    def flush(self) -> None:
        """Write the counts gathered so far; on failure keep them for the next try."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
            self._last_flush = time.monotonic()
        if not counts:
            return
        try:
            with self._session_factory() as session:
                # The codes are read in a transaction of their own: on SQLite a read that goes
                # on into a write fails at once if another writer committed in between.
                with session.begin():
                    resolved = resolve_codes(session, counts)
                with session.begin():
                    add_totals(session, resolved)
        except Exception:
            # A page view must never fail for a statistic: keep the counts for the next flush.
            log.exception("could not write %d visit totals; keeping them", len(counts))
            with self._lock:
                self._counts.update(counts)
