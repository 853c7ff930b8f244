"""The objection channels in a real browser with JavaScript turned off: no script, no cookie."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.browser


@pytest.fixture
def no_js(browser: Any) -> Iterator[Any]:
    """A fresh page in a context where JavaScript is disabled."""
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def register_rows(live_server: Any, email: str) -> list[Any]:
    from leadpages.extensions import db
    from leadpages.objections.keys import email_key
    from leadpages.objections.models import Objection

    with live_server.app.app_context(), db.state(live_server.app).factory() as session:
        key = email_key(email)
        return list(session.scalars(select(Objection).where(Objection.key == key)))


def test_one_click_link_works_without_javascript_or_cookies(live_server: Any,
                                                            no_js: Any) -> None:
    from leadpages.objections import links
    from leadpages.objections.keys import person_keys

    email = "browser.one.click@example.com"
    with live_server.app.app_context():
        token = links.one_click_token(person_keys(email))

    no_js.goto(f"{live_server.url}/u/{token}?lang=nl")
    assert no_js.locator("html").get_attribute("lang") == "nl"
    assert register_rows(live_server, email) == []  # opening the link changes nothing
    no_js.locator("form button[type=submit]").click()
    no_js.wait_for_load_state()

    assert no_js.url == f"{live_server.url}/u/{token}?lang=nl"
    assert no_js.locator("html").get_attribute("lang") == "nl"  # the result, in nl too
    [row] = register_rows(live_server, email)
    assert (row.scope, row.source, row.withdrawn_at) == ("all", "link", None)
    assert no_js.context.cookies() == []


def test_objection_page_works_without_javascript_or_cookies(live_server: Any,
                                                            no_js: Any) -> None:
    email = "browser.page@example.com"
    no_js.goto(f"{live_server.url}/en/object")
    no_js.fill("#email", email)
    no_js.locator("label[for=scope-1]").click()  # only ads
    no_js.locator("form.lead button[type=submit]").click()
    no_js.wait_for_url(f"{live_server.url}/en/object/recorded/ads")

    assert "Your objection is recorded" in no_js.locator("h1").inner_text()
    [row] = register_rows(live_server, email)
    assert (row.scope, row.source) == ("ads", "page")
    assert no_js.context.cookies() == []
