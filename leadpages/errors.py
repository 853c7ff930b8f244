"""The error every domain service raises for input a person must fix: which field, and why."""

from __future__ import annotations


class FieldError(ValueError):
    """Input that cannot be used as given; `field` names the input to fix.

    The message is usually a lazy text, so str(error) reads in the locale in force where it is
    shown: the reader's in the workspace and portal, English in the commands.
    """

    def __init__(self, field: str, message: object) -> None:
        self.field = field
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.message)
