"""The read-then-write shape of a staff or partner POST, shared by the portal and the workspace."""

from __future__ import annotations

from typing import Any

from leadpages.db import begin_write
from leadpages.extensions import db


def write_phase(*rows: Any) -> None:
    """End the read phase and start the write transaction, with `rows` read again, locked.

    SQLite has one writer at a time and lead intake waits for it, so a POST does its slow work
    (form checks, password hashes, image processing, DNS look-ups) in a read first, and takes the
    write lock (BEGIN IMMEDIATE) only here, right before its writes. The commit matters:
    begin_write joins a transaction already open, and the read phase has one (at least the
    signed-in user). `rows` are the objects the writes change, loaded afresh in the write
    transaction, so that no change made meanwhile is lost. Only each row's own table is locked
    (`FOR UPDATE OF`): PostgreSQL refuses to lock the outer side of a join, which a relationship
    loaded with the row (a project's partner) would bring in.
    """
    db.session.commit()
    begin_write(db.session)
    for row in rows:
        db.session.refresh(row, with_for_update={"of": type(row)})
