"""Inbox consumer: each event handled once per service, offsets committed after the handler.

The events a poll brings are handled in ONE transaction (`batch_size` at most), each
partition's in their order: one inbox insert for all their ids, each handler in turn, one
COMMIT; then the poll's offsets are committed.
If anything in that transaction fails — a handler's error or refusal, the database — it
is rolled back whole and the same events are handled one at a time, each in its own
transaction with its retries, backoff and dead-lettering (`process`): a batch never changes
what happens to an event, only how many commits the ones that go through cost.

A handler may opt in to take the consecutive new events of its type in a batch in one call
(`BatchHandler`: a list of `Delivered`, in their partition's order), so that its use case
writes them in a few statements rather than a few each; alone, it gets a list of one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from opentelemetry.trace import SpanKind
from pydantic import BaseModel, ValidationError
from sqlalchemy.dialects.postgresql import insert

from xietong_common import faultpoints
from xietong_common.auth import Principal
from xietong_common.cancellation import raise_if_cancelled
from xietong_common.db import Database, database_unavailable
from xietong_common.errors import AppError
from xietong_common.events.envelope import CloudEvent, trace_context
from xietong_common.events.kafka import idempotent_producer
from xietong_common.events.namespace import Namespace
from xietong_common.events.registry import dlq_topic, registry
from xietong_common.metrics import INBOX_HANDLED, INBOX_LAG, INBOX_RETRIES
from xietong_common.tables import inbox
from xietong_common.telemetry import current_traceparent, messaging_span
from xietong_common.uow import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Any, CloudEvent], Awaitable[None]]


class Delivered(NamedTuple):
    """One event given to a `BatchHandler`: its payload and its envelope."""

    event: Any
    envelope: CloudEvent


@dataclass(frozen=True)
class BatchHandler:
    """A handler that takes the consecutive new events of its type in a batch in one call,
    in their partition's order (duplicates already left out), and applies them in that order
    as if one at a time. An error in it rolls the whole batch back, and each event is then
    given alone (a list of one) with its own retries and dead-lettering, as any handler's."""

    handle: Callable[[UnitOfWork, Sequence[Delivered]], Awaitable[None]]


AnyHandler = Handler | BatchHandler


class PoisonMessage(Exception):
    """A message no retry can fix (not a CloudEvent, unknown type, invalid payload)."""


class ForgedSource(PoisonMessage):
    """An event of a type whose owner is another service than its `source` says: a forgery, or
    a registry that names the wrong producer. `xietong dlq replay` re-drives it only when
    forced (after the registry was corrected); it is checked again like any event."""


class EventRefused(PoisonMessage):
    """A handler's refusal: the event fails the checks the REST path makes (an organisation
    not in the directory, a value a request could not carry). Retrying cannot change that, so
    it goes to the dead-letter topic at once, with the reason; nothing it carried is lost."""


# The inbox rows of a batch in one statement of arrays (unnested): compiled and prepared once
# for any number of rows, where a multi-row VALUES is compiled again for each batch. The ids
# returned are those not met before (an id twice in the batch is inserted once).
_RECORD_BATCH = sa.text(
    """
    INSERT INTO inbox (event_id, topic, event_type, partition, "offset")
    SELECT * FROM unnest(
        CAST(:event_id AS text[]), CAST(:topic AS text[]), CAST(:event_type AS text[]),
        CAST(:partition AS integer[]), CAST(:offset AS bigint[])
    )
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id
    """
)


class _Decoded(NamedTuple):
    record: ConsumerRecord[bytes, bytes]
    envelope: CloudEvent
    event: BaseModel
    handler: AnyHandler


async def _call(handler: AnyHandler, uow: UnitOfWork, items: Sequence[Delivered]) -> None:
    """A plain handler once per event, in order; a batch handler once for them all."""
    if isinstance(handler, BatchHandler):
        await handler.handle(uow, items)
        return
    for item in items:
        await handler(uow, item.event, item.envelope)


def _groups(items: list[_Decoded]) -> Iterator[list[_Decoded]]:
    """`items` in order, cut into the calls they make: the consecutive ones with the same
    batch handler together, any other alone."""
    group: list[_Decoded] = []
    for item in items:
        if group and not (
            isinstance(item.handler, BatchHandler) and item.handler is group[0].handler
        ):
            yield group
            group = []
        group.append(item)
    if group:
        yield group


@contextlib.contextmanager
def refused_like_a_request() -> Iterator[None]:
    """Around a handler's call of its use case: what a request would be refused for — a 4xx
    `AppError` of the use case's checks, or a value a request's schema would not take —
    refuses the event (`EventRefused`: to the dead-letter topic at once, with the reason).
    The checks stay in the use case both paths call; the handler only translates."""
    try:
        yield
    except ValidationError as exc:
        raise EventRefused(f"it carries what a request could not: {exc}") from exc
    except AppError as exc:
        if exc.status >= 500:
            raise  # not the event's fault: retried
        raise EventRefused(f"refused as a request would be: {exc.detail}") from exc


class InboxConsumer:
    """Consumes the topics of the given handlers in one consumer group (the service)."""

    def __init__(
        self,
        db: Database,
        *,
        bootstrap: str,
        handlers: Mapping[type[BaseModel], AnyHandler],
        group_id: str | None = None,
        max_attempts: int = 5,
        batch_size: int = 100,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 5.0,
        kafka_options: Mapping[str, Any] | None = None,
        namespace: Namespace,
    ) -> None:
        self.db = db
        self.bootstrap = bootstrap
        self.handlers = dict(handlers)
        self.namespace = namespace
        self.group_id = namespace.group(group_id or db.service_name)
        self.max_attempts = max_attempts
        self.batch_size = max(1, batch_size)
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.kafka_options = dict(kafka_options or {})
        self.topics = sorted({registry.spec_for(model).topic for model in self.handlers})
        self.actor = Principal.system(db.service_name)

    async def run(self) -> None:
        """Consume until cancelled; on a broker or DB failure, reconnect from the last commit."""
        if not self.topics:
            return
        while True:
            raise_if_cancelled()
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("inbox consumer restarting after failure: %s", exc)
                await asyncio.sleep(2)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            *(self.namespace.topic(t) for t in self.topics),
            **self.kafka_options,
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            client_id=f"{self.group_id}-inbox",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        try:
            await consumer.start()
        except BaseException:  # cancelled or refused while starting: release what it opened
            with contextlib.suppress(Exception):
                await consumer.stop()
            raise
        dlq = idempotent_producer(
            self.bootstrap, client_id=f"{self.group_id}-dlq", options=self.kafka_options
        )
        try:
            await dlq.start()
            while True:
                raise_if_cancelled()  # a cancellation the Kafka client swallowed (3.11)
                batches = await consumer.getmany(timeout_ms=1000, max_records=500)
                # What a poll brought, every partition's events in their order (an aggregate's
                # events are all on one partition), handled in as few transactions as
                # `batch_size` allows, then the poll's offsets committed in one request. A
                # transaction per partition cost each poll a BEGIN, an inbox insert and a
                # COMMIT per partition (issue 22). The price: while an event that fails is
                # retried, the other partitions' events of the same poll wait for it too (the
                # next poll's always did).
                await self.process_poll(batches, dlq)
                if batches:
                    for tp in batches:
                        faultpoints.reached(faultpoints.HANDLER_OFFSET_UNCOMMITTED, topic=tp.topic)
                    await self.commit(
                        consumer, {tp: records[-1].offset + 1 for tp, records in batches.items()}
                    )
                await self._observe_lag(consumer)
        finally:
            with contextlib.suppress(Exception):
                await dlq.stop()
            with contextlib.suppress(Exception):
                await consumer.stop()

    async def process_poll(
        self,
        batches: Mapping[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
        dlq: AIOKafkaProducer,
    ) -> None:
        """Handle what a poll brought: every partition's records in their order (one
        partition's after another's), `batch_size` to a transaction."""
        records = [record for records in batches.values() for record in records]
        for start in range(0, len(records), self.batch_size):
            await self.process_batch(records[start : start + self.batch_size], dlq)

    async def _observe_lag(self, consumer: AIOKafkaConsumer) -> None:
        """How far behind this instance is, per topic (from what the broker last told it)."""
        lag: dict[str, int] = dict.fromkeys(self.topics, 0)
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            topic = self.namespace.logical(tp.topic) or tp.topic
            lag[topic] = lag.get(topic, 0) + max(highwater - await consumer.position(tp), 0)
        for topic, behind in lag.items():
            INBOX_LAG.labels(self.db.service_name, topic).set(behind)

    async def commit(
        self, consumer: AIOKafkaConsumer, offsets: Mapping[TopicPartition, int]
    ) -> None:
        """Commit the next offset of each partition a poll brought, once its events are
        handled (their effects committed)."""
        await consumer.commit(dict(offsets))

    async def process_batch(
        self, records: list[ConsumerRecord[bytes, bytes]], dlq: AIOKafkaProducer
    ) -> list[str]:
        """Handle records (each partition's in their order), in order: the runs of decodable
        events each in one transaction, a record no retry can fix dead-lettered where it
        stands. Returns each record's outcome."""
        outcomes: list[str] = []
        run: list[_Decoded] = []
        for record in records:
            try:
                run.append(_Decoded(record, *self._decode(record)))
            except PoisonMessage:
                outcomes += await self._handle_run(run, dlq)
                run = []
                outcomes.append(await self.process(record, dlq))  # dead-lettered, in place
        outcomes += await self._handle_run(run, dlq)
        return outcomes

    async def _handle_run(self, run: list[_Decoded], dlq: AIOKafkaProducer) -> list[str]:
        if len(run) < 2:
            return [await self.process(item.record, dlq) for item in run]
        try:
            outcomes = await self._apply_batch(run)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # rolled back whole: each event on its own, with its retries
            log.info(
                "a batch of %d events failed (%s: %s); handling them one at a time",
                len(run),
                type(exc).__name__,
                exc,
            )
            return [await self.process(item.record, dlq) for item in run]
        for item, outcome in zip(run, outcomes, strict=True):
            topic = self.namespace.logical(item.record.topic) or item.record.topic
            INBOX_HANDLED.labels(self.db.service_name, topic, outcome).inc()
        return outcomes

    async def _apply_batch(self, run: list[_Decoded]) -> list[str]:
        """One transaction: the inbox rows of every event of `run`, then each new event's
        handler in order. An event id met before — committed earlier, or twice in the run (the
        relay may send a row twice) — is a duplicate: its handler does not run. The new events
        that follow each other with the same `BatchHandler` go to it in one call."""
        columns: dict[str, list[Any]] = {
            "event_id": [],
            "topic": [],
            "event_type": [],
            "partition": [],
            "offset": [],
        }
        for item in run:
            columns["event_id"].append(item.envelope.id)
            columns["topic"].append(self.namespace.logical(item.record.topic) or item.record.topic)
            columns["event_type"].append(item.envelope.type)
            columns["partition"].append(item.record.partition)
            columns["offset"].append(item.record.offset)
        async with self.db.uow(actor=self.actor) as uow:
            new = set((await uow.session.execute(_RECORD_BATCH, columns)).scalars())
            outcomes = []
            fresh: list[_Decoded] = []
            for item in run:
                if item.envelope.id not in new:
                    outcomes.append("duplicate")
                    continue
                new.discard(item.envelope.id)
                fresh.append(item)
                outcomes.append("handled")
            for group in _groups(fresh):
                with self._span(group[0].record, group[0].envelope, count=len(group)):
                    await _call(
                        group[0].handler,
                        uow,
                        [Delivered(item.event, item.envelope) for item in group],
                    )
        return outcomes

    async def process(self, record: ConsumerRecord[bytes, bytes], dlq: AIOKafkaProducer) -> str:
        """Handle one record: handled, duplicate, or dead-lettered. Never skips silently."""
        topic = self.namespace.logical(record.topic) or record.topic
        try:
            envelope, event, handler = self._decode(record)
        except PoisonMessage as exc:
            await self._dead_letter(dlq, record, exc, attempts=0)
            INBOX_HANDLED.labels(self.db.service_name, topic, "dead-lettered").inc()
            return "dead-lettered"
        delay = self.backoff_initial_s
        attempt = 0
        while True:
            try:
                outcome = await self._handle_once(record, envelope, event, handler)
                INBOX_HANDLED.labels(self.db.service_name, topic, outcome).inc()
                return outcome
            except asyncio.CancelledError:
                raise
            except PoisonMessage as exc:  # the handler refused it: no retry can help
                await self._dead_letter(dlq, record, exc, attempts=attempt + 1)
                INBOX_HANDLED.labels(self.db.service_name, topic, "refused").inc()
                return "refused"
            except Exception as exc:
                INBOX_RETRIES.labels(self.db.service_name, topic).inc()
                if database_unavailable(exc):
                    # The database is away (restarting, unreachable): nothing is wrong with
                    # the event, so the attempt is not counted against it. It waits, and the
                    # events behind it on its partition wait too, in order.
                    log.warning(
                        "database unavailable; %s %s waits: %s", envelope.type, envelope.id, exc
                    )
                else:
                    attempt += 1
                    log.warning(
                        "handler failed (attempt %d/%d) for %s %s: %s",
                        attempt,
                        self.max_attempts,
                        envelope.type,
                        envelope.id,
                        exc,
                    )
                    if attempt >= self.max_attempts:
                        last_error = exc
                        break
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.backoff_max_s)
        await self._dead_letter(dlq, record, last_error, attempts=self.max_attempts)
        INBOX_HANDLED.labels(self.db.service_name, topic, "dead-lettered").inc()
        return "dead-lettered"

    def _decode(
        self, record: ConsumerRecord[bytes, bytes]
    ) -> tuple[CloudEvent, BaseModel, AnyHandler]:
        if record.value is None:
            raise PoisonMessage("empty message")
        try:
            envelope = CloudEvent.from_kafka(record.value, record.headers or ())
        except (ValidationError, ValueError, UnicodeDecodeError) as exc:
            raise PoisonMessage(f"not a CloudEvents 1.0 event: {exc}") from exc
        spec = registry.spec_for_type(envelope.type)
        if spec is None or spec.model not in self.handlers:
            raise PoisonMessage(f"no handler for event type {envelope.type!r} on {record.topic}")
        if record.topic != self.namespace.topic(spec.topic):
            raise PoisonMessage(
                f"{envelope.type} belongs on {self.namespace.topic(spec.topic)}, not {record.topic}"
            )
        # Trusted only from the service that owns the type: anyone else publishing it (a
        # forged review.opinion drafting a case for any town) goes to the dead-letter topic.
        owners = {f"/xietong/{producer}" for producer in spec.producers}
        if envelope.source not in owners:
            raise ForgedSource(
                f"{envelope.type} is published only by {', '.join(sorted(owners))}, "
                f"not {envelope.source!r}"
            )
        try:
            event = spec.model.model_validate(envelope.data)
        except ValidationError as exc:
            raise PoisonMessage(f"payload does not match {spec.type}: {exc}") from exc
        return envelope, event, self.handlers[spec.model]

    async def _handle_once(
        self,
        record: ConsumerRecord[bytes, bytes],
        envelope: CloudEvent,
        event: BaseModel,
        handler: AnyHandler,
    ) -> str:
        with self._span(record, envelope):
            return await self._apply(record, envelope, event, handler)

    @contextlib.contextmanager
    def _span(
        self, record: ConsumerRecord[bytes, bytes], envelope: CloudEvent, *, count: int = 1
    ) -> Iterator[None]:
        """The event's process span, continuing the relay's publish span (its header), else
        the request that caused the event; and its trace context for what the handler logs
        and publishes. For a batch handler's call, the span of the first of its `count`."""
        headers = {k: v.decode("latin-1") for k, v in record.headers or ()}
        with messaging_span(
            f"{self.namespace.logical(record.topic) or record.topic} process",
            kind=SpanKind.CONSUMER,
            traceparent=headers.get("traceparent") or envelope.traceparent,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self.group_id,
                "messaging.message.id": envelope.id,
                "messaging.kafka.offset": record.offset,
                "cloudevents.event_type": envelope.type,
                **({"messaging.batch.message_count": count} if count > 1 else {}),
            },
        ):
            context = {
                "traceparent": current_traceparent() or envelope.traceparent,
                "requestid": envelope.requestid,
            }
            token = trace_context.set({k: v for k, v in context.items() if v})
            try:
                yield
            finally:
                trace_context.reset(token)

    async def _apply(
        self,
        record: ConsumerRecord[bytes, bytes],
        envelope: CloudEvent,
        event: BaseModel,
        handler: AnyHandler,
    ) -> str:
        async with self.db.uow(actor=self.actor) as uow:
            first_time = (
                await uow.session.execute(
                    insert(inbox)
                    .values(
                        event_id=envelope.id,
                        topic=self.namespace.logical(record.topic) or record.topic,
                        event_type=envelope.type,
                        partition=record.partition,
                        offset=record.offset,
                    )
                    .on_conflict_do_nothing(index_elements=[inbox.c.event_id])
                    .returning(inbox.c.event_id)
                )
            ).first()
            if first_time is None:
                return "duplicate"
            await _call(handler, uow, [Delivered(event, envelope)])
            faultpoints.reached(faultpoints.HANDLER_UNCOMMITTED, topic=record.topic)
        return "handled"

    async def _dead_letter(
        self,
        dlq: AIOKafkaProducer,
        record: ConsumerRecord[bytes, bytes],
        error: Exception,
        *,
        attempts: int,
    ) -> None:
        log.error(
            "dead-lettering %s[%d]@%d: %s", record.topic, record.partition, record.offset, error
        )
        headers = [
            ("x-original-topic", record.topic.encode()),
            ("x-original-partition", str(record.partition).encode()),
            ("x-original-offset", str(record.offset).encode()),
            ("x-consumer-group", self.group_id.encode()),
            ("x-attempts", str(attempts).encode()),
            ("x-error-type", type(error).__name__.encode()),
            ("x-error", str(error)[:2000].encode()),
        ]
        await dlq.send_and_wait(
            dlq_topic(record.topic), value=record.value, key=record.key, headers=headers
        )
