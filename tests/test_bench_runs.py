"""`make bench` keeps working: its backbone step runs end to end on a few events.

Figures are not asserted here (speed lives in `bench/`, never in timed tests); this only
proves the bench measures what it says. A bench whose events were dead-lettered (a
producer the consumer does not trust) waited five minutes and printed nothing useful.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bench.backbone import BENCH_NAMESPACE, CREATED, backbone, drop_databases
from xietong_devtools.faults.runner import delete_topics
from xietong_devtools.testing import Servers

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True, scope="module")
async def bench_topics_deleted(servers: Servers) -> AsyncIterator[None]:
    """The bench's namespace is this process's: its topics go when these tests end, as
    `python -m bench` deletes them when it ends."""
    yield
    await delete_topics(servers.kafka_bootstrap, BENCH_NAMESPACE)


async def test_the_backbone_bench_delivers_every_event_it_publishes(servers: Servers) -> None:
    try:
        figures = await backbone(
            servers.postgres_admin_url, servers.kafka_bootstrap, 20, per_txn=1, timeout_s=60
        )
    finally:
        await drop_databases(servers.postgres_admin_url)
    assert figures.count == 20
    assert len(figures.latencies_ms) >= 20  # each one handled by the consumer, none dead-lettered
    assert CREATED == []


async def test_the_paced_backbone_bench_leaves_its_warm_up_events_out(servers: Servers) -> None:
    """The paced latency's first events (the relay's producer starting, the first fetches)
    are written and delivered, but not in the figures: those are the steady state's."""
    try:
        figures = await backbone(
            servers.postgres_admin_url,
            servers.kafka_bootstrap,
            10,
            per_txn=1,
            rate=100,
            warm_up=5,
            timeout_s=60,
        )
    finally:
        await drop_databases(servers.postgres_admin_url)
    assert figures.count == 10
    assert len(figures.latencies_ms) == 10  # the five warm-up events handled, not counted


async def test_the_create_bench_runs_with_two_replicas(servers: Servers) -> None:
    """`make bench`'s create-case figure with two replicas on one database: every request
    answered (the figures themselves are the bench's, not asserted here)."""
    from bench.bench_referral import create_replicas

    try:
        figures = await create_replicas(
            servers.postgres_admin_url, servers.kafka_bootstrap, n=20, concurrency=4
        )
    finally:
        await drop_databases(servers.postgres_admin_url)
    assert figures.count == 20
    assert len(figures.latencies_ms) == 20


async def test_issue_24_the_notifier_bench_delivers_every_delivery(servers: Servers) -> None:
    """`make bench`'s deliveries/s: every delivery reaches the local receiver (the bench
    raises otherwise) and the raw httpx baseline is printed beside it."""
    from bench.bench_notifier import run

    try:
        lines = await run(
            admin_url=servers.postgres_admin_url,
            bootstrap=servers.kafka_bootstrap,
            n=20,
            subscriptions=5,
        )
    finally:
        await drop_databases(servers.postgres_admin_url)
    assert any(line.startswith("raw httpx POSTs") for line in lines)
    assert any(line.startswith("notifier deliveries") for line in lines)
    assert "× raw httpx POSTs/s" in lines[-1]
    assert CREATED == []


async def test_the_oversight_bench_ingests_and_assesses(servers: Servers) -> None:
    """Issue 19: the oversight part publishes its facts, waits until the ledger holds each
    one, seeds a year with COPY and asks for that year's assessment."""
    from bench import bench_oversight

    try:
        figures = await bench_oversight.run(
            admin_url=servers.postgres_admin_url,
            bootstrap=servers.kafka_bootstrap,
            facts=40,
            rows=2000,
            assessments=3,
        )
    finally:
        await drop_databases(servers.postgres_admin_url)
    assert figures["ingest"].count == 40
    assert figures["deadlines"] == 2000
    assert figures["organisations"] > 10
    assert 0 < figures["due"] <= 2000
    assert len(figures["assessment"].latencies_ms) == 3
    assert CREATED == []


async def test_issue_22_the_tracing_bench_switches_tracing_and_back(servers: Servers) -> None:
    """`make bench`'s tracing figure: the same app's requests with tracing on and off, block by
    block, and an A/A control; tracing is on again when it ends (the figures are the bench's)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Dialect

    from bench import bench_tracing
    from xietong_common import telemetry

    try:
        lines = await bench_tracing.run(
            admin_url=servers.postgres_admin_url,
            bootstrap=servers.kafka_bootstrap,
            pairs=2,
            block=2,
            warm=2,
        )
    finally:
        await drop_databases(servers.postgres_admin_url)
    assert [line.split()[:2] for line in lines] == [
        ["GET", "/referrals/{id}"],
        ["POST", "/referrals"],
    ]
    assert all("A/A control" in line and "(target ≤ 5%)" in line for line in lines)
    assert all(event.contains(Dialect, name, hook) for name, hook in telemetry.DIALECT_HOOKS)
    assert not isinstance(telemetry.tracer(), bench_tracing.trace.NoOpTracer)
    assert CREATED == []
