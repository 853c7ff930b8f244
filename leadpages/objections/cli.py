"""The `leadpages objection` commands."""

from __future__ import annotations

import click


@click.group("objection")
def objection_group() -> None:
    """The objection register: record, look up and withdraw objections."""
