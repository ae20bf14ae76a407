"""Pages of a list: one bounded page size for every service, a bounded page number, and the
count-then-page query every list runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


async def fetch_page(
    session: AsyncSession, query: sa.Select[Any], params: PageParams
) -> tuple[Sequence[Any], int]:
    """The rows of one page of `query` (already ordered) and how many match in all."""
    total = (
        await session.execute(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        )
    ).scalar_one()
    rows = (await session.execute(query.limit(params.page_size).offset(params.offset))).scalars()
    return rows.all(), int(total)
