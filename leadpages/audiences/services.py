"""Ad audiences: their definition, who is eligible, and each export with its removal file.

The rule of who may be in an audience lives in one place (`Eligibility`): leads captured within
the audience's window that carry one of its categories now, that are neither restricted nor
erased, whose basis allows ads (DESIGN.md section 7), and whose person is not in the objection
register under their email or phone (`objections.lead_objected("ads")`, asked at the moment of
the export). Its reasons are computed by the database for each lead the export reads, so the
file and the counts per reason come from the same read.

An export reads in one consistent snapshot (PostgreSQL: REPEATABLE READ; SQLite: one read
transaction in WAL mode) and streams: the leads in register-key order (one row per person,
their most recent lead), merged with the people sent before in the same order, into the
upload file, the removal file (people sent before who are no longer eligible) and a file of
member changes, all temporary files renamed only when the export succeeds. Memory stays bounded
whatever the number of leads. Then one write transaction stores who is now in the audience
(`AudienceMember`: their register keys and hashed identifiers, what a later removal needs) and
the record (counts, file digests, who ran it; never an identifier).

An objection that commits while an export reads is not in that export's snapshot: the person
may be in its file, but they are then a member whose removal is due (marked here if
`record_objection` could not yet see them as a member), and the next export puts them in its
removal file, because it computes eligibility anew.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import operator
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, cast

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

from leadpages.audiences.models import (
    PHONE_INDEX,
    PLATFORMS,
    Audience,
    AudienceExport,
    AudienceMember,
)
from leadpages.audiences.normalise import IDENTIFIERS, transliterate
from leadpages.audiences.normalise import PLATFORMS as ROWS
from leadpages.categories.models import lead_categories
from leadpages.db import begin_write, utcnow
from leadpages.i18n import SYSTEM_LANGUAGE
from leadpages.identifiers import is_plain_text
from leadpages.leads.models import Lead
from leadpages.objections import services as objections
from leadpages.objections.models import Objection
from leadpages.projects.models import Category, project_categories

#: The longest lead window an audience may have (issue 4).
MAX_WINDOW_DAYS = 540
DEFAULT_MIN_SIZE = 100
#: Why leads in an audience's scope are left out, in the order they are decided.
EXCLUSION_REASONS = ("erased", "restricted", "objected", "no-basis", "untagged")
#: An export still "running" after this long died without saying so; another may start.
ABANDONED_AFTER = timedelta(hours=2)
#: Objections received this long before an export began are certainly in its snapshot.
CLOCK_MARGIN = timedelta(minutes=5)
#: Rows fetched, written and stored per round trip.
BATCH = 2000
#: SQLite page cache (KiB) while members are stored.
WRITE_CACHE_KIB = 65_536
GOOGLE_REFUSAL = _l(
    "Google Customer Match needs the person's consent in the EEA, and the audience basis is "
    "legitimate interest: Google exports are refused. Set LEADPAGES_AUDIENCE_BASIS=consent to "
    "build audiences from people who agreed.")

#: Progress of an export: (leads read so far, leads it reads in all).
Progress = Callable[[int, int], None]


class AudienceError(ValueError):
    """An audience definition or export that cannot be done as asked; says why.

    Its message is translatable: str(error) reads in the locale in force when it is shown
    (English in the commands). `field` names the input to fix, when one does.
    """

    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def unknown_categories(unknown: Sequence[str], listed: str) -> Any:
    """The message for category codes that are not in the list (shared with mailings)."""
    if len(unknown) == 1:
        return _l("unknown category %(codes)s; the list is: %(listed)s",
                  codes=unknown[0], listed=listed)
    return _l("unknown categories %(codes)s; the list is: %(listed)s",
              codes=", ".join(unknown), listed=listed)


# --- Definition -------------------------------------------------------------------------------


def sensitive_word(name: str) -> str | None:
    """The first word of `name` that suggests income or another sensitive trait, if any.

    The audience's name is shown on the ad platform, so it follows the rule for the export
    names of categories (one word list, `categories.services.sensitive_words`). The name is
    also tried without accents and with its hyphenated words apart (`low-income` like
    `low income`).
    """
    from leadpages.categories.services import sensitive_words

    plain = transliterate(name)
    for text in (name, plain, name.replace("-", " "), plain.replace("-", " ")):
        found = sensitive_words(text)
        if found:
            return found[0]
    return None


def check_name(name: str) -> str:
    """The audience name, trimmed, or AudienceError: empty, too long, odd characters, sensitive."""
    name = " ".join(name.split())
    if not name:
        raise AudienceError(_l("the audience name is empty"), "name")
    if len(name) > 80:
        raise AudienceError(_l("the audience name is longer than %(limit)d characters "
                               "(%(length)d)", limit=80, length=len(name)), "name")
    if not is_plain_text(name):
        raise AudienceError(_l("the audience name holds control or invisible characters"),
                            "name")
    if word := sensitive_word(name):
        raise AudienceError(_l(
            "the audience name %(name)s suggests a sensitive trait of the people in it "
            "(%(word)s); ad platforms forbid targeting by income, age, health, beliefs, "
            "origin or sexuality: name the kind of property instead",
            name=repr(name), word=repr(word)), "name")
    return name


def define_audience(
    session: Session,
    *,
    name: str,
    platform: str,
    categories: Iterable[str],
    window_days: int,
    min_size: int = DEFAULT_MIN_SIZE,
    platform_audience_id: str | None = None,
    created_by: str,
    now: datetime | None = None,
) -> Audience:
    """Store a new audience, or AudienceError saying what to fix (nothing is stored then).

    Flushes; the caller commits.
    """
    name = check_name(name)
    if platform not in PLATFORMS:
        raise AudienceError(_l("the platform must be one of %(platforms)s",
                               platforms=", ".join(PLATFORMS)), "platform")
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise AudienceError(_l("the window must be from 1 to %(limit)d days",
                               limit=MAX_WINDOW_DAYS), "window_days")
    if min_size < 1:
        raise AudienceError(_l("the minimum size must be at least 1"), "min_size")
    if platform_audience_id is not None:
        platform_audience_id = platform_audience_id.strip()
        if not re.fullmatch(r"[0-9A-Za-z_-]{1,64}", platform_audience_id):
            raise AudienceError(_l("the platform audience id must be 1 to 64 letters or "
                                   "digits"), "platform_audience_id")
    codes = sorted({c.strip() for c in categories if c.strip()})
    if not codes:
        raise AudienceError(_l("give at least one category"), "categories")
    begin_write(session)
    known = {c.code: c for c in session.scalars(select(Category).where(Category.code.in_(codes)))}
    if unknown := [c for c in codes if c not in known]:
        listed = ", ".join(session.scalars(select(Category.code).order_by(Category.code)))
        raise AudienceError(unknown_categories(unknown, listed), "categories")
    taken = session.scalar(select(Audience.id).where(func.lower(Audience.name) == name.lower()))
    if taken is not None:
        raise AudienceError(_l("there is already an audience named %(name)s", name=repr(name)),
                            "name")
    audience = Audience(name=name, platform=platform, window_days=window_days,
                        min_size=min_size, platform_audience_id=platform_audience_id,
                        created_by=created_by, created_at=now or utcnow(),
                        categories=[known[c] for c in codes])
    session.add(audience)
    session.flush()
    return audience


def find_audience(session: Session, name: str) -> Audience:
    """The audience of that name (any case), or AudienceError."""
    audience = session.scalar(select(Audience).where(
        func.lower(Audience.name) == " ".join(name.split()).lower()))
    if audience is None:
        known = ", ".join(session.scalars(select(Audience.name).order_by(Audience.name)))
        if known:
            raise AudienceError(_l("there is no audience named %(name)s; the audiences are: "
                                   "%(known)s", name=repr(name), known=known))
        raise AudienceError(_l("there is no audience named %(name)s", name=repr(name)))
    return audience


def refusal(audience: Audience, basis: str) -> str | None:
    """Why this audience may not be exported at all under `basis`, or None (current locale)."""
    if word := sensitive_word(audience.name):
        return _("the audience name suggests a sensitive trait (%(word)s); define a new "
                 "audience with a neutral name", word=repr(word))
    if audience.platform == "google" and basis != "consent":
        return str(GOOGLE_REFUSAL)
    return None


def below_minimum(included: int, minimum: int) -> str:
    """Why a below-minimum export wrote no upload file (current locale)."""
    return _("%(included)d people, fewer than the minimum of %(minimum)d: no upload file "
             "written", included=included, minimum=minimum)


def reason_text(audience: Audience, export: AudienceExport) -> str:
    """The export's stored reason (English) in the current locale, when it is a known one.

    Reasons are stored in English, as they were said (logs, the commands and scripts read
    them); one that a message of this module says again in the reader's language is shown so,
    any other (a failure's error text) as stored.
    """
    if not export.reason:
        return ""
    candidates: list[Callable[[], str | None]] = [
        lambda: refusal(audience, "consent"), lambda: str(GOOGLE_REFUSAL),
        lambda: below_minimum(export.included, audience.min_size)]
    for candidate in candidates:
        with force_locale(SYSTEM_LANGUAGE):
            english = candidate()
        if english == export.reason:
            return candidate() or export.reason
    return export.reason


# --- Who is eligible --------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    """Who may be in an audience at one moment: the one place of the rule, as SQL over leads."""

    since: datetime
    category_ids: tuple[int, ...]
    basis: str

    def tagged(self) -> ColumnElement[bool]:
        """The lead carries one of the audience's categories now."""
        return exists().where(lead_categories.c.lead_id == Lead.id,
                              lead_categories.c.category_id.in_(self.category_ids))

    def basis_allows(self) -> ColumnElement[bool]:
        """The person's choices at capture allow ads under the basis in force now.

        Under consent, only those who ticked the consent box. Under legitimate interest, those
        captured under it who did not tick the objection box, and those captured under consent
        who agreed.
        """
        consented = (Lead.audience_basis == "consent") & Lead.ads_consented
        if self.basis == "consent":
            return consented
        return or_((Lead.audience_basis == "legitimate-interest") & ~Lead.ads_objected,
                   consented)

    def in_scope(self) -> ColumnElement[bool]:
        """Leads the counts look at: in the window, and of a project in (or tagged with) one of
        the categories. What is outside this is not counted as excluded."""
        of_project = exists().where(project_categories.c.project_id == Lead.project_id,
                                    project_categories.c.category_id.in_(self.category_ids))
        return (Lead.created_at >= self.since) & or_(of_project, self.tagged())

    def exclusions(self) -> list[tuple[str, ColumnElement[bool]]]:
        """Each reason to leave a lead out, in EXCLUSION_REASONS order (the first one counts)."""
        return [
            ("erased", Lead.status == "erased"),
            ("restricted", Lead.status == "restricted"),
            ("objected", objections.lead_objected("ads")),
            ("no-basis", ~self.basis_allows()),
            ("untagged", ~self.tagged()),
        ]


def eligibility(audience: Audience, now: datetime, basis: str) -> Eligibility:
    return Eligibility(since=now - timedelta(days=audience.window_days),
                       category_ids=tuple(sorted(c.id for c in audience.categories)),
                       basis=basis)


#: Why the lead is left out (or "eligible"), its register keys, then its `LeadFields`.
LeadRow = Select[str, str | None, str | None, str, str, str, str, str | None, str | None]


def lead_rows(rule: Eligibility) -> LeadRow:
    """The leads an export reads, each with the first reason that leaves it out, or "eligible".

    Every lead in the audience's scope, in register-key order and, for one person, most recent
    first: one read gives both the people in the file and the counts per reason.
    """
    reason = case(*[(condition, name) for name, condition in rule.exclusions()],
                  else_=literal("eligible"))
    return (select(reason.label("reason"), Lead.email_key, Lead.phone_key, Lead.email,
                   Lead.phone, Lead.first_name, Lead.last_name, Lead.postcode, Lead.country)
            .where(rule.in_scope())
            .order_by(Lead.email_key, Lead.created_at.desc(), Lead.id.desc()))


def scope_size(session: Session, rule: Eligibility) -> int:
    """How many leads an export of this rule reads (the progress bar's length)."""
    return int(session.scalar(select(func.count()).select_from(Lead)
                              .where(rule.in_scope())) or 0)


def pending_removals(session: Session) -> dict[int, int]:
    """{audience id: members whose removal is due (they objected)}."""
    return {int(a): int(n) for a, n in session.execute(
        select(AudienceMember.audience_id, func.count())
        .where(AudienceMember.removal_due_at.is_not(None))
        .group_by(AudienceMember.audience_id))}


#: An upload file is handed out for this long after its export; later, export again.
UPLOAD_FILE_FRESH = timedelta(hours=24)


def upload_file_blocker(session: Session, export: AudienceExport,
                        now: datetime | None = None) -> Any:
    """Why this export's upload file may not be handed out now, or None when it may.

    A file is a snapshot: uploading one written before someone objected, or before their lead
    was restricted or erased, would reach them after all (DESIGN.md rules 5 and 6). So only the
    audience's newest file is handed out, within a day, while nobody in it has objected and no
    lead in it has been restricted or erased since. Removal files are always handed out.
    """
    if not export.file_name:
        return _l("This export wrote no upload file.")
    newest = session.scalar(
        select(AudienceExport.id).where(AudienceExport.audience_id == export.audience_id,
                                        AudienceExport.file_name.is_not(None))
        .order_by(AudienceExport.id.desc()).limit(1))
    if newest != export.id:
        return _l("A newer export replaces this file: use that one.")
    written = export.finished_at or export.started_at
    if (now or utcnow()) - written > UPLOAD_FILE_FRESH:
        return _l("This file is more than a day old: export again, so that everyone who "
                  "objected or was restricted since is left out.")
    members = select(AudienceMember.email_key).where(
        AudienceMember.audience_id == export.audience_id)
    if session.scalar(select(exists().where(AudienceMember.audience_id == export.audience_id,
                                            AudienceMember.removal_due_at.is_not(None)))):
        return _l("Someone in this file objected after it was written: export again.")
    if session.scalar(select(exists().where(Lead.status != "new", Lead.updated_at >= written,
                                            Lead.email_key.in_(members)))):
        return _l("A lead in this file was restricted or erased after it was written: "
                  "export again.")
    return None


def member_count(session: Session, audience: Audience) -> int:
    return int(session.scalar(select(func.count()).select_from(AudienceMember)
                              .where(AudienceMember.audience_id == audience.id)) or 0)


# --- Export -----------------------------------------------------------------------------------


def _csv_line(values: Iterable[str]) -> str:
    """One CSV line; quoted by the csv module only when a value needs it (hashes never do)."""
    values = tuple(values)
    text = ",".join(values)
    if text.count(",") == len(values) - 1 and '"' not in text and "\n" not in text \
            and "\r" not in text:
        return text + "\n"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


class _HashedCsv:
    """A CSV file written in batches, with the SHA-256 of its bytes; readable by its owner only.

    Written to a hidden temporary name; `keep` renames it to its final name, `discard` deletes
    it, so no one ever sees a partial file under the final name.
    """

    def __init__(self, folder: Path, name: str, columns: Iterable[str]) -> None:
        self.path = folder / name
        self.part = folder / f".{name}.part"
        self.digest = hashlib.sha256()
        self.rows = 0
        self._file: IO[bytes] = open(  # noqa: SIM115 - closed by keep/discard
            self.part, "wb", opener=lambda p, f: os.open(p, f, 0o600))
        self._lines = [_csv_line(columns)]

    def add(self, row: Iterable[str]) -> None:
        self._lines.append(_csv_line(row))
        self.rows += 1
        if len(self._lines) >= BATCH:
            self._flush()

    def add_plain(self, row: Iterable[str]) -> None:
        """`add` for values that never need quoting (hex digests, empty cells)."""
        self._lines.append(",".join(row) + "\n")
        self.rows += 1
        if len(self._lines) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        data = "".join(self._lines).encode()
        self._lines.clear()
        self.digest.update(data)
        self._file.write(data)

    def close(self) -> None:
        if not self._file.closed:
            self._flush()
            self._file.close()

    def keep(self) -> None:
        self.close()
        os.replace(self.part, self.path)

    def discard(self) -> None:
        self.close()
        self.part.unlink(missing_ok=True)


@dataclass
class _Read:
    """What the snapshot read found."""

    excluded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EXCLUSION_REASONS, 0))
    included: int = 0
    removed: int = 0
    #: People to add as new members.
    added: int = 0


def person_members(session: Session, keys: Sequence[str]) -> ColumnElement[bool]:
    """Members (of any audience) who are the person with these register keys.

    The email half names every audience id (they are few), so that it runs on the primary key
    (audience id, email key) as the phone half runs on the phone index, on SQLite and
    PostgreSQL alike.
    """
    audience_ids = list(session.scalars(select(Audience.id)))
    return or_(and_(AudienceMember.audience_id.in_(audience_ids),
                    AudienceMember.email_key.in_(keys)),
               AudienceMember.phone_key.in_(keys))


def _begin_snapshot(session: Session) -> None:
    """Start a read transaction that sees one moment (PostgreSQL: REPEATABLE READ).

    SQLite in WAL mode gives a read transaction a snapshot at its first read. A session bound
    to a connection that is already in a transaction (the tests) reads in that transaction.
    """
    if session.in_transaction():
        session.commit()
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        session.connection()


def _order_error(what: str) -> RuntimeError:
    return RuntimeError(f"the database returned {what} out of register-key order; the audience "
                        "export needs a byte-wise collation of the key columns")


def _ordered(rows: Iterable[Any]) -> Iterator[Any]:
    """Members, checked to come in strictly rising register-key order (the merge needs it)."""
    previous = ""
    for row in rows:
        if row[0] <= previous:
            raise _order_error("audience members")
        previous = row[0]
        yield row


def _executemany(connection: Connection, statement: UpdateBase
                 ) -> Callable[[list[dict[str, Any]]], None]:
    """Run `statement` for many parameter sets straight through the driver.

    A million members are stored on a first export: the statement is compiled once and the
    driver's own executemany takes the rows (SQLAlchemy's per-row parameter processing would
    double the export's time). Only plain values (text, numbers, None) go through here.
    """
    compiled = statement.compile(dialect=connection.dialect)
    sql = str(compiled)
    positional = compiled.positiontup
    if positional is not None:
        values = operator.itemgetter(*positional)

        def run(rows: list[dict[str, Any]]) -> None:
            connection.exec_driver_sql(sql, [values(row) for row in rows])
    else:

        def run(rows: list[dict[str, Any]]) -> None:
            connection.exec_driver_sql(sql, rows)

    return run


def _read(session: Session, audience: Audience, rule: Eligibility, upload: _HashedCsv,
          removal: _HashedCsv, changes: IO[str], progress: Progress | None) -> _Read:
    """Stream the snapshot: eligible people into `upload`, rows sent before that are no longer
    current into `removal`, the member changes into `changes` (lines: `I key phone row`,
    `U key phone row`, `D key`, `C key`), the leads left out into the counts."""
    result = _Read()
    excluded = result.excluded
    total = scope_size(session, rule)
    if progress:
        progress(0, total)
    connection = session.connection()
    leads: Any = connection.execute(lead_rows(rule).execution_options(yield_per=BATCH))
    members = connection.execute(
        select(AudienceMember.email_key, AudienceMember.phone_key, AudienceMember.row,
               AudienceMember.removal_due_at.is_not(None))
        .where(AudienceMember.audience_id == audience.id)
        .order_by(AudienceMember.email_key)
        .execution_options(yield_per=BATCH))
    build = ROWS[audience.platform].row
    region = current_app.config["PHONE_REGION"]
    padding = [""] * (len(ROWS[audience.platform].columns) - IDENTIFIERS)
    member_iter = _ordered(members)
    member = next(member_iter, None)
    # Meta and csv files hold only hex digests; Google's has the place in clear.
    add = upload.add if audience.platform == "google" else upload.add_plain
    remove, write = removal.add, changes.write
    read = 0
    previous = ""
    # One loop, no generator layers: this runs once per lead.
    for lead in leads:
        read += 1
        if progress and read % BATCH == 0:
            progress(read, total)
        if lead[0] != "eligible":
            excluded[lead[0]] += 1
            continue
        key = lead[1]
        if key == previous:
            continue  # an older lead of the same person: their most recent one came first
        if key < previous:
            raise _order_error("leads")
        previous = key
        phone_key = lead[2] or ""
        values = build(lead[3:], region)  # the columns of LeadFields, in its order
        add(values)
        # What a removal needs later, even after the lead is erased: the hashed identifiers.
        row = f'["{values[0]}","{values[1]}"]'
        while member is not None and member[0] < key:
            remove([*json.loads(member[2]), *padding])
            write(f"D\t{member[0]}\n")
            member = next(member_iter, None)
        if member is not None and member[0] == key:
            if member[2] != row or (member[1] or "") != phone_key:
                # Their identifiers changed: take the ones sent before off the platform too.
                remove([*json.loads(member[2]), *padding])
                write(f"U\t{key}\t{phone_key}\t{row}\n")
            if member[3]:
                write(f"C\t{key}\n")
            member = next(member_iter, None)
        else:
            write(f"I\t{key}\t{phone_key}\t{row}\n")
            result.added += 1
    while member is not None:
        remove([*json.loads(member[2]), *padding])
        write(f"D\t{member[0]}\n")
        member = next(member_iter, None)
    if progress:
        progress(read, total)
    result.included, result.removed = upload.rows, removal.rows
    return result


def _apply(session: Session, audience: Audience, export: AudienceExport, changes: Path,
           *, add: bool, added: int, now: datetime) -> None:
    """Make the member changes the read decided (in the caller's write transaction).

    With `add` False (below the minimum) only removals are made: people already on the
    platform stay as they were, and nobody new is added.
    """
    table = cast(Table, AudienceMember.__table__)
    statements: dict[str, UpdateBase] = {
        "I": insert(table),
        "U": update(table).where(table.c.audience_id == bindparam("a_id"),
                                 table.c.email_key == bindparam("key"))
        .values(phone_key=bindparam("phone"), row=bindparam("r")),
        "D": delete(table).where(table.c.audience_id == bindparam("a_id"),
                                 table.c.email_key == bindparam("key")),
        # Their objection was withdrawn before the snapshot: no removal due, unless they have
        # objected again since.
        "C": update(table).where(
            table.c.audience_id == bindparam("a_id"), table.c.email_key == bindparam("key"),
            ~exists().where(or_(Objection.key == table.c.email_key,
                                Objection.key == table.c.phone_key),
                            Objection.withdrawn_at.is_(None),
                            Objection.scope.in_(objections.ACTIONS["ads"])))
        .values(removal_due_at=None),
    }
    connection = session.connection()
    with _page_cache(connection), _bulk_load(connection, added if add else 0):
        _make_changes(connection, statements, audience, export, changes, add=add)
    # Objections that arrived while the snapshot was read could not mark people who were not
    # members yet: mark them now (and anyone else the register names), so their removal is due.
    recent = select(Objection.key).where(
        Objection.received_at >= export.started_at - CLOCK_MARGIN,
        Objection.withdrawn_at.is_(None), Objection.scope.in_(objections.ACTIONS["ads"]))
    connection.execute(
        update(table).where(table.c.audience_id == audience.id,
                            table.c.removal_due_at.is_(None),
                            or_(table.c.email_key.in_(recent), table.c.phone_key.in_(recent)))
        .values(removal_due_at=now))


@contextlib.contextmanager
def _page_cache(connection: Connection) -> Iterator[None]:
    """SQLite: a bigger page cache while a million members are stored (inserts into the
    phone-key index land anywhere in it), given back afterwards: the connection is pooled."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")


@contextlib.contextmanager
def _bulk_load(connection: Connection, added: int) -> Iterator[None]:
    """SQLite: when more members are added than there are, build the phone index afterwards.

    Members arrive in email-key order, so the table and its primary key grow at their ends; the
    phone index would take each one at a random place. Sorting once when the index is built
    again is much cheaper than that for a first export. SQLite has one writer, so nobody waits
    longer for it; readers keep their snapshot, index included.
    """
    if connection.dialect.name != "sqlite" or added == 0:
        yield
        return
    present = connection.execute(select(func.count()).select_from(AudienceMember)).scalar_one()
    if added <= present:
        yield
        return
    table = cast(Table, AudienceMember.__table__)
    index = next(i for i in table.indexes if i.name == PHONE_INDEX)
    index.drop(connection)
    yield
    index.create(connection)


def _copy_members(connection: Connection) -> Callable[[list[dict[str, Any]]], None]:
    """PostgreSQL: new members through COPY, a third faster than the driver's executemany."""
    columns = ("audience_id", "email_key", "phone_key", "row", "added_in")
    sql = f"COPY audience_members ({', '.join(columns)}) FROM STDIN"
    values = operator.itemgetter(*columns)
    driver: Any = connection.connection.driver_connection

    def run(rows: list[dict[str, Any]]) -> None:
        with driver.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(values(row))

    return run


def _make_changes(connection: Connection, statements: dict[str, UpdateBase],
                  audience: Audience, export: AudienceExport, changes: Path, *,
                  add: bool) -> None:
    # The three that may run a million times go straight to the driver; C is rare.
    many = {kind: _executemany(connection, statements[kind]) for kind in "IUD"}
    if connection.dialect.name == "postgresql":
        many["I"] = _copy_members(connection)

    def clear(rows: list[dict[str, Any]]) -> None:
        connection.execute(statements["C"], rows)

    many["C"] = clear
    pending: dict[str, list[dict[str, Any]]] = {kind: [] for kind in statements}

    def flush(kind: str) -> None:
        if pending[kind]:
            many[kind](pending[kind])
            pending[kind] = []

    audience_id, export_id = audience.id, export.id
    with changes.open(encoding="utf-8") as lines:
        for line in lines:
            kind, key, *rest = line.rstrip("\n").split("\t")
            if kind == "I":
                if not add:
                    continue
                pending[kind].append({"audience_id": audience_id, "email_key": key,
                                      "phone_key": rest[0] or None, "row": rest[1],
                                      "added_in": export_id, "removal_due_at": None})
            elif kind == "U":
                if not add:
                    continue
                pending[kind].append({"a_id": audience_id, "key": key,
                                      "phone": rest[0] or None, "r": rest[1]})
            else:
                pending[kind].append({"a_id": audience_id, "key": key})
            if len(pending[kind]) >= BATCH:
                flush(kind)
    for kind in statements:
        flush(kind)


def _file_stem(audience: Audience, export_id: int, now: datetime) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", transliterate(audience.name).lower()).strip("-")
    return f"{slug or 'audience'}-{export_id}-{now:%Y%m%dT%H%M%SZ}-{audience.platform}"


def _start(session: Session, audience: Audience, run_by: str, now: datetime,
           basis: str) -> AudienceExport:
    """Record the run (or its refusal) and commit, so that a second run of it waits its turn."""
    begin_write(session)
    session.refresh(audience)
    running = session.scalars(select(AudienceExport).where(
        AudienceExport.audience_id == audience.id, AudienceExport.status == "running")).all()
    for other in running:
        if other.started_at > now - ABANDONED_AFTER:
            session.rollback()
            raise AudienceError(_l(
                "an export of %(name)s started by %(by)s at %(at)s UTC is still running; try "
                "again when it ends", name=repr(audience.name), by=other.run_by,
                at=f"{other.started_at:%Y-%m-%d %H:%M}"))
        other.status, other.reason, other.finished_at = "failed", "abandoned", now
    export = AudienceExport(audience_id=audience.id, run_by=run_by, started_at=now,
                            status="running", excluded={})
    with force_locale(SYSTEM_LANGUAGE):  # stored: English, whoever runs it
        reason = refusal(audience, basis)
    if reason:
        export.status, export.reason, export.finished_at = "refused", reason, now
    session.add(export)
    session.commit()
    return export


def _fail(session: Session, export_id: int, reason: str) -> None:
    session.rollback()
    begin_write(session)
    export = session.get(AudienceExport, export_id)
    if export is not None:
        export.status, export.reason, export.finished_at = "failed", reason[:2000], utcnow()
    session.commit()


def export_audience(
    session: Session,
    audience: Audience,
    *,
    run_by: str,
    upload: bool | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> AudienceExport:
    """Export the audience now: upload file, removal file, members and record; commits.

    Returns the export record: `written` (files in LEADPAGES_AUDIENCE_PATH), `below-minimum`
    (no upload file; a removal file still, if people sent before must come off: an objection
    is never held back by the minimum), or `refused` (with the reason). `upload`: send to Meta
    as well (None: when configured). The session's transaction is committed first.
    """
    from leadpages.audiences import meta

    config = current_app.config
    basis = config["AUDIENCE_BASIS"]
    if upload and not meta.configured(config, audience):
        raise AudienceError(meta.not_configured(config, audience))
    now = now or utcnow()
    if session.in_transaction():
        session.commit()
    export = _start(session, audience, run_by, now, basis)
    if export.status == "refused":
        return export
    folder = Path(config["AUDIENCE_PATH"])
    rule = eligibility(audience, now, basis)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stem = _file_stem(audience, export.id, now)
        columns = ROWS[audience.platform].columns
        upload_file = _HashedCsv(folder, f"{stem}.csv", columns)
        removal_file = _HashedCsv(folder, f"{stem}-removal.csv", columns)
        handle, name = tempfile.mkstemp(prefix=".changes-", dir=folder)
        changes = Path(name)
    except OSError as error:
        _fail(session, export.id, f"cannot write in {folder}: {error}")
        raise AudienceError(_l("cannot write the audience files in %(folder)s: %(error)s",
                               folder=str(folder), error=str(error))) from None
    files = (upload_file, removal_file)
    try:
        with open(handle, "w", encoding="utf-8") as changes_out:
            _begin_snapshot(session)
            read = _read(session, audience, rule, upload_file, removal_file, changes_out,
                         progress)
            session.commit()  # end the snapshot
        for file in files:
            file.close()
        written = read.included >= audience.min_size
        begin_write(session)
        _apply(session, audience, export, changes, add=written, added=read.added, now=now)
        export.status = "written" if written else "below-minimum"
        if not written:
            with force_locale(SYSTEM_LANGUAGE):  # stored: English, whoever runs it
                export.reason = below_minimum(read.included, audience.min_size)
        export.included, export.excluded = read.included, read.excluded
        export.removed = read.removed
        if written:
            export.file_name, export.file_digest = (upload_file.path.name,
                                                    upload_file.digest.hexdigest())
            upload_file.keep()
        else:
            upload_file.discard()
        if read.removed:
            export.removal_file_name, export.removal_digest = (
                removal_file.path.name, removal_file.digest.hexdigest())
            removal_file.keep()
        else:
            removal_file.discard()
        export.finished_at = utcnow()
        export.upload = "not requested" if upload is False else (
            "not configured" if not meta.configured(config, audience) else "pending")
        session.commit()
    except BaseException as error:
        for file in files:
            file.discard()
            if export.status in ("written", "below-minimum"):
                file.path.unlink(missing_ok=True)
        _fail(session, export.id, f"{type(error).__name__}: {error}")
        raise
    finally:
        changes.unlink(missing_ok=True)
    if export.upload == "pending":
        outcome = meta.upload(config, audience, export, folder)
        begin_write(session)
        export.upload = outcome
        session.commit()
    return export
