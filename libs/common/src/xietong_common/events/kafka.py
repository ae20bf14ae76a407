"""Kafka clients and topic administration. `options` are the client's security settings
(`kafka_security.client_options`), passed to every client a service creates."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from xietong_common.events.namespace import Namespace
from xietong_common.events.registry import dlq_topic, registry

log = logging.getLogger(__name__)


def idempotent_producer(
    bootstrap: str, *, client_id: str, options: Mapping[str, Any] | None = None
) -> AIOKafkaProducer:
    """acks=all with idempotence: a retried send never duplicates or reorders within a partition."""
    return AIOKafkaProducer(
        **(options or {}),
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        # No lingering: the relay queues a pass's rows at once, and they leave in batches
        # without waiting; a linger would only delay every event by as much.
        linger_ms=0,
        request_timeout_ms=10_000,
    )


async def ensure_topics(
    bootstrap: str,
    topics: Iterable[str],
    *,
    partitions: int = 3,
    replication_factor: int = 1,
    with_dlq: bool = True,
    options: Mapping[str, Any] | None = None,
    namespace: Namespace,
) -> None:
    """Create the topics (and their `.dlq` twins) that do not exist yet, in `namespace`."""
    wanted: dict[str, str] = {}  # on the broker -> the contract's name
    for topic in topics:
        wanted[namespace.topic(topic)] = topic
        if with_dlq:
            wanted[namespace.topic(dlq_topic(topic))] = dlq_topic(topic)
    admin = AIOKafkaAdminClient(
        **(options or {}), bootstrap_servers=bootstrap, request_timeout_ms=10_000
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = sorted(set(wanted) - existing)
        if not missing:
            return
        new = [
            NewTopic(
                t,
                1 if t.endswith(".dlq") else partitions,
                replication_factor,
                topic_configs=registry.topic_configs(wanted[t]),
            )
            for t in missing
        ]
        # Another replica may have created them first.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(new)
        log.info("created topics", extra={"topics": missing})
    finally:
        await admin.close()


async def kafka_ping(bootstrap: str, options: Mapping[str, Any] | None = None) -> None:
    admin = AIOKafkaAdminClient(
        **(options or {}), bootstrap_servers=bootstrap, request_timeout_ms=3_000
    )
    await admin.start()
    try:
        await admin.list_topics()
    finally:
        await admin.close()
