"""The `leadpages category` commands: the closed list of categories and each project's."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from leadpages.categories import services
from leadpages.categories.models import CategoryEvent
from leadpages.db import begin_write, utcnow
from leadpages.extensions import db
from leadpages.leads.models import Lead
from leadpages.projects.models import Project


@click.group("category")
def category_group() -> None:
    """The closed list of property categories and the categories of projects."""


def _fail(error: services.CategoryError) -> click.UsageError:
    db.session.rollback()
    return click.UsageError(str(error))


@category_group.command("list")
@with_appcontext
def list_() -> None:
    """Each category: code, export name, description, projects that have it, leads tagged."""
    rows = services.overview(db.session)
    click.echo(f"{'code':14} {'export name':26} {'projects':>8} {'leads':>7}  description")
    for category, projects, leads in rows:
        click.echo(f"{category.code:14} {category.export_name:26} {projects:>8} {leads:>7}  "
                   f"{category.description}")


@category_group.command("add")
@click.argument("code")
@click.option("--export-name", required=True,
              help="The neutral name sent to ad platforms: the property, never the people.")
@click.option("--description", required=True, help="What belongs in it, for staff.")
@with_appcontext
def add(code: str, export_name: str, description: str) -> None:
    """Add CODE (lower-case letters, digits, hyphens) to the closed list."""
    try:
        category = services.add_category(db.session, code, export_name, description)
    except services.CategoryError as error:
        raise _fail(error) from None
    db.session.commit()
    click.echo(f"Category {category.code} added (export name {category.export_name!r}).")


@category_group.command("edit")
@click.argument("code")
@click.option("--export-name", help="A new neutral name for ad platforms.")
@click.option("--description", help="A new description.")
@with_appcontext
def edit(code: str, export_name: str | None, description: str | None) -> None:
    """Change the export name and/or description of CODE (a code never changes)."""
    try:
        category = services.edit_category(db.session, code, export_name=export_name,
                                          description=description)
    except services.CategoryError as error:
        raise _fail(error) from None
    db.session.commit()
    click.echo(f"Category {category.code}: export name {category.export_name!r}, "
               f"description {category.description!r}.")


@category_group.command("set-project")
@click.argument("slug")
@click.argument("codes", nargs=-1, required=True)
@with_appcontext
def set_project(slug: str, codes: tuple[str, ...]) -> None:
    """Give project SLUG exactly the categories CODES and re-tag its leads (history kept)."""
    begin_write(db.session)  # reads the project, then writes
    project = db.session.scalar(select(Project).where(Project.slug == slug))
    if project is None:
        db.session.rollback()
        raise click.BadParameter(f"there is no project {slug!r}", param_hint="SLUG")
    now = utcnow()
    try:
        added, removed = services.set_project_categories(db.session, project, codes, now)
    except services.CategoryError as error:
        raise _fail(error) from None
    retagged = db.session.scalar(
        select(func.count(func.distinct(CategoryEvent.lead_id)))
        .join(Lead, Lead.id == CategoryEvent.lead_id)
        .where(Lead.project_id == project.id, CategoryEvent.reason == "project-changed",
               CategoryEvent.at == now)) or 0
    db.session.commit()
    current = ", ".join(sorted(c.code for c in project.categories))
    if not added and not removed:
        click.echo(f"Project {slug} already has exactly: {current}. Nothing changed.")
        return
    click.echo(f"Project {slug} now has: {current}.")
    click.echo(f"Added: {', '.join(added) or '-'}. Removed: {', '.join(removed) or '-'}.")
    click.echo(f"Leads re-tagged: {retagged} (history reason project-changed).")
