"""Drafting, checking, activating and looking up joint-controller arrangements."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, or_, select
from sqlalchemy.orm import Session

from leadpages.arrangements.models import CONTENT_FIELDS, Arrangement, ArrangementError
from leadpages.db import utcnow
from leadpages.i18n import LANGUAGES
from leadpages.partners.models import Partner

PURPOSES = {
    "forward-leads": "Forwarding each complete lead to the partner so it can answer the request.",
    "categorise-retarget": "The operator's coarse categorising of leads for ads and emails about "
                           "similar projects.",
}
RIGHTS = ("access", "rectification", "erasure", "restriction", "portability", "objection")
PARTIES = ("operator", "partner", "either")


def default_content(partner: Partner, operator_name: str) -> dict[str, Any]:
    """The standard terms, as the operator offers them to every partner."""
    essence = {
        "en": (f"{operator_name} and {partner.legal_name} are joint controllers of the data you "
               f"send through this page. {operator_name} runs the page, informs you, keeps your "
               f"request and forwards it to {partner.legal_name}, who uses it only to contact you "
               "about this project. Only the operator uses the type of property for ads and "
               "emails about similar projects, and honours every objection. You may use your "
               f"rights with either of them; {operator_name} is your first point of contact and "
               "makes sure both act on your request."),
        "nl": (f"{operator_name} en {partner.legal_name} zijn gezamenlijk verantwoordelijk voor "
               f"de gegevens die u via deze pagina verstuurt. {operator_name} beheert de pagina, "
               f"informeert u, bewaart uw aanvraag en stuurt ze door naar {partner.legal_name}, "
               "dat ze alleen gebruikt om u over dit project te contacteren. Alleen de operator "
               "gebruikt het type vastgoed voor advertenties en e-mails over gelijkaardige "
               "projecten, en respecteert elk bezwaar. U kunt uw rechten bij elk van beide "
               f"uitoefenen; {operator_name} is uw eerste aanspreekpunt en zorgt dat beide op uw "
               "verzoek ingaan."),
        "fr": (f"{operator_name} et {partner.legal_name} sont responsables conjoints des données "
               f"que vous envoyez via cette page. {operator_name} gère la page, vous informe, "
               f"conserve votre demande et la transmet à {partner.legal_name}, qui ne l'utilise "
               "que pour vous contacter au sujet de ce projet. Seul l'opérateur utilise le type "
               "de bien pour des publicités et e-mails sur des projets similaires, et respecte "
               "chaque opposition. Vous pouvez exercer vos droits auprès de l'un ou de l'autre ; "
               f"{operator_name} est votre premier point de contact et veille à ce que tous deux "
               "donnent suite à votre demande."),
    }
    return {
        "purposes": list(PURPOSES),
        "informs_at_collection": "operator",
        "contact_point": "operator",
        "rights_handling": dict.fromkeys(RIGHTS, "either"),
        "partner_retention": "As long as the contact with the person about the project requires, "
                             "and at most 24 months after the last contact.",
        "partner_duties": "Use leads only to answer the person's request about the project; act "
                          "within 5 working days on every objection, rectification, restriction "
                          "and erasure notice the operator sends, and acknowledge it; tell the "
                          "operator within 5 working days of any rights request received directly.",
        "essence": essence,
    }


def check_content(content: dict[str, Any]) -> dict[str, Any]:
    """The content with only known keys, or ArrangementError listing every problem."""
    problems = []
    purposes = content.get("purposes")
    if not isinstance(purposes, list) or not purposes or not set(purposes) <= set(PURPOSES):
        problems.append(f"purposes must be a non-empty list drawn from {', '.join(PURPOSES)}")
    elif "forward-leads" not in purposes:
        problems.append("purposes must include forward-leads: it is why leads are shared")
    for key in ("informs_at_collection", "contact_point"):
        if content.get(key) not in PARTIES:
            problems.append(f"{key} must be one of {', '.join(PARTIES)}")
    rights = content.get("rights_handling")
    if not isinstance(rights, dict) or set(rights) != set(RIGHTS) or not all(
        party in PARTIES for party in rights.values()
    ):
        problems.append(f"rights_handling must name, for each of {', '.join(RIGHTS)}, one of "
                        f"{', '.join(PARTIES)}")
    for key, limit in (("partner_retention", 300), ("partner_duties", 2000)):
        value = content.get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            problems.append(f"{key} must be a text of 1 to {limit} characters")
    duties = str(content.get("partner_duties", "")).lower()
    if "objection" not in duties or "erasure" not in duties:
        problems.append("partner_duties must state the partner's duty to act on objection and "
                        "erasure notices")
    essence = content.get("essence")
    if not isinstance(essence, dict) or set(essence) != set(LANGUAGES) or not all(
        isinstance(text, str) and 20 <= len(text.strip()) <= 3000 for text in essence.values()
    ):
        problems.append(f"essence must give a text of 20 to 3000 characters in each of "
                        f"{', '.join(LANGUAGES)}")
    unknown = set(content) - {"purposes", "informs_at_collection", "contact_point",
                              "rights_handling", "partner_retention", "partner_duties", "essence"}
    if unknown:
        problems.append(f"unknown fields: {', '.join(sorted(unknown))}")
    if problems:
        raise ArrangementError("; ".join(problems))
    return {key: content[key] for key in content}


def create_draft(session: Session, partner: Partner, content: dict[str, Any]) -> Arrangement:
    """A new draft version for `partner`; flushed."""
    checked = check_content(content)
    latest = session.scalar(
        select(func.max(Arrangement.version)).where(Arrangement.partner_id == partner.id)
    )
    arrangement = Arrangement(partner=partner, partner_id=partner.id, version=(latest or 0) + 1,
                              status="draft", **checked)
    session.add(arrangement)
    session.flush()
    return arrangement


def update_draft(session: Session, arrangement: Arrangement,
                 content: dict[str, Any]) -> Arrangement:
    """Change a draft's content; a signed version never changes."""
    if not arrangement.is_draft:
        raise ArrangementError(
            f"version {arrangement.version} is {arrangement.status} and can no longer change; "
            "draft a new version instead"
        )
    for key, value in check_content(content).items():
        setattr(arrangement, key, value)
    session.flush()
    return arrangement


def activate(
    session: Session,
    arrangement: Arrangement,
    *,
    operator_signer: str,
    operator_signer_role: str,
    partner_signer: str,
    partner_signer_role: str,
    signed_at: datetime | None = None,
    effective_from: datetime | None = None,
) -> Arrangement:
    """Sign a draft and put it in force; the version in force before is superseded."""
    if not arrangement.is_draft:
        raise ArrangementError(f"version {arrangement.version} is already {arrangement.status}")
    signers = {"operator signer": operator_signer, "operator signer's role": operator_signer_role,
               "partner signer": partner_signer, "partner signer's role": partner_signer_role}
    missing = [name for name, value in signers.items() if not (value or "").strip()]
    if missing:
        raise ArrangementError(f"give the {', '.join(missing)}")
    too_long = [name for name, value in signers.items() if len(value) > 120]
    if too_long:
        raise ArrangementError(f"at most 120 characters for the {', '.join(too_long)}")
    now = utcnow()
    signed_at = signed_at or now
    effective_from = effective_from or now
    if signed_at > now:
        raise ArrangementError("the signing time cannot be in the future")
    if effective_from < signed_at:
        raise ArrangementError("an arrangement cannot take effect before it was signed")
    previous = session.scalars(
        select(Arrangement).where(Arrangement.partner_id == arrangement.partner_id,
                                  Arrangement.status == "active")
    ).all()
    arrangement.operator_signer = operator_signer.strip()
    arrangement.operator_signer_role = operator_signer_role.strip()
    arrangement.partner_signer = partner_signer.strip()
    arrangement.partner_signer_role = partner_signer_role.strip()
    arrangement.signed_at = signed_at
    arrangement.effective_from = effective_from
    arrangement.digest = content_digest(arrangement)
    arrangement.status = "active"
    session.flush()
    for old in previous:
        old.status = "superseded"
        old.superseded_at = effective_from
        old.superseded_by_id = arrangement.id
    session.flush()
    return arrangement


def content_digest(arrangement: Arrangement) -> str:
    """SHA-256 of the arrangement's content in a canonical JSON form."""
    content = {
        name: getattr(arrangement, name)
        for name in CONTENT_FIELDS
        if name != "digest"
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=lambda value: value.isoformat())
    return hashlib.sha256(canonical.encode()).hexdigest()


def in_force(session: Session, partner_id: int, at: datetime | None = None) -> Arrangement | None:
    """The signed version in force for a partner at a moment (now by default)."""
    return session.scalars(
        select(Arrangement)
        .where(*in_force_conditions(partner_id, at or utcnow()))
        .order_by(Arrangement.version.desc())
        .limit(1)
    ).first()


def in_force_id(partner_id: Any, at: Any) -> ScalarSelect[int]:
    """The id of the version in force, as a subquery (None when none is): what in_force picks.

    For statements that read the arrangement with other things in one go (lead intake);
    `partner_id` and `at` may be columns or bound parameters.
    """
    return (select(Arrangement.id).where(*in_force_conditions(partner_id, at))
            .order_by(Arrangement.version.desc()).limit(1).scalar_subquery())


def in_force_conditions(partner_id: Any, at: Any) -> tuple[ColumnElement[bool], ...]:
    """The rule: a signed version (active, or superseded later than `at`) effective at `at`."""
    return (
        Arrangement.partner_id == partner_id,
        # Spelled out rather than IN (...): a statement built once then runs without
        # re-rendering its SQL for a list parameter on every execution.
        or_(Arrangement.status == "active", Arrangement.status == "superseded"),
        Arrangement.effective_from <= at,
        or_(Arrangement.superseded_at.is_(None), Arrangement.superseded_at > at),
    )
