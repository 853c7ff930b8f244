"""The CSV export of a partner's leads: the fields of `lead_data`, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from leadpages.delivery.services import lead_data
from leadpages.leads.models import Lead

#: Column header and the path to its value in `lead_data` (what partners receive everywhere).
COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("id", ("id",)),
    ("created_at", ("created_at",)),
    ("language", ("language",)),
    ("project_slug", ("project", "slug")),
    ("project_title", ("project", "title")),
    ("campaign", ("campaign",)),
    ("first_name", ("contact", "first_name")),
    ("last_name", ("contact", "last_name")),
    ("email", ("contact", "email")),
    ("phone", ("contact", "phone")),
    ("postcode", ("details", "postcode")),
    ("country", ("details", "country")),
    ("budget_amount", ("details", "budget", "amount")),
    ("budget_currency", ("details", "budget", "currency")),
    ("preferred_location", ("details", "preferred_location")),
    ("bedrooms", ("details", "bedrooms")),
    ("garden", ("details", "garden")),
    ("timeframe", ("details", "timeframe")),
    ("contact_preference", ("details", "contact_preference")),
    ("message", ("details", "message")),
    ("arrangement_version", ("arrangement", "version")),
    ("arrangement_digest", ("arrangement", "digest")),
    ("schema_version", ("schema_version",)),
)

#: A cell starting with one of these is read as a formula by spreadsheet programs (CSV
#: injection); tab and carriage return count too, as some programs strip them first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
#: Rows written per chunk sent to the browser.
CHUNK = 200


def neutralise(value: Any) -> str:
    """A cell's text; one that would start a formula gets a leading single quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _pick(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def row(lead: Lead) -> list[str]:
    """One lead as CSV cells, in the order of COLUMNS."""
    data = lead_data(lead)
    return [neutralise(_pick(data, path)) for _header, path in COLUMNS]


def csv_chunks(leads: Iterable[Lead]) -> Iterator[str]:
    """The whole file in pieces: a byte-order mark (for spreadsheet programs), header, rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([header for header, _path in COLUMNS])
    for count, lead in enumerate(leads, start=1):
        writer.writerow(row(lead))
        if count % CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
