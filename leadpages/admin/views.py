"""Every page of the workspace: importing this module registers them all on `bp`."""

from __future__ import annotations

from leadpages.admin import account, campaigns, leads, partners, people, privacy, projects
from leadpages.admin.blueprint import bp

__all__ = ["account", "bp", "campaigns", "leads", "partners", "people", "privacy", "projects"]
