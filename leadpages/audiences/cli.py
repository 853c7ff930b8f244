"""The `leadpages audience` commands."""

from __future__ import annotations

import click


@click.group("audience")
def audience_group() -> None:
    """Ad audiences: define them, export them, see their exports."""
