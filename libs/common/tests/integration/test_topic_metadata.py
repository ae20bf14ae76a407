"""A service asks the broker about its own topics by name (`partitions_of`), never for every
topic of the cluster: a shared cluster, or the test broker, holds thousands, each decoded in
Python (47 ms of CPU for 2,500 topics at every service start and dead-letter count, issue 25);
and asking never creates a topic."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from xietong_common.events.kafka import kafka_ping, partitions_of
from xietong_devtools.testing import physical_topic

pytestmark = pytest.mark.integration


async def test_only_the_named_topics_are_asked_for_and_a_missing_one_is_not_made(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = uuid.uuid4().hex[:8]
    there, away = physical_topic(f"test.{run}.there"), physical_topic(f"test.{run}.away")
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(there, 3, 1)])
        # A topic created a moment ago may not be in the broker's metadata yet (it answers
        # UNKNOWN_TOPIC_OR_PARTITION, as for one that is not there): wait until it is, as
        # `kafka.topic_configs` does, before asking the question under test.
        deadline = asyncio.get_running_loop().time() + 60
        while not await partitions_of(admin, [there]):
            assert asyncio.get_running_loop().time() < deadline, f"{there} never known"
            await asyncio.sleep(0.1)
        asked: list[Any] = []
        send = admin._send_request

        async def spy(request: Any, node_id: int | None = None) -> Any:
            asked.append(request)
            return await send(request, node_id)

        monkeypatch.setattr(admin, "_send_request", spy)
        found = await partitions_of(admin, [there, away, there])
        monkeypatch.undo()
        assert found == {there: [0, 1, 2]}
        [request] = asked
        assert request._topics == sorted({there, away})  # never None: every topic
        assert request._allow_auto_topic_creation is False
        assert await partitions_of(admin, [away]) == {}, "asking made the topic"
        assert away not in await admin.list_topics()
        assert await partitions_of(admin, []) == {}
    finally:
        await admin.delete_topics([there])
        await admin.close()


async def test_the_ping_asks_for_no_topic(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[Any] = []
    send = AIOKafkaAdminClient._send_request

    async def spy(self: AIOKafkaAdminClient, request: Any, node_id: int | None = None) -> Any:
        asked.append(request)
        return await send(self, request, node_id)

    monkeypatch.setattr(AIOKafkaAdminClient, "_send_request", spy)
    await kafka_ping(kafka_bootstrap)
    assert [r._topics for r in asked] == [[]]
