"""docs/api.md, the partners' guide to the API, against what the application really does."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_the_guide_sends_partners_to_the_portal_page_that_issues_keys(app: Flask) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("## Authentication"):text.index("## Endpoints")]
    prose = " ".join(section.split())
    # The portal issues keys already: nothing says it will only later.
    assert not re.search(r"\blater\b|\bwill too\b", prose)
    assert "`/portal/api-keys`" in prose
    routes = {rule.rule: rule for rule in app.url_map.iter_rules()}
    assert {"GET", "POST"} <= (routes["/portal/api-keys"].methods or set())
    assert routes["/portal/api-keys"].endpoint == "portal.api_keys"
