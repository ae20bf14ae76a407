"""Read sessions on PostgreSQL (issue 22): each statement on its own (autocommit), the
connection back in the pool when the session ends — closed without a task of its own where
nothing is rolled back, through one where something is, cancelled or not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from xietong_common.clock import FakeClock
from xietong_common.db import READ_ONLY, Database
from xietong_devtools.testing import Servers, create_database

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(servers: Servers) -> AsyncIterator[Database]:
    url = await create_database(servers, "reads")
    database = Database(url, clock=FakeClock(datetime(2024, 3, 4, tzinfo=UTC)))
    try:
        yield database
    finally:
        await database.dispose()


def checked_out(db: Database) -> int:
    return db.engine.sync_engine.pool.checkedout()  # type: ignore[attr-defined,no-any-return]


async def test_a_read_session_reads_outside_a_transaction_and_closes_without_a_task(
    db: Database, tasks_made: list[Any]
) -> None:
    async with db.session() as session:
        assert session.info[READ_ONLY] is True
        # No transaction block: each statement is its own (the transaction id changes).
        first = await session.scalar(sa.text("SELECT txid_current()"))
        second = await session.scalar(sa.text("SELECT txid_current()"))
        assert first != second
        assert checked_out(db) == 1
    assert checked_out(db) == 0
    assert tasks_made == []
    # The connection went back as it came: the next read session's still autocommits, and
    # a unit of work's is in a transaction.
    async with db.session() as session:
        first = await session.scalar(sa.text("SELECT txid_current()"))
        assert first != await session.scalar(sa.text("SELECT txid_current()"))
    async with db.uow() as uow:
        first = await uow.session.scalar(sa.text("SELECT txid_current()"))
        assert first == await uow.session.scalar(sa.text("SELECT txid_current()"))


async def test_a_session_in_a_transaction_is_rolled_back_in_a_task_of_its_own(
    db: Database, tasks_made: list[Any]
) -> None:
    async with db.session(transaction=True) as session:
        assert session.info[READ_ONLY] is True
        first = await session.scalar(sa.text("SELECT txid_current()"))
        assert first == await session.scalar(sa.text("SELECT txid_current()"))
    assert checked_out(db) == 0
    assert len(tasks_made) == 1  # the ROLLBACK waits for the server


async def test_a_session_s_connection_goes_back_when_its_task_is_cancelled(db: Database) -> None:
    entered = asyncio.Event()

    async def read() -> None:
        async with db.session(transaction=True) as session:
            await session.execute(sa.text("SELECT 1"))
            entered.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(read())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert checked_out(db) == 0
    async with db.session() as session:  # and the pool serves the next one
        assert await session.scalar(sa.text("SELECT 1")) == 1
