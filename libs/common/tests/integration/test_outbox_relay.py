"""The outbox keeps its promises on real PostgreSQL and Kafka: nothing lost, order per key."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from aiokafka.errors import KafkaConnectionError
from prometheus_client import REGISTRY

from backbone_support import TOPIC, Harness, counter_service_spec, harness, increment, new_key
from xietong_common import faultpoints
from xietong_common.auth import Principal
from xietong_common.db import plain_url
from xietong_common.events.kafka import ensure_topics
from xietong_common.messaging.outbox import CLAIM_SQL, OutboxRelay
from xietong_common.metrics import OUTBOX_PENDING
from xietong_common.tables import OUTBOX_CHANNEL, outbox
from xietong_devtools.faults.cluster import wait_until
from xietong_devtools.testing import (
    TEST_NAMESPACE,
    Servers,
    create_database,
    running_service,
    topic_reader,
)

pytestmark = pytest.mark.integration

# What a test waits for happens within a minute even on a busy machine.
soon = functools.partial(wait_until, timeout_s=60, every_s=0.02)

CLERK = Principal(org="town:lizhi", user="zhang.san", roles=frozenset({"clerk"}))


@pytest.fixture
async def h(servers: Servers, kafka_bootstrap: str) -> AsyncIterator[Harness]:
    await ensure_topics(kafka_bootstrap, [TOPIC], namespace=TEST_NAMESPACE)
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


async def published_under(
    h: Harness, kafka_bootstrap: str, context: dict[str, str]
) -> tuple[str, Any]:
    """One event written by a request whose trace context is `context`, then relayed: its key
    and the record Kafka holds."""
    from xietong_common.events.envelope import trace_context

    key = new_key()
    token = trace_context.set(context)
    try:
        async with h.db.uow() as uow:
            await increment(uow, key, 1)
    finally:
        trace_context.reset(token)
    async with topic_reader(kafka_bootstrap, TOPIC) as reader:
        relay = OutboxRelay(h.db, namespace=TEST_NAMESPACE, bootstrap=kafka_bootstrap)
        await relay.relay_once()
        await relay.close()
        records = await reader.wait_for_records(1)
    (record,) = [r for r in records if r.key == key.encode()]
    return key, record


def closed_port() -> str:
    """A bootstrap address nothing listens on: every relay pass against it fails."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


async def attempts_by_seq(h: Harness, key: str) -> dict[int, tuple[int, str | None]]:
    async with h.db.session() as s:
        rows = (
            await s.execute(
                sa.select(outbox.c.envelope, outbox.c.attempts, outbox.c.last_error).where(
                    outbox.c.key == key
                )
            )
        ).all()
    return {r.envelope["data"]["seq"]: (r.attempts, r.last_error) for r in rows}


@contextlib.asynccontextmanager
async def _running(relay: OutboxRelay) -> AsyncIterator[None]:
    """`relay.run()` as a task for the block, cancelled at its end."""
    task = asyncio.create_task(relay.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def gauge(name: str, service: str = "test") -> float | None:
    return REGISTRY.get_sample_value(name, {"service": service})


async def test_rolled_back_transaction_publishes_nothing(h: Harness, kafka_bootstrap: str) -> None:
    key = new_key()
    with contextlib.suppress(RuntimeError):
        async with h.db.uow() as uow:
            await increment(uow, key, 1)
            raise RuntimeError("the use case fails after writing")
    assert await pending(h) == 0
    async with topic_reader(kafka_bootstrap, TOPIC) as reader:
        relay = OutboxRelay(h.db, namespace=TEST_NAMESPACE, bootstrap=kafka_bootstrap)
        assert await relay.relay_once() == 0
        await relay.close()
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
        relay = OutboxRelay(h.db, namespace=TEST_NAMESPACE, bootstrap=kafka_bootstrap, batch_size=4)
        while await relay.relay_once():
            pass
        await relay.close()
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
        doomed = OutboxRelay(
            h.db, namespace=TEST_NAMESPACE, bootstrap=kafka_bootstrap, batch_size=20
        )
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

        survivor = OutboxRelay(h.db, namespace=TEST_NAMESPACE, bootstrap=kafka_bootstrap)
        while await survivor.relay_once():
            pass
        await survivor.close()
        events = await reader.collect(lambda evs: set(seqs_for(evs, key)) >= set(range(1, 21)))
    assert await pending(h) == 0
    seen = seqs_for(events, key)
    assert sorted(set(seen)) == list(range(1, 21))  # every event arrived
    # Redelivered ones come again in order: the last copy of each is in order.
    last_run = seen[len(seen) - 20 :]
    assert last_run == list(range(1, 21))


@pytest.mark.parametrize("audited", [False, True])
async def test_relay_wakes_on_notify_and_runs_as_a_task(
    h: Harness, kafka_bootstrap: str, audited: bool
) -> None:
    """The commit of outbox rows wakes the relay (NOTIFY), also where they are written in the
    audit chain's statement (a unit of work that audits too)."""
    key = new_key()
    async with topic_reader(kafka_bootstrap, TOPIC) as reader:
        relay = OutboxRelay(
            h.db, namespace=TEST_NAMESPACE, bootstrap=kafka_bootstrap, poll_interval_s=30
        )
        async with _running(relay):
            await asyncio.sleep(1.0)  # let it LISTEN
            async with h.db.uow(actor=CLERK if audited else None) as uow:
                await increment(uow, key, 1)
                if audited:
                    uow.audit(action="incremented", subject=f"counter:{key}", rule="REF-03")
            events = await reader.collect(lambda evs: seqs_for(evs, key) == [1], timeout_s=10)
    mine = [e for e in events if e["data"]["counter"] == key]
    assert mine[0]["data"] == {"counter": key, "seq": 1}


async def test_a_relay_stopped_leaves_no_connection_behind(
    h: Harness, kafka_bootstrap: str
) -> None:
    """The relay's own connection (its passes) closes with it; one lost under it (the database
    restarted, an administrator ending it) is replaced at the next pass."""

    async def relay_connections() -> list[int]:
        async with h.db.session() as s:
            pids = await s.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND application_name = 'test-relay'"
                )
            )
            return list(pids.scalars())

    key = new_key()
    async with h.db.uow() as uow:
        await increment(uow, key, 1)
    relay = OutboxRelay(h.db, namespace=TEST_NAMESPACE, bootstrap=kafka_bootstrap)
    assert await relay.relay_once() == 1
    (pid,) = await relay_connections()
    async with h.db.session() as s:  # ended under it
        await s.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    async with h.db.uow() as uow:
        await increment(uow, key, 2)
    published = 0
    for _ in range(2):  # a pass that finds it gone may fail; the next one reconnects
        with contextlib.suppress(Exception):
            published += await relay.relay_once()
    assert published == 1
    assert await pending(h) == 0
    assert len(await relay_connections()) == 1
    task = asyncio.create_task(relay.run())
    await asyncio.sleep(0.5)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    for _ in range(50):  # the server notices the close as it happens
        if not await relay_connections():
            break
        await asyncio.sleep(0.05)
    assert await relay_connections() == []


async def test_housekeeping_deletes_only_published_rows_past_retention(
    h: Harness, kafka_bootstrap: str
) -> None:
    from types import SimpleNamespace

    from xietong_common.jobs import housekeeping_job, run_job_once
    from xietong_common.settings import ServiceSettings

    async with h.db.uow() as uow:
        for seq in (1, 2, 3):
            await increment(uow, new_key(), seq)
    relay = OutboxRelay(h.db, namespace=TEST_NAMESPACE, bootstrap=kafka_bootstrap, batch_size=2)
    assert await relay.relay_once() == 2  # two published, one still waiting
    await relay.close()
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


async def test_failed_passes_count_attempts_and_keep_the_last_error(
    h: Harness, kafka_bootstrap: str
) -> None:
    key = new_key()
    async with h.db.uow() as uow:
        for seq in (1, 2):
            await increment(uow, key, seq)
    away = OutboxRelay(h.db, namespace=TEST_NAMESPACE, bootstrap=closed_port())
    for _ in range(2):
        with pytest.raises(KafkaConnectionError):
            await away.relay_once()
        await away.close()
    rows = await attempts_by_seq(h, key)
    assert {seq: attempts for seq, (attempts, _) in rows.items()} == {1: 2, 2: 2}
    assert all(error and "KafkaConnectionError" in error for _, error in rows.values())
    assert await pending(h) == 2

    count, age = await away.observe_backlog()
    assert count == 2
    assert age > 0
    assert gauge("xietong_outbox_pending") == 2
    assert gauge("xietong_outbox_oldest_age_seconds") == age

    relay = OutboxRelay(h.db, namespace=TEST_NAMESPACE, bootstrap=kafka_bootstrap)
    assert await relay.relay_once() == 2
    await relay.close()
    rows = await attempts_by_seq(h, key)
    assert {seq: attempts for seq, (attempts, _) in rows.items()} == {1: 2, 2: 2}  # kept
    assert await relay.observe_backlog() == (0, 0.0)
    assert gauge("xietong_outbox_pending") == 0
    assert gauge("xietong_outbox_oldest_age_seconds") == 0


async def test_a_failure_is_not_recorded_on_a_row_another_relay_holds(h: Harness) -> None:
    key = new_key()
    async with h.db.uow() as uow:
        for seq in (1, 2):
            await increment(uow, key, seq)
    async with h.db.session() as s:
        ids = (await s.execute(sa.select(outbox.c.id).order_by(outbox.c.id))).scalars().all()
    relay = OutboxRelay(h.db, namespace=TEST_NAMESPACE, bootstrap=closed_port())
    async with h.db.engine.begin() as other:  # another relay has claimed the first row since
        await other.execute(sa.select(outbox.c.id).where(outbox.c.id == ids[0]).with_for_update())
        async with asyncio.timeout(5):  # skipped, not waited for
            await relay._record_failure(list(ids), RuntimeError("broker away"))
    rows = await attempts_by_seq(h, key)
    assert rows == {1: (0, None), 2: (1, "RuntimeError: broker away")}


async def test_a_claim_skips_what_another_relay_holds_and_what_its_key_waits_behind(
    h: Harness,
) -> None:
    """Two relays: the rows one holds are skipped by the other, and so is every later row of
    the same key (it would overtake the held one), while other keys' rows go on."""
    held_key, free_key = new_key(), new_key()
    async with h.db.uow() as uow:
        await increment(uow, held_key, 1)
        await increment(uow, free_key, 1)
        await increment(uow, held_key, 2)
        await increment(uow, free_key, 2)
    async with h.db.session() as s:
        ids = (await s.execute(sa.select(outbox.c.id).order_by(outbox.c.id))).scalars().all()
    async with h.db.engine.begin() as other:  # another relay has claimed the first row
        await other.execute(sa.select(outbox.c.id).where(outbox.c.id == ids[0]).with_for_update())
        async with h.db.engine.begin() as conn, asyncio.timeout(5):
            claimed = (await conn.exec_driver_sql(CLAIM_SQL, (10,))).mappings().all()
            # the batch limit counts only the rows this relay may take
            first = (await conn.exec_driver_sql(CLAIM_SQL, (1,))).mappings().all()
    assert [row["id"] for row in claimed] == [ids[1], ids[3]]
    assert [row["key"] for row in claimed] == [free_key, free_key]
    assert [row["id"] for row in first] == [ids[1]]


async def test_a_claim_behind_a_large_backlog_reads_only_its_batch(h: Harness) -> None:
    """A relay catching up (a broker away for a while) claims its batch without comparing
    every claimed row with every queued one: the plan reads the batch and the rows other
    relays hold, not the backlog once per claimed row (issue 22)."""
    keys = [new_key() for _ in range(16)]
    async with h.db.uow() as uow:
        for seq in range(2000):
            await increment(uow, keys[seq % 16], seq)
    async with h.db.engine.begin() as conn:
        await conn.execute(sa.text("ANALYZE outbox"))
        plan = (
            await conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + CLAIM_SQL, (50,))
        ).scalar_one()
    work = _rows_handled(plan[0]["Plan"])
    assert work < 4 * 50, f"the claim handled {work} rows for a batch of 50"


def _rows_handled(node: dict[str, Any]) -> int:
    """Rows the plan's scans of the table read and its joins compared and dropped, over all
    their loops."""
    own = int(node.get("Rows Removed by Join Filter", 0))
    if node.get("Relation Name") == "outbox":
        read = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
        own += int(read * node["Actual Loops"])
    return own + sum(_rows_handled(child) for child in node.get("Plans", []))


async def test_running_relay_reports_the_backlog_while_kafka_is_unreachable(h: Harness) -> None:
    key = new_key()
    async with h.db.uow() as uow:
        await increment(uow, key, 1)
    OUTBOX_PENDING.labels("test").set(-1)  # not measured yet
    relay = OutboxRelay(
        h.db, namespace=TEST_NAMESPACE, bootstrap=closed_port(), poll_interval_s=0.1
    )
    async with _running(relay):
        for _ in range(100):
            attempts, error = (await attempts_by_seq(h, key))[1]
            if attempts >= 1 and gauge("xietong_outbox_pending") == 1:
                break
            await asyncio.sleep(0.05)
        assert attempts >= 1
        assert error
        assert gauge("xietong_outbox_pending") == 1
        assert (gauge("xietong_outbox_oldest_age_seconds") or 0) > 0


async def test_a_service_started_while_kafka_is_away_reports_its_backlog(
    servers: Servers,
) -> None:
    """A service that starts during an outage waits for Kafka before its relay runs (its
    topics first), and meanwhile says on /metrics what waits — not only from the relay's
    first pass once Kafka is back."""
    url = await create_database(servers, "outage-start")
    async with running_service(
        counter_service_spec(), database_url=url, kafka_bootstrap=closed_port(), run_jobs=False
    ) as svc:
        bumped = await svc.client.post(
            "/towns/lizhi/counter", headers=svc.auth("town:lizhi", "handler")
        )
        assert bumped.status_code == 201  # nothing accepted is refused because Kafka is away
        name = svc.settings.service_name
        for _ in range(200):
            if gauge("xietong_outbox_pending", name) == 1:
                break
            await asyncio.sleep(0.05)
        assert gauge("xietong_outbox_pending", name) == 1


async def test_records_carry_the_cloudevents_attributes_and_trace_context_as_headers(
    h: Harness, kafka_bootstrap: str
) -> None:
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    key, record = await published_under(
        h, kafka_bootstrap, {"traceparent": traceparent, "requestid": "r-1"}
    )
    headers = dict(record.headers)
    assert headers["content-type"] == b"application/cloudevents+json"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"xietong.test.counter-incremented.v1"
    assert headers["ce_source"] == b"/xietong/test"
    assert headers["ce_subject"] == key.encode()
    # The relay's publish span continues the request's trace (same trace id, its own span).
    assert headers["traceparent"].decode().split("-")[1] == traceparent.split("-")[1]
    assert headers["ce_id"]


async def test_a_sampled_out_request_s_event_carries_its_trace_context_without_a_span(
    h: Harness, kafka_bootstrap: str
) -> None:
    """Issue 22: an event written by a request its trace sampled out is published with no
    publish span (it would record nothing) and carries the request's trace context as it
    was: the same trace, still sampled out downstream."""
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
    _, record = await published_under(h, kafka_bootstrap, {"traceparent": traceparent})
    assert dict(record.headers)["traceparent"] == traceparent.encode()


async def test_a_commit_s_notify_names_its_last_outbox_row(h: Harness) -> None:
    """Issue 22: the NOTIFY a unit of work's commit sends names the last outbox row it wrote,
    so that a relay can tell a wake-up for rows its pass already took."""
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(plain_url(h.db.url))
    try:
        await listener.add_listener(OUTBOX_CHANNEL, lambda *args: heard.put_nowait(args[3]))
        async with h.db.uow() as uow:
            await increment(uow, new_key(), 1)
            await increment(uow, new_key(), 1)
        payload = await asyncio.wait_for(heard.get(), timeout=30)
    finally:
        await listener.close()
    async with h.db.session() as s:
        last = await s.scalar(sa.select(sa.func.max(outbox.c.id)))
    assert payload == str(last)


async def test_a_notify_for_rows_the_relay_took_wakes_it_for_nothing(h: Harness) -> None:
    """Issue 22: a NOTIFY naming a row this relay's pass claimed (its commit landed before
    the claim, its NOTIFY after) brings no pass that would find nothing; any other — another
    row, or one that names none — wakes it."""
    relay = OutboxRelay(h.db, namespace=TEST_NAMESPACE, bootstrap=closed_port())
    relay._sent.update({41, 42})
    relay.notified("42")
    assert not relay._wake.is_set()
    relay.notified("43")
    assert relay._wake.is_set()
    relay._wake.clear()
    relay.notified("")
    assert relay._wake.is_set()


class _Told(OutboxRelay):
    """A relay that does not LISTEN (whose connecting wakes the relay, to catch up, whenever
    it comes): the test tells it of each commit itself, as the listener would."""

    async def _listen(self) -> None:
        await asyncio.Event().wait()


async def test_a_notify_that_comes_during_a_pass_brings_the_next_pass(
    h: Harness, kafka_bootstrap: str
) -> None:
    """Issue 22: a NOTIFY that comes while a pass runs (a commit after its claim) brings the
    next pass at once; it was cleared at the pass's end, and the row waited for the next
    commit or the poll (here ten minutes).

    The relay does not LISTEN: the test tells it of its commit as the listener would. With
    the LISTEN, whose connecting wakes the relay to catch up whenever it comes, the passes
    were not the test's to count — the first run of the suite after the linger counted three
    where the commit had come before the relay's first claim and there were two, and waited
    for the poll."""
    passes: list[int] = []
    probed: list[int] = []  # how many passes had ended when the probed one reached its marks

    class Counting(_Told):
        async def relay_once(self) -> int:
            passes.append(await super().relay_once())
            return passes[-1]

    relay = Counting(h.db, namespace=TEST_NAMESPACE, bootstrap=kafka_bootstrap, poll_interval_s=600)

    def during_the_pass(point: str, detail: dict[str, str]) -> None:
        mine = detail.get("service") == h.db.service_name  # not another relay of the process
        if point == faultpoints.RELAY_UNMARKED and mine and not probed:
            probed.append(len(passes))
            relay.notified("")  # as the listener hears a commit after the claim

    async with _running(relay):
        faultpoints.install_probe(during_the_pass)
        try:
            await soon("the relay's first pass", lambda: len(passes) >= 1)
            async with h.db.uow() as uow:
                await increment(uow, new_key(), 1)
            relay.notified("")  # the commit's NOTIFY
            # The pass of the commit, probed, and the next, which only the NOTIFY during it
            # brings.
            await soon("the pass after the probed one", lambda: probed and len(passes) >= 3)
            assert probed == [1]
            assert passes[:3] == [0, 1, 0]
        finally:
            faultpoints.install_probe(None)


class _Lingering(_Told):
    """A relay that records its passes (where each started, how many events it published)
    and whose linger waits for the test rather than the clock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.passes: list[int] = []
        self.started: list[float] = []
        self.lingered: list[float] = []
        self.gate = asyncio.Event()

    async def relay_once(self) -> int:
        self.started.append(asyncio.get_running_loop().time())
        self.passes.append(await super().relay_once())
        return self.passes[-1]

    async def _linger(self, wait: float) -> None:
        self.lingered.append(wait)
        await self.gate.wait()


def _lingering(h: Harness, kafka_bootstrap: str, **options: Any) -> _Lingering:
    """A `_Lingering` relay on the harness's database that polls only every ten minutes."""
    return _Lingering(
        h.db, namespace=TEST_NAMESPACE, bootstrap=kafka_bootstrap, poll_interval_s=600, **options
    )


async def test_commits_close_together_share_a_pass_and_a_full_pass_goes_on_at_once(
    h: Harness, kafka_bootstrap: str
) -> None:
    """Issue 22: a pass starts at most once per linger (`XIETONG_OUTBOX_LINGER_MS`), so
    commits that come close together travel in one pass rather than a pass each (~1 ms of
    the service's CPU each); a full pass (a backlog) is followed at once, and the order per
    key holds."""
    key = new_key()
    relay = _lingering(h, kafka_bootstrap, linger_s=60, batch_size=2)
    async with topic_reader(kafka_bootstrap, TOPIC) as reader, _running(relay):
        await soon("the pass at start", lambda: relay.passes == [0])
        for seq in range(1, 6):
            async with h.db.uow() as uow:
                await increment(uow, key, seq)
            relay.notified("")  # as the listener hears each commit
        await soon("a linger", lambda: relay.lingered)
        assert relay.passes == [0]  # the five wait for the linger's end together
        assert 0 < relay.lingered[0] <= 60
        relay.gate.set()
        await soon("five events published", lambda: sum(relay.passes) == 5)
        events = await reader.collect(lambda evs: len(seqs_for(evs, key)) == 5, timeout_s=30)
    assert relay.passes == [0, 2, 2, 1]  # after a full pass, the next at once
    assert len(relay.lingered) == 1
    assert seqs_for(events, key) == [1, 2, 3, 4, 5]


async def test_a_commit_after_a_quiet_linger_goes_at_once(h: Harness, kafka_bootstrap: str) -> None:
    """Issue 22: the linger delays only events that come faster than one per linger: a
    commit after the relay has been quiet that long is published without waiting."""
    relay = _lingering(h, kafka_bootstrap, linger_s=0.2)
    async with _running(relay):
        await soon("the pass at start", lambda: relay.passes == [0])
        loop = asyncio.get_running_loop()
        await soon("the linger", lambda: loop.time() > relay.started[0] + 0.2)
        async with h.db.uow() as uow:
            await increment(uow, new_key(), 1)
        relay.notified("")
        await soon("the commit's pass", lambda: relay.passes == [0, 1])
    assert relay.lingered == []


async def test_the_linger_stretches_while_events_come_fast_and_stays_within_its_bound(
    h: Harness, kafka_bootstrap: str
) -> None:
    """Issue 22: a relay whose passes keep finding many events lingers longer before the next
    (`outbox_linger_max_ms`; `stretched_linger`): fewer, fuller passes for a busy service —
    and never longer than the bound. Each burst is one commit of 50 events; the lingers are
    recorded, not waited (the gate is open)."""
    key = new_key()
    relay = _lingering(h, kafka_bootstrap, linger_s=0.5, linger_max_s=5.0)
    relay.gate.set()
    async with topic_reader(kafka_bootstrap, TOPIC) as reader, _running(relay):
        await soon("the pass at start", lambda: relay.passes == [0])
        for burst in range(3):
            async with h.db.uow() as uow:
                for seq in range(50 * burst + 1, 50 * burst + 51):
                    await increment(uow, key, seq)
            relay.notified("")  # as the listener hears the commit
            await soon("the burst's pass", lambda b=burst: sum(relay.passes) == 50 * (b + 1))
        events = await reader.collect(lambda evs: len(seqs_for(evs, key)) == 150, timeout_s=30)
    assert relay.rate > 0
    assert relay.lingered, "bursts within the linger of the pass before wait for it"
    assert max(relay.lingered) > 0.5  # stretched past the linger
    assert max(relay.lingered) <= 5.0  # and never past its bound
    assert seqs_for(events, key) == list(range(1, 151))  # the order per key holds
