"""Campaigns: creating and changing them, their codes and tracking links, and which codes exist.

A campaign's code is what its links carry (`?c=`); leads keep whatever code they came with, but
visit totals and results count only the codes of campaigns that exist (`known_codes`).
"""

from __future__ import annotations

import re
import secrets
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpages.campaigns.models import CHANNELS, Campaign
from leadpages.errors import FieldError
from leadpages.projects.models import Project

#: The UTM source and medium a channel's links carry unless the marketer says otherwise.
UTM_DEFAULTS: dict[str, tuple[str, str]] = {
    "meta": ("facebook", "paid_social"),
    "google": ("google", "cpc"),
    "newsletter": ("newsletter", "email"),
    "other": ("other", "referral"),
}
NAME_MAX = 120
UTM_MAX = 100
CODE_MAX = 64
#: Characters of the project's slug that start a code: enough to recognise it in a report.
SLUG_PREFIX = 20
RANDOM_LENGTH = 6
#: UTM values travel in URLs and ad platforms' reports: URL-safe characters only.
UTM_VALUE = re.compile(r"[A-Za-z0-9._~-]{1,100}")
_RANDOM_ALPHABET = string.ascii_lowercase + string.digits
#: How many database look-ups a batch of codes takes at most (bound parameters per query).
_CHUNK = 500


class CampaignError(FieldError):
    """A campaign cannot be saved as asked; `field` names the input to fix."""


@dataclass(frozen=True)
class CampaignInput:
    """What a marketer gives for a campaign; empty UTM values take the channel's defaults."""

    name: str
    channel: str
    starts_on: date | None = None
    ends_on: date | None = None
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_content: str = ""


def slugify(text: str, limit: int = UTM_MAX) -> str:
    """`text` as lower-case ASCII words joined by hyphens (accents dropped), at most `limit`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-")


def check_name(name: str) -> str:
    """The trimmed campaign name, or CampaignError."""
    value = (name or "").strip()
    if not value:
        raise CampaignError("name", _l("Fill in the name."))
    if len(value) > NAME_MAX:
        raise CampaignError("name", _l("Use at most %(limit)d characters.", limit=NAME_MAX))
    if any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in value):
        raise CampaignError("name", _l("Remove the special or invisible characters."))
    return value


def check_utm(field: str, value: str) -> str:
    """A UTM value as given (trimmed), or CampaignError when it is not URL-safe."""
    value = (value or "").strip()
    if value and not UTM_VALUE.fullmatch(value):
        raise CampaignError(field, _l("Use at most %(limit)d letters, digits and the signs "
                                      "- _ . ~ (no spaces).", limit=UTM_MAX))
    return value


def _checked(data: CampaignInput) -> dict[str, object]:
    """The campaign's values after every check, with defaults filled in."""
    name = check_name(data.name)
    if data.channel not in CHANNELS:
        raise CampaignError("channel", _l("Choose one of the channels."))
    if data.starts_on and data.ends_on and data.starts_on > data.ends_on:
        raise CampaignError("ends_on", _l("The end date must be on or after the start date."))
    source, medium = UTM_DEFAULTS[data.channel]
    values = {
        "utm_source": check_utm("utm_source", data.utm_source) or source,
        "utm_medium": check_utm("utm_medium", data.utm_medium) or medium,
        "utm_campaign": check_utm("utm_campaign", data.utm_campaign) or slugify(name),
        "utm_content": check_utm("utm_content", data.utm_content) or None,
    }
    return {"name": name, "channel": data.channel, "starts_on": data.starts_on,
            "ends_on": data.ends_on, **values}


def check(data: CampaignInput) -> None:
    """Raise CampaignError for the first thing wrong with `data` (nothing is written)."""
    _checked(data)


def new_code(session: Session, project: Project, channel: str) -> str:
    """A fresh code `<slug prefix>-<channel>-<6 random>`: lower-case, URL-safe, unique."""
    prefix = slugify(project.slug, SLUG_PREFIX) or "p"
    for _attempt in range(20):
        tail = "".join(secrets.choice(_RANDOM_ALPHABET) for _ in range(RANDOM_LENGTH))
        code = f"{prefix}-{channel}-{tail}"[:CODE_MAX]
        if session.scalar(select(Campaign.id).where(Campaign.code == code)) is None:
            return code
    # 36^6 tails per prefix and channel: twenty misses in a row means something else is wrong.
    raise RuntimeError("could not find a free campaign code")


def create_campaign(session: Session, project: Project, data: CampaignInput,
                    created_by_id: int | None = None) -> Campaign:
    """A new campaign of `project` with a generated code; flushed, not committed."""
    values = _checked(data)
    campaign = Campaign(project_id=project.id, code=new_code(session, project, data.channel),
                        created_by_id=created_by_id, **values)
    campaign.project = project
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(session: Session, campaign: Campaign, data: CampaignInput) -> Campaign:
    """Change a campaign's name, channel, dates and UTM values; its code never changes.

    The code stays because links with it are out in ads and mails already.
    """
    for key, value in _checked(data).items():
        setattr(campaign, key, value)
    session.flush()
    return campaign


def tracking_link(campaign: Campaign, lang: str | None = None) -> str:
    """The absolute link an ad or mail of `campaign` points to, in `lang` or negotiated."""
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    path = f"/{lang}/p/{campaign.project.slug}" if lang else f"/p/{campaign.project.slug}"
    query = [("c", campaign.code), ("utm_source", campaign.utm_source),
             ("utm_medium", campaign.utm_medium), ("utm_campaign", campaign.utm_campaign)]
    if campaign.utm_content:
        query.append(("utm_content", campaign.utm_content))
    return f"{base}{path}?{urlencode(query)}"


def known_codes(session: Session, codes: Iterable[str]) -> dict[str, tuple[str, int]]:
    """Of `codes`, those of existing campaigns: lower-cased code -> (code, project id).

    Codes are generated lower-case, so a code typed in capitals still matches. One query per
    500 distinct codes.
    """
    wanted = sorted({code.lower() for code in codes if code and len(code) <= CODE_MAX})
    found: dict[str, tuple[str, int]] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(select(Campaign.code, Campaign.project_id)
                               .where(Campaign.code.in_(wanted[start:start + _CHUNK])))
        for code, project_id in rows:
            found[code.lower()] = (code, project_id)
    return found


def known_code(session: Session, code: str | None, project_id: int | None = None) -> str | None:
    """The campaign code `code` stands for (of `project_id`, if given), or None if none."""
    if not code:
        return None
    match = known_codes(session, [code]).get(code.lower())
    if match is None or (project_id is not None and match[1] != project_id):
        return None
    return match[0]


def list_campaigns(session: Session, project_id: int | None = None) -> list[Campaign]:
    """Campaigns, newest first, of one project or all."""
    query = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    if project_id is not None:
        query = query.where(Campaign.project_id == project_id)
    return list(session.scalars(query))
