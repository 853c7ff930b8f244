"""The `leadpages category` commands."""

from __future__ import annotations

import click


@click.group("category")
def category_group() -> None:
    """The closed list of property categories and the categories of projects."""
