"""One view's Flask-Limiter limit, applied where Flask does not run: the lead form's fast path.

public.pages.FastPath answers a valid form submission before Flask. Its rate limit must be the
very one `@limiter.limit` puts on public.views.submit: the same limits (the configured string,
read at each request), the same keys in the same storage (so the two ways share one count per
client address), the same order and stop at the first breach, and the same headers. This class
does exactly what Flask-Limiter does for a plainly decorated view (flask_limiter._extension:
`__evaluate_limits` and `__inject_headers`), reading the extension's settings; for any set-up
it does not mirror (default, application or meta limits, request filters, a storage that failed
over) `mirrors()` says no and the request goes to Flask. A request counted here that Flask then
answers (a breach: the 429 page; anything the fast path does not finish) is not counted again
(`RouteLimit.cost`). tests/public/test_form_fast_path.py holds both ways to the same counts
and headers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import request
from flask_limiter import Limiter
from flask_limiter.constants import HeaderNames
from limits import RateLimitItem, parse_many
from werkzeug.http import http_date


@dataclass(frozen=True)
class Hit:
    """A request counted against the limits for one client address: whether it is within."""

    items: tuple[RateLimitItem, ...]
    args: tuple[str, ...]
    within: bool


@lru_cache(maxsize=16)
def _parsed(limits: str) -> tuple[RateLimitItem, ...]:
    # In the order Flask-Limiter evaluates them: the shortest window first.
    return tuple(sorted(parse_many(limits)))


class RouteLimit:
    """Flask-Limiter's check of one decorated view, for one client address, outside Flask.

    A request counted here and then answered by Flask after all must not be counted again:
    the view's limit takes its cost from `cost()`, which is 0 for a request marked counted.
    """

    #: The WSGI environ key that marks a request counted already.
    COUNTED = "leadpages.rate_limit_counted"

    def __init__(self, limiter: Limiter, endpoint: str, limits: Callable[[], str]) -> None:
        self.limiter = limiter
        #: Flask-Limiter's scope of a view's own limit is its endpoint.
        self.endpoint = endpoint
        self.limits = limits

    @classmethod
    def cost(cls) -> int:
        """The cost of the view's limit for the current request (1, or 0 if counted here)."""
        return 0 if request.environ.get(cls.COUNTED) else 1

    def mirrors(self) -> bool:
        """Whether the extension is set up in the plain way this class does by hand."""
        ext = self.limiter
        return bool(
            ext.enabled and ext.initialized and not ext._storage_dead
            and not ext._request_filters and not ext._meta_limits
            and not ext.limit_manager.default_limits and not ext.limit_manager.application_limits
        )

    def hit(self, environ: dict[str, Any], address: str | None) -> Hit:
        """Count the request against each limit, as Flask-Limiter does before the view.

        In the order of the limits, stopping at a breach (unless the extension is told to go
        on); the request is then marked counted in `environ`. A storage error is raised before
        the mark (Flask then counts, and handles the error as configured).
        """
        # get_remote_address, Flask-Limiter's key function: the client address.
        args: tuple[str, ...] = (address or "127.0.0.1", self.endpoint)
        if self.limiter._key_prefix:
            args = (self.limiter._key_prefix, *args)
        items = _parsed(self.limits())
        strategy = self.limiter.limiter
        within = True
        for item in items:
            if not strategy.hit(item, *args):
                within = False
                if self.limiter._fail_on_first_breach:
                    break
        environ[self.COUNTED] = True
        return Hit(items, args, within)

    def headers(self, hit: Hit) -> list[tuple[str, str]]:
        """The rate-limit headers of an answer within the limits (the shortest limit's)."""
        if not (self.limiter._headers_enabled and hit.items):
            return []
        names = self.limiter._header_mapping
        item = hit.items[0]
        window = self.limiter.limiter.get_window_stats(item, *hit.args)
        reset_at = int(window[0] + 1)
        retry_after = (http_date(reset_at) if self.limiter._retry_after == "http-date"
                       else str(int(reset_at - time.time())))
        return [(names[HeaderNames.LIMIT], str(item.amount)),
                (names[HeaderNames.REMAINING], str(window[1])),
                (names[HeaderNames.RESET], str(reset_at)),
                (names[HeaderNames.RETRY_AFTER], retry_after)]
