"""Deadline-aware lists, shared by every mechanism: which cases are open, what is due next,
what is overdue. A case's deadlines are the `deadlines` rows whose subject is `<kind>:<id>`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from xietong_common.tables import deadlines
from xietong_common.timeline import DeadlineOut

_d = deadlines.c


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


def next_due(items: Iterable[DeadlineOut]) -> DeadlineOut | None:
    """The earliest deadline not yet met."""
    pending = [d for d in items if d.satisfied_at is None]
    return min(pending, key=lambda d: d.due_at) if pending else None


def is_overdue(items: Iterable[DeadlineOut], now: datetime) -> bool:
    """A deadline not yet met whose final date has passed."""
    return any(d.satisfied_at is None and not d.provisional and d.due_at < now for d in items)
