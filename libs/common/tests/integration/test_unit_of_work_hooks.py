"""What a unit of work does after its commit (`UnitOfWork.after_commit`): a metric or
anything else outside the database moves only once the change it tells of is committed, so
a rolled-back or retried transaction is not counted twice."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from backbone_support import Harness, counters, harness, increment, new_key
from xietong_common.uow import UnitOfWork
from xietong_devtools.testing import Servers, create_database

pytestmark = pytest.mark.integration


@pytest.fixture
async def h(servers: Servers) -> AsyncIterator[Harness]:
    url = await create_database(servers, "uow_hooks")
    async for value in harness(url):
        yield value


async def value_of(h: Harness, counter: str) -> int | None:
    async with h.db.session() as s:
        query = sa.select(counters.c.value).where(counters.c.name == counter)
        return (await s.execute(query)).scalar_one_or_none()


async def test_a_hook_runs_once_after_the_commit_and_never_before(h: Harness) -> None:
    ran: list[int | None] = []
    counter = new_key()

    async def seen_after_commit() -> None:
        ran.append(await value_of(h, counter))  # another connection: only what is committed

    def hook() -> None:
        ran.append(-1)

    async with h.db.uow() as uow:
        await increment(uow, counter, 1)
        uow.after_commit(hook)
        assert ran == []  # nothing before the commit
    assert ran == [-1]
    await seen_after_commit()
    assert ran == [-1, 1]


async def test_a_rolled_back_unit_of_work_runs_no_hook_and_its_retry_runs_it_once(
    h: Harness,
) -> None:
    counted: list[str] = []
    counter = new_key()

    async def attempt(*, fail: bool) -> None:
        async with h.db.uow() as uow:
            await increment(uow, counter, 1)
            uow.after_commit(lambda: counted.append(counter))
            if fail:
                raise RuntimeError("the handler fails after its change")

    with pytest.raises(RuntimeError):
        await attempt(fail=True)
    assert counted == []
    assert await value_of(h, counter) is None
    await attempt(fail=False)  # the retry
    assert counted == [counter]
    assert await value_of(h, counter) == 1


async def test_a_failed_savepoint_drops_its_hooks_and_keeps_the_others(h: Harness) -> None:
    counted: list[str] = []
    kept, undone = new_key(), new_key()

    async def one_row(uow: UnitOfWork) -> None:
        async with uow.savepoint():
            await increment(uow, undone, 1)
            uow.after_commit(lambda: counted.append(undone))
            raise RuntimeError("one row of a job fails")

    async with h.db.uow() as uow:
        await increment(uow, kept, 1)
        uow.after_commit(lambda: counted.append(kept))
        with pytest.raises(RuntimeError):
            await one_row(uow)
    assert counted == [kept]
    assert (await value_of(h, kept), await value_of(h, undone)) == (1, None)


async def test_a_failing_hook_does_not_undo_the_commit_or_stop_the_others(h: Harness) -> None:
    counted: list[str] = []
    counter = new_key()

    def broken() -> None:
        raise ValueError("a hook that fails")

    async with h.db.uow() as uow:
        await increment(uow, counter, 1)
        uow.after_commit(broken)
        uow.after_commit(lambda: counted.append(counter))
    assert counted == [counter]
    assert await value_of(h, counter) == 1
