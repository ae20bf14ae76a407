"""Transactional outbox relay: outbox rows → Kafka, in order per key, at least once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

import asyncpg
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from opentelemetry.trace import SpanKind

from xietong_common import faultpoints
from xietong_common.cancellation import raise_if_cancelled
from xietong_common.db import Database, plain_url
from xietong_common.events.envelope import kafka_headers
from xietong_common.events.kafka import idempotent_producer
from xietong_common.events.namespace import Namespace
from xietong_common.metrics import (
    OUTBOX_FAILURES,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PASS_EVENTS,
    OUTBOX_PENDING,
    OUTBOX_PUBLISHED,
)
from xietong_common.settings import OUTBOX_LINGER_MAX_MS, OUTBOX_LINGER_MS
from xietong_common.tables import OUTBOX_CHANNEL, outbox
from xietong_common.telemetry import current_traceparent, messaging_span, sampled_out

# A pass's rows marked published and its transaction committed, in one round trip (a simple
# query of two statements). The ids are the integers the claim read back, written into the
# text: nothing a caller supplies reaches it.
_MARK_PUBLISHED_AND_COMMIT = (
    "UPDATE outbox SET published_at = now() WHERE id = ANY('{{{ids}}}'::bigint[]); COMMIT"
)

log = logging.getLogger(__name__)

# Claim a batch without blocking other relays (SKIP LOCKED), but never a row whose key
# has an earlier unpublished row outside this batch: that row may be in flight in
# another relay, and publishing past it would break the order per key.
#
# The candidates are the first unlocked unpublished rows in id order, so the unpublished rows
# with a lower id than the last candidate that are not candidates themselves (`passed`) are
# those another relay holds: only a few, and only they can hold a candidate back. Asked of
# each candidate directly ("an earlier unpublished row of its key outside the batch"), the
# question compared every candidate with every unpublished row: 22–30 ms a pass with a
# backlog of 2,000–20,000 rows, when a relay catching up needs its passes cheapest (issue 22).
# The candidates carry their columns: joined back to the table for them, a small outbox was
# read whole (a sequential scan of its published rows too).
CLAIM_SQL = """
    WITH candidates AS (
        SELECT id, topic, key, envelope FROM outbox
        WHERE published_at IS NULL
        ORDER BY id
        LIMIT $1
        FOR UPDATE SKIP LOCKED
    ),
    passed AS (
        SELECT id, key FROM outbox
        WHERE published_at IS NULL
          AND id < (SELECT max(id) FROM candidates)
          AND id NOT IN (SELECT id FROM candidates)
    )
    SELECT c.id, c.topic, c.key, c.envelope::text AS envelope
    FROM candidates c
    WHERE NOT EXISTS (
        SELECT 1 FROM passed p WHERE p.key = c.key AND p.id < c.id
    )
    ORDER BY c.id
"""
"""The claim of a pass (`$1`: the batch's size), run in the relay's transaction."""

# The backlog behind the gauges: one pass over the partial index of unpublished rows.
BACKLOG_SQL = sa.text(
    """
    SELECT count(*) AS pending,
           coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest_age_s
    FROM outbox
    WHERE published_at IS NULL
    """
)

# How many claimed row ids a relay remembers, to tell a NOTIFY it needs no pass for.
_SENT_KEPT = 10_000

# How much of a failure's text is kept in `outbox.last_error`.
MAX_ERROR_CHARS = 2000

# How much each pass moves the relay's estimate of the event rate: a few passes' worth of
# memory, so one pass that caught two events by chance does not stretch the linger.
_RATE_WEIGHT = 0.3

# Events a linger from which the linger stretches. Below it the estimate only wanders: paced at
# 100 events a second (one a linger) it reads 96 at the median and up to 127, and a linger
# stretched by that was waited for (a paced event's median +2 ms) without saving a pass.
_STRETCH_FROM = 1.5


def stretched_linger(rate: float, *, linger_s: float, most_s: float) -> float:
    """The wait between passes at `rate` events a second: the linger while events come fewer
    than one and a half per linger; at n events a linger (n ≥ 1.5), n lingers, up to `most_s`.

    Each pass costs about the same (~1 ms of CPU: three round trips, a produce request), so
    fixed passes cost a busy service more the busier it is: at 300 events a second a 10 ms
    linger gave a pass for every three creates of one client, a tenth of their CPU (issue
    22). Stretched with the rate, passes carry `rate² · linger²` events — nine at 300 a
    second — while below 150 a second (a 10 ms linger) nothing waits longer than with a fixed
    linger, and nothing ever waits more than `most_s`."""
    if linger_s <= 0:
        return 0.0
    per_linger = rate * linger_s
    if per_linger < _STRETCH_FROM:
        return linger_s
    return min(max(most_s, linger_s), linger_s * per_linger)


class OutboxRelay:
    """Publishes committed outbox rows. Wakes on NOTIFY, polls as a fallback."""

    def __init__(
        self,
        db: Database,
        *,
        bootstrap: str,
        batch_size: int = 200,
        poll_interval_s: float = 1.0,
        linger_s: float = OUTBOX_LINGER_MS / 1000,
        linger_max_s: float = OUTBOX_LINGER_MAX_MS / 1000,
        kafka_options: Mapping[str, Any] | None = None,
        namespace: Namespace,
    ) -> None:
        self.db = db
        self.namespace = namespace
        self.bootstrap = bootstrap
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.linger_s = linger_s
        """A pass starts at most this long after the one before (`outbox_linger_ms`)..."""
        self.linger_max_s = linger_max_s
        """...or, once events come 1.5 a linger or faster, up to this long
        (`outbox_linger_max_ms`; `stretched_linger`)."""
        self.rate = 0.0
        """Events a second, as the passes lately have found them (smoothed)."""
        self.kafka_options = dict(kafka_options or {})
        self._wake = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._conn: asyncpg.Connection | None = None
        self._service = db.service_name
        self._observed_at: float | None = None
        self._sent: set[int] = set()
        """Ids of rows this relay's passes claimed lately (`_SENT_KEPT` at most)."""

    async def run(self) -> None:
        listener = asyncio.create_task(self._listen(), name="outbox-listen")
        backoff = self.poll_interval_s
        loop = asyncio.get_running_loop()
        started = -math.inf
        relayed = 0
        linger = self.linger_s
        try:
            while True:
                raise_if_cancelled()  # a cancellation the Kafka client swallowed (3.11)
                # A pass at most once per linger, unless the last one was full (a backlog
                # goes at once): commits close together travel in one pass, where each had
                # a pass of its own (~1 ms of the service's CPU) when a commit came every few
                # milliseconds. The linger stretches as events come faster
                # (`stretched_linger`). A commit after a quiet linger goes at once.
                wait = started + linger - loop.time()
                if relayed < self.batch_size and wait > 0:
                    await self._linger(wait)
                # Cleared before the claim, which sees every commit before it: a NOTIFY that
                # comes during the pass is for a commit after it (or, naming a row the claim
                # took, is let go by the listener), and brings the next pass.
                self._wake.clear()
                previous, started = started, loop.time()
                try:
                    relayed = await self.relay_once()
                    backoff = self.poll_interval_s
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    OUTBOX_FAILURES.labels(self._service).inc()
                    log.warning("outbox relay pass failed; rows stay queued: %s", exc)
                    await self._reset_producer()
                    await self._observe_backlog_if_due()
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                # The events this pass found came since the one before started.
                found = relayed / max(started - previous, 1e-3)
                self.rate += _RATE_WEIGHT * (found - self.rate)
                linger = stretched_linger(
                    self.rate, linger_s=self.linger_s, most_s=self.linger_max_s
                )
                await self._observe_backlog_if_due()
                if relayed >= self.batch_size:
                    continue
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                # that arrives as the wake-up does, and the relay would never stop.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval_s):
                        await self._wake.wait()
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            await self.close()

    async def _linger(self, wait: float) -> None:
        """Wait `wait` seconds, the rest of the linger, before the next pass."""
        await asyncio.sleep(wait)

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows were published.

        If the batch fails, its rows stay queued and their `attempts` / `last_error` say so.

        On a connection of the relay's own, in three round trips — BEGIN, the claim, the marks
        with COMMIT — where the engine's connection took five (BEGIN, claim, SET LOCAL,
        UPDATE, COMMIT) and SQLAlchemy's execution around each: 1.0–1.3 ms of CPU a pass,
        paid by every create when each commit is a pass of its own (issue 22).
        """
        conn = await self._connection()
        ids: list[int] = []
        try:
            await conn.execute("BEGIN")
            rows = await conn.fetch(CLAIM_SQL, self.batch_size)
            if not rows:
                await conn.execute("ROLLBACK")
                return 0
            ids = [row["id"] for row in rows]
            if len(self._sent) > _SENT_KEPT:
                self._sent.clear()
            self._sent.update(ids)
            producer = await self._get_producer()
            # Sends are queued in id order; the idempotent producer keeps that order per
            # partition, and we wait for every ack before marking the rows published.
            pending = [await self._send(producer, row) for row in rows]
            await asyncio.gather(*pending)
            faultpoints.reached(faultpoints.RELAY_UNMARKED, service=self._service)
            # Kafka has the records: the marks need not wait for the disk (the connection's
            # synchronous_commit is off). Should the database lose them in a crash, the rows
            # are sent again — at least once, as ever, and the consumers' inboxes drop the
            # duplicates.
            await conn.execute(_MARK_PUBLISHED_AND_COMMIT.format(ids=",".join(map(str, ids))))
        except BaseException as exc:
            # The claim's locks go first: another relay may take the rows at once, and the
            # failure is recorded on what no one holds. A killed relay records nothing.
            await self._roll_back()
            if ids and isinstance(exc, Exception):
                await self._record_failure(ids, exc)
            raise
        published = Counter(row["topic"] for row in rows)
        for topic, count in published.items():
            OUTBOX_PUBLISHED.labels(self._service, topic).inc(count)
        OUTBOX_PASS_EVENTS.labels(self._service).observe(len(rows))
        return len(rows)

    async def close(self) -> None:
        """Release the relay's Kafka producer and database connection (`run` does on its way
        out; for a relay driven by `relay_once`)."""
        await self._reset_producer()
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(
                plain_url(self.db.url),
                server_settings={
                    "application_name": f"{self._service}-relay",
                    # Only the marks commit on it (see relay_once).
                    "synchronous_commit": "off",
                },
            )
        return self._conn

    async def _roll_back(self) -> None:
        """End a failed or cancelled pass's transaction. A connection that cannot (lost, or
        cut off mid-statement by the cancellation) is dropped: the server ends its
        transaction, and the claim's locks, as it goes."""
        if self._conn is None:
            return
        try:
            await self._conn.execute("ROLLBACK")
        except BaseException as error:
            self._drop_connection()
            if not isinstance(error, Exception):
                raise

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()

    async def _send(self, producer: AIOKafkaProducer, row: Any) -> asyncio.Future[Any]:
        """Queue one row; its publish span continues the trace of the request that wrote it,
        and the record carries that span as its `traceparent`. The value is the envelope's
        text as the database keeps it (JSON, read once for the headers). A request sampled
        out gets no publish span — it would record nothing — and the record carries the
        request's own trace context: the span's making was ~100 calls an event (issue 22)."""
        text: str = row["envelope"]
        envelope = json.loads(text)
        parent = envelope.get("traceparent")
        traced = not sampled_out(parent)
        span: contextlib.AbstractContextManager[Any] = (
            messaging_span(
                f"{row['topic']} publish",
                kind=SpanKind.PRODUCER,
                traceparent=parent,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.operation.type": "send",
                    "messaging.destination.name": row["topic"],
                    "messaging.message.id": envelope.get("id", ""),
                    "messaging.kafka.message.key": str(row["key"]),
                },
            )
            if traced
            else contextlib.nullcontext()
        )
        with span:
            sent: asyncio.Future[Any] = await producer.send(
                self.namespace.topic(row["topic"]),
                value=text.encode(),
                key=str(row["key"]).encode(),
                # The publish span's context, or (none made) the request's own.
                headers=kafka_headers(
                    envelope, traceparent=current_traceparent() if traced else None
                ),
            )
        return sent

    async def observe_backlog(self) -> tuple[int, float]:
        """Count the unpublished rows and the age of the oldest in the database, and set the
        gauges from them. Every replica reports the same database truth."""
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(BACKLOG_SQL)).one()
        count, age = int(row.pending), max(float(row.oldest_age_s), 0.0)
        OUTBOX_PENDING.labels(self._service).set(count)
        OUTBOX_OLDEST_AGE.labels(self._service).set(age)
        return count, age

    async def _observe_backlog_if_due(self) -> None:
        """After a pass, good or failed, but not more often than once per poll interval (a
        backlog drains in back-to-back passes)."""
        now = asyncio.get_running_loop().time()
        if self._observed_at is not None and now - self._observed_at < self.poll_interval_s:
            return
        self._observed_at = now
        try:
            await self.observe_backlog()
        except Exception as exc:  # the database is away: the gauges keep their last value
            log.info("outbox backlog not measured: %s", exc)

    async def _record_failure(self, ids: list[int], exc: Exception) -> None:
        """Count a failed attempt on the claimed rows, in a transaction of its own (the claim
        rolled back). A row another relay has claimed since is skipped, not waited for."""
        error = (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)[
            :MAX_ERROR_CHARS
        ]
        still_queued = (
            sa.select(outbox.c.id)
            .where(outbox.c.id.in_(ids), outbox.c.published_at.is_(None))
            .with_for_update(skip_locked=True)
        )
        try:
            async with self.db.engine.begin() as conn:
                await conn.execute(
                    sa.update(outbox)
                    .where(outbox.c.id.in_(still_queued))
                    .values(attempts=outbox.c.attempts + 1, last_error=error)
                )
        except Exception as record_exc:  # the database is away too: the rows stay queued
            log.info("outbox failure not recorded: %s", record_exc)

    async def _get_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = idempotent_producer(
                self.bootstrap, client_id=f"{self._service}-relay", options=self.kafka_options
            )
            try:
                await producer.start()
            except BaseException:  # cancelled while starting, too: never leak its tasks
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _reset_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()

    def notified(self, payload: str) -> None:
        """A commit wrote outbox rows: wake for a pass, unless this relay's passes took them.

        A commit's NOTIFY names its last outbox row. A pass that started after the commit,
        before its NOTIFY came, took its rows (a commit's rows are claimed in id order, so
        with the last one the others, or another relay holds them and wakes for them): waking
        for it would be a pass that finds nothing — three round trips, for more than one in
        two creates at c=1 (issue 22). A NOTIFY that names no row wakes the relay."""
        if payload.isdigit() and int(payload) in self._sent:
            return
        self._wake.set()

    async def _listen(self) -> None:
        """LISTEN for commits that wrote outbox rows; reconnect if the DB goes away."""

        def on_notify(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            self.notified(payload)

        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(plain_url(self.db.url))
                await conn.add_listener(OUTBOX_CHANNEL, on_notify)
                self._wake.set()  # catch up on anything committed while not listening
                while not conn.is_closed():
                    await asyncio.sleep(5)
                    await conn.execute("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info("outbox listener reconnecting: %s", exc)
                await asyncio.sleep(2)
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close()
