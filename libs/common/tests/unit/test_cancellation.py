"""A loop that runs until cancelled stops even when something it awaited swallowed the
cancellation (as Python 3.11's `asyncio.wait_for`, inside the Kafka client, can)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from xietong_common import messaging
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


async def test_a_service_stopped_while_its_topics_are_made_starts_no_relay_or_consumer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The messaging task of a service stopped while it was making its topics, with the
    cancellation swallowed by the Kafka admin client, ends there: before, it went on to start
    its relay and consumer under a gather no one cancelled, and the service's shutdown waited
    its 15 s for them (a test app's teardown, once in ten)."""
    making = asyncio.Event()

    async def ensure_topics(*args: Any, **kwargs: Any) -> dict[str, bool]:
        making.set()
        await _swallowing()
        return {}

    monkeypatch.setattr(messaging, "ensure_topics", ensure_topics)
    monkeypatch.setattr(messaging, "service_topics", lambda service, handlers: ["case.referred"])
    settings = SimpleNamespace(
        kafka_bootstrap_servers="127.0.0.1:9",
        kafka_topic_partitions=1,
        kafka_replication_factor=1,
        accountability_retention_days=400,
        service_name="referral",
        run_relay=False,
        run_consumer=False,
    )
    ctx: Any = SimpleNamespace(settings=settings, kafka={}, namespace=None)
    task = asyncio.create_task(messaging.run_messaging(ctx, service="referral", handlers={}))
    await asyncio.wait_for(making.wait(), 60)  # a hang here is a failure, not a stall
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
