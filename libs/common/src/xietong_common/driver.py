"""Statements the driver (asyncpg) runs itself, on a connection taken from the engine's pool,
without SQLAlchemy's execution around them (issue 22).

SQLAlchemy's execution of a statement built once — its context, the compiled cache's key,
each parameter's and each row's processing through its layers, the result object, and a
greenlet's round for every step on an asyncio connection — is most of what a request costs
beyond the database itself. A statement here is compiled once by SQLAlchemy's dialect (the
same SQL, each parameter turned into what the driver takes by its type's bind processor,
each column of a row by its type's result processor), and what SQLAlchemy's execution gave
the service is kept: the statement's span in a sampled trace (`statement_traced`) and the
engine's `before_cursor_execute` for whoever listens (tests count statements).

The connection is one of the engine's, so the pool's size, its recycling and its failure
handling are the service's one budget of connections; the driver's connection under it is
used while SQLAlchemy's is checked out, never after it is given back."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData

from xietong_common.telemetry import statement_traced

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass
class DriverForm:
    """A statement as the driver runs it: its SQL, its parameters in order (the caller's by
    name, else the statement's own values) each with its type's bind processor, and each
    result column's key, type and conversion — its type's result processor for the column's
    PostgreSQL type, found at the first run."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    literals: Mapping[str, Any]
    keys: tuple[str, ...]
    types: tuple[Any, ...]
    converters: tuple[Callable[[Any], Any] | None, ...] | None = None

    def args(self, params: Mapping[str, Any] | None) -> list[Any]:
        """The statement's parameters in the driver's order, each as its type takes it."""
        values = params or {}
        args = []
        for name, process in zip(self.names, self.processors, strict=True):
            value = values[name] if name in values else self.literals[name]
            args.append(value if process is None else process(value))
        return args

    def row(self, record: Sequence[Any]) -> tuple[Any, ...]:
        """A row the driver read, each column converted as SQLAlchemy's result converts it."""
        converters = self.converters or ()
        return tuple(v if f is None else f(v) for f, v in zip(converters, record, strict=True))


_FORMS: dict[tuple[int, str, tuple[str, ...] | None], tuple[Any, DriverForm]] = {}


def form_of(
    statement: sa.ClauseElement, dialect: Any, *, columns: tuple[str, ...] | None = None
) -> DriverForm:
    """`statement` — one built once (a module's constant, a kind's load by id, a table's
    INSERT) — compiled once for `dialect`'s driver, found again by its identity (held with
    it). `columns`: the parameters an INSERT or UPDATE names (its `column_keys`)."""
    key = (id(statement), dialect.name, columns)
    found = _FORMS.get(key)
    if found is not None and found[0] is statement:
        return found[1]
    compiled: Any = statement.compile(
        dialect=dialect, column_keys=None if columns is None else list(columns)
    )
    names = tuple(compiled.positiontup or ())
    processors = compiled._bind_processors
    form = DriverForm(
        sql=compiled.string,
        names=names,
        processors=tuple(processors.get(name) for name in names),
        literals={k: v for k, v in compiled.params.items() if k in names},
        keys=tuple(column.keyname for column in compiled._result_columns),
        types=tuple(column.type for column in compiled._result_columns),
    )
    if len(_FORMS) >= 1024:  # statements built once: a few dozen; never grows unbounded
        _FORMS.clear()
    _FORMS[key] = (statement, form)
    return form


def driver_of(conn: AsyncConnection) -> asyncpg.Connection:
    """The driver's connection under `conn`, just checked out of the pool and so at hand (no
    greenlet's round, as `get_raw_connection` takes)."""
    return conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]


def _heard(conn: AsyncConnection, form: DriverForm, args: list[Any], *, after: bool) -> None:
    """The engine's `before_cursor_execute` (or, once it has run, `after_cursor_execute`) for
    whoever listens, as SQLAlchemy's execution dispatches them."""
    engine = conn.sync_engine
    if engine._has_events:
        dispatch = (
            engine.dispatch.after_cursor_execute if after else engine.dispatch.before_cursor_execute
        )
        dispatch(conn.sync_connection, None, form.sql, tuple(args), None, False)


async def fetch(
    conn: AsyncConnection, form: DriverForm, params: Mapping[str, Any] | None
) -> list[tuple[Any, ...]]:
    """The rows of `form` for `params`, run by the driver on `conn`'s connection, each
    converted as SQLAlchemy converts it. The driver's error is raised as it is: the caller
    decides whether SQLAlchemy runs it again (a read) or not."""
    return await _read(conn, form, params, one=False)  # type: ignore[no-any-return]


async def fetch_row(
    conn: AsyncConnection, form: DriverForm, params: Mapping[str, Any] | None
) -> tuple[Any, ...] | None:
    """The one row of `form` (a read by id), or None: as `fetch`."""
    return await _read(conn, form, params, one=True)  # type: ignore[no-any-return]


async def _read(
    conn: AsyncConnection, form: DriverForm, params: Mapping[str, Any] | None, *, one: bool
) -> Any:
    args = form.args(params)
    _heard(conn, form, args, after=False)
    driver = driver_of(conn)
    with statement_traced(form.sql, conn.engine.url):
        if form.converters is None:
            prepared = await driver.prepare(form.sql)
            dialect = conn.dialect
            form.converters = tuple(
                kind._cached_result_processor(dialect, attribute.type.oid)
                for kind, attribute in zip(form.types, prepared.get_attributes(), strict=True)
            )
            found = await (prepared.fetchrow(*args) if one else prepared.fetch(*args))
        else:
            found = await (
                driver.fetchrow(form.sql, *args) if one else driver.fetch(form.sql, *args)
            )
    _heard(conn, form, args, after=True)
    if one:
        return None if found is None else form.row(found)
    return [form.row(record) for record in found]


async def execute(conn: AsyncConnection, form: DriverForm, params: Mapping[str, Any]) -> None:
    """Run `form` — a statement whose result nothing reads — by the driver on `conn`'s
    connection; its error is raised as the driver raised it."""
    args = form.args(params)
    _heard(conn, form, args, after=False)
    with statement_traced(form.sql, conn.engine.url):
        await driver_of(conn).execute(form.sql, *args)
    _heard(conn, form, args, after=True)


def result(form: DriverForm, rows: list[tuple[Any, ...]]) -> sa.Result[Any]:
    """`rows` as SQLAlchemy's buffered result of the statement (rows by key and position)."""
    return IteratorResult(SimpleResultMetaData(form.keys), iter(rows))


def lost(conn: AsyncConnection) -> bool:
    """Whether the driver's connection under `conn` has been closed (by the server, the
    network, or the driver on a broken protocol)."""
    return bool(driver_of(conn).is_closed())


def refused(error: BaseException) -> bool:
    """Whether the server answered the statement with an error (a constraint, a type), the
    connection still whole — not a connection lost, where whether it ran is unknown."""
    return isinstance(error, asyncpg.PostgresError) and not isinstance(
        error, asyncpg.PostgresConnectionError
    )
