"""Dead letters: what a service's inbox could not handle, on the `.dlq` twin of each topic it
consumes (`InboxConsumer._dead_letter`), read back to be listed, counted and re-driven.

A service reads its dead letters in a consumer group of their own, `<service>.dlq-replay`
(in the deployment's namespace), whose committed offsets mark what was re-driven: the depth
gauge `xietong_dlq_messages` counts what lies after them, `xietong dlq list` shows it, and
`xietong dlq replay TOPIC` hands each letter of this service (its `x-consumer-group` header)
back to the inbox, exactly as the consumer would have handled it at first (the same checks,
the inbox's deduplication, dead-lettered again if it still fails), then commits past them.
A letter refused as a forged source (`ForgedSource`) is re-driven only when forced.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from xietong_common.cancellation import raise_if_cancelled
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.kafka import partitions_of
from xietong_common.events.namespace import Namespace
from xietong_common.events.registry import dlq_topic
from xietong_common.messaging.inbox import ForgedSource, InboxConsumer
from xietong_common.metrics import DLQ_MESSAGES

log = logging.getLogger(__name__)

FORGED = ForgedSource.__name__


def replay_group(service: str) -> str:
    """The consumer group a service reads its dead letters in (before the namespace)."""
    return f"{service}.dlq-replay"


@dataclass(frozen=True)
class DeadLetter:
    """One record of a `.dlq` topic, with what the inbox wrote about it in its headers."""

    record: ConsumerRecord[bytes, bytes]
    topic: str  # the consumed topic's contract name (`review.opinion`)
    headers: Mapping[str, str]

    @property
    def consumer_group(self) -> str:
        return self.headers.get("x-consumer-group", "")

    @property
    def error_type(self) -> str:
        return self.headers.get("x-error-type", "")

    @property
    def error(self) -> str:
        return self.headers.get("x-error", "")

    @property
    def attempts(self) -> int:
        try:
            return int(self.headers.get("x-attempts", "0"))
        except ValueError:
            return 0

    @property
    def forged(self) -> bool:
        return self.error_type == FORGED

    def event(self) -> CloudEvent | None:
        """The CloudEvent it carries, if it is one."""
        if self.record.value is None:
            return None
        try:
            return CloudEvent.from_kafka(self.record.value, self.record.headers or ())
        except Exception:
            return None

    def as_consumed(self) -> ConsumerRecord[bytes, bytes]:
        """The record as the inbox first read it: its original topic, partition and offset."""
        original = self.headers.get("x-original-topic", self.record.topic.removesuffix(".dlq"))
        return dataclasses.replace(
            self.record,
            topic=original,
            partition=int(self.headers.get("x-original-partition", self.record.partition)),
            offset=int(self.headers.get("x-original-offset", self.record.offset)),
        )


@dataclass
class Letters:
    """What was read: every record after the group's offsets (or all), and where each
    partition ended when reading began."""

    letters: list[DeadLetter] = field(default_factory=list)
    ends: dict[TopicPartition, int] = field(default_factory=dict)

    def of(self, group: str) -> list[DeadLetter]:
        return [letter for letter in self.letters if letter.consumer_group == group]


class DeadLetterReader:
    """A consumer in the service's replay group, assigned the `.dlq` partitions of `topics`
    (the contracts' names of the topics the service consumes)."""

    def __init__(
        self,
        bootstrap: str,
        *,
        service: str,
        topics: Iterable[str],
        namespace: Namespace,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.service = service
        self.namespace = namespace
        self.topics = sorted(set(topics))
        self.group = namespace.group(replay_group(service))
        self.consumer_group = namespace.group(service)  # whose letters are this service's
        self._bootstrap = bootstrap
        self._options = dict(options or {})
        self._consumer = AIOKafkaConsumer(
            **dict(options or {}),
            bootstrap_servers=bootstrap,
            group_id=self.group,
            client_id=f"{self.group}-reader",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            request_timeout_ms=15_000,
        )
        self._partitions: dict[TopicPartition, str] = {}

    async def __aenter__(self) -> DeadLetterReader:
        await self._consumer.start()
        try:
            await self._assign()
        except BaseException:
            await self._consumer.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def _assign(self) -> None:
        physical = {self.namespace.topic(dlq_topic(t)): t for t in self.topics}
        admin = AIOKafkaAdminClient(
            **self._options, bootstrap_servers=self._bootstrap, request_timeout_ms=15_000
        )
        await admin.start()
        try:
            # Those not there yet are made with the service's topics: none to count.
            existing = await partitions_of(admin, physical)
        finally:
            await admin.close()
        for name, partitions in existing.items():
            for partition in partitions:
                self._partitions[TopicPartition(name, partition)] = physical[name]
        self._consumer.assign(sorted(self._partitions))

    async def _starts(self, *, from_start: bool) -> dict[TopicPartition, int]:
        if not self._partitions:
            return {}
        beginnings = await self._consumer.beginning_offsets(list(self._partitions))
        starts = {}
        for tp, beginning in beginnings.items():
            committed = None if from_start else await self._consumer.committed(tp)
            starts[tp] = max(committed or 0, beginning)
        return starts

    async def depth(self) -> dict[str, int]:
        """Per consumed topic: the letters after the replay group's offsets (any service's)."""
        depth = dict.fromkeys(self.topics, 0)
        if not self._partitions:
            return depth
        starts = await self._starts(from_start=False)
        ends = await self._consumer.end_offsets(list(self._partitions))
        for tp, end in ends.items():
            depth[self._partitions[tp]] += max(end - starts[tp], 0)
        return depth

    async def read(self, *, from_start: bool = False, timeout_s: float = 60.0) -> Letters:
        """The letters after the group's offsets (all of them with `from_start`), up to the
        end each partition had when reading began."""
        found = Letters()
        if not self._partitions:
            return found
        starts = await self._starts(from_start=from_start)
        found.ends = dict(await self._consumer.end_offsets(list(self._partitions)))
        pending = {tp for tp, end in found.ends.items() if starts[tp] < end}
        for tp, start in starts.items():
            self._consumer.seek(tp, start)
        async with asyncio.timeout(timeout_s):
            while pending:
                batches = await self._consumer.getmany(*pending, timeout_ms=1000)
                for tp, records in batches.items():
                    for record in records:
                        if record.offset < found.ends[tp]:
                            found.letters.append(self._letter(tp, record))
                for tp in list(pending):
                    if await self._consumer.position(tp) >= found.ends[tp]:
                        pending.discard(tp)
        return found

    def _letter(self, tp: TopicPartition, record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
        headers = {k: v.decode("utf-8", "replace") for k, v in record.headers or ()}
        return DeadLetter(record=record, topic=self._partitions[tp], headers=headers)

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Mark everything before these offsets re-driven (or seen and let be)."""
        if offsets:
            await self._consumer.commit(dict(offsets))


@dataclass
class ReplayResult:
    outcomes: Counter[str] = field(default_factory=Counter)
    skipped_forged: list[DeadLetter] = field(default_factory=list)


async def replay(
    letters: Sequence[DeadLetter],
    inbox: InboxConsumer,
    dlq: AIOKafkaProducer,
    *,
    force: bool = False,
) -> ReplayResult:
    """Hand each letter back to the inbox, in each partition's order: handled, duplicate (it
    was handled meanwhile), refused or dead-lettered again. Forged-source letters are skipped
    unless `force`."""
    result = ReplayResult()
    for letter in sorted(
        letters, key=lambda d: (d.record.topic, d.record.partition, d.record.offset)
    ):
        if letter.forged and not force:
            result.skipped_forged.append(letter)
            continue
        outcome = await inbox.process(letter.as_consumed(), dlq)
        result.outcomes[outcome] += 1
    return result


async def observe_dead_letters(
    bootstrap: str,
    *,
    service: str,
    topics: Sequence[str],
    namespace: Namespace,
    options: Mapping[str, Any] | None,
    every_s: float,
) -> None:
    """Set `xietong_dlq_messages` for each consumed topic every `every_s` seconds, for good
    (a broker that is away leaves the gauge at its last value)."""
    if not topics:
        return
    while True:
        try:
            async with DeadLetterReader(
                bootstrap, service=service, topics=topics, namespace=namespace, options=options
            ) as reader:
                while True:
                    raise_if_cancelled()  # a cancellation the Kafka client swallowed (3.11)
                    for topic, count in (await reader.depth()).items():
                        DLQ_MESSAGES.labels(service, topic).set(count)
                    await asyncio.sleep(every_s)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.info("dead letters not counted: %s", exc)
            await asyncio.sleep(every_s)
