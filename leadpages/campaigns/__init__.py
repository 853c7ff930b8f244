"""Campaigns: a project's ads and mailings, with their tracking links and results."""
