"""Pages of a list: one bounded page size for every service, a bounded page number, the
`updated_since` filter every list takes (for a platform that polls instead of consuming
Kafka), and the count-then-page query every list runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession


class PageSettings(BaseSettings):
    """`XIETONG_MAX_PAGE_SIZE`: the largest page any list returns (read at start)."""

    model_config = SettingsConfigDict(env_prefix="XIETONG_", extra="ignore")

    max_page_size: int = Field(default=100, ge=1, le=1000)


MAX_PAGE_SIZE = PageSettings().max_page_size
DEFAULT_PAGE_SIZE = 20
# Deeper pages are not for people; the bound keeps the offset far from overflowing.
MAX_PAGE = 100_000


@dataclass(frozen=True)
class PageParams:
    """Which page of a list, and `updated_since`: only the records changed at or after that
    moment (every list takes it; `Paging` declares it on every list route)."""

    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    updated_since: datetime | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def changed_since(self, changed: Any) -> list[sa.ColumnElement[bool]]:
        """The `updated_since` filter on `changed`, the column (or SQL expression) of a row's
        last change: nothing when no `updated_since` was asked for. A list that does not go
        through `fetch_page` adds it to its own `where`."""
        if self.updated_since is None:
            return []
        return [changed >= self.updated_since]


async def fetch_page(
    session: AsyncSession, query: sa.Select[Any], params: PageParams, *, changed: Any
) -> tuple[Sequence[Any], int]:
    """The rows of one page of `query` (already ordered, ties broken by the id so a page never
    repeats or skips a row) and how many match in all. `changed`: the column (or expression)
    of a row's last change, which `params.updated_since` filters on — every list names it,
    so no list can leave the filter out."""
    query = query.where(*params.changed_since(changed))
    total = (
        await session.execute(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        )
    ).scalar_one()
    rows = (await session.execute(query.limit(params.page_size).offset(params.offset))).scalars()
    return rows.all(), int(total)
