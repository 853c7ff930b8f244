"""Rendering the landing page fast: the page is rendered once per language and reused.

Only two things differ between two visitors of the same page: the form token (leads.tokens) and
the campaign code. The page is rendered with placeholders for those and
kept for LEADPAGES_PAGE_CACHE_SECONDS; each request fills them in. An error re-render (422) never
uses the cache: it carries what the visitor typed.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from flask import current_app, render_template
from markupsafe import escape

from leadpages.arrangements import services as arrangements
from leadpages.extensions import db
from leadpages.leads import tokens
from leadpages.leads.forms import LeadForm
from leadpages.projects import services as projects
from leadpages.projects.models import Project

log = logging.getLogger(__name__)

TOKEN_SLOT = "@@lp-token@@"  # noqa: S105 - a placeholder in the cached page, not a secret
CAMPAIGN_SLOT = "@@lp-campaign@@"


@dataclass(frozen=True)
class RenderedPage:
    """A landing page's HTML with the per-visitor slots still open."""

    project_id: int
    slug: str
    languages: tuple[str, ...]
    has_form: bool
    html: str
    expires: float


class PageCache:
    """Rendered pages by (language, slug), each kept for a fixed number of seconds."""

    def __init__(self) -> None:
        self._pages: dict[tuple[str, str], RenderedPage] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> RenderedPage | None:
        page = self._pages.get(key)
        if page is None or page.expires < time.monotonic():
            return None
        return page

    def put(self, key: tuple[str, str], page: RenderedPage) -> None:
        with self._lock:
            # Bounded by the number of public pages; stale entries are dropped as they are seen.
            now = time.monotonic()
            self._pages = {k: v for k, v in self._pages.items() if v.expires >= now}
            self._pages[key] = page

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def render_landing(project: Project, lang: str, form: LeadForm | None, *,
                   token_value: str, campaign_value: str) -> str:
    """The landing page of `project` in `lang`, with `form` (None when it takes no requests)."""
    return render_template(
        "public/project.html",
        project=project,
        text=project.text(lang),
        form=form,
        token_value=token_value,
        campaign_value=campaign_value,
    )


def landing_form(project: Project) -> LeadForm | None:
    """A blank form for the project, or None when it takes no requests."""
    blocker = projects.intake_blocker(
        project, arrangements.in_force(db.session, project.partner_id))
    if blocker is not None:
        if project.is_published:
            # A published page without a form is a business problem: say why, loudly.
            log.warning("landing page %s shows no form: %s", project.slug, blocker)
        return None
    return LeadForm(project=project, basis=current_app.config["AUDIENCE_BASIS"],
                    formdata=None, meta={"csrf": False})


def cached_landing(lang: str, slug: str) -> RenderedPage | None:
    """The page for (lang, slug) from the cache or freshly rendered; None for no such page."""
    cache: PageCache = current_app.extensions["leadpages.pages"]
    key = (lang, slug)
    page = cache.get(key)
    if page is not None:
        return page
    project = projects.get_public_project(db.session, slug)
    if project is None:
        return None
    form = landing_form(project) if lang in project.languages else None
    html = render_landing(project, lang, form, token_value=TOKEN_SLOT,
                          campaign_value=CAMPAIGN_SLOT) if lang in project.languages else ""
    page = RenderedPage(
        project_id=project.id,
        slug=project.slug,
        languages=tuple(project.languages),
        has_form=form is not None,
        html=html,
        expires=time.monotonic() + current_app.config["PAGE_CACHE_SECONDS"],
    )
    if current_app.config["PAGE_CACHE_SECONDS"] > 0:
        cache.put(key, page)
    return page


def fill_slots(page: RenderedPage, campaign: str | None, nonce: str) -> str:
    """The page for this visitor: a form token for `nonce` only where there is a form."""
    if not page.has_form:
        return page.html
    token = tokens.issue(current_app.config["SECRET_KEY"], nonce)
    return page.html.replace(TOKEN_SLOT, token).replace(
        CAMPAIGN_SLOT, str(escape(campaign or "")))
