"""Emails about similar projects to people who asked for them."""
