"""`xietong oversight rebuild` (SUP-02, history): the ledger replayed from the broker.

The accountability topics keep their events at least `XIETONG_ACCOUNTABILITY_RETENTION_DAYS`
(400 by default), so the ledger can be rebuilt from them: into an **empty** database (a
lost one recreated, or a second one to compare with the live ledger), a fresh consumer
group (`oversight-rebuild-<time>-<random>`) reads every topic the service consumes from
its earliest event up to the end it had when the rebuild began, through the service's own
inbox and handlers — the same trust checks (a forged fact is dead-lettered again, under the
rebuild's group), the same keys (each fact once), the same ledger and its day counts (the
assessment's pre-aggregate, kept by the same use cases). The live service and
its consumer group are not touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from pydantic import BaseModel

from oversight.errors import LedgerNotEmpty
from oversight.models import (
    LedgerDeadline,
    LedgerDeadlineDay,
    LedgerDeadlineMonth,
    LedgerFact,
    LedgerFactDay,
)
from xietong_common.context import ServiceContext
from xietong_common.events.registry import registry
from xietong_common.messaging import Handlers, bind
from xietong_common.messaging.inbox import InboxConsumer
from xietong_common.services import rebuild_group_prefix
from xietong_common.tables import inbox

log = logging.getLogger(__name__)


def new_group(now: datetime) -> str:
    """A consumer group of its own for each rebuild (`oversight-rebuild-…`)."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{rebuild_group_prefix('oversight')}{stamp}-{secrets.token_hex(3)}"


@dataclass
class RebuildReport:
    group: str
    partitions: int = 0
    events: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    facts: int = 0
    deadlines: int = 0


class _Replay(InboxConsumer):
    """The service's inbox consumer, told when it has committed up to `ends` everywhere."""

    def __init__(self, *args: object, ends: Mapping[TopicPartition, int], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.remaining = {tp: end for tp, end in ends.items() if end > 0}
        self.done = asyncio.Event()
        self.outcomes: Counter[str] = Counter()
        if not self.remaining:
            self.done.set()

    async def commit(
        self, consumer: AIOKafkaConsumer, offsets: Mapping[TopicPartition, int]
    ) -> None:
        await super().commit(consumer, offsets)
        for tp, offset in offsets.items():
            if tp in self.remaining and offset >= self.remaining[tp]:
                del self.remaining[tp]
        if not self.remaining:
            self.done.set()

    async def process_batch(
        self, records: list[ConsumerRecord[bytes, bytes]], dlq: AIOKafkaProducer
    ) -> list[str]:
        outcomes = await super().process_batch(records, dlq)
        self.outcomes.update(outcomes)
        return outcomes


async def _count(ctx: ServiceContext, table: sa.FromClause) -> int:
    async with ctx.db.session() as session:
        return int(
            (await session.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()
        )


async def _ends(ctx: ServiceContext, topics: list[str]) -> dict[TopicPartition, int]:
    """Where each partition of `topics` ends now, beyond what the log has already deleted."""
    bootstrap = ctx.settings.kafka_bootstrap_servers
    probe = AIOKafkaConsumer(**ctx.kafka, bootstrap_servers=bootstrap, group_id=None)
    meta = AIOKafkaProducer(**ctx.kafka, bootstrap_servers=bootstrap)
    await probe.start()
    await meta.start()
    try:
        existing = await probe.topics()
        partitions = [
            TopicPartition(name, p)
            for name in (ctx.namespace.topic(t) for t in topics)
            if name in existing
            for p in sorted(await meta.partitions_for(name))
        ]
        if not partitions:
            return {}
        starts = await probe.beginning_offsets(partitions)
        ends = await probe.end_offsets(partitions)
    finally:
        await meta.stop()
        await probe.stop()
    return {tp: ends[tp] if ends[tp] > starts[tp] else 0 for tp in partitions}


async def rebuild_ledger(
    ctx: ServiceContext, handlers: Handlers, *, group: str, progress_s: float = 10.0
) -> RebuildReport:
    """Replay the topics of `handlers` from their beginning into the (empty) ledger of
    `ctx`'s database; returns what was read and what the ledger now holds."""
    held: dict[str, sa.FromClause] = {
        "ledger facts": LedgerFact.__table__,
        "ledger deadlines": LedgerDeadline.__table__,
        "day counts": LedgerDeadlineDay.__table__,
        "month counts": LedgerDeadlineMonth.__table__,
        "fact day counts": LedgerFactDay.__table__,
        "inbox rows": inbox,
    }
    for what, table in held.items():
        if await _count(ctx, table):
            raise LedgerNotEmpty(
                f"the database already holds {what}: rebuild into an empty one",
                zh="目标数据库的督察台账不为空，请重建到空数据库",
            )
    topics = sorted({registry.spec_for(model).topic for model in handlers})
    ends = await _ends(ctx, topics)
    report = RebuildReport(group=group, partitions=len(ends), events=sum(ends.values()))
    settings = ctx.settings
    models: Mapping[type[BaseModel], object] = bind(handlers, ctx)
    replay = _Replay(
        ctx.db,
        bootstrap=settings.kafka_bootstrap_servers,
        handlers=models,
        group_id=group,
        max_attempts=settings.inbox_max_attempts,
        batch_size=settings.inbox_batch_size,
        backoff_initial_s=settings.inbox_backoff_initial_s,
        backoff_max_s=settings.inbox_backoff_max_s,
        kafka_options=ctx.kafka,
        namespace=ctx.namespace,
        ends=ends,
    )
    running = asyncio.create_task(replay.run(), name="oversight-rebuild")
    try:
        while not replay.done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(replay.done.wait()), progress_s)
            if running.done():
                running.result()  # its failure, if any
            log.info(
                "rebuild %s: %d of %d events read",
                group,
                sum(replay.outcomes.values()),
                report.events,
            )
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    report.outcomes = replay.outcomes
    report.facts = await _count(ctx, LedgerFact.__table__)
    report.deadlines = await _count(ctx, LedgerDeadline.__table__)
    return report
