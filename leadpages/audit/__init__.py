"""The append-only audit log of staff actions on personal data (DESIGN.md rule 9)."""
