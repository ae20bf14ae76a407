"""Deadline-aware lists, shared by every mechanism: which cases are open, what is due next,
what is overdue. A case's deadlines are the `deadlines` rows whose subject is `<kind>:<id>`.

The pieces every list of records is made of (`RecordKind.page` puts them together): the
`ListFilters` every list offers, a service's own filters subclassing them; the order of a
`sort` key (`created_at`, `-created_at`, … and `due_at`, the most urgent first); the `Box`
of a party's inbox and outbox; a `Listed` row with its next deadline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from xietong_common.tables import deadlines
from xietong_common.timeline import DeadlineOut

_d = deadlines.c

R = TypeVar("R")
StateT = TypeVar("StateT", bound=Enum)
DUE_AT = "due_at"
"""The sort key every list of records takes: the earliest open deadline first."""


class Box(StrEnum):
    """Which records a party's list shows: sent to it, sent by it, or all it may see."""

    INBOX = "inbox"
    OUTBOX = "outbox"
    ALL = "all"


@dataclass(frozen=True)
class ListFilters(Generic[StateT]):
    """What every list of records filters on: states, an open deadline before a moment,
    overdue or not; and its order (`sort`: a column name, `-` before it for descending, or
    `due_at`). A service's filters subclass it with their own fields and sort keys."""

    states: Sequence[StateT] = ()
    due_before: datetime | None = None
    overdue: bool | None = None
    sort: str = "-created_at"


@dataclass(frozen=True)
class Listed(Generic[R]):
    """A row of a list: the record, its earliest open deadline, whether one is missed, and
    every deadline of it (met, open or missed) for a list that shows them all."""

    record: R
    next_due: DeadlineOut | None
    overdue: bool
    deadlines: Sequence[DeadlineOut] = ()


def sort_keys(columns: Iterable[str]) -> list[str]:
    """The keys `sort_clause` takes for these columns: each ascending and descending, and
    `due_at` both ways."""
    return [key for name in (*columns, DUE_AT) for key in (name, f"-{name}")]


class DeadlineQueries:
    """SQL pieces for the aggregate whose id column is `id_column` and whose deadlines have
    the subject `<prefix>:<id>`: filters (`overdue`, `due_before`) and a sort key."""

    def __init__(self, prefix: str, id_column: Any) -> None:
        self.subject = sa.func.concat(f"{prefix}:", sa.cast(id_column, sa.Text))

    def _open(self) -> sa.ColumnElement[bool]:
        return sa.and_(
            _d.subject == self.subject, _d.satisfied_at.is_(None), _d.cancelled_at.is_(None)
        )

    def next_due(self) -> sa.ScalarSelect[Any]:
        """The earliest open deadline (a sort key; NULL when nothing is owed)."""
        return sa.select(sa.func.min(_d.due_at)).where(self._open()).scalar_subquery()

    def overdue(self, now: datetime) -> sa.ColumnElement[bool]:
        """An open deadline with a final date has passed (a provisional one is no breach)."""
        return sa.exists().where(self._open(), _d.provisional.is_(False), _d.due_at < now)

    def due_before(self, moment: datetime) -> sa.ColumnElement[bool]:
        return sa.exists().where(self._open(), _d.due_at < moment)

    def filters(
        self, *, now: datetime, due_before: datetime | None, overdue: bool | None
    ) -> list[sa.ColumnElement[bool]]:
        """The `due_before` and `overdue` filters every list offers."""
        where = []
        if due_before is not None:
            where.append(self.due_before(due_before))
        if overdue is not None:
            where.append(self.overdue(now) if overdue else ~self.overdue(now))
        return where

    def order(self, *, descending: bool = False) -> sa.ColumnElement[Any]:
        """Most urgent first (or last); cases that owe nothing at the end."""
        key = self.next_due()
        return key.desc().nulls_last() if descending else key.asc().nulls_last()


def sort_clause(
    key: str, columns: Mapping[str, Any], due: DeadlineQueries, *, tiebreak: Sequence[Any]
) -> list[Any]:
    """The ORDER BY of a sort key: `name` ascending, `-name` descending (rows without a value
    last either way), `due_at` by the earliest open deadline; `tiebreak` (the id) makes the
    order total, so a page never repeats or skips a row."""
    descending = key.startswith("-")
    name = key.removeprefix("-")
    if name == DUE_AT:
        first = due.order(descending=descending)
    elif name in columns:
        column = columns[name]
        first = column.desc().nulls_last() if descending else column.asc().nulls_last()
    else:
        raise ValueError(f"no sort key {key!r}; the keys are {sort_keys(columns)}")
    return [first, *tiebreak]


def next_due(items: Iterable[DeadlineOut]) -> DeadlineOut | None:
    """The earliest deadline not yet met."""
    pending = [d for d in items if d.satisfied_at is None]
    return min(pending, key=lambda d: d.due_at) if pending else None


def is_overdue(items: Iterable[DeadlineOut], now: datetime) -> bool:
    """A deadline not yet met whose final date has passed."""
    return any(d.satisfied_at is None and not d.provisional and d.due_at < now for d in items)
