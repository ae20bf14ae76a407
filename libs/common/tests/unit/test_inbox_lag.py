"""The consumer-lag gauge: what the broker last reported, minus where this instance stands."""

from __future__ import annotations

from typing import Any

from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from xietong_common.clock import SystemClock
from xietong_common.db import Database
from xietong_common.events.namespace import Namespace
from xietong_common.messaging.inbox import InboxConsumer


class FakeConsumer:
    """Just the three questions `_observe_lag` asks of an aiokafka consumer."""

    def __init__(self, state: dict[TopicPartition, tuple[int | None, int]]) -> None:
        self.state = state

    def assignment(self) -> set[TopicPartition]:
        return set(self.state)

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.state[tp][0]

    async def position(self, tp: TopicPartition) -> int:
        return self.state[tp][1]


async def test_lag_is_the_sum_over_held_partitions_per_topic() -> None:
    db = Database("postgresql://x@127.0.0.1:1/x", clock=SystemClock(), service_name="lag-test")
    consumer = InboxConsumer(db, bootstrap="127.0.0.1:1", handlers={}, namespace=Namespace())
    consumer.topics = ["a.topic", "b.topic"]
    fake: Any = FakeConsumer(
        {
            TopicPartition("a.topic", 0): (10, 4),
            TopicPartition("a.topic", 1): (3, 3),
            TopicPartition("b.topic", 0): (None, 0),  # nothing fetched yet
        }
    )
    await consumer._observe_lag(fake)
    labels = {"service": "lag-test"}
    assert (
        REGISTRY.get_sample_value("xietong_inbox_lag_messages", {**labels, "topic": "a.topic"}) == 6
    )
    assert (
        REGISTRY.get_sample_value("xietong_inbox_lag_messages", {**labels, "topic": "b.topic"}) == 0
    )
    await db.dispose()
