"""`leadpages create-user` (being built; see issue 3)."""

import click


@click.command("create-user")
def create_user_command() -> None:
    """Create a partner portal user."""
    raise click.ClickException("not available yet")
