"""Pages of a list: one bounded page size for every service, a bounded page number or a
cursor, the `updated_since` filter every list takes (for a platform that polls instead of
consuming Kafka), and the count-then-page query every list runs.

A list is read by page number (`page`, an OFFSET: fine for the first pages people look at)
or by cursor (`cursor`: the `next_cursor` of the page before, an opaque token of the last
row's sort key and id, so a deep page costs what the first does: the rows after it in the
order's index). Its `total` is exact up to `XIETONG_LIST_COUNT_LIMIT` and says so
(`total_exact`), so no page counts a million rows (issue 22)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import Label, UnaryExpression

from xietong_common.errors import InvalidInput


class PageSettings(BaseSettings):
    """`XIETONG_MAX_PAGE_SIZE`: the largest page any list returns (read at start)."""

    model_config = SettingsConfigDict(env_prefix="XIETONG_", extra="ignore")

    max_page_size: int = Field(default=100, ge=1, le=1000)
    list_count_limit: int = Field(default=10_000, ge=1)
    """`XIETONG_LIST_COUNT_LIMIT`: a list's total is exact up to this many rows."""


MAX_PAGE_SIZE = PageSettings().max_page_size
COUNT_LIMIT = PageSettings().list_count_limit
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
    cursor: str | None = None
    """The `next_cursor` of the page before: the rows after its last (`page` is then 1)."""

    @property
    def offset(self) -> int:
        """The rows before the page. A list that pages itself by offset (not through
        `fetch_page`) refuses a cursor here (422), rather than answer with its first page."""
        if self.cursor is not None:
            raise InvalidInput(
                "this list pages by number only: ask for a page, not a cursor",
                zh="该列表仅支持按页码分页，不支持游标",
            )
        return (self.page - 1) * self.page_size

    def changed_since(self, changed: Any) -> list[sa.ColumnElement[bool]]:
        """The `updated_since` filter on `changed`, the column (or SQL expression) of a row's
        last change: nothing when no `updated_since` was asked for. A list that does not go
        through `fetch_page` adds it to its own `where`."""
        if self.updated_since is None:
            return []
        return [changed >= self.updated_since]


class Counted(int):
    """How many rows match a list's filters — exact up to the count limit, else the limit
    itself (`exact` False) — and the cursor of the page after the one read (None on the last
    page). An `int`, so a list passes it on as its total; `Page.of` reads the rest."""

    exact: bool
    next_cursor: str | None

    def __new__(cls, value: int, *, exact: bool = True, next_cursor: str | None = None) -> Counted:
        counted = super().__new__(cls, value)
        counted.exact = exact
        counted.next_cursor = next_cursor
        return counted


@dataclass(frozen=True)
class _Term:
    """One key of a list's order: its expression, its direction, where its NULLs go."""

    expression: Any
    descending: bool
    nulls_last: bool

    @property
    def nullable(self) -> bool:
        return bool(getattr(self.expression, "nullable", True))


def _terms(query: sa.Select[Any]) -> list[_Term]:
    """The ORDER BY of `query`, as keys (`created_at DESC NULLS LAST`, `id`)."""
    terms = []
    for clause in query._order_by_clauses:
        descending, nulls_last = False, None
        while isinstance(clause, UnaryExpression) and clause.modifier in (
            operators.asc_op,
            operators.desc_op,
            operators.nulls_first_op,
            operators.nulls_last_op,
        ):
            if clause.modifier is operators.desc_op:
                descending = True
            elif clause.modifier is operators.nulls_last_op:
                nulls_last = True
            elif clause.modifier is operators.nulls_first_op:
                nulls_last = False
            clause = clause.element
        if isinstance(clause, Label):
            clause = clause.element
        # PostgreSQL's default: NULLs sort as if larger than every value.
        terms.append(
            _Term(clause, descending, (not descending) if nulls_last is None else nulls_last)
        )
    return terms


def _after(terms: Sequence[_Term], values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """The rows after the one whose keys are `values`, in the order of `terms`: after it in
    the first key, or equal in it and after it in the rest. The first key's bound is also
    stated alone (`created_at <= :last`) so that an index on it starts the scan there."""

    def beyond(term: _Term, value: Any) -> sa.ColumnElement[bool]:
        e = term.expression
        if value is None:  # the NULLs: only non-NULLs come after them, if NULLs go first
            after_nulls: sa.ColumnElement[bool] = (
                e.is_not(None) if not term.nulls_last and term.nullable else sa.false()
            )
            return after_nulls
        strictly: sa.ColumnElement[bool] = e < value if term.descending else e > value
        if term.nulls_last and term.nullable:
            return sa.or_(strictly, e.is_(None))
        return strictly

    def equal(term: _Term, value: Any) -> sa.ColumnElement[bool]:
        e = term.expression
        same: sa.ColumnElement[bool] = e.is_(None) if value is None else e == value
        return same

    condition: sa.ColumnElement[bool] = sa.false()
    for term, value in reversed(list(zip(terms, values, strict=True))):
        condition = sa.or_(beyond(term, value), sa.and_(equal(term, value), condition))
    first, value = terms[0], values[0]
    if value is not None:
        e = first.expression
        bound = e <= value if first.descending else e >= value
        if first.nulls_last and first.nullable:
            bound = sa.or_(bound, e.is_(None))
        condition = sa.and_(bound, condition)
    return condition


def _bad_cursor() -> InvalidInput:
    return InvalidInput(
        "the cursor is not one this list gave (pass a page's next_cursor unchanged, with the "
        "same sort and filters)",
        zh="游标无效：请原样传入上一页返回的 next_cursor，并保持排序与筛选条件不变",
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    if isinstance(value, uuid.UUID):
        return ["u", str(value)]
    if isinstance(value, Decimal):
        return ["n", str(value)]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return ["s", str(value)]  # an enum or other value compared as its text


_PARSERS: dict[str, Callable[[str], Any]] = {
    "t": datetime.fromisoformat,
    "d": date.fromisoformat,
    "u": uuid.UUID,
    "n": Decimal,
    "s": str,
}


def _typed(value: Any) -> Any:
    if isinstance(value, list):
        tag, text = value
        return _PARSERS[tag](text)
    return value


def _fits(term: _Term, value: Any) -> bool:
    """A cursor's key is of its sort key's type (a forged one is refused, not sent to SQL)."""
    if value is None:
        return True
    if isinstance(value, datetime) and value.tzinfo is None:
        return False
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        return False
    try:
        expected = term.expression.type.python_type
    except (AttributeError, NotImplementedError):
        return isinstance(value, str | int | float | bool | datetime | date | uuid.UUID | Decimal)
    if expected is datetime or expected is date:
        return type(value) is expected
    if issubclass(expected, str):
        return isinstance(value, str)
    return isinstance(value, expected)


def encode_cursor(values: Sequence[Any]) -> str:
    """The opaque cursor of a row's sort keys (the keys of its list's order)."""
    text = json.dumps([_plain(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, keys: int) -> list[Any]:
    """The sort keys of a cursor (`keys` of them), or 422: it is not one a list gave."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != keys:
            raise ValueError(cursor)
        return [_typed(v) for v in raw]
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:  # binascii.Error: ValueError
        raise _bad_cursor() from exc


async def fetch_page(
    session: AsyncSession,
    query: sa.Select[Any],
    params: PageParams,
    *,
    changed: Any,
    count_limit: int | None = None,
) -> tuple[Sequence[Any], Counted]:
    """The rows of one page of `query` (already ordered, ties broken by the id so a page never
    repeats or skips a row) and how many match in all, exact up to `count_limit`
    (`XIETONG_LIST_COUNT_LIMIT` unless given). `changed`: the column (or expression) of a
    row's last change, which `params.updated_since` filters on — every list names it, so no
    list can leave the filter out.

    The page is the `params.page`-th, or with `params.cursor` the rows after the cursor's;
    the returned total carries the cursor of the next page (None after the last)."""
    limit = COUNT_LIMIT if count_limit is None else count_limit
    query = query.where(*params.changed_since(changed))
    matching = query.order_by(None)
    if not (query._distinct or query._group_by_clauses):
        # Counting reads no column: an index alone may answer it.
        matching = matching.with_only_columns(sa.literal(1), maintain_column_froms=True)
    counted = (
        await session.execute(
            sa.select(sa.func.count()).select_from(matching.limit(limit + 1).subquery())
        )
    ).scalar_one()
    terms = _terms(query)
    offset = 0
    if params.cursor is None:
        offset = params.offset
    else:
        if not terms:
            raise _bad_cursor()
        values = decode_cursor(params.cursor, len(terms))
        if not all(_fits(t, v) for t, v in zip(terms, values, strict=True)):
            raise _bad_cursor()
        query = query.where(_after(terms, values))
    keys = [t.expression.label(f"_key{n}") for n, t in enumerate(terms)]
    # One row more than the page: whether there is a next page, without another query.
    result = (
        await session.execute(query.add_columns(*keys).limit(params.page_size + 1).offset(offset))
    ).all()
    more = len(result) > params.page_size and bool(terms)
    result = result[: params.page_size]
    rows = [r[0] for r in result]
    next_cursor = encode_cursor(tuple(result[-1])[-len(terms) :]) if more else None
    return rows, Counted(min(int(counted), limit), exact=counted <= limit, next_cursor=next_cursor)
