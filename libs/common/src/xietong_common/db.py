"""The service's database: engine, read sessions, units of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import asyncpg
import sqlalchemy as sa
import sqlalchemy.ext.asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from xietong_common.closing import closed as closed
from xietong_common.uow import UnitOfWork, UnitOfWorkSession

if TYPE_CHECKING:
    from xietong_common.auth import Actor
    from xietong_common.clock import Clock


def async_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and use the asyncpg driver."""
    for prefix in (
        "postgresql+asyncpg://",
        "postgresql+psycopg://",
        "postgresql://",
        "postgres://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


# SQLSTATEs of a server going away or not back yet: class 08 (connection exception), and
# 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now ("the database system
# is shutting down / starting up").
_GOING_AWAY = ("57P01", "57P02", "57P03")


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database could not be reached (stopped, restarting, the
    connection lost), rather than that the work failed: the same work will succeed once the
    database is back, so the failure must not be held against the work (an event sent to the
    dead-letter topic for it). Looks through SQLAlchemy's and asyncpg's wrappers."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        error = pending.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, ConnectionError | asyncpg.PostgresConnectionError):
            return True  # refused, reset, or asyncpg's "connection was closed"
        if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
            return True  # SQLAlchemy saw its connection die
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str) and (state.startswith("08") or state in _GOING_AWAY):
            return True
        pending += [getattr(error, "orig", None), error.__cause__]
    return False


def plain_url(url: str) -> str:
    """The same URL in the form asyncpg.connect() accepts."""
    return "postgresql://" + async_url(url)[len("postgresql+asyncpg://") :]


READ_ONLY = "xietong.read_only"
"""`session.info` of a read session (`Database.session`): it writes nothing."""

_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


class _ReadSession(Session):
    """A read session's: it runs each statement on its own (autocommit). READ COMMITTED
    gives a statement its own snapshot either way, so a BEGIN … ROLLBACK around them would
    only cost two round trips per request.

    Set on each connection as the session takes it from the pool (and reset as it goes
    back), as `session.connection(execution_options=...)` sets it, not by an engine with the
    option: that one sets it from an `engine_connect` listener, and a connection whose
    engine has a listener dispatches every one of its events (connect, begin, before and
    after each statement, rollback) — some sixty calls per read (issue 22)."""

    def _connection_for_bind(
        self, engine: Any, execution_options: Any = None, **kw: Any
    ) -> sa.Connection:
        transaction = self.get_transaction()
        if transaction is None or engine not in transaction._connections:
            execution_options = {**_AUTOCOMMIT, **(execution_options or {})}
        return super()._connection_for_bind(engine, execution_options, **kw)


class _Reading:
    """`async with db.session() as session:` — the session, closed at the end (as `async with`
    an `AsyncSession` closes it, here without a task where closing waits for nothing)."""

    __slots__ = ("_factory", "_session")

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> AsyncSession:
        session = self._session = self._factory()
        session.info[READ_ONLY] = True
        return session

    async def __aexit__(self, *exc: object) -> None:
        session, self._session = self._session, None
        if session is not None:
            await closed(session)


class Database:
    """The service's engine and session factory; opens units of work."""

    def __init__(
        self,
        url: str,
        *,
        clock: Clock,
        service_name: str = "xietong",
        source: str | None = None,
        pool_size: int = 10,
        audit_hash: str = "sha256",
    ) -> None:
        self.url = async_url(url)
        self.clock = clock
        self.service_name = service_name
        # CloudEvents `source` of what this service publishes: the service (`/xietong/
        # referral`), whatever its instance is called; consumers trust a type only from it.
        self.source = source or f"/xietong/{service_name}"
        # Looked up when called, so the engine is traced once tracing is on (telemetry).
        self.engine: AsyncEngine = sa_asyncio.create_async_engine(
            self.url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800
        )
        self.sessions = async_sessionmaker(
            self.engine, sync_session_class=UnitOfWorkSession, expire_on_commit=False
        )
        self._reads = async_sessionmaker(
            self.engine, sync_session_class=_ReadSession, expire_on_commit=False
        )
        # The hash function of new audit rows (settings.audit_hash_algorithm).
        self.audit_hash = audit_hash

    def uow(self, actor: Actor | None = None) -> UnitOfWork:
        """`async with db.uow(actor) as uow:` — one transaction for one use case."""
        return UnitOfWork(
            self.sessions,
            clock=self.clock,
            source=self.source,
            actor=actor,
            audit_hash=self.audit_hash,
            engine=self.engine,
        )

    def session(self, *, transaction: bool = False) -> _Reading:
        """A read-only session (queries); writes go through a unit of work.

        Its statements run outside a transaction block, each seeing what was committed when
        it started (as in a READ COMMITTED transaction). `transaction=True` for a read that
        needs one: `SET LOCAL`, a server-side cursor (`stream`)."""
        return _Reading(self.sessions if transaction else self._reads)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[sa_asyncio.AsyncConnection]:
        """`async with db.snapshot() as conn:` — a connection in a REPEATABLE READ, READ ONLY
        transaction: every statement in the block sees the database as its first statement
        saw it. For reads that must agree with one another, where a commit landing between
        two of them would make them contradict: the audit chain's verification reads the log
        page by page, then its head, and a unit of work committed in between made a chain in
        good order look cut short (the head naming a row the log, read before, did not
        have)."""
        async with self.engine.connect() as conn:
            snapshot = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with snapshot.begin():
                await snapshot.exec_driver_sql("SET TRANSACTION READ ONLY")
                yield snapshot

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
