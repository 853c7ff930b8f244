"""Tagging leads with their project's coarse property categories, with the history kept."""
