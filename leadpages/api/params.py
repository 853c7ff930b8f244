"""Query parameters of the list endpoints: parsed strictly, every problem reported at once.

Pages are ordered newest first by (created_at, id); a cursor is the position of the last row of
a page, so a page never repeats or skips a row however many rows arrive meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import and_, or_
from sqlalchemy.orm import InstrumentedAttribute
from werkzeug.datastructures import MultiDict

from leadpages.api.errors import ApiError
from leadpages.delivery.models import DELIVERY_STATUSES

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
#: Slugs are lower-case words joined by hyphens; anything else cannot name a project.
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
DIGITS = re.compile(r"[0-9]{1,6}")
MAX_CURSOR_LENGTH = 200
#: Ids are database integers (32-bit on PostgreSQL); a larger one names no row and would not bind.
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Cursor:
    """A position in a list: the (created_at, id) of the last row already returned."""

    kind: str
    created_at: datetime
    id: int

    def encode(self) -> str:
        """The opaque form clients send back as `cursor`."""
        raw = json.dumps([self.kind, self.created_at.isoformat(), self.id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str, kind: str) -> Cursor:
        """Read a cursor of `kind`; ValueError with a sentence for anything else."""
        problem = "is not a cursor this list returned; use next_cursor exactly as received"
        if len(value) > MAX_CURSOR_LENGTH:
            raise ValueError(problem)
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            found_kind, at, row_id = json.loads(raw)
            created_at = datetime.fromisoformat(at)
            if created_at.tzinfo is None:
                raise ValueError(problem)
            # In UTC here, as the database compares it: a time that has no UTC equivalent (such
            # as 0001-01-01T00:00:00+01:00) is refused now rather than failing in the query.
            created_at = created_at.astimezone(UTC)
        except (binascii.Error, UnicodeDecodeError, TypeError, ValueError, OverflowError):
            raise ValueError(problem) from None
        if (found_kind != kind or not isinstance(row_id, int) or isinstance(row_id, bool)
                or not 1 <= row_id <= MAX_ID):
            raise ValueError(problem)
        return cls(kind, created_at, row_id)


@dataclass(frozen=True)
class ListParams:
    """What a list request asked for, validated."""

    limit: int = DEFAULT_LIMIT
    cursor: Cursor | None = None
    since: datetime | None = None
    project: str | None = None
    status: str | None = None


def _limit(value: str) -> int:
    if not DIGITS.fullmatch(value) or not 1 <= int(value) <= MAX_LIMIT:
        raise ValueError(f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(value)


def _since(value: str) -> datetime:
    shape = "must be an ISO 8601 date and time with a time zone, e.g. 2025-01-31T09:00:00Z"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        hint = " (a '+' in a query string must be written %2B)" if " " in value else ""
        raise ValueError(shape + hint) from None
    if moment.tzinfo is None:
        raise ValueError(shape)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


def _project(value: str) -> str:
    if not SLUG.fullmatch(value):
        raise ValueError("must be a project slug: lower-case letters, digits and hyphens")
    return value


def _status(value: str) -> str:
    if value not in DELIVERY_STATUSES:
        raise ValueError(f"must be one of {', '.join(DELIVERY_STATUSES)}")
    return value


PARSERS: dict[str, Callable[[str], Any]] = {
    "limit": _limit,
    "since": _since,
    "project": _project,
    "status": _status,
}


def parse_list_params(args: MultiDict[str, str], kind: str, accepted: Sequence[str]) -> ListParams:
    """The `accepted` parameters (of limit, cursor, since, project, status) from `args`.

    Unknown or repeated parameters and bad values all raise one 400 naming each parameter, so a
    typo such as `?state=dead` is reported instead of silently listing everything.
    """
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in args:
        given = args.getlist(name)
        if name not in accepted:
            problems[name] = f"is not a parameter of this list; it takes {', '.join(accepted)}"
        elif len(given) > 1:
            problems[name] = "must be given at most once"
        elif given[0] == "":
            problems[name] = "must not be empty; leave the parameter out instead"
        else:
            try:
                if name == "cursor":
                    values[name] = Cursor.decode(given[0], kind)
                else:
                    values[name] = PARSERS[name](given[0])
            except ValueError as error:
                problems[name] = str(error)
    if problems:
        raise ApiError(400, "invalid_parameters",
                       "Some query parameters are not valid; see details.", details=problems)
    return ListParams(**values)


class Positioned(Protocol):
    """A row that can be paged: it has a creation time and an id."""

    id: Any
    created_at: Any


Row = TypeVar("Row", bound=Positioned)


def after(created_at: InstrumentedAttribute[datetime], id_: InstrumentedAttribute[int],
          cursor: Cursor) -> Any:
    """The condition for rows after `cursor` in newest-first (created_at, id) order."""
    return or_(created_at < cursor.created_at,
               and_(created_at == cursor.created_at, id_ < cursor.id))


def page(rows: Iterable[Row], limit: int, kind: str) -> tuple[list[Row], str | None]:
    """The first `limit` of `rows` (fetched as limit + 1) and the cursor to the next page."""
    items = list(rows)
    if len(items) <= limit:
        return items, None
    last = items[limit - 1]
    return items[:limit], Cursor(kind, last.created_at, last.id).encode()
