"""Direct upload of an export to Meta's custom audience users endpoint (off by default).

On when LEADPAGES_META_ACCESS_TOKEN is set and the audience has the id of its custom audience
on Meta. The export's files are the source: the removal file is sent first (`DELETE
/{id}/users`), then the upload file (`POST /{id}/users`, Meta adds whom it does not have yet),
each in batches of at most 10,000 rows, as `payload` = {"schema": [...], "data": [[hashes]]}
with the token in the form body (never in the URL, so it is in no log). Meta is told the
batches belong to one session. A failure is returned as text for the export record; the files
stay, and can be uploaded by hand or by the next export.
"""

from __future__ import annotations

import csv
import json
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import requests

from leadpages.audiences.models import Audience, AudienceExport
from leadpages.audiences.normalise import META_SCHEMA

#: Meta takes at most 10,000 rows per request.
BATCH = 10_000
#: Seconds to connect, and to wait for Meta's answer to one batch.
TIMEOUT = (10, 120)


class MetaError(Exception):
    """Meta refused or did not answer; the message says which batch and why."""


def configured(config: Mapping[str, Any], audience: Audience) -> bool:
    """Whether this audience's exports are sent to Meta directly."""
    return bool(audience.platform == "meta" and config.get("META_ACCESS_TOKEN")
                and audience.platform_audience_id)


def not_configured(config: Mapping[str, Any], audience: Audience) -> str:
    """Why an upload cannot be sent (for an explicit request to send one)."""
    if audience.platform != "meta":
        return f"direct upload exists for Meta audiences only; {audience.name!r} is for " \
               f"{audience.platform}: upload its file by hand"
    if not config.get("META_ACCESS_TOKEN"):
        return "direct upload is off: set LEADPAGES_META_ACCESS_TOKEN"
    return (f"the audience {audience.name!r} has no Meta custom audience id: define it with "
            "--platform-audience-id")


def _batches(path: Path) -> Iterator[list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)  # the header
        batch: list[list[str]] = []
        for row in reader:
            batch.append(row)
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def _send(http: requests.Session, method: str, url: str, token: str, path: Path,
          rows: int) -> tuple[int, int]:
    """Send the file's rows in batches; (rows sent, rows Meta called invalid)."""
    session_id = secrets.randbits(62)
    batches = -(-rows // BATCH)
    sent = invalid = 0
    for number, batch in enumerate(_batches(path), start=1):
        form = {
            "access_token": token,
            "payload": json.dumps({"schema": list(META_SCHEMA), "data": batch}),
            "session": json.dumps({"session_id": session_id, "batch_seq": number,
                                   "last_batch_flag": number == batches,
                                   "estimated_num_total": rows}),
        }
        what = f"{'removal' if method == 'DELETE' else 'upload'} batch {number} of {batches}"
        try:
            answer = http.request(method, url, data=form, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise MetaError(f"{what}: no answer from Meta ({type(error).__name__})") from None
        try:
            body = answer.json()
        except ValueError:
            body = {}
        if answer.status_code != 200 or not isinstance(body, dict) or "error" in body:
            detail = body.get("error", {}).get("message") if isinstance(body, dict) else None
            raise MetaError(f"{what}: Meta answered {answer.status_code}"
                            + (f": {str(detail)[:300]}" if detail else ""))
        sent += len(batch)
        invalid += int(body.get("num_invalid_entries") or 0)
    return sent, invalid


def upload(config: Mapping[str, Any], audience: Audience, export: AudienceExport,
           folder: Path) -> str:
    """Send the export's removal file, then its upload file; what happened, for the record."""
    token = str(config["META_ACCESS_TOKEN"])
    url = f"{str(config['META_API_URL']).rstrip('/')}/{audience.platform_audience_id}/users"
    http = requests.Session()
    http.trust_env = False  # no proxy or netrc from the environment gets the token
    done: list[str] = []
    try:
        with http:
            if export.removal_file_name:
                removed, _ = _send(http, "DELETE", url, token,
                                   folder / export.removal_file_name, export.removed)
                done.append(f"{removed} removed")
            if export.file_name:
                added, invalid = _send(http, "POST", url, token, folder / export.file_name,
                                       export.included)
                done.append(f"{added} sent" + (f" ({invalid} invalid by Meta)" if invalid
                                               else ""))
    except MetaError as error:
        return "failed: " + "; ".join([*done, str(error)])
    return "sent: " + (", ".join(done) or "nothing to send")
