"""Every workspace page a role can reach, checked in a real browser at tablet size.

The checks are those of WCAG 2.1 AA that a machine can make: text contrast (4.5:1, or 3:1 for
large text), every form control labelled, one h1, the page language, nothing wider than the
tablet screen, and every link and control reachable by the keyboard with a visible focus.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

pytestmark = pytest.mark.browser

#: Pages reached by following links, at most, per role (the crawl is breadth first).
MAX_PAGES = 60

AUDIT_SCRIPT = r"""
() => {
  const problems = [];
  const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(',').map(x => parseFloat(x)); return {r:p[0], g:p[1], b:p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = (el) => { for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; }
    return {r:255, g:255, b:255, a:1}; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode; const el = node.parentElement;
    if (!el || seen.has(el) || !node.textContent.trim()) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none' || el.closest('svg')) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width <= 1 || rect.height <= 1) continue;  // visually hidden text
    const fg = parse(style.color); const bg = background(el);
    const l1 = lum(fg), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(style.fontSize); const bold = parseInt(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)} for "${node.textContent.trim().slice(0, 40)}"`);
  }
  for (const c of document.querySelectorAll('input, select, textarea')) {
    if (c.type === 'hidden' || c.type === 'submit' || c.closest('[hidden]')) continue;
    const labelled = (c.id && document.querySelector(`label[for="${c.id}"]`)) || c.closest('label')
      || c.getAttribute('aria-label') || c.getAttribute('aria-labelledby') || c.title;
    if (!labelled) problems.push(`unlabelled ${c.tagName.toLowerCase()} name=${c.name}`);
  }
  if (document.querySelectorAll('h1').length !== 1) problems.push(`${document.querySelectorAll('h1').length} h1 elements`);
  if (!document.documentElement.lang) problems.push('no lang on html');
  if (document.documentElement.scrollWidth > window.innerWidth + 1) problems.push(`wider than the screen: ${document.documentElement.scrollWidth}px`);
  return problems;
}
"""


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
            return [e.dataset.kb, s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2]; }""")
        if index is not None:
            reached[index] = visible
    assert len(reached) == focusable
    assert all(reached.values()), [index for index, visible in reached.items() if not visible]
