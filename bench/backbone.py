"""Backbone throughput: outbox → Kafka → inbox, beside raw aiokafka and raw PostgreSQL commits."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import create_model
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
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
from xietong_common.uow import UnitOfWork, _commit_statement


class Ticked(IntegrationEvent):
    """Benchmark-only event."""

    n: int


PRODUCER, CONSUMER = "bench-producer", "bench-consumer"
Writer = Literal["unit-of-work", "statement"]
_ROOT = Path(__file__).resolve().parents[1]  # where `python -m bench.backbone` finds bench
# A bench run is a deployment of its own on the broker (as a test session is), so it never
# reads or feeds the developer's `make run`. `python -m bench` deletes its topics when it
# ends; test sessions delete those of runs killed before they could (hours later).
BENCH_NAMESPACE = Namespace(f"xt-bench-{int(time.time())}-{uuid.uuid4().hex[:6]}.")


def fresh_event_type(tag: str | None = None) -> type[Ticked]:
    """A Ticked on a topic of its own, so a run never reads an earlier run's events (`tag`:
    the same type in the writer's process)."""
    tag = tag or uuid.uuid4().hex[:8]
    model = create_model(f"Ticked_{tag}", __base__=Ticked, __doc__="Benchmark-only event.")
    # The consumer trusts an event only from its producer's `source`: the names must be the
    # services' names below.
    return event(f"bench.tick.{tag}", producers=(PRODUCER,), consumers=(CONSUMER,))(model)


# The outbox statement of a unit of work's commit (its events and the relay's wake-up), in
# the positional form asyncpg takes: what "statement" writers run on a plain connection.
# The unit of work's own (private) statement and columns, so the bench writes exactly what a
# service's commit writes.
_COMPILED_OUTBOX = {
    events: _commit_statement((), (), events=events, chained=0).compile(
        dialect=asyncpg_dialect()  # type: ignore[no-untyped-call]
    )
    for events in (1, 2)  # one event's statement, and that of more
}


def _outbox_statement(staged: UnitOfWork) -> tuple[str, list[Any]]:
    """The statement of `staged`'s events and its arguments."""
    compiled = _COMPILED_OUTBOX[min(len(staged._pending_events), 2)]
    columns = staged._outbox_columns()
    return compiled.string, [columns[name] for name in compiled.positiontup or ()]


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


async def _write(
    db: Database,
    url: str,
    tick: type[Ticked],
    n: int,
    *,
    per_txn: int,
    rate: float | None,
    writer: Writer,
) -> dict[int, float]:
    """Commit n events in transactions of `per_txn`; returns each event's commit time
    (`time.monotonic()`: one clock for every process of the machine)."""
    committed: dict[int, float] = {}
    actor = Principal.system(PRODUCER)
    plain = await asyncpg.connect(url) if writer == "statement" else None
    statements: list[tuple[str, list[Any]]] = []
    if plain is not None:
        # The units of work's events staged beforehand (never entered: their statements are
        # run below), so that the loop is the baseline's: one commit per round trip.
        for i in range(0, n, per_txn):
            staged = db.uow(actor=actor)
            for j in range(i, min(n, i + per_txn)):
                staged.publish(tick(n=j), key=f"k{j % 16}")
            statements.append(_outbox_statement(staged))
    try:
        start = time.monotonic()
        for i in range(0, n, per_txn):
            if rate:
                await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            batch = range(i, min(n, i + per_txn))
            if plain is not None:
                # The statement the unit of work's commit runs, as a transaction of its own.
                committed.update(dict.fromkeys(batch, time.monotonic()))
                sql, arguments = statements[i // per_txn]
                await plain.fetch(sql, *arguments)
                continue
            async with db.uow(actor=actor) as uow:
                for j in batch:
                    uow.publish(tick(n=j), key=f"k{j % 16}")
                # Taken just before the commit: the handler may finish before we get control back.
                committed.update(dict.fromkeys(batch, time.monotonic()))
    finally:
        if plain is not None:
            await plain.close()
    return committed


async def _write_apart(
    url: str, tag: str, n: int, *, per_txn: int, rate: float | None, writer: Writer
) -> dict[int, float]:
    """`_write` in a process of its own (`python -m bench.backbone`), as another service's
    replicas would commit: its CPU is not the relay's and the consumer's event loop's."""
    job = {"url": url, "tag": tag, "n": n, "per_txn": per_txn, "rate": rate, "writer": writer}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.backbone",
        json.dumps(job),
        cwd=_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the writer process failed ({child.returncode})")
    return {int(k): v for k, v in json.loads(out).items()}


async def _writer_main(job: dict[str, Any]) -> None:
    tick = fresh_event_type(job["tag"])
    db = Database(job["url"], clock=SystemClock(), service_name=PRODUCER)
    try:
        committed = await _write(
            db,
            job["url"],
            tick,
            job["n"],
            per_txn=job["per_txn"],
            rate=job["rate"],
            writer=job["writer"],
        )
    finally:
        await db.dispose()
    sys.stdout.write(json.dumps(committed))


async def backbone(
    admin_url: str,
    bootstrap: str,
    n: int,
    *,
    per_txn: int = 1,
    rate: float | None = None,
    writer: Writer = "unit-of-work",
    apart: bool = False,
    warm_up: int = 0,
    timeout_s: float = 300,
) -> Figures:
    """n events in transactions of `per_txn`, relayed and consumed into a second database.

    Without `rate` the writer goes flat out (throughput); with it, writes are paced so
    the latency is that of a system keeping up, not of a queue growing.

    `writer`: how the events are committed. "unit-of-work" as a service does (a session,
    BEGIN, the outbox statement, COMMIT: three round trips and the ORM's work); "statement"
    as the baseline commits its rows: the unit of work's own outbox statement (the rows and
    the relay's wake-up) as a transaction of its own, one round trip on a plain connection.
    `apart`: the writer runs in a process of its own, as the services whose commits the
    backbone carries do, rather than on the relay's and the consumer's event loop. Together
    they measure the backbone alone: how much of the database's commit rate the relay and
    the inbox carry, not how fast one coroutine runs units of work beside them.
    `warm_up`: so many events written first, in the same stream, and left out of the figures:
    the relay's producer starts at its first pass with rows and the consumer makes its first
    fetches then (raw aiokafka's figure starts its producer and consumer before its clock),
    so without them a paced run's first events (40–60 ms, ~1% of 500) were its p99."""
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
    handled: dict[int, float] = {}
    done = asyncio.Event()
    total = warm_up + n

    async def on_tick(uow: UnitOfWork, ev: Ticked, envelope: CloudEvent) -> None:
        uow.session.info.setdefault("after", []).append(ev.n)

    # Latency is measured at the handler's commit: hook the unit of work's exit.
    original_exit = UnitOfWork.__aexit__

    async def timed_exit(self: UnitOfWork, *exc: Any) -> None:
        ticks = self.session.info.get("after", []) if self._session is not None else []
        await original_exit(self, *exc)
        if exc[0] is None:
            handled.update(dict.fromkeys(ticks, time.monotonic()))
            if len(handled) >= total:
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
    try:
        await asyncio.sleep(2)  # consumer joins its group
        how = {"per_txn": per_txn, "rate": rate, "writer": writer}
        if apart:
            tag = tick.spec.topic.rpartition(".")[2]
            committed = await _write_apart(producer_url, tag, total, **how)  # type: ignore[arg-type]
        else:
            committed = await _write(producer_db, producer_url, tick, total, **how)  # type: ignore[arg-type]
        await asyncio.wait_for(done.wait(), timeout_s)
        timed = range(warm_up, total)
        start = min(committed[i] for i in timed)
        lat = [(handled[i] - committed[i]) * 1000 for i in timed]
        label = ", one-statement commits" if writer == "statement" else ""
        label += " from another process" if apart else ""
        if rate:
            label += f", paced at {rate:.0f}/s"
        elif n > 1:  # what the writer managed: the backbone cannot carry more
            label += f"; written at {(n - 1) / (max(committed[i] for i in timed) - start):,.0f}/s"
        return Figures(
            f"outbox → Kafka → inbox ({per_txn}/txn{label})",
            n,
            max(handled[i] for i in timed) - start,
            lat,
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


if __name__ == "__main__":  # the writer of `backbone(..., apart=True)`
    asyncio.run(_writer_main(json.loads(sys.argv[1])))
