"""`closing.closed` (issue 22): a session's close runs to its end whether or not the task
waiting for it is cancelled meanwhile, as SQLAlchemy's `async with session:` guarantees,
and takes no task of its own where it waits for nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from xietong_common.closing import closed


class Closing:
    """Stands for an `AsyncSession`: what its close did, and whether it waits."""

    def __init__(self, *, waits: bool) -> None:
        self.waits = waits
        self.started = self.finished = False
        self.thrown: BaseException | None = None

    async def close(self) -> None:
        self.started = True
        if self.waits:
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError as error:
                self.thrown = error
                raise
        self.finished = True


async def test_a_close_that_waits_for_nothing_takes_no_task(tasks_made: list[Any]) -> None:
    session = Closing(waits=False)
    await closed(session)
    assert session.finished
    assert tasks_made == []


async def test_a_close_that_waits_finishes_in_a_task_of_its_own(tasks_made: list[Any]) -> None:
    session = Closing(waits=True)
    await closed(session)
    assert session.finished
    assert len(tasks_made) == 1


async def test_a_cancelled_caller_returns_only_once_the_close_is_done() -> None:
    session = Closing(waits=True)
    caller = asyncio.create_task(closed(session))
    await asyncio.sleep(0.01)
    assert session.started
    assert not session.finished
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert session.finished  # the close went on to its end first
    assert session.thrown is None


async def test_what_is_thrown_into_the_close_s_task_reaches_the_close(
    tasks_made: list[Any],
) -> None:
    """The task finishing a close (cancelled by the loop's shutdown, say) throws into the
    close itself, as it would into `await session.close()`."""
    session = Closing(waits=True)
    caller = asyncio.create_task(closed(session))
    await asyncio.sleep(0.01)
    # tasks_made: the caller, then the close's own
    (finishing,) = [t for t in asyncio.all_tasks() if t.get_coro() is tasks_made[-1]]
    finishing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert isinstance(session.thrown, asyncio.CancelledError)
    assert not session.finished
