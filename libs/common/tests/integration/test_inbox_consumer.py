"""The inbox keeps its promises: duplicates are no-ops, offsets follow the handler, poison goes to the DLQ."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from prometheus_client import REGISTRY
from sqlalchemy.engine import make_url
from tcp_proxy import TcpProxy

from backbone_support import (
    TOPIC,
    CounterIncremented,
    Harness,
    count_handled,
    counter_value,
    envelope_bytes,
    harness,
    new_key,
)
from xietong_common.clock import SystemClock
from xietong_common.db import Database
from xietong_common.events.kafka import ensure_topics
from xietong_common.events.registry import dlq_topic
from xietong_common.messaging.inbox import BatchHandler, Delivered, InboxConsumer
from xietong_devtools.testing import (
    TEST_NAMESPACE,
    Servers,
    create_database,
    physical_topic,
    topic_reader,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def h(servers: Servers, kafka_bootstrap: str) -> AsyncIterator[Harness]:
    await ensure_topics(kafka_bootstrap, [TOPIC], namespace=TEST_NAMESPACE)
    url = await create_database(servers, "inbox")
    async for value in harness(url, name="inbox-test"):
        yield value


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await p.start()
    yield p
    await p.stop()


def consumer_for(h: Harness, bootstrap: str, group: str, **kw: Any) -> InboxConsumer:
    return InboxConsumer(
        h.db,
        namespace=TEST_NAMESPACE,
        bootstrap=bootstrap,
        handlers={CounterIncremented: count_handled},
        group_id=group,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
        **kw,
    )


async def run_until(consumer: InboxConsumer, done: Any, timeout_s: float = 20) -> None:
    task = asyncio.create_task(consumer.run())
    try:
        end = asyncio.get_running_loop().time() + timeout_s
        while not await done():
            assert asyncio.get_running_loop().time() < end, "consumer did not finish in time"
            await asyncio.sleep(0.1)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_same_event_delivered_twice_changes_state_once(
    h: Harness, kafka_bootstrap: str, producer: AIOKafkaProducer
) -> None:
    key = new_key()
    event_id = str(uuid.uuid4())
    raw = envelope_bytes(CounterIncremented(counter=key, seq=1), key=key, event_id=event_id)
    await producer.send_and_wait(physical_topic(TOPIC), raw, key=key.encode())
    await producer.send_and_wait(
        physical_topic(TOPIC), raw, key=key.encode()
    )  # redelivery of the same event
    marker = new_key()
    await producer.send_and_wait(
        physical_topic(TOPIC),
        envelope_bytes(CounterIncremented(counter=marker, seq=1), key=key),
        key=key.encode(),
    )
    consumer = consumer_for(h, kafka_bootstrap, f"g-{uuid.uuid4().hex[:6]}")

    async def done() -> bool:
        return await counter_value(h.db, marker) == 1

    await run_until(consumer, done)
    assert await counter_value(h.db, key) == 1


class _DiesBeforeCommit(InboxConsumer):
    """Handles a batch holding the watched key, then dies before committing its offsets."""

    watched: bytes = b""
    seen_watched = False

    async def process(self, record: Any, dlq: AIOKafkaProducer) -> str:
        self.seen_watched |= record.key == self.watched
        return await super().process(record, dlq)

    async def process_batch(self, records: list[Any], dlq: AIOKafkaProducer) -> list[str]:
        outcomes = await super().process_batch(records, dlq)
        self.seen_watched |= any(record.key == self.watched for record in records)
        return outcomes

    async def commit(
        self, consumer: AIOKafkaConsumer, offsets: Mapping[TopicPartition, int]
    ) -> None:
        if self.seen_watched:
            raise asyncio.CancelledError("killed between handler and offset commit")
        await super().commit(consumer, offsets)


async def test_consumer_killed_after_handler_before_commit_applies_once(
    h: Harness, kafka_bootstrap: str, producer: AIOKafkaProducer
) -> None:
    key = new_key()
    for seq in range(1, 4):
        await producer.send_and_wait(
            physical_topic(TOPIC),
            envelope_bytes(CounterIncremented(counter=key, seq=seq), key=key),
            key=key.encode(),
        )
    group = f"g-{uuid.uuid4().hex[:6]}"

    dying = consumer_for(h, kafka_bootstrap, group)
    dying.__class__ = _DiesBeforeCommit
    dying.watched = key.encode()  # type: ignore[attr-defined]
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(dying.run(), 20)
    assert await counter_value(h.db, key) == 3  # handled, offsets not committed

    marker = new_key()
    await producer.send_and_wait(
        physical_topic(TOPIC),
        envelope_bytes(CounterIncremented(counter=marker, seq=1), key=key),
        key=key.encode(),
    )

    async def done() -> bool:
        return await counter_value(h.db, marker) == 1

    await run_until(consumer_for(h, kafka_bootstrap, group), done)  # redelivers all three
    assert await counter_value(h.db, key) == 3


async def test_poison_message_goes_to_dlq_and_partition_moves_on(
    h: Harness, kafka_bootstrap: str, producer: AIOKafkaProducer
) -> None:
    key = new_key()  # one key: everything lands on one partition, in this order
    await ensure_topics(kafka_bootstrap, [TOPIC], namespace=TEST_NAMESPACE)
    failing = new_key()
    calls: list[str] = []

    async def flaky(uow: Any, event: CounterIncremented, envelope: Any) -> None:
        calls.append(event.counter)
        if event.counter == failing:
            raise RuntimeError("this handler always fails for this event")
        await count_handled(uow, event, envelope)

    async with topic_reader(kafka_bootstrap, dlq_topic(TOPIC)) as dlq:
        await producer.send_and_wait(physical_topic(TOPIC), b"{not json", key=key.encode())
        await producer.send_and_wait(
            physical_topic(TOPIC),
            envelope_bytes(CounterIncremented(counter=failing, seq=1), key=key),
            key=key.encode(),
        )
        after = new_key()
        await producer.send_and_wait(
            physical_topic(TOPIC),
            envelope_bytes(CounterIncremented(counter=after, seq=2), key=key),
            key=key.encode(),
        )
        consumer = InboxConsumer(
            h.db,
            namespace=TEST_NAMESPACE,
            bootstrap=kafka_bootstrap,
            handlers={CounterIncremented: flaky},
            group_id=f"g-{uuid.uuid4().hex[:6]}",
            max_attempts=3,
            backoff_initial_s=0.01,
            backoff_max_s=0.02,
        )

        async def done() -> bool:
            return await counter_value(h.db, after) == 1

        await run_until(consumer, done)  # the message after the poison ones is handled
        end = asyncio.get_running_loop().time() + 20
        while len(dead := [r for r in dlq.records if r.key == key.encode()]) < 2:
            assert asyncio.get_running_loop().time() < end, "dead letters did not arrive"
            await dlq.poll(1)
    # Tried once in the batch it came in (rolled back whole), then alone: 3 attempts counted,
    # then dead-lettered.
    assert calls.count(failing) == 1 + 3
    assert await counter_value(h.db, failing) is None
    headers = [dict(r.headers) for r in dead]
    assert {h["x-original-topic"] for h in headers} == {physical_topic(TOPIC).encode()}
    assert sorted(h["x-error-type"] for h in headers) == [b"PoisonMessage", b"RuntimeError"]
    assert dead[1].value is not None
    assert failing.encode() in dead[1].value


async def test_binary_mode_events_from_the_official_sdk_are_handled(
    h: Harness, kafka_bootstrap: str, producer: AIOKafkaProducer
) -> None:
    """An integrator's platform may publish with the CloudEvents SDK's Kafka binary mode
    (attributes in ce_* headers, data as the value); the inbox reads it as it reads ours."""
    from cloudevents.core.bindings.kafka import to_binary
    from cloudevents.core.formats.json import JSONFormat
    from cloudevents.core.v1.event import CloudEvent as SdkEvent

    key = new_key()
    event = SdkEvent(
        attributes={
            "type": CounterIncremented.spec.type,
            "source": "/xietong/test",
            "subject": key,
            "datacontenttype": "application/json",
        },
        data=CounterIncremented(counter=key, seq=1).model_dump(mode="json"),
    )
    message = to_binary(event, JSONFormat())
    await producer.send_and_wait(
        physical_topic(TOPIC),
        message.value,
        key=key.encode(),
        headers=list(message.headers.items()),
    )
    consumer = consumer_for(h, kafka_bootstrap, f"g-{uuid.uuid4().hex[:6]}")

    async def done() -> bool:
        return await counter_value(h.db, key) == 1

    await run_until(consumer, done)


# ---- batches: the events a poll brings from one partition, in one transaction ----------


async def _send_all(producer: AIOKafkaProducer, key: str, events: list[bytes]) -> None:
    for raw in events:
        await producer.send(physical_topic(TOPIC), raw, key=key.encode())
    await producer.flush()


def _recording_consumer(
    h: Harness,
    bootstrap: str,
    units: list[Any],
    note: Callable[[CounterIncremented], bool],
    **kw: Any,
) -> InboxConsumer:
    """A consumer counting the increments, that tells `note` of each event and keeps in
    `units` each unit of work an event `note` owns was handled in."""

    async def recording(uow: Any, event: CounterIncremented, envelope: Any) -> None:
        if note(event) and all(u is not uow for u in units):
            units.append(uow)
        await count_handled(uow, event, envelope)

    return InboxConsumer(
        h.db,
        namespace=TEST_NAMESPACE,
        bootstrap=bootstrap,
        handlers={CounterIncremented: recording},
        group_id=f"g-{uuid.uuid4().hex[:6]}",
        **kw,
    )


async def test_a_batch_is_one_transaction_and_keeps_the_order_per_key(
    h: Harness, kafka_bootstrap: str, producer: AIOKafkaProducer
) -> None:
    key = new_key()  # one key, one partition: the order they were sent in
    counters = [new_key() for _ in range(30)]
    await _send_all(
        producer,
        key,
        [
            envelope_bytes(CounterIncremented(counter=c, seq=n), key=key)
            for n, c in enumerate(counters)
        ],
    )
    seen: list[int] = []
    units: list[Any] = []
    mine = set(counters)  # the topic holds the other tests' events too

    def note(event: CounterIncremented) -> bool:
        if event.counter in mine:
            seen.append(event.seq)
        return event.counter in mine

    consumer = _recording_consumer(h, kafka_bootstrap, units, note, batch_size=10)

    async def done() -> bool:
        return await counter_value(h.db, counters[-1]) == 1

    await run_until(consumer, done)
    assert seen == list(range(30))  # in order, each once
    assert len(units) < 30  # handled in batches (at most 10 to a transaction)
    assert all([await counter_value(h.db, c) for c in counters])


def _record(partition: int, offset: int, key: str, value: bytes) -> ConsumerRecord[bytes, bytes]:
    """A record as a poll hands it over (the handling after the poll needs no broker)."""
    return ConsumerRecord(
        topic=physical_topic(TOPIC),
        partition=partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=key.encode(),
        value=value,
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=len(value),
        headers=[],
    )


async def test_a_poll_of_several_partitions_is_one_transaction_each_in_its_order(
    h: Harness, kafka_bootstrap: str
) -> None:
    """What a poll brings from every partition is handled in one transaction (issue 22: one
    per partition cost a BEGIN, an inbox insert and a COMMIT each), each partition's events
    in their order, a duplicate of an event handled in the same poll dropped."""
    keys = [new_key() for _ in range(3)]
    events = {
        partition: [
            envelope_bytes(
                CounterIncremented(counter=key, seq=seq), key=key, event_id=f"{key}-{seq}"
            )
            for seq in range(4)
        ]
        for partition, key in enumerate(keys)
    }
    batches = {
        TopicPartition(physical_topic(TOPIC), partition): [
            _record(partition, offset, keys[partition], raw) for offset, raw in enumerate(raws)
        ]
        for partition, raws in events.items()
    }
    batches[TopicPartition(physical_topic(TOPIC), 0)].append(
        _record(0, 4, keys[0], events[0][1])  # sent twice by a relay
    )
    seen: dict[str, list[int]] = {key: [] for key in keys}
    units: list[Any] = []

    def note(event: CounterIncremented) -> bool:
        seen[event.counter].append(event.seq)
        return True

    consumer = _recording_consumer(h, kafka_bootstrap, units, note)
    dlq = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)  # nothing is dead-lettered
    await consumer.process_poll(batches, dlq)
    assert seen == {key: [0, 1, 2, 3] for key in keys}
    assert len(units) == 1
    assert [await counter_value(h.db, key) for key in keys] == [4, 4, 4]


async def test_a_failing_event_in_a_batch_fails_alone(
    h: Harness, kafka_bootstrap: str, producer: AIOKafkaProducer
) -> None:
    """The batch rolls back whole; its events are then handled one at a time: the good ones
    once each and in order, the failing one retried and dead-lettered."""
    key = new_key()
    before, failing, after = new_key(), new_key(), [new_key(), new_key()]
    order = [before, failing, *after]
    calls: list[str] = []

    async def flaky(uow: Any, event: CounterIncremented, envelope: Any) -> None:
        calls.append(event.counter)
        if event.counter == failing:
            raise RuntimeError("this handler always fails for this event")
        await count_handled(uow, event, envelope)

    await _until_dead_lettered(h, producer, kafka_bootstrap, key, order, flaky)
    for counter in (before, *after):
        assert await counter_value(h.db, counter) == 1  # once, though its batch rolled back
    assert await counter_value(h.db, failing) is None
    # The calls that took effect (each good event's last) came in the partition's order.
    last = [len(calls) - 1 - calls[::-1].index(c) for c in (before, *after)]
    assert last == sorted(last)
    # Its 2 attempts alone, after at most one in the batch it came in (rolled back whole).
    assert calls.count(failing) in (2, 3)


async def test_a_redelivered_batch_changes_nothing(
    h: Harness, kafka_bootstrap: str, producer: AIOKafkaProducer
) -> None:
    """The same events again — in a later batch, or twice in one — are duplicates."""
    key = new_key()
    counters = [new_key() for _ in range(5)]
    events = [
        envelope_bytes(CounterIncremented(counter=c, seq=n), key=key, event_id=str(uuid.uuid4()))
        for n, c in enumerate(counters)
    ]
    group = f"g-{uuid.uuid4().hex[:6]}"
    await _send_all(producer, key, [*events, events[2]])  # one of them twice in the batch

    async def first_done() -> bool:
        return await counter_value(h.db, counters[-1]) == 1

    await run_until(consumer_for(h, kafka_bootstrap, group), first_done)
    marker = new_key()
    await _send_all(
        producer, key, [*events, envelope_bytes(CounterIncremented(counter=marker, seq=9), key=key)]
    )

    async def again_done() -> bool:
        return await counter_value(h.db, marker) == 1

    # A new group reads the topic from the start: every event comes again, some twice.
    await run_until(consumer_for(h, kafka_bootstrap, f"g-{uuid.uuid4().hex[:6]}"), again_done)
    for counter in counters:
        assert await counter_value(h.db, counter) == 1


async def test_events_wait_while_the_database_is_away_and_none_is_dead_lettered(
    h: Harness, kafka_bootstrap: str, producer: AIOKafkaProducer
) -> None:
    """Found by the fault harness (`make faults`, PostgreSQL restarted under load): a
    consumer whose database was restarting failed each event `max_attempts` times in a few
    seconds and dead-lettered it, so the drafts and items it would have made were lost. The
    database being away says nothing about the event: the event waits, its attempts are not
    counted, and it is applied once the database is back."""
    url = make_url(h.url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    db = Database(
        url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
        clock=SystemClock(),
        service_name=f"inbox-outage-{uuid.uuid4().hex[:6]}",
    )
    consumer = InboxConsumer(
        db,
        namespace=TEST_NAMESPACE,
        bootstrap=kafka_bootstrap,
        handlers={CounterIncremented: count_handled},
        group_id=f"g-{uuid.uuid4().hex[:6]}",
        max_attempts=3,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
    )
    key = new_key()  # one key, one partition: the events after the first wait behind it

    def retries() -> float:
        labels = {"service": db.service_name, "topic": TOPIC}
        return REGISTRY.get_sample_value("xietong_inbox_retries_total", labels) or 0.0

    async def send(seq: int) -> None:
        event = CounterIncremented(counter=key, seq=seq)
        await producer.send_and_wait(
            physical_topic(TOPIC), envelope_bytes(event, key=key), key=key.encode()
        )

    async with topic_reader(kafka_bootstrap, dlq_topic(TOPIC)) as dlq:
        task = asyncio.create_task(consumer.run())
        try:
            await send(1)
            end = asyncio.get_running_loop().time() + 30
            while await counter_value(h.db, key) != 1:  # the pool holds live connections
                assert asyncio.get_running_loop().time() < end, "the first event was not handled"
                await asyncio.sleep(0.1)
            await proxy.cut()  # as a restart does: open connections reset, new ones refused
            for seq in (2, 3, 4):
                await send(seq)
            # As many failed attempts as dead-lettered all three events before.
            end = asyncio.get_running_loop().time() + 60
            while retries() < 3 * consumer.max_attempts:
                assert asyncio.get_running_loop().time() < end, f"only {retries()} attempts"
                await asyncio.sleep(0.05)
            await proxy.restore()
            end = asyncio.get_running_loop().time() + 60
            while await counter_value(h.db, key) != 4:
                assert asyncio.get_running_loop().time() < end, (
                    f"applied {await counter_value(h.db, key)} of 4 events after the outage"
                )
                await asyncio.sleep(0.1)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await proxy.close()
            await db.dispose()
        await dlq.poll(1)
    assert [r for r in dlq.records if r.key == key.encode()] == []


# ---- batch handlers: a handler that takes a batch's events of its type in one call ------


def _counting_in_one_statement(
    calls: list[list[str]], mine: set[str], failing: str | None = None
) -> BatchHandler:
    """A batch handler whose use case writes all its events in one statement (each counter
    bumped by how many events name it); it fails, after writing, if one event is `failing`."""
    from sqlalchemy.dialects.postgresql import insert

    from backbone_support import counters

    async def handle(uow: Any, items: Sequence[Delivered]) -> None:
        names = [item.event.counter for item in items]
        if mine & set(names):
            calls.append([n for n in names if n in mine])
        bumps = Counter(names)
        stmt = insert(counters).values([{"name": n, "value": v} for n, v in sorted(bumps.items())])
        await uow.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[counters.c.name],
                set_={"value": counters.c.value + stmt.excluded.value},
            )
        )
        if failing in bumps:
            raise RuntimeError("this handler always fails for this event")

    return BatchHandler(handle)


async def test_a_batch_handler_takes_a_batch_in_one_call_and_a_redelivered_batch_changes_nothing(
    h: Harness, kafka_bootstrap: str, producer: AIOKafkaProducer
) -> None:
    """Exactly once with a batch handler: each event once, in the partition's order, in
    fewer calls than events; the same events again — twice in one batch, or all of them
    redelivered to a new group — change nothing."""
    key = new_key()
    names = [new_key() for _ in range(20)]
    events = [
        envelope_bytes(CounterIncremented(counter=c, seq=n), key=key, event_id=str(uuid.uuid4()))
        for n, c in enumerate(names)
    ]
    await _send_all(producer, key, [*events[:12], events[5], *events[12:]])  # one twice
    calls: list[list[str]] = []
    mine = set(names)

    def consumer(group: str) -> InboxConsumer:
        return InboxConsumer(
            h.db,
            namespace=TEST_NAMESPACE,
            bootstrap=kafka_bootstrap,
            handlers={CounterIncremented: _counting_in_one_statement(calls, mine)},
            group_id=group,
            batch_size=10,
        )

    async def first_done() -> bool:
        return await counter_value(h.db, names[-1]) == 1

    await run_until(consumer(f"g-{uuid.uuid4().hex[:6]}"), first_done)
    assert [n for call in calls for n in call] == names  # in order, each once
    assert len(calls) < len(names)  # several to a call
    marker = new_key()
    await _send_all(
        producer,
        key,
        [*events, envelope_bytes(CounterIncremented(counter=marker, seq=99), key=key)],
    )
    handled = len(calls)

    async def again_done() -> bool:
        return await counter_value(h.db, marker) == 1

    # A new group reads the topic from the start: every event comes again, some twice.
    await run_until(consumer(f"g-{uuid.uuid4().hex[:6]}"), again_done)
    assert len(calls) == handled  # none of them given to the handler again
    for name in names:
        assert await counter_value(h.db, name) == 1


async def test_a_batch_handler_failing_mid_batch_dead_letters_that_event_alone(
    h: Harness, kafka_bootstrap: str, producer: AIOKafkaProducer
) -> None:
    """The handler fails on one event of its call after writing the others: the batch rolls
    back whole; each event is then given alone, the good ones applied once each and in order,
    the failing one retried and dead-lettered as any handler's."""
    key = new_key()
    before, failing, after = [new_key(), new_key()], new_key(), [new_key(), new_key()]
    order = [*before, failing, *after]
    calls: list[list[str]] = []
    handler = _counting_in_one_statement(calls, set(order), failing=failing)
    dead = await _until_dead_lettered(h, producer, kafka_bootstrap, key, order, handler)
    for name in (*before, *after):
        assert await counter_value(h.db, name) == 1  # once, though its batch rolled back
    assert await counter_value(h.db, failing) is None
    assert len(dead) == 1
    assert dead[0].value is not None
    assert failing.encode() in dead[0].value
    assert dict(dead[0].headers)["x-attempts"] == b"2"
    # The calls that took effect (each good event's last) came in the partition's order.
    last = [max(i for i, call in enumerate(calls) if name in call) for name in (*before, *after)]
    assert last == sorted(last)
    assert sum(call == [failing] for call in calls) == 2  # its 2 attempts alone


async def _until_dead_lettered(
    h: Harness,
    producer: AIOKafkaProducer,
    bootstrap: str,
    key: str,
    order: list[str],
    handler: Any,
) -> list[Any]:
    """Send one increment per counter of `order` under `key`, consume them with `handler`
    (2 attempts each) until the last counter is applied, and wait for the key's dead
    letters; returns them."""
    async with topic_reader(bootstrap, dlq_topic(TOPIC)) as dlq:
        await _send_all(
            producer,
            key,
            [
                envelope_bytes(CounterIncremented(counter=c, seq=n), key=key)
                for n, c in enumerate(order)
            ],
        )
        consumer = InboxConsumer(
            h.db,
            namespace=TEST_NAMESPACE,
            bootstrap=bootstrap,
            handlers={CounterIncremented: handler},
            group_id=f"g-{uuid.uuid4().hex[:6]}",
            max_attempts=2,
            backoff_initial_s=0.01,
            backoff_max_s=0.02,
        )

        async def done() -> bool:
            return await counter_value(h.db, order[-1]) == 1

        await run_until(consumer, done)
        end = asyncio.get_running_loop().time() + 20
        while not (dead := [r for r in dlq.records if r.key == key.encode()]):
            assert asyncio.get_running_loop().time() < end, "the dead letter did not arrive"
            await dlq.poll(1)
    return dead
