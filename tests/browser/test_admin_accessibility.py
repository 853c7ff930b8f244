"""Every workspace page a role can reach, checked in a real browser at tablet size.

The checks are those of WCAG 2.1 AA that a machine can make: text contrast (4.5:1, or 3:1 for
large text), every form control labelled, one h1, the page language, nothing wider than the
tablet screen, and every link and control reachable by the keyboard with a visible focus.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

pytestmark = pytest.mark.browser

#: Pages reached by following links, at most, per role (the crawl is breadth first).
MAX_PAGES = 60

#: The checks, run in the page; a list of the problems found.
AUDIT_SCRIPT = (Path(__file__).parent / "page_audit.js").read_text(encoding="utf-8")


def crawl(page: Any, base: str) -> dict[str, list[str]]:
    """Visit every workspace page reachable by links from the home page; problems per page."""
    queue, seen, found = [f"{base}/admin/"], set(), {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url)
        kind = (response.headers.get("content-type") or "") if response else ""
        if not kind.startswith("text/html"):
            continue
        found[url] = page.evaluate(AUDIT_SCRIPT)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            target = urljoin(url, href).split("#")[0]
            parts = urlsplit(target)
            if (target.startswith(f"{base}/admin/") and target not in seen
                    and not parts.path.endswith((".zip", ".csv", "/download", "/bundle"))
                    and "/exports/" not in parts.path and "page=" not in parts.query):
                queue.append(target)
    return found


@pytest.mark.parametrize("role", ["admin", "marketer", "privacy"])
def test_every_page_a_role_reaches_passes_the_checks(staff_page: Any, live_server: Any,
                                                     role: str) -> None:
    page = staff_page(role)
    found = crawl(page, live_server.url)
    assert len(found) >= 2
    problems = {url: issues for url, issues in found.items() if issues}
    assert problems == {}


def test_the_keyboard_reaches_every_link_and_control_with_a_visible_focus(
        staff_page: Any, live_server: Any) -> None:
    page = staff_page("admin")
    page.goto(f"{live_server.url}/admin/staff")
    focusable = page.eval_on_selector_all(
        "a[href], button, input:not([type=hidden]), select, textarea",
        """els => els.filter(e => e.offsetParent !== null)
                    .map((e, i) => { e.dataset.kb = i; return i; }).length""")
    reached = {}
    for _ in range(focusable + 2):
        page.keyboard.press("Tab")
        index, visible = page.evaluate("""() => { const e = document.activeElement;
            const s = getComputedStyle(e);
            const outlined = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
            return [e.dataset.kb, outlined]; }""")
        if index is not None:
            reached[index] = visible
    assert len(reached) == focusable
    assert all(reached.values()), [index for index, visible in reached.items() if not visible]
