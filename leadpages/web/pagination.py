"""One page of a longer list, for every list screen (portal and workspace)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    """One page of a longer list."""

    rows: list[Any]
    number: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(session: Session, query: Any, number: int, per_page: int = PER_PAGE) -> Page:
    """Page `number` (from 1) of a SELECT of one entity, with the total count."""
    number = max(1, number)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    window = query.limit(per_page).offset((number - 1) * per_page)
    rows = list(session.scalars(window))
    return Page(rows=rows, number=number, total=total, per_page=per_page)
