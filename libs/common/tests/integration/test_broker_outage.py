"""The broker stopped while a service accepts writes: writes succeed, events flow once it is back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer
from prometheus_client.parser import text_string_to_metric_families

from backbone_support import TOPIC, counter_service_spec
from xietong_common.events.kafka import ensure_topics, kafka_ping
from xietong_common.tables import outbox
from xietong_devtools.stack import local_kafka
from xietong_devtools.testing import (
    TEST_NAMESPACE,
    RunningService,
    Servers,
    create_database,
    physical_topic,
    running_service,
)

pytestmark = [pytest.mark.integration, pytest.mark.alone]  # it stops and restarts Kafka


@pytest.fixture
async def svc(servers: Servers, kafka_bootstrap: str) -> AsyncIterator[RunningService]:
    kafka = local_kafka()
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or kafka.bootstrap != kafka_bootstrap:
        pytest.skip("needs the project's own local Kafka, which this test stops and restarts")
    await ensure_topics(kafka_bootstrap, [TOPIC], namespace=TEST_NAMESPACE)
    url = await create_database(servers, "outage")
    async with running_service(
        counter_service_spec(), database_url=url, kafka_bootstrap=kafka_bootstrap
    ) as running:
        yield running


async def pending(svc: RunningService) -> int:
    async with svc.ctx.db.session() as s:
        query = sa.select(sa.func.count()).where(outbox.c.published_at.is_(None))
        return int((await s.execute(query)).scalar_one())


async def backlog_gauges(svc: RunningService) -> tuple[float, float]:
    """`xietong_outbox_pending` and `xietong_outbox_oldest_age_seconds`, from /metrics."""
    r = await svc.client.get("/metrics")
    assert r.status_code == 200
    values = {
        sample.name: sample.value
        for family in text_string_to_metric_families(r.text)
        for sample in family.samples
        if sample.labels.get("service") == svc.settings.service_name
    }
    return values["xietong_outbox_pending"], values["xietong_outbox_oldest_age_seconds"]


async def attempts(svc: RunningService) -> list[tuple[int, str | None]]:
    async with svc.ctx.db.session() as s:
        query = sa.select(outbox.c.attempts, outbox.c.last_error).order_by(outbox.c.id)
        return [(row.attempts, row.last_error) for row in (await s.execute(query)).all()]


async def test_writes_succeed_while_broker_is_down_and_events_flow_when_back(
    svc: RunningService, kafka_bootstrap: str
) -> None:
    kafka = local_kafka()
    # Kafka goes away while the service runs: its topics made and its relay passing (the
    # relay's first pass sets the backlog gauges), not while it is still making its topics.
    for _ in range(200):
        with contextlib.suppress(KeyError):
            await backlog_gauges(svc)
            break
        await asyncio.sleep(0.05)
    await asyncio.to_thread(kafka.stop)
    try:
        towns = ["lidu", "baitao", "mawu"]
        for town in towns:
            r = await svc.client.post(
                f"/towns/{town}/counter", headers=svc.auth(f"town:{town}", "handler")
            )
            assert r.status_code == 201, r.text  # nothing accepted is refused because Kafka is away
        assert await pending(svc) == 3
        ready = await svc.client.get("/readyz")
        assert ready.status_code == 503
        assert "kafka" in ready.json()["detail"]
        # The relay keeps trying: each failed pass is counted on the rows, and the backlog
        # it measures says how much waits and for how long.
        for _ in range(60):
            tried = await attempts(svc)
            waiting, oldest_s = await backlog_gauges(svc)
            if all(n >= 1 and error for n, error in tried) and waiting == 3 and oldest_s > 0:
                break
            await asyncio.sleep(0.5)
        assert len(tried) == 3
        assert all(n >= 1 and error for n, error in tried), tried
        assert (waiting, oldest_s > 0) == (3, True)
    finally:
        # Back before anything else runs, even when an assertion above failed: the tests
        # after this one need the broker (a restart after a long run recovers many logs).
        await asyncio.to_thread(kafka.start)
        for _ in range(360):
            try:
                await kafka_ping(kafka_bootstrap)
                break
            except Exception:
                await asyncio.sleep(0.5)
    await svc.outbox_drained(timeout_s=60)
    for _ in range(20):
        if await backlog_gauges(svc) == (0, 0):
            break
        await asyncio.sleep(0.5)
    assert await backlog_gauges(svc) == (0, 0)

    consumer = AIOKafkaConsumer(
        physical_topic(TOPIC), bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        seen: set[str] = set()
        for _ in range(30):
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    with contextlib.suppress(ValueError, KeyError, TypeError):
                        seen.add(json.loads(record.value or b"")["subject"])  # other tests' poison
            if set(towns) <= seen:
                break
        assert set(towns) <= seen
    finally:
        await consumer.stop()
