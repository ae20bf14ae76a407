"""Unit of work: one transaction holding a state change, its outbox rows and its audit rows."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, cast

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session

from xietong_common import audit as audit_log
from xietong_common import driver
from xietong_common.closing import closed
from xietong_common.events.envelope import CloudEvent, current_trace_context
from xietong_common.events.registry import registry
from xietong_common.tables import OUTBOX_CHANNEL

if TYPE_CHECKING:
    from pydantic import BaseModel

    from xietong_common.auth import Actor
    from xietong_common.clock import Clock

log = logging.getLogger(__name__)


def _insert_cte(name: str, table: str, columns: Iterable[str], rows: str) -> str:
    """`name AS (INSERT INTO table (columns) rows RETURNING 1)`, a part of a WITH."""
    return (
        f"\n    {name} AS (\n        INSERT INTO {table} ({', '.join(columns)})\n"
        f"        {rows}\n        RETURNING 1\n    )"
    )


@dataclass(frozen=True, eq=False)
class LaterRows:
    """New rows of one table that a unit of work writes later than asked (`write_later`):
    before its next statement, or — if none comes — at commit, in the statement that writes
    its outbox and audit rows. For rows that nothing the use case does in between relies on
    having in the table, as long as whatever reads them goes through the unit of work's
    session (issue 22: a deadline's start was a round trip of its own in every use case).
    Built once per table, a module constant."""

    name: str
    """The CTE's name in the commit's statement, and its parameters' prefix."""
    table: str
    columns: tuple[tuple[str, str], ...]
    """(column, its PostgreSQL type) in the INSERT's order."""

    @property
    def cte(self) -> str:
        arrays = ", ".join(f"CAST(:{self.name}_{c} AS {t}[])" for c, t in self.columns)
        names = (c for c, _ in self.columns)
        return _insert_cte(self.name, self.table, names, f"SELECT * FROM unnest({arrays})")

    @property
    def cte_one(self) -> str:
        """The same for one row: each column a parameter of its own, not an array of one
        (asyncpg checks each array and element against three abstract base classes: ~5
        Python calls a column; issue 22)."""
        values = ", ".join(f"CAST(:{self.name}_{c} AS {t})" for c, t in self.columns)
        names = (c for c, _ in self.columns)
        return _insert_cte(self.name, self.table, names, f"VALUES ({values})")

    def params(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """The parameters of `cte` for `rows`, or of `cte_one` for one row."""
        if len(rows) == 1:
            (row,) = rows
            return {f"{self.name}_{c}": row[c] for c, _ in self.columns}
        return {f"{self.name}_{c}": [row[c] for row in rows] for c, _ in self.columns}


@dataclass(frozen=True, eq=False)
class RowInsert:
    """A new row of a table as one part of the commit's statement (a record's INSERT, queued
    by `UnitOfWork.insert_later`): every column a parameter of the column's own type, so each
    value is turned into what the driver takes as the table's own INSERT turns it. Built once
    per table."""

    table: str
    """The table's name as the SQL names it (quoted where it must be)."""
    columns: tuple[tuple[str, str, Any], ...]
    """(the row's key, the column's name in SQL, its type) in the INSERT's order."""

    def cte(self, name: str) -> str:
        values = ", ".join(f":{name}_{i}" for i in range(len(self.columns)))
        names = (column for _, column, _ in self.columns)
        return _insert_cte(name, self.table, names, f"VALUES ({values})")

    def binds(self, name: str) -> list[sa.BindParameter[Any]]:
        return [
            sa.bindparam(f"{name}_{i}", type_=type_) for i, (_, _, type_) in enumerate(self.columns)
        ]

    def params(self, name: str, row: dict[str, Any]) -> dict[str, Any]:
        return {f"{name}_{i}": row[key] for i, (key, _, _) in enumerate(self.columns)}


class LaterRecord(Protocol):
    """A new record a unit of work writes later (`UnitOfWork.insert_later`; the record kit's
    `RecordKind.insert` makes them)."""

    def commit_row(self) -> tuple[RowInsert, dict[str, Any]] | None:
        """Its part of the commit's statement and the row as the record now holds it; None
        where it is written on its own (`write`) instead (rows of its own came with it)."""

    def write(self, session: Session, *, flushing: bool) -> None:
        """Write it now, on its own, and hold it in the session as read back (`flushing`:
        from the session's `before_flush`, where the flush under way writes what the session
        holds)."""

    def written(self) -> None:
        """The commit's statement wrote it and the unit of work committed."""


class UnitOfWork:
    """`async with db.uow(actor) as uow:` commits on success, rolls back on error.

    Use cases take the unit of work and never commit themselves. Events (`publish`) and
    audit rows (`audit`) are queued and written at commit, in the same transaction as the
    state change: the outbox rows first, the audit rows last, just before COMMIT.
    What lives outside the database (a metric) moves in an `after_commit` hook, run only
    once the commit succeeded: a rolled-back or retried unit of work counts nothing twice.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Clock,
        source: str,
        actor: Actor | None = None,
        audit_hash: str = "sha256",
        engine: AsyncEngine | None = None,
    ) -> None:
        self._sessions = sessions
        # The engine whose connection the unit of work reads and commits on by the driver
        # while its session has begun nothing (`read`, `_committed_by_driver`); None: never.
        self._engine = engine
        self._held: AsyncConnection | None = None
        self._audit_hash = audit_hash  # the function chaining this service's new audit rows
        # Whether the commit's statement chains them itself (it hashes in SQL with SHA-256);
        # rows of another function are chained by `audit.append`, which reads the head first.
        self._chained_in_statement = audit_hash == "sha256"
        self._clock = clock
        self.source = source
        self.actor = actor
        self._session: AsyncSession | None = None
        self._open = False
        self._pending_events: list[dict[str, Any]] = []
        self._pending_audit: list[audit_log.AuditEntry] = []
        self._after_commit: list[Callable[[], object]] = []
        self._later: dict[LaterRows, list[dict[str, Any]]] = {}
        self._records: list[LaterRecord] = []
        self._written: list[LaterRecord] = []
        self.published: list[CloudEvent] = []
        self.now: datetime = clock.now()

    @property
    def session(self) -> AsyncSession:
        """The unit of work's session, made at its first use: a unit of work whose statements
        all run by the driver (`read`, `_committed_by_driver`) never makes one, nor closes it
        (~30 µs and a greenlet's round of every such create; issue 22)."""
        session = self._session
        if session is None:
            if not self._open:
                raise RuntimeError("the unit of work is not open: use `async with`")
            session = self._session = self._sessions()
            info = session.sync_session.info
            if self._records or self._later:
                self._watch(session)
            if self._held is not None:
                info[_HOLDING] = self
        return session

    async def __aenter__(self) -> UnitOfWork:
        # No `begin()`: the session begins its transaction with its first use (a greenlet's
        # round for nothing otherwise), and the database's with the first statement.
        self._open = True
        self.now = self._clock.now()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        hooks, self._after_commit = self._after_commit, []
        committed = False
        try:
            if exc_type is not None:
                if self._session is not None and self._session.in_transaction():
                    await self._session.rollback()
            elif await self._committed_by_driver():
                committed = True
            else:
                session = self.session
                if not await session.run_sync(self._write_and_commit):
                    # Last, so the chain head stays locked only from here to COMMIT.
                    await audit_log.append(session, self._pending_audit, algorithm=self._audit_hash)
                    await session.commit()
                committed = True
        finally:
            self._pending_events.clear()
            self._pending_audit.clear()
            self._later.clear()
            self._records.clear()
            written, self._written = self._written, []
            try:
                if self._session is not None:
                    # No task of its own where closing waits for nothing.
                    await closed(self._session)
            finally:
                await self._let_go()
                self._session, self._open = None, False
        if committed:
            for record in written:
                record.written()
            _run_hooks(hooks)

    def _untouched(self) -> bool:
        """Whether the session has begun nothing and holds nothing to write: what the unit of
        work does next may run by the driver, outside a transaction (`read`,
        `_committed_by_driver`)."""
        if self._engine is None:
            return False
        session = self._session
        if session is None:
            return True
        if session.in_transaction():
            return False
        sync = session.sync_session
        return not (sync.new or sync.dirty or sync.deleted)

    async def _connection(self) -> AsyncConnection:
        """The engine's connection the unit of work reads and commits on by the driver, taken
        at the first such step and held to the end: one checkout for all of them, and the
        same connection handed to the session should it need one after (`UnitOfWorkSession`),
        so a unit of work never holds two of the pool's connections (several units of work
        each holding one and waiting for a second could starve the pool)."""
        if self._held is None:
            self._held = await cast("AsyncEngine", self._engine).connect()
            if self._session is not None:
                self._session.sync_session.info[_HOLDING] = self
        return self._held

    async def _let_go(self, *, invalidate: bool = False) -> None:
        """Give the held connection back to the pool — or, cut off mid-statement or failed
        (`invalidate`), drop it: its state is the driver's to know."""
        held, self._held = self._held, None
        if held is None:
            return
        if self._session is not None:
            self._session.sync_session.info.pop(_HOLDING, None)
        try:
            if invalidate:
                await held.invalidate()
        finally:
            await closed(held)  # the session never closes it: the unit of work took it

    async def _committed_by_driver(self) -> bool:
        """Commit by the driver, on the held connection (or one taken now), where the session
        has begun nothing: the commit's one statement — the new records, the rows written
        later, the outbox rows and the SHA-256 chain's audit rows — is then the transaction
        (`_write_and_commit`), and SQLAlchemy's session, its execution and the greenlet's
        rounds around them did nothing for it (issue 22: ~12% of a create's CPU). False where
        the session's path commits instead: the session began a transaction, holds objects
        to flush, a record is written on its own, or the audit rows are of another hash
        function — and where the server refused the statement (a key taken): it ran as its
        own transaction, so nothing of it was written, and the session's path runs it again
        and raises SQLAlchemy's error. A connection lost on the way is not run again: whether
        the statement committed is unknown, and the error is raised."""
        if not self._untouched():
            return False
        if not (self._records or self._later or self._pending_events or self._pending_audit):
            return True  # nothing was written: nothing to commit
        if self._pending_audit and not self._chained_in_statement:
            return False
        parts = self._commit_parts(self._records)
        if parts is None or not (parts or self._later or self._pending_events):
            return False
        statement, params = self._commit_statement(parts, self._later)
        conn = await self._connection()
        form = driver.form_of(statement, conn.dialect)
        try:
            await driver.execute(conn, form, params)
        except Exception as error:
            if driver.refused(error):
                return False
            lost = driver.lost(conn)
            await self._let_go(invalidate=True)
            if lost and not isinstance(error, ConnectionError | asyncpg.PostgresConnectionError):
                # Said as a lost connection (asyncpg's "connection is closed" is an
                # InterfaceError), as SQLAlchemy says it: whoever retries work the database
                # was away for (the inbox) must not take it for the work's failure.
                raise ConnectionResetError("the database connection was lost") from error
            raise
        except BaseException:
            await self._let_go(invalidate=True)
            raise
        self._written = [record for _, _, record in parts]
        self._records = []
        self._later = {}
        return True

    @staticmethod
    def _commit_parts(
        records: list[LaterRecord],
    ) -> list[tuple[RowInsert, dict[str, Any], LaterRecord]] | None:
        """Each new record's part of the commit's statement; None where one is written on its
        own."""
        parts = []
        for record in records:
            part = record.commit_row()
            if part is None:
                return None
            parts.append((*part, record))
        return parts

    def _commit_statement(
        self,
        parts: list[tuple[RowInsert, dict[str, Any], LaterRecord]],
        later: dict[LaterRows, list[dict[str, Any]]],
    ) -> tuple[sa.TextClause, dict[str, Any]]:
        """The commit's statement and its parameters: the new records (`parts`), the rows
        written later, the outbox rows and — with SHA-256 — the audit rows chained."""
        params: dict[str, Any] = {}
        for i, (insert, row, _) in enumerate(parts):
            params |= insert.params(f"new{i}", row)
        for kind, rows in later.items():
            params |= kind.params(rows)
        if self._pending_events:
            params |= self._outbox_columns()
        chained = bool(self._pending_audit) and self._chained_in_statement
        if chained:
            audited = self._pending_audit
            params |= (
                audit_log.sha256_one(audited[0])
                if len(audited) == 1
                else audit_log.sha256_columns(audited)
            )
        statement = _commit_statement(
            tuple(insert for insert, _, _ in parts),
            tuple((kind, len(rows) == 1) for kind, rows in later.items()),
            events=len(self._pending_events),
            chained=len(self._pending_audit) if chained else 0,
        )
        return statement, params

    def _write_and_commit(self, session: Session) -> bool:
        """The commit's work up to COMMIT in one call on the session's own (synchronous) side:
        its flush, then one statement for the new records and rows written later, the outbox
        rows and — with SHA-256 — the audit rows chained (the statement still the last, so
        the chain head stays locked only from there to COMMIT), then COMMIT. One switch into
        SQLAlchemy's greenlet rather than one for each step (issue 22). False, uncommitted,
        where audit rows of another hash function are left to chain (`audit.append`, which
        reads the head first).

        Where nothing before it began a transaction in the database (the unit of work only
        read, through `read`), that statement is the transaction: PostgreSQL runs a
        statement outside a transaction block as one of its own, all of it or nothing, and
        its BEGIN and COMMIT are two round trips saved — and the chain head is then locked
        only while the statement runs (issue 22)."""
        session.flush()
        records, self._records = self._records, []
        parts: list[tuple[RowInsert, dict[str, Any], LaterRecord]] = []
        for record in records:
            part = record.commit_row()
            if part is None:
                record.write(session, flushing=False)
            else:
                parts.append((*part, record))
        later, self._later = self._later, {}
        chained = False
        if parts or later or self._pending_events:
            chained = bool(self._pending_audit) and self._chained_in_statement
            statement, params = self._commit_statement(parts, later)
            idle = None if self._pending_audit and not chained else _idle(session)
            if idle is None:
                execute_plainly(session, statement, params)
            else:
                with _outside_transaction(idle):
                    execute_plainly(session, statement, params)
            self._written = [record for _, _, record in parts]
            if idle is not None:
                # The statement was the transaction, committed as it ended: COMMIT would
                # end nothing in the database, only the session's bookkeeping of a
                # transaction (~45 calls), which its close ends as well (rolling back
                # nothing: no BEGIN was sent).
                return True
        if self._pending_audit and not chained:
            return False
        session.commit()
        return True

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A part of the transaction that may fail alone (one row of a periodic job): on an
        error its statements (a SAVEPOINT), its queued events, audit rows and after-commit
        hooks are undone together and the error is raised; the rest of the unit of work goes
        on."""
        await self._write_later()  # what came before is not the savepoint's to undo
        marks = (
            len(self._pending_events),
            len(self._pending_audit),
            len(self.published),
            len(self._after_commit),
        )
        try:
            async with self.session.begin_nested():
                yield
                await self._write_later()
        except BaseException:
            self._later.clear()
            self._records.clear()
            del self._pending_events[marks[0] :]
            del self._pending_audit[marks[1] :]
            del self.published[marks[2] :]
            del self._after_commit[marks[3] :]
            raise

    def after_commit(self, hook: Callable[[], object]) -> None:
        """Run `hook` once this unit of work has committed (never if it rolls back, nor if
        the savepoint it was added in fails): for what the database cannot take back, such
        as a Prometheus counter. A hook that fails is logged; the commit stands."""
        self._after_commit.append(hook)

    def write_later(self, kind: LaterRows, row: dict[str, Any]) -> None:
        """Queue a new row of `kind`'s table: it is written before the next statement this unit
        of work's session executes (so that statement reads it), else at commit with the
        outbox and audit rows. Rows the use case then reads only through that session."""
        if not self._later and not self._records and self._session is not None:
            self._watch(self._session)
        self._later.setdefault(kind, []).append(row)

    def insert_later(self, record: LaterRecord) -> None:
        """Queue a new record: it is written before the next statement or flush of this unit
        of work's session (so that statement reads it, and rows the flush writes may refer
        to it), else by the commit's statement — where, if the unit of work began no
        transaction before, that statement is all its writes (`read`). What the record holds
        when it is written is what is written. Read it back only through that session."""
        if not self._later and not self._records and self._session is not None:
            self._watch(self._session)
        self._records.append(record)

    def _watch(self, watched: AsyncSession) -> None:
        """`watched` writes the queued rows before its next statement (made after they were
        queued, the session is watched as it is made)."""
        session = watched.sync_session
        if not isinstance(session, UnitOfWorkSession):
            # Only its class writes the queued rows before the next statement.
            raise TypeError("a unit of work's session is a UnitOfWorkSession (Database.uow)")
        session.info[_WRITING_LATER] = self

    async def read(
        self, statement: sa.Executable, params: dict[str, Any] | None = None
    ) -> sa.Result[Any]:
        """Run a read — a statement that neither writes nor locks (no `FOR UPDATE`, no
        advisory lock) — outside the transaction while the unit of work has begun none in the
        database: a READ COMMITTED statement sees what was committed when it started, in a
        transaction or not, so the read is the same, and the unit of work's BEGIN goes with
        its first write, or — where its writes are all its commit's statement — none is
        needed (issue 22). Its rows are read before it returns. What the unit of work queued
        to write is written first, so the read sees it.

        While the session has begun nothing and nothing is queued, a Core statement (table
        columns, no model) runs by the driver on the unit of work's own connection
        (`_connection`), without the session's execution and its greenlet's round (issue 22);
        should the driver fail, it is dropped and the session runs the read again (and raises
        SQLAlchemy's error)."""
        if (
            not self._records
            and not self._later
            and statement._propagate_attrs.get("compile_state_plugin") != "orm"
            and self._untouched()
        ):
            conn = await self._connection()
            form = driver.form_of(cast("sa.ClauseElement", statement), conn.dialect)
            try:
                return driver.result(form, await driver.fetch(conn, form, params))
            except Exception:
                await self._let_go(invalidate=True)
            except BaseException:
                await self._let_go(invalidate=True)
                raise
        return await self.session.run_sync(self._read, statement, params)

    def _read(
        self, session: Session, statement: sa.Executable, params: dict[str, Any] | None
    ) -> sa.Result[Any]:
        self._write_queued(session)
        session.flush()
        driver = _idle(session)
        # A Core statement (table columns, no model) straight on the session's connection:
        # the session's execution (its events, the ORM's context) did nothing for it.
        orm = statement._propagate_attrs.get("compile_state_plugin") == "orm"
        run: Any = session.execute if orm else session.connection().execute
        if driver is None:
            return run(statement, params, execution_options=_BUFFERED)  # type: ignore[no-any-return]
        with session.no_autoflush, _outside_transaction(driver):
            return run(statement, params, execution_options=_BUFFERED)  # type: ignore[no-any-return]

    def _write_queued(self, session: Session, *, flushing: bool = False) -> None:
        """Write the new records and rows queued to be written later, now (before another
        statement or a flush): the records first, which the rows may refer to."""
        records, self._records = self._records, []
        for record in records:
            record.write(session, flushing=flushing)
        if self._later:
            later, self._later = self._later, {}
            for kind, rows in later.items():
                session.execute(_later_statement(kind, len(rows) == 1), kind.params(rows))

    def _before_statement(self, state: ORMExecuteState) -> None:
        """Any statement of the session runs after the records and rows queued to be written
        later."""
        if self._records or self._later:
            self._write_queued(state.session)

    def _before_flush(self, session: Session) -> None:
        """A flush writes after the records queued: what it writes may refer to them."""
        if self._records:
            self._write_queued(session, flushing=True)

    async def _write_later(self) -> None:
        if self._records or self._later:
            await self.session.run_sync(self._write_queued)

    def publish(self, event: BaseModel, *, key: str, subject: str | None = None) -> CloudEvent:
        """Queue an event; it is written to the outbox in this transaction."""
        spec = registry.spec_for(type(event))
        envelope = CloudEvent.wrap(
            event,
            spec=spec,
            source=self.source,
            subject=subject or key,
            time=self.now,
            trace=current_trace_context(),
        )
        self._pending_events.append(
            {
                "event_id": envelope.id,
                "topic": spec.topic,
                "key": key,
                # Its JSON text, made once by pydantic: a dict first and then `json.dumps` of it
                # was twice the work (~10 µs an event; issue 22).
                "envelope": envelope.model_dump_json(by_alias=True, exclude_none=True),
            }
        )
        self.published.append(envelope)
        return envelope

    def audit(
        self,
        *,
        action: str,
        subject: str,
        rule: str | None = None,
        detail: dict[str, Any] | None = None,
        actor: Actor | None = None,
    ) -> None:
        """Queue a hash-chained audit row; it is chained and written at commit."""
        who = actor or self.actor
        if who is None:
            raise RuntimeError("an audited change needs an actor")
        self._pending_audit.append(
            audit_log.AuditEntry.of(
                at=self.now,
                actor=who.user,
                org=who.org,
                action=action,
                subject=subject,
                rule=rule,
                detail=detail or {},
            )
        )

    def _outbox_columns(self) -> dict[str, Any]:
        """The parameters of the outbox's INSERT: one array per column, in publishing order
        (for one event, its values: `_OUTBOX_ROW`)."""
        columns: dict[str, Any] = {"event_id": [], "topic": [], "key": [], "envelope": []}
        for row in self._pending_events:
            columns["event_id"].append(row["event_id"])
            columns["topic"].append(row["topic"])
            columns["key"].append(row["key"])
            columns["envelope"].append(row["envelope"])
        if len(self._pending_events) == 1:
            columns = {name: values[0] for name, values in columns.items()}
        columns["channel"] = OUTBOX_CHANNEL
        return columns


_WRITING_LATER = "xietong.writing_later"
"""`session.info` of a unit of work's session: the unit of work, once it has rows to write
later."""


_HOLDING = "xietong.holding"
"""`session.info` of a unit of work's session: the unit of work, while it holds a connection
of its own the session has not taken over (`UnitOfWork._connection`)."""


class UnitOfWorkSession(Session):
    """The session of a unit of work (`Database.uow`). Whatever it executes first writes the
    rows its unit of work queued to write later (`write_later`): one listener on the class,
    not one added to each session that queues a row (its `listen`, some 30 calls of every
    create; issue 22). The first connection it needs is the one its unit of work read on by
    the driver, if it holds one."""

    def _connection_for_bind(
        self, engine: Any, execution_options: Any = None, **kw: Any
    ) -> sa.Connection:
        uow = self.info.pop(_HOLDING, None)
        if uow is not None and uow._held is not None:
            # Bound to the connection itself, the session begins its transaction on it,
            # commits or rolls it back, and leaves closing it to the unit of work.
            engine = uow._held.sync_connection
        return super()._connection_for_bind(engine, execution_options, **kw)


def _rows_written_later_first(state: ORMExecuteState) -> None:
    uow = state.session.info.get(_WRITING_LATER)
    if uow is not None:
        uow._before_statement(state)


def _records_written_before_flush(session: Session, *_: Any) -> None:
    uow = session.info.get(_WRITING_LATER)
    if uow is not None:
        uow._before_flush(session)


sa.event.listen(UnitOfWorkSession, "do_orm_execute", _rows_written_later_first)
sa.event.listen(UnitOfWorkSession, "before_flush", _records_written_before_flush)

_BUFFERED = {"prebuffer_rows": True}


def _idle(session: Session) -> AsyncAdapt_asyncpg_connection | None:
    """The driver's connection under the session, where no transaction has begun on it in the
    database yet — SQLAlchemy's asyncpg adapter sends BEGIN with the first statement — else
    None (another driver, too: it is then never run outside its transaction)."""
    driver = session.connection().connection.dbapi_connection
    if (
        isinstance(driver, AsyncAdapt_asyncpg_connection)
        and getattr(driver, "_transaction", True) is None
        and not driver.autocommit
    ):
        return driver
    return None


@contextmanager
def _outside_transaction(driver: AsyncAdapt_asyncpg_connection) -> Iterator[None]:
    """Statements run on `driver` in the block are each their own transaction (no BEGIN is
    sent before them); the transaction the session holds begins, as ever, with the first
    statement after it."""
    driver.autocommit = True
    try:
        yield
    finally:
        driver.autocommit = False


def _run_hooks(hooks: list[Callable[[], object]]) -> None:
    for hook in hooks:
        try:
            hook()
        except Exception:  # committed already: a metric that fails must not fail the change
            log.exception("an after-commit hook failed: %r", hook)


# The unit of work's events in the order published, and the relay's wake-up, in one round
# trip (any number of rows: one prepared statement). The NOTIFY is delivered at commit only,
# so the relay never wakes for rolled-back rows; it names the last row written, so a relay
# that has already sent that row (its pass found the commit before the NOTIFY came) does not
# wake again for nothing.
_OUTBOX_ROWS = """
    written AS (
        INSERT INTO outbox (event_id, topic, key, envelope)
        SELECT event_id, topic, key, envelope FROM unnest(
            CAST(:event_id AS uuid[]), CAST(:topic AS text[]), CAST(:key AS text[]),
            CAST(:envelope AS jsonb[])
        ) WITH ORDINALITY AS e(event_id, topic, key, envelope, n)
        ORDER BY n
        RETURNING id
    )"""
# One event's row: its values as parameters of their own, not arrays of one (`LaterRows.cte_one`).
_OUTBOX_ROW = """
    written AS (
        INSERT INTO outbox (event_id, topic, key, envelope)
        VALUES (
            CAST(:event_id AS uuid), CAST(:topic AS text), CAST(:key AS text),
            CAST(:envelope AS jsonb)
        )
        RETURNING id
    )"""
_NOTIFY = "(SELECT pg_notify(:channel, max(id)::text) FROM written HAVING count(*) > 0)"
_STATEMENTS: dict[
    tuple[tuple[RowInsert, ...], tuple[tuple[LaterRows, bool], ...], int, int], sa.TextClause
] = {}


def _commit_statement(
    records: tuple[RowInsert, ...],
    later: tuple[tuple[LaterRows, bool], ...],
    *,
    events: int,
    chained: int,
) -> sa.TextClause:
    """The commit's statement writing the new records, the rows queued later (each kind's
    with whether it is one row), the outbox rows of `events` events (and the relay's
    wake-up) and the `chained` audit rows of a SHA-256 chain, last: built once for each
    combination (counts told apart only as none, one or more). The NOTIFY is read in its
    result so that it runs (a CTE that writes nothing runs only when read); the writing CTEs
    run whether read or not. A row of one part may refer to a record of another: PostgreSQL
    checks a foreign key at the end of the statement."""
    key = (records, later, min(events, 2), min(chained, 2))
    statement = _STATEMENTS.get(key)
    if statement is None:
        names = [f"new{i}" for i in range(len(records))]
        outbox = [_OUTBOX_ROW if events == 1 else _OUTBOX_ROWS] if events else []
        ctes = ",".join(
            [
                *(insert.cte(name) for insert, name in zip(records, names, strict=True)),
                *(kind.cte_one if one else kind.cte for kind, one in later),
                *outbox,
            ]
        )
        notify = _NOTIFY if events else "NULL"
        if chained:
            # The other writes run before the chain head is locked, as when they were
            # statements of their own: the lock, the serialisation point, is held no longer.
            first = [*names, *(kind.name for kind, _ in later), *(["written"] if events else [])]
            statement = audit_log.sha256_append_after(
                ctes, first=first, returning=notify, one=chained == 1
            )
        else:
            statement = sa.text(f"WITH{ctes}\nSELECT {notify}")
        binds = [
            bind for insert, name in zip(records, names, strict=True) for bind in insert.binds(name)
        ]
        if binds:
            statement = statement.bindparams(*binds)
        _STATEMENTS[key] = statement
    return statement


def execute_plainly(session: Session, statement: sa.ClauseElement, params: dict[str, Any]) -> None:
    """Run `statement` — one built once, whose result nothing reads (a commit's statement, a
    new record's INSERT) — in the session's transaction as the driver's own SQL, compiled
    once per dialect and set of parameters, each parameter turned into what the driver takes
    by its type's bind processor, as SQLAlchemy's execution turns it. The ORM's execution of
    it (its context, the compiled cache's key, the parameters' processing, the result) was
    work for nothing — ~0.1–0.2 ms of every write (issue 22). Still through the connection:
    the transaction as the driver adapter keeps it (BEGIN where the session began none yet),
    its errors translated and a dead connection invalidated as for any statement, and the
    statement traced and seen by the engine's events as any. Compiled as the statements the
    driver runs alone are (`driver.form_of`). On the session's synchronous side
    (`session.run_sync`), where the commit and a queued record's write run."""
    connection = session.connection()
    form = driver.form_of(statement, connection.dialect, columns=tuple(params))
    connection.exec_driver_sql(form.sql, tuple(form.args(params)))


def _later_statement(kind: LaterRows, one: bool) -> sa.TextClause:
    """The rows of `kind` queued later, alone (before another statement, or a savepoint's end)."""
    return _commit_statement((), ((kind, one),), events=0, chained=0)
