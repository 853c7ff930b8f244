"""`leadpages arrangement ...`: draft, inspect and sign arrangements until the workspace exists."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from leadpages.arrangements import services
from leadpages.arrangements.models import Arrangement, ArrangementError
from leadpages.db import begin_write
from leadpages.extensions import db
from leadpages.partners.models import Partner
from leadpages.projects.models import Project


def _partner(slug: str) -> Partner:
    partner = db.session.scalar(select(Partner).where(Partner.slug == slug))
    if partner is None:
        known = ", ".join(db.session.scalars(select(Partner.slug).order_by(Partner.slug)))
        raise click.BadParameter(f"no partner {slug!r}; known partners: {known or 'none'}",
                                 param_hint="--partner")
    return partner


def _version(partner: Partner, version: int | None) -> Arrangement:
    query = select(Arrangement).where(Arrangement.partner_id == partner.id)
    query = (query.where(Arrangement.version == version) if version is not None
             else query.order_by(Arrangement.version.desc()).limit(1))
    arrangement = db.session.scalars(query).first()
    if arrangement is None:
        raise click.BadParameter(
            f"partner {partner.slug} has no arrangement"
            + (f" version {version}" if version is not None else "")
            + "; draft one with `leadpages arrangement create`",
            param_hint="--version",
        )
    return arrangement


def _moment(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use an ISO date and time, e.g. 2026-12-01T00:00:00+01:00",
                                 param_hint=option) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def as_dict(arrangement: Arrangement) -> dict[str, Any]:
    """Everything about a version, for display."""
    fields = ["version", "status", "purposes", "informs_at_collection", "contact_point",
              "rights_handling", "partner_retention", "partner_duties", "essence",
              "operator_signer", "operator_signer_role", "partner_signer", "partner_signer_role",
              "signed_at", "effective_from", "superseded_at", "digest"]
    data = {"partner": arrangement.partner.slug}
    for name in fields:
        value = getattr(arrangement, name)
        data[name] = value.isoformat() if isinstance(value, datetime) else value
    return data


@click.group("arrangement")
def arrangement_group() -> None:
    """Joint-controller arrangements with partners (versioned; signed versions never change)."""


@arrangement_group.command("create")
@click.option("--partner", "slug", required=True, help="The partner's slug.")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON with the content; without it, the operator's standard terms.")
@with_appcontext
def create(slug: str, path: Path | None) -> None:
    """Draft a new version for a partner."""
    begin_write(db.session)  # this command reads, then writes
    partner = _partner(slug)
    if path is None:
        content = services.default_content(partner, current_app.config["OPERATOR_NAME"])
    else:
        try:
            content = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError) as error:
            raise click.BadParameter(f"{path} is not valid JSON: {error}",
                                     param_hint="--file") from None
        if not isinstance(content, dict):
            raise click.BadParameter(f"{path} must hold a JSON object", param_hint="--file")
    try:
        arrangement = services.create_draft(db.session, partner, content)
    except ArrangementError as error:
        raise click.ClickException(f"nothing was saved: {error}") from None
    db.session.commit()
    click.echo(f"Drafted version {arrangement.version} for {partner.slug}. Review it with "
               f"`leadpages arrangement show --partner {partner.slug}`, then activate it.")


@arrangement_group.command("show")
@click.option("--partner", "slug", required=True, help="The partner's slug.")
@click.option("--version", type=click.IntRange(1), help="A version; default the latest.")
@with_appcontext
def show(slug: str, version: int | None) -> None:
    """Print a version as JSON."""
    arrangement = _version(_partner(slug), version)
    click.echo(json.dumps(as_dict(arrangement), indent=2, ensure_ascii=False))


@arrangement_group.command("activate")
@click.option("--partner", "slug", required=True, help="The partner's slug.")
@click.option("--version", type=click.IntRange(1), required=True, help="The draft to sign.")
@click.option("--operator-signer", required=True, help="Who signed for the operator.")
@click.option("--operator-role", required=True, help="Their role, e.g. Managing director.")
@click.option("--partner-signer", required=True, help="Who signed for the partner.")
@click.option("--partner-role", required=True, help="Their role.")
@click.option("--signed-at", help="When it was signed (ISO); default now.")
@click.option("--effective-from", help="When it takes effect (ISO); default now.")
@with_appcontext
def activate(slug: str, version: int, operator_signer: str, operator_role: str,
             partner_signer: str, partner_role: str, signed_at: str | None,
             effective_from: str | None) -> None:
    """Sign a draft: it takes effect and the version before it is superseded."""
    begin_write(db.session)  # this command reads, then writes
    arrangement = _version(_partner(slug), version)
    try:
        services.activate(
            db.session, arrangement,
            operator_signer=operator_signer, operator_signer_role=operator_role,
            partner_signer=partner_signer, partner_signer_role=partner_role,
            signed_at=_moment(signed_at, "--signed-at"),
            effective_from=_moment(effective_from, "--effective-from"),
        )
    except ArrangementError as error:
        raise click.ClickException(f"nothing was changed: {error}") from None
    db.session.commit()
    click.echo(f"Version {arrangement.version} for {slug} is active from "
               f"{arrangement.effective_from:%Y-%m-%d %H:%M %Z}; digest {arrangement.digest}.")


@arrangement_group.command("list")
@click.option("--partner", "slug", help="Only this partner.")
@with_appcontext
def list_(slug: str | None) -> None:
    """Every version, and the partners whose pages take no requests for want of one."""
    partners = [_partner(slug)] if slug else list(
        db.session.scalars(select(Partner).order_by(Partner.slug)))
    for partner in partners:
        versions = db.session.scalars(
            select(Arrangement).where(Arrangement.partner_id == partner.id)
            .order_by(Arrangement.version)
        ).all()
        for a in versions:
            signed = f"{a.signed_at:%Y-%m-%d}" if a.signed_at else "-"
            click.echo(f"{partner.slug:20} v{a.version:<3} {a.status:10} signed {signed}  "
                       f"{(a.digest or '')[:12]}")
        if services.in_force(db.session, partner.id) is None:
            published = db.session.scalars(
                select(Project.slug).where(Project.partner_id == partner.id,
                                           Project.status == "published")
            ).all()
            click.echo(f"{partner.slug:20} has no arrangement in force: "
                       + (f"these pages take no requests: {', '.join(published)}"
                          if published else "no published pages affected"))
