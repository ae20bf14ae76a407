"""The outbox keeps its promises on real PostgreSQL and Kafka: nothing lost, order per key."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa

from backbone_support import TOPIC, Harness, harness, increment, new_key
from xietong_common.events.kafka import ensure_topics
from xietong_common.events.outbox import OutboxRelay
from xietong_common.tables import outbox
from xietong_devtools.testing import Servers, create_database, topic_reader

pytestmark = pytest.mark.integration


@pytest.fixture
async def h(servers: Servers, kafka_bootstrap: str) -> AsyncIterator[Harness]:
    await ensure_topics(kafka_bootstrap, [TOPIC])
    url = await create_database(servers, "outbox")
    async for value in harness(url):
        yield value


async def pending(h: Harness) -> int:
    async with h.db.session() as s:
        return int(
            (
                await s.execute(sa.select(sa.func.count()).where(outbox.c.published_at.is_(None)))
            ).scalar_one()
        )


def seqs_for(events: list[dict[str, Any]], key: str) -> list[int]:
    return [e["data"]["seq"] for e in events if e["data"]["counter"] == key]


async def test_rolled_back_transaction_publishes_nothing(h: Harness, kafka_bootstrap: str) -> None:
    key = new_key()
    with contextlib.suppress(RuntimeError):
        async with h.db.uow() as uow:
            await increment(uow, key, 1)
            raise RuntimeError("the use case fails after writing")
    assert await pending(h) == 0
    async with topic_reader(kafka_bootstrap, TOPIC) as reader:
        relay = OutboxRelay(h.db, bootstrap=kafka_bootstrap)
        assert await relay.relay_once() == 0
        await relay._reset_producer()
        with pytest.raises(AssertionError, match="timed out"):
            await reader.collect(
                lambda evs: any(e["data"]["counter"] == key for e in evs), timeout_s=2
            )


async def test_committed_transaction_publishes_its_events_in_order_per_key(
    h: Harness, kafka_bootstrap: str
) -> None:
    keys = [new_key() for _ in range(3)]
    async with h.db.uow() as uow:
        for seq in range(1, 6):
            for key in keys:
                await increment(uow, key, seq)
    assert await pending(h) == 15
    async with topic_reader(kafka_bootstrap, TOPIC) as reader:
        relay = OutboxRelay(h.db, bootstrap=kafka_bootstrap, batch_size=4)
        while await relay.relay_once():
            pass
        await relay._reset_producer()
        events = await reader.collect(
            lambda evs: all(len(seqs_for(evs, k)) >= 5 for k in keys), timeout_s=20
        )
    for key in keys:
        assert seqs_for(events, key) == [1, 2, 3, 4, 5]
    mine = [e for e in events if e["data"]["counter"] in keys]
    assert len(mine) == 15  # exactly the events written, no more
    assert {e["type"] for e in mine} == {"xietong.test.counter-incremented.v1"}
    assert all(e["specversion"] == "1.0" and e["subject"] in keys for e in mine)
    assert await pending(h) == 0


class _SlowProducer:
    """Wraps the real producer so a relay can be killed in the middle of a batch."""

    def __init__(self, inner: Any, sent: list[int]) -> None:
        self._inner = inner
        self._sent = sent

    async def send(self, topic: str, **kwargs: Any) -> Any:
        fut = await self._inner.send(topic, **kwargs)
        self._sent.append(1)
        await asyncio.sleep(0.05)
        return fut

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def test_relay_killed_mid_batch_loses_nothing(h: Harness, kafka_bootstrap: str) -> None:
    key = new_key()
    async with h.db.uow() as uow:
        for seq in range(1, 21):
            await increment(uow, key, seq)
    async with topic_reader(kafka_bootstrap, TOPIC) as reader:
        doomed = OutboxRelay(h.db, bootstrap=kafka_bootstrap, batch_size=20)
        real = await doomed._get_producer()
        sent: list[int] = []
        doomed._producer = _SlowProducer(real, sent)  # type: ignore[assignment]
        task = asyncio.create_task(doomed.relay_once())
        while len(sent) < 7:
            await asyncio.sleep(0.01)
        task.cancel()  # killed after 7 of 20 sends, before marking anything published
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await real.stop()
        assert await pending(h) == 20

        survivor = OutboxRelay(h.db, bootstrap=kafka_bootstrap)
        while await survivor.relay_once():
            pass
        await survivor._reset_producer()
        events = await reader.collect(lambda evs: set(seqs_for(evs, key)) >= set(range(1, 21)))
    assert await pending(h) == 0
    seen = seqs_for(events, key)
    assert sorted(set(seen)) == list(range(1, 21))  # every event arrived
    # Redelivered ones come again in order: the last copy of each is in order.
    last_run = seen[len(seen) - 20 :]
    assert last_run == list(range(1, 21))


async def test_relay_wakes_on_notify_and_runs_as_a_task(h: Harness, kafka_bootstrap: str) -> None:
    key = new_key()
    async with topic_reader(kafka_bootstrap, TOPIC) as reader:
        relay = OutboxRelay(h.db, bootstrap=kafka_bootstrap, poll_interval_s=30)
        task = asyncio.create_task(relay.run())
        try:
            await asyncio.sleep(1.0)  # let it LISTEN
            async with h.db.uow() as uow:
                await increment(uow, key, 1)
            events = await reader.collect(lambda evs: seqs_for(evs, key) == [1], timeout_s=10)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    mine = [e for e in events if e["data"]["counter"] == key]
    assert mine[0]["data"] == {"counter": key, "seq": 1}


async def test_housekeeping_deletes_only_published_rows_past_retention(
    h: Harness, kafka_bootstrap: str
) -> None:
    from types import SimpleNamespace

    from xietong_common.jobs import housekeeping_job, run_job_once
    from xietong_common.settings import ServiceSettings

    async with h.db.uow() as uow:
        for seq in (1, 2, 3):
            await increment(uow, new_key(), seq)
    relay = OutboxRelay(h.db, bootstrap=kafka_bootstrap, batch_size=2)
    assert await relay.relay_once() == 2  # two published, one still waiting
    await relay._reset_producer()
    async with h.db.engine.begin() as conn:
        await conn.execute(
            sa.update(outbox)
            .where(outbox.c.published_at.is_not(None))
            .values(published_at=sa.func.now() - sa.text("interval '8 days'"))
        )
    ctx = SimpleNamespace(settings=ServiceSettings(outbox_retention_days=7))
    assert await run_job_once(h.db, "housekeeping", housekeeping_job().job(ctx))  # type: ignore[arg-type]
    async with h.db.session() as s:
        left = (await s.execute(sa.select(outbox.c.published_at))).scalars().all()
    assert left == [None]  # the unpublished row is never deleted
