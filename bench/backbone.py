"""Backbone throughput: outbox → Kafka → inbox, beside raw aiokafka and raw PostgreSQL commits."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import create_model
from sqlalchemy.ext.asyncio import create_async_engine

from xietong_common.auth import Principal
from xietong_common.backbone import create_backbone_schema
from xietong_common.clock import SystemClock
from xietong_common.contracts.base import IntegrationEvent, event
from xietong_common.db import Database, plain_url
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.kafka import ensure_topics
from xietong_common.events.namespace import Namespace
from xietong_common.messaging.inbox import InboxConsumer
from xietong_common.messaging.outbox import OutboxRelay
from xietong_common.uow import UnitOfWork


class Ticked(IntegrationEvent):
    """Benchmark-only event."""

    n: int


PRODUCER, CONSUMER = "bench-producer", "bench-consumer"
# A bench run is a deployment of its own on the broker (as a test session is), so it never
# reads or feeds the developer's `make run`. `python -m bench` deletes its topics when it
# ends; test sessions delete those of runs killed before they could (hours later).
BENCH_NAMESPACE = Namespace(f"xt-bench-{int(time.time())}-{uuid.uuid4().hex[:6]}.")


def fresh_event_type() -> type[Ticked]:
    """A Ticked on a topic of its own, so a run never reads an earlier run's events."""
    tag = uuid.uuid4().hex[:8]
    model = create_model(f"Ticked_{tag}", __base__=Ticked, __doc__="Benchmark-only event.")
    # The consumer trusts an event only from its producer's `source`: the names must be the
    # services' names below.
    return event(f"bench.tick.{tag}", producers=(PRODUCER,), consumers=(CONSUMER,))(model)


@dataclass
class Figures:
    name: str
    count: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def line(self) -> str:
        lat = (
            f"  p50 {self.pct(50):7.1f} ms  p99 {self.pct(99):7.1f} ms" if self.latencies_ms else ""
        )
        return f"{self.name:<44} {self.rate:9.0f} /s{lat}"


# The databases this run made, dropped by `drop_databases` when it ends.
CREATED: list[str] = []


async def new_database(admin_url: str, prefix: str) -> str:
    name = f"bench_{prefix}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(plain_url(admin_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    CREATED.append(name)
    base = plain_url(admin_url).rpartition("/")[0]
    return f"{base}/{name}"


async def drop_databases(admin_url: str) -> None:
    """Drop what this run made: a server that benches often does not fill up with them."""
    from xietong_devtools.testing import drop_databases as drop

    made = list(CREATED)
    CREATED.clear()
    await drop(plain_url(admin_url), made)


async def raw_pg_commits(admin_url: str, n: int) -> Figures:
    url = await new_database(admin_url, "raw")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE TABLE t (id bigserial primary key, v text)")
        lat: list[float] = []
        start = time.perf_counter()
        for i in range(n):
            t0 = time.perf_counter()
            await conn.execute(
                "INSERT INTO t (v) VALUES ($1)", str(i)
            )  # autocommit: one commit each
            lat.append((time.perf_counter() - t0) * 1000)
        return Figures("raw PostgreSQL single-row commit", n, time.perf_counter() - start, lat)
    finally:
        await conn.close()


async def raw_kafka(bootstrap: str, n: int) -> Figures:
    logical = f"bench.raw.{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, [logical], with_dlq=False, namespace=BENCH_NAMESPACE)
    topic = BENCH_NAMESPACE.topic(logical)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"bench-{uuid.uuid4().hex[:6]}",
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )
    await consumer.start()
    await producer.start()
    sent: dict[int, float] = {}
    lat: list[float] = []
    try:
        start = time.perf_counter()

        async def consume() -> None:
            while len(lat) < n:
                batch = await consumer.getmany(timeout_ms=500)
                now = time.perf_counter()
                for records in batch.values():
                    for r in records:
                        lat.append((now - sent[int(r.value or b"0")]) * 1000)

        reader = asyncio.create_task(consume())
        for i in range(n):
            sent[i] = time.perf_counter()
            await producer.send(topic, str(i).encode(), key=str(i % 16).encode())
        await producer.flush()
        await asyncio.wait_for(reader, 120)
        return Figures(
            "raw aiokafka produce→consume (acks=all)", n, time.perf_counter() - start, lat
        )
    finally:
        await producer.stop()
        await consumer.stop()


async def backbone(
    admin_url: str,
    bootstrap: str,
    n: int,
    *,
    per_txn: int = 1,
    rate: float | None = None,
    timeout_s: float = 300,
) -> Figures:
    """n events in transactions of `per_txn`, relayed and consumed into a second database.

    Without `rate` the writer goes flat out (throughput); with it, writes are paced so
    the latency is that of a system keeping up, not of a queue growing."""
    tick = fresh_event_type()
    await ensure_topics(bootstrap, [tick.spec.topic], namespace=BENCH_NAMESPACE)
    producer_url = await new_database(admin_url, "producer")
    consumer_url = await new_database(admin_url, "consumer")
    for url in (producer_url, consumer_url):
        engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
        async with engine.begin() as conn:
            await conn.run_sync(create_backbone_schema)
        await engine.dispose()
    producer_db = Database(producer_url, clock=SystemClock(), service_name=PRODUCER)
    consumer_db = Database(consumer_url, clock=SystemClock(), service_name=CONSUMER)
    committed: dict[int, float] = {}
    lat: list[float] = []
    done = asyncio.Event()

    async def on_tick(uow: UnitOfWork, ev: Ticked, envelope: CloudEvent) -> None:
        uow.session.info.setdefault("after", []).append(ev.n)

    # Latency is measured at the handler's commit: hook the unit of work's exit.
    original_exit = UnitOfWork.__aexit__

    async def timed_exit(self: UnitOfWork, *exc: Any) -> None:
        ticks = self.session.info.get("after", []) if self._session is not None else []
        await original_exit(self, *exc)
        if exc[0] is None:
            now = time.perf_counter()
            for t in ticks:
                lat.append((now - committed[t]) * 1000)
            if len(lat) >= n:
                done.set()

    UnitOfWork.__aexit__ = timed_exit  # type: ignore[method-assign,assignment]
    relay = OutboxRelay(
        producer_db, bootstrap=bootstrap, poll_interval_s=0.5, namespace=BENCH_NAMESPACE
    )
    consumer = InboxConsumer(
        consumer_db,
        namespace=BENCH_NAMESPACE,
        bootstrap=bootstrap,
        handlers={tick: on_tick},
        group_id=f"bench-{uuid.uuid4().hex[:6]}",
    )
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
    actor = Principal.system(PRODUCER)
    try:
        await asyncio.sleep(2)  # consumer joins its group
        start = time.perf_counter()
        for i in range(0, n, per_txn):
            if rate:
                await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            async with producer_db.uow(actor=actor) as uow:
                for j in range(i, min(n, i + per_txn)):
                    uow.publish(tick(n=j), key=f"k{j % 16}")
                # Taken just before the commit: the handler may finish before we get control back.
                now = time.perf_counter()
                for j in range(i, min(n, i + per_txn)):
                    committed[j] = now
        await asyncio.wait_for(done.wait(), timeout_s)
        paced = f", paced at {rate:.0f}/s" if rate else ""
        return Figures(
            f"outbox → Kafka → inbox ({per_txn}/txn{paced})", n, time.perf_counter() - start, lat
        )
    finally:
        UnitOfWork.__aexit__ = original_exit  # type: ignore[method-assign]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer_db.dispose()
        await consumer_db.dispose()


def summary(rows: list[Figures], base: Figures, label: str) -> list[str]:
    lines = []
    for f in rows:
        ratio = f.rate / base.rate if base.rate else float("nan")
        lines.append(f"{f.line()}   ({ratio:.2f}× {label})")
    return lines
