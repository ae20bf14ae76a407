"""Oversight benchmark (issue 19, SUP-02): ledger ingestion beside the raw PostgreSQL commit
rate, and the assessment of one year for the whole district at a million ledger rows.

`await run(admin_url=..., bootstrap=..., facts=4000, rows=1_000_000)` starts the oversight
service in-process on a fresh database (its lifespan for real: migrations, outbox relay,
inbox consumer, in a consumer group committed at the topics' end so that only this run's
events count), then

1. once the service is consuming (its consumer group stable with the partitions, its
   start-up settled: `_until_consuming`, the seconds reported), publishes `facts`
   deadline facts to the real `deadline.lifecycle` topic as the six
   services publish them (half the deadlines started, then each met or breached), as fast
   as a producer sends them, and times them from the first send until the ledger holds
   every one: facts/s through Kafka, the inbox and the ledger's use case (one idempotent
   row each, the deadline's row updated, each audited), beside the raw single-row
   PostgreSQL commit rate measured in the same run (goal ≥ 0.5×);
2. seeds `rows` deadlines of 2025 into the ledger (COPY into the tables, as an operator's
   bulk import would; indexes kept), spread over every town and department, rule and
   outcome, with the breach facts of the breached and one refusal, flag or unread item per
   ten deadlines, then ANALYZE; rows loaded in bulk bypass the use cases that keep the
   assessment's day counts, so they are recounted from the ledger (`days.recount`, timed);
3. asks `GET /assessment?period=2025` as the justice bureau (the whole district, every row)
   `assessments` times through the REST API and reports p50/p95 (goal p95 < 500 ms).

`python -m bench.bench_oversight --rows 50000 --facts 1000` prints the figures on their own.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.backbone import BENCH_NAMESPACE, Figures, new_database, raw_pg_commits
from xietong_common.auth import mint_token
from xietong_common.contracts.deadlines import (
    BreachKind,
    DeadlineLifecycle,
    DeadlineUnit,
    LifecycleKind,
)
from xietong_common.db import plain_url
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.kafka import ensure_topics
from xietong_common.web import create_app

BENCH_SECRET = "xietong-bench-secret-not-for-production-0123456789"
BATCH = 50_000
SETTLE_S = 2.0
MECHANISMS = {
    "referral": ("REF-03", "REF-07"),
    "assistance": ("ASSIST-02", "ASSIST-03"),
    "legal-review": ("REV-02",),
    "info-sharing": ("INFO-03",),
    "joint-inspection": ("INSP-03",),
    "secondment": ("SEC-05",),
}
FACT_KINDS = (
    ("assistance.refused", "ASSIST-03", "assistance"),
    ("assistance.obstruction-flagged", "ASSIST-02", "assistance"),
    ("info.unread-overdue", "INFO-03", "info-sharing"),
)


async def _group_at_end(bootstrap: str, group: str, topics: list[str]) -> None:
    """A new consumer group committed at the end of `topics` (this run's namespace): the
    service reads only what is published after, not what other parts of the run published."""
    await ensure_topics(bootstrap, topics, namespace=BENCH_NAMESPACE)
    names = [BENCH_NAMESPACE.topic(t) for t in topics]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        partitions = [
            TopicPartition(t, p) for t in names for p in sorted(await producer.partitions_for(t))
        ]
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=BENCH_NAMESPACE.group(group),
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.commit(dict((await consumer.end_offsets(partitions)).items()))
    finally:
        await consumer.stop()


async def _until_consuming(bootstrap: str, group: str, *, timeout_s: float = 120.0) -> float:
    """Wait until the service's consumer group is stable with its partitions assigned, and
    the service's other start-up work has had `SETTLE_S` to finish (its dead-letter reader
    and producers fetch the cluster's metadata: on a broker holding thousands of test
    topics, seconds of CPU in this process); returns the seconds waited. Ingestion is then
    timed from the first send, not from the service's start."""
    start = time.perf_counter()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        while True:
            (response,) = await admin.describe_consumer_groups([BENCH_NAMESPACE.group(group)])
            _, _, state, _, _, members, *_ = response.groups[0]
            if state == "Stable" and any(member[4] for member in members):
                break
            if time.perf_counter() - start > timeout_s:
                raise AssertionError(f"the service's consumer did not join in {timeout_s} s")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
    await asyncio.sleep(SETTLE_S)
    return time.perf_counter() - start


def _lifecycle(rng: random.Random, orgs: list[str], n: int) -> list[tuple[str, DeadlineLifecycle]]:
    """`n` facts of `n // 2` deadlines due in 2026: each started, then met or breached."""
    facts: list[tuple[str, DeadlineLifecycle]] = []
    base = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    for i in range(n // 2):
        mechanism = rng.choice(list(MECHANISMS))
        started = base + timedelta(hours=7 * i)
        due = started + timedelta(days=7)
        common: dict[str, Any] = {
            "deadline_id": str(uuid.uuid4()),
            "mechanism": mechanism,
            "rule": rng.choice(MECHANISMS[mechanism]),
            "action": "answer",
            "organisation": rng.choice(orgs),
            "counterparty": rng.choice(orgs),
            "subject": f"{mechanism}:{uuid.uuid4()}",
            "unit": DeadlineUnit.WORKING_DAYS,
            "amount": 5,
            "started_at": started,
            "due_at": due,
            "provisional": False,
        }
        facts.append(
            (
                mechanism,
                DeadlineLifecycle(**common, kind=LifecycleKind.STARTED, recorded_at=started),
            )
        )
        if rng.random() < 0.8:
            met = started + timedelta(days=3)
            last = DeadlineLifecycle(
                **common, kind=LifecycleKind.MET, satisfied_at=met, late=False, recorded_at=met
            )
        else:
            last = DeadlineLifecycle(
                **common,
                kind=LifecycleKind.BREACHED,
                breach_kind=BreachKind.NO_ACTION,
                recorded_at=due + timedelta(hours=1),
            )
        facts.append((mechanism, last))
    return facts


async def _count(conn: asyncpg.Connection, table: str) -> int:
    return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))


async def ingest(url: str, bootstrap: str, orgs: list[str], n: int) -> Figures:
    """Publish `n` deadline facts and time them until the ledger holds every one."""
    rng = random.Random(3)
    facts = _lifecycle(rng, orgs, n)
    topic = BENCH_NAMESPACE.topic(DeadlineLifecycle.spec.topic)
    conn = await asyncpg.connect(plain_url(url))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        before = await _count(conn, "ledger_facts")
        start = time.perf_counter()
        sends = []
        for mechanism, event in facts:
            envelope = CloudEvent.wrap(
                event,
                spec=DeadlineLifecycle.spec,
                source=f"/xietong/{mechanism}",
                subject=event.deadline_id,
                time=datetime.now(UTC),
            )
            sends.append(
                await producer.send(topic, envelope.to_bytes(), key=event.deadline_id.encode())
            )
        await asyncio.gather(*sends)
        deadline = time.perf_counter() + max(120.0, n / 10)
        while (await _count(conn, "ledger_facts")) - before < len(facts):
            if time.perf_counter() > deadline:
                raise AssertionError("the ledger did not take every fact in time")
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - start
    finally:
        await producer.stop()
        await conn.close()
    return Figures("ledger ingestion: Kafka → inbox → ledger (facts)", len(facts), elapsed, [])


async def seed(url: str, orgs: list[str], rows: int) -> tuple[float, int, int]:
    """`rows` deadlines due in 2025 and their facts, bulk-loaded; (seconds, deadlines, facts)."""
    rng = random.Random(5)
    start = time.perf_counter()
    base = datetime(2025, 1, 1, tzinfo=UTC)
    span_s = 365 * 86400
    conn = await asyncpg.connect(plain_url(url))
    facts = 0
    try:
        for offset in range(0, rows, BATCH):
            deadlines: list[tuple[Any, ...]] = []
            found: list[tuple[Any, ...]] = []
            for _ in range(offset, min(offset + BATCH, rows)):
                mechanism = rng.choice(list(MECHANISMS))
                rule = rng.choice(MECHANISMS[mechanism])
                org = rng.choice(orgs)
                due = base + timedelta(seconds=rng.randrange(span_s))
                started = due - timedelta(days=7)
                deadline_id = str(uuid.uuid4())
                roll = rng.random()
                met_at = met_late = breached_at = ended_at = end_kind = None
                if roll < 0.75:
                    met_at, met_late = due - timedelta(days=2), False
                elif roll < 0.87:
                    breached_at = due + timedelta(hours=1)
                    if roll < 0.82:
                        met_at, met_late = due + timedelta(days=2), True
                    found.append(
                        (uuid.uuid4(), mechanism, f"{deadline_id}:breached", "deadline.breached",
                         "bench", rule, org, None, f"{mechanism}:{deadline_id}", due, due, "{}")
                    )  # fmt: skip
                elif roll < 0.92:
                    ended_at, end_kind = due - timedelta(days=1), "cancelled"
                deadlines.append(
                    (uuid.uuid4(), mechanism, deadline_id, rule, "answer", org,
                     rng.choice(orgs), f"{mechanism}:{deadline_id}", None, None,
                     "working_days", 5, started, due, False, met_at, met_late, breached_at,
                     "no-action" if breached_at else None, None, ended_at, end_kind,
                     "withdrawn" if end_kind else None, due)
                )  # fmt: skip
                if rng.random() < 0.1:
                    kind, fact_rule, source = rng.choice(FACT_KINDS)
                    found.append(
                        (uuid.uuid4(), source, f"{uuid.uuid4()}:{kind}", kind, "bench",
                         fact_rule, org, rng.choice(orgs), f"{source}:{uuid.uuid4()}", due,
                         due, "{}")
                    )  # fmt: skip
            await conn.copy_records_to_table(
                "ledger_deadlines",
                records=deadlines,
                columns=[
                    "id", "mechanism", "deadline_id", "rule", "action", "organisation",
                    "counterparty", "subject", "reference", "assignee", "unit", "amount",
                    "started_at", "due_at", "provisional", "met_at", "met_late",
                    "breached_at", "breach_kind", "breach_actual_at", "ended_at", "end_kind",
                    "end_reason", "updated_at",
                ],
            )  # fmt: skip
            await conn.copy_records_to_table(
                "ledger_facts",
                records=found,
                columns=[
                    "id", "source", "fact_key", "kind", "event_id", "rule", "organisation",
                    "counterparty", "subject", "occurred_at", "recorded_at", "detail",
                ],
            )  # fmt: skip
            facts += len(found)
        await conn.execute("ANALYZE ledger_deadlines")
        await conn.execute("ANALYZE ledger_facts")
    finally:
        await conn.close()
    return time.perf_counter() - start, rows, facts


async def recount(ctx: Any, url: str) -> float:
    """The day counts made from the bulk-loaded ledger (as after an operator's import)."""
    from oversight.service import days

    start = time.perf_counter()
    async with ctx.db.session() as session, session.begin():
        await days.recount(session)
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute("ANALYZE ledger_deadline_days")
        await conn.execute("ANALYZE ledger_fact_days")
    finally:
        await conn.close()
    return time.perf_counter() - start


async def run(
    *,
    admin_url: str,
    bootstrap: str,
    facts: int = 4000,
    rows: int = 1_000_000,
    assessments: int = 30,
) -> dict[str, Any]:
    """Ingestion and the year's assessment (see the module doc)."""
    from oversight.main import SPEC
    from oversight.settings import OversightSettings

    url = await new_database(admin_url, "oversight")
    name = f"oversight-bench-{uuid.uuid4().hex[:8]}"
    await _group_at_end(bootstrap, name, sorted({s.topic for s in map(_spec, SPEC.handlers)}))
    settings = OversightSettings(
        service_name=name,
        database_url=url.replace("postgresql://", "postgresql+asyncpg://", 1),
        kafka_bootstrap_servers=bootstrap,
        kafka_namespace=BENCH_NAMESPACE.prefix,
        jwt_secret=BENCH_SECRET,
        run_jobs=False,
        log_json=False,
        log_level="WARNING",
    )
    figures: dict[str, Any] = {}
    app = create_app(SPEC, settings=settings)
    async with app.router.lifespan_context(app):
        ctx = app.state.ctx
        orgs = sorted(o.code for o in [*ctx.directory.towns(), *ctx.directory.departments()])
        figures["started_seconds"] = await _until_consuming(bootstrap, name)
        figures["ingest"] = await ingest(url, bootstrap, orgs, facts)
        figures["seed_seconds"], figures["deadlines"], figures["facts"] = await seed(
            url, orgs, rows
        )
        figures["recount_seconds"] = await recount(ctx, url)
        token = mint_token(
            settings, org="justice-bureau", user="justice-bureau/bench", roles=("handler",)
        )
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            warm = await client.get("/assessment", params={"period": "2025"}, headers=headers)
            warm.raise_for_status()
            figures["organisations"] = len(warm.json()["items"])
            figures["due"] = sum(row["due"] for row in warm.json()["items"])
            lat = []
            start = time.perf_counter()
            for _ in range(assessments):
                t0 = time.perf_counter()
                r = await client.get("/assessment", params={"period": "2025"}, headers=headers)
                r.raise_for_status()
                lat.append((time.perf_counter() - t0) * 1000)
            figures["assessment"] = Figures(
                f"assessment of 2025, whole district ({rows:,} deadlines)",
                assessments,
                time.perf_counter() - start,
                lat,
            )
    return figures


def _spec(model: type[Any]) -> Any:
    from xietong_common.events.registry import registry

    return registry.spec_for(model)


def report(figures: dict[str, Any], raw_commit: Figures) -> list[str]:
    """The lines `make bench` prints."""
    ingest: Figures = figures["ingest"]
    assessment: Figures = figures["assessment"]
    ratio = ingest.rate / raw_commit.rate if raw_commit.rate else float("nan")
    p95 = assessment.pct(95)
    return [
        f"{ingest.line()}   ({ratio:.2f}× raw PG commit rate; goal ≥ 0.5×; timed from "
        f"{figures['started_seconds']:.1f} s after the service's start: consuming, then "
        f"{SETTLE_S:.0f} s)",
        f"oversight: {figures['deadlines']:,} deadlines and {figures['facts']:,} facts of 2025 "
        f"seeded in {figures['seed_seconds']:.1f} s (COPY, indexes kept, ANALYZE), "
        f"day counts recounted in {figures['recount_seconds']:.1f} s",
        f"{assessment.line()}   p95 {p95:.1f} ms (goal < 500 ms); "
        f"{figures['organisations']} organisations, {figures['due']:,} due",
    ]


async def measure(*, admin_url: str, bootstrap: str, facts: int, rows: int) -> list[str]:
    raw = await raw_pg_commits(admin_url, 1000)
    figures = await run(admin_url=admin_url, bootstrap=bootstrap, facts=facts, rows=rows)
    return [raw.line(), *report(figures, raw)]


if __name__ == "__main__":
    from bench.running import run_alone

    parser = argparse.ArgumentParser(prog="python -m bench.bench_oversight")
    parser.add_argument("--rows", type=int, default=1_000_000, help="deadlines of 2025 seeded")
    parser.add_argument("--facts", type=int, default=4000, help="deadline facts ingested")
    args = parser.parse_args()
    run_alone(
        lambda admin, kafka: measure(
            admin_url=admin, bootstrap=kafka, facts=args.facts, rows=args.rows
        )
    )
