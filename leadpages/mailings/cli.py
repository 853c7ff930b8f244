"""The `leadpages mailing` commands."""

from __future__ import annotations

import click


@click.group("mailing")
def mailing_group() -> None:
    """Emails about similar projects: compose, preview, send, report."""
