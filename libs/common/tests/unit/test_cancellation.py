"""A loop that runs until cancelled stops even when something it awaited swallowed the
cancellation (as Python 3.11's `asyncio.wait_for`, inside the Kafka client, can)."""

from __future__ import annotations

import asyncio

import pytest

from xietong_common.cancellation import raise_if_cancelled


async def _swallowing() -> None:
    """What 3.11's wait_for does when the cancellation meets the call's completion."""
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        return


async def test_a_loop_whose_cancellation_was_swallowed_stops_at_its_next_turn() -> None:
    turns = {True: 0, False: 0}
    released = asyncio.Event()

    async def loop(check: bool) -> None:
        while not released.is_set():
            if check:
                raise_if_cancelled()
            turns[check] += 1
            await _swallowing()

    task = asyncio.create_task(loop(check=True))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert turns[True] == 1

    # Without the check the same loop goes on after its cancellation: what kept a stopped
    # test app's consumer consuming (and dead-lettering) after its database was dropped.
    zombie = asyncio.create_task(loop(check=False))
    await asyncio.sleep(0)
    zombie.cancel()
    await asyncio.sleep(0.05)
    assert not zombie.done()
    assert turns[False] == 2
    released.set()
    zombie.cancel()
    await zombie  # it ends only because the test lets it
