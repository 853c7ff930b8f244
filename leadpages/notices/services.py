"""The operator's privacy notice: rendered from its template, stored as a new version on change."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadpages.db import begin_write, in_write_transaction
from leadpages.extensions import db
from leadpages.notices.models import PrivacyNotice
from leadpages.operator import Operator, get_operator


@lru_cache(maxsize=64)
def _rendered(lang: str, operator: Operator, basis: str, ip_days: int) -> tuple[str, str]:
    # Keyed by everything the text depends on, so a settings change renders anew. The notice is
    # rendered once per process instead of on every lead.
    with force_locale(lang):
        body = render_template(f"notices/privacy.{lang}.html", operator=operator).strip()
    return body, hashlib.sha256(body.encode()).hexdigest()


def current_notice(session: Session, lang: str) -> PrivacyNotice:
    """The stored version of today's notice in `lang`, stored now if its text is new.

    What a person is shown is thus always a stored version: the lead refers to it, and a later
    change of wording or of the operator's details becomes version n+1 without anyone publishing
    by hand. `session` is only read; a new version is stored in a short transaction of its own.
    """
    body, digest = _today(lang)
    found = _find(session, lang, digest)
    if found is not None:
        return found
    if in_write_transaction(session):
        # The caller holds the write lock already: store it right here (a second connection
        # would wait for that very lock).
        return _add(session, lang, body, digest)
    return _store(lang, body, digest)


def notice_digest(lang: str) -> str:
    """The digest of today's notice in `lang`: a stored version with it is the one shown.

    For intake, which looks the version up with everything else it reads (and calls
    current_notice only when no version has this digest yet).
    """
    return _today(lang)[1]


def _today(lang: str) -> tuple[str, str]:
    config = current_app.config
    return _rendered(lang, get_operator(), config["AUDIENCE_BASIS"], config["IP_RETENTION_DAYS"])


def _add(session: Session, lang: str, body: str, digest: str) -> PrivacyNotice:
    latest = session.scalar(
        select(func.max(PrivacyNotice.version)).where(PrivacyNotice.language == lang))
    notice = PrivacyNotice(language=lang, version=(latest or 0) + 1, body=body, digest=digest)
    try:
        with session.begin_nested():
            session.add(notice)
    except IntegrityError:
        # Another process stored the same text a moment ago; use its row.
        return session.scalars(select(PrivacyNotice).where(
            PrivacyNotice.language == lang, PrivacyNotice.digest == digest)).one()
    return notice


def _find(session: Session, lang: str, digest: str) -> PrivacyNotice | None:
    return session.scalar(
        select(PrivacyNotice).where(PrivacyNotice.language == lang, PrivacyNotice.digest == digest)
    )


def _store(lang: str, body: str, digest: str) -> PrivacyNotice:
    # A notice version is an append-only record, like a sequence number: it is committed on its
    # own (not in the caller's transaction, which may be a read that must not turn into a
    # write), and whoever stores the same text first wins.
    with db.factory() as writer:
        begin_write(writer)
        found = _find(writer, lang, digest)
        if found is not None:
            writer.commit()
            return found
        notice = _add(writer, lang, body, digest)
        writer.commit()
        return notice
