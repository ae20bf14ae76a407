"""A service's messaging: its topics, the outbox relay (`outbox`) and the inbox consumer
(`inbox`), started together."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

from xietong_common.cancellation import raise_if_cancelled
from xietong_common.context import ServiceContext
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.kafka import ensure_topics
from xietong_common.events.registry import DAY_MS, registry
from xietong_common.messaging.dead_letters import observe_dead_letters
from xietong_common.messaging.inbox import AnyHandler, BatchHandler, Delivered, InboxConsumer
from xietong_common.messaging.outbox import OutboxRelay
from xietong_common.metrics import TOPIC_RETENTION_SHORT
from xietong_common.uow import UnitOfWork

log = logging.getLogger(__name__)


class EventHandler(Protocol):
    """A handler of a consumed event (`handlers.py`): it gets the service's context like a
    job does, translates the event and calls the same use case the REST API calls."""

    def __call__(
        self, uow: UnitOfWork, event: Any, envelope: CloudEvent, *, ctx: ServiceContext
    ) -> Awaitable[None]: ...


class BatchEventHandler(Protocol):
    """A handler of consumed events that takes several at once (`batched`): the consecutive
    new events of its type in an inbox batch, in their partition's order, to apply in that
    order in a few statements (the inbox's `BatchHandler`)."""

    def __call__(
        self, uow: UnitOfWork, events: Sequence[Delivered], *, ctx: ServiceContext
    ) -> Awaitable[None]: ...


@dataclass(frozen=True)
class Batched:
    """A `BatchEventHandler` in a service's handlers (`batched(on_...)`)."""

    handle: BatchEventHandler


def batched(handler: BatchEventHandler) -> Batched:
    """Opt a handler in to the inbox's batches: it is called once with the consecutive new
    events of its type in a batch (and with a list of one when they go one at a time)."""
    return Batched(handler)


Handlers = Mapping[type[BaseModel], EventHandler | Batched]


def service_topics(service: str, handlers: Handlers) -> list[str]:
    """The topics a service produces (the registry's producers) and consumes (its handlers)."""
    topics = {s.topic for s in registry.all() if service in s.producers}
    topics |= {registry.spec_for(model).topic for model in handlers}
    return sorted(topics)


def bind(handlers: Handlers, ctx: ServiceContext) -> dict[type[BaseModel], AnyHandler]:
    """The handlers with the running service's context given to each."""
    bound: dict[type[BaseModel], AnyHandler] = {}
    for model, handler in handlers.items():
        if isinstance(handler, Batched):
            bound[model] = BatchHandler(functools.partial(handler.handle, ctx=ctx))
        else:
            bound[model] = functools.partial(handler, ctx=ctx)
    return bound


async def run_messaging(ctx: ServiceContext, *, service: str, handlers: Handlers) -> None:
    """Topics first (retrying while Kafka is away), then the relay and the consumer."""
    settings = ctx.settings
    topics = service_topics(service, handlers)
    relay = (
        OutboxRelay(
            ctx.db,
            bootstrap=settings.kafka_bootstrap_servers,
            batch_size=settings.outbox_batch_size,
            poll_interval_s=settings.outbox_poll_interval_s,
            linger_s=settings.outbox_linger_ms / 1000,
            linger_max_s=settings.outbox_linger_max_ms / 1000,
            kafka_options=ctx.kafka,
            namespace=ctx.namespace,
        )
        if settings.run_relay
        else None
    )
    delay = 1.0
    days = settings.accountability_retention_days
    while topics:
        raise_if_cancelled()  # a cancellation the Kafka admin client swallowed (3.11)
        try:
            kept = await ensure_topics(
                settings.kafka_bootstrap_servers,
                topics,
                partitions=settings.kafka_topic_partitions,
                replication_factor=settings.kafka_replication_factor,
                options=ctx.kafka,
                namespace=ctx.namespace,
                accountability_ms=-1 if days == -1 else days * DAY_MS,
            )
            for topic, long_enough in kept.items():
                TOPIC_RETENTION_SHORT.labels(settings.service_name, topic).set(
                    0 if long_enough else 1
                )
            break
        except Exception as exc:
            log.warning("Kafka not reachable yet (%s); writes still succeed, events wait", exc)
            if relay is not None:
                # What waits, and for how long, is on /metrics from the start of an outage
                # the service started in, not only from the relay's first pass after it.
                with contextlib.suppress(Exception):
                    await relay.observe_backlog()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
    runners: list[Awaitable[None]] = []
    if relay is not None:
        runners.append(relay.run())
    if settings.run_consumer and handlers:
        runners.append(
            InboxConsumer(
                ctx.db,
                bootstrap=settings.kafka_bootstrap_servers,
                handlers=bind(handlers, ctx),
                max_attempts=settings.inbox_max_attempts,
                batch_size=settings.inbox_batch_size,
                backoff_initial_s=settings.inbox_backoff_initial_s,
                backoff_max_s=settings.inbox_backoff_max_s,
                kafka_options=ctx.kafka,
                namespace=ctx.namespace,
            ).run()
        )
        runners.append(
            observe_dead_letters(
                settings.kafka_bootstrap_servers,
                service=ctx.db.service_name,
                topics=sorted({registry.spec_for(model).topic for model in handlers}),
                namespace=ctx.namespace,
                options=ctx.kafka,
                every_s=settings.dlq_observe_every_s,
            )
        )
    # A service stopped while its topics were being made: the Kafka client may have swallowed
    # the cancellation (3.11's wait_for), and a gather started now would never be cancelled —
    # its relay and consumer ran on, and the service's shutdown waited 15 s for them.
    raise_if_cancelled()
    await asyncio.gather(*runners)
