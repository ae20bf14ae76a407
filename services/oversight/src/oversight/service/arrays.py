"""Statements of arrays: many rows as one array per column (`unnest`), so that a statement is
compiled and prepared once for any number of rows and its values are encoded by the driver,
not rendered row by row by SQLAlchemy (a multi-row VALUES, or `insertmanyvalues`, costs the
ledger's consumer more CPU than the rows themselves)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
ORDINAL = "ordinal_"
"""The rows' order in `unnest`'s result (a name no table of the ledger has)."""


def unnest(table: sa.Table, columns: Sequence[str], *, alias: str = "r") -> str:
    """`unnest(CAST(:c AS <type>[]), …) WITH ORDINALITY AS r(c…, ordinal_)`: the rows
    given as one array per column of `table` (bind names: the column names), `ORDINAL` their
    order."""
    arrays = ", ".join(
        f"CAST(:{name} AS {table.c[name].type.compile(dialect=_DIALECT)}[])" for name in columns
    )
    names = ", ".join(f'"{name}"' for name in columns)
    return f"unnest({arrays}) WITH ORDINALITY AS {alias}({names}, {ORDINAL})"


def columns(rows: Iterable[Mapping[str, Any]], names: Sequence[str]) -> dict[str, list[Any]]:
    """`rows` as the arrays `unnest` takes: one list per column, in the rows' order."""
    arrays: dict[str, list[Any]] = {name: [] for name in names}
    for row in rows:
        for name in names:
            arrays[name].append(row[name])
    return arrays
