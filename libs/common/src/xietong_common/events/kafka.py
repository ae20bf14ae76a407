"""Kafka clients and topic administration. `options` are the client's security settings
(`kafka_security.client_options`), passed to every client a service creates."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.protocol.metadata import MetadataRequest

from xietong_common.events.namespace import Namespace
from xietong_common.events.registry import ACCOUNTABILITY_RETENTION_MS, dlq_topic, registry

log = logging.getLogger(__name__)


# Error codes of a topic's metadata that mean it is not there for this client: unknown, not
# for this principal to see (a listing would leave it out), not a valid name.
_ABSENT = {
    3,
    17,
    29,
}  # UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION, TOPIC_AUTHORIZATION_FAILED


async def partitions_of(admin: AIOKafkaAdminClient, topics: Iterable[str]) -> dict[str, list[int]]:
    """The partitions of each of `topics` that exists, asked of the broker by name: the
    metadata of these topics alone. `list_topics` asks for every topic of the cluster, which a
    shared cluster (or a test broker) may hold thousands of, each decoded in Python: 47 ms of
    CPU with 2,500 topics, at every service start and every dead-letter count (a quarter of
    the test workers' CPU). Never creates one: the request says so, where a broker with
    `auto.create.topics.enable` would create a topic a v4+ request merely asked about."""
    wanted = sorted(set(topics))
    if not wanted:
        return {}
    request = MetadataRequest(wanted, allow_auto_topic_creation=False)
    response = await admin._send_request(request)  # describe_topics allows the creation
    return {
        topic["topic"]: sorted(p["partition"] for p in topic["partitions"])
        for topic in response.to_object()["topics"]
        if topic["error_code"] not in _ABSENT
    }


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
    accountability_ms: int = ACCOUNTABILITY_RETENTION_MS,
) -> dict[str, bool]:
    """Create the topics (and their `.dlq` twins) that do not exist yet, in `namespace`, and
    make those whose events must be kept (accountability topics: `accountability_ms`, -1 for
    ever; retained topics: for ever) keep them at least that long, existing ones included:
    their retention is lengthened where it is shorter, never shortened. Returns, for each of
    those topics (the contract's name), whether it now keeps its events long enough."""
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
        existing = set(await partitions_of(admin, wanted))
        missing = sorted(set(wanted) - existing)
        created: set[str] = set()  # by this call, with the registry's configuration
        if missing:
            new = [
                NewTopic(
                    t,
                    1 if t.endswith(".dlq") else partitions,
                    replication_factor,
                    topic_configs=registry.topic_configs(
                        wanted[t], accountability_ms=accountability_ms
                    ),
                )
                for t in missing
            ]
            # Another replica (or an older release) may have created some first: those are
            # checked below like the ones that existed.
            with contextlib.suppress(TopicAlreadyExistsError):
                response = await admin.create_topics(new)
                created = {t[0] for t in response.topic_errors if t[1] == 0}
            log.info("created topics", extra={"topics": sorted(created)})
        needs = {
            physical: need
            for physical, logical in wanted.items()
            if (need := registry.retention_ms(logical, accountability_ms=accountability_ms))
            is not None
        }
        checked = await lengthen_retention(
            admin, {t: need for t, need in needs.items() if t not in created}
        )
        return {wanted[t]: t in created or checked[t] for t in needs}
    finally:
        await admin.close()


def _enough(current: int, need: int) -> bool:
    """A retention of `current` ms keeps events at least `need` ms (-1: for ever)."""
    return current == -1 or (need != -1 and current >= need)


_UNKNOWN_TOPIC = 3  # UNKNOWN_TOPIC_OR_PARTITION: created a moment ago, not yet in the metadata


async def topic_configs(
    admin: AIOKafkaAdminClient, topic: str, *, attempts: int = 10
) -> dict[str, tuple[str, int]]:
    """A topic's configuration as the broker states it: name -> (value, source), where source
    1 is a value set on the topic (DYNAMIC_TOPIC_CONFIG), others the broker's defaults. A
    topic just created (by another replica) is waited for, a little."""
    for attempt in range(attempts):
        (response,) = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic)]
        )
        (error_code, error_message, _, _, entries) = response.resources[0]
        if error_code != _UNKNOWN_TOPIC or attempt == attempts - 1:
            break
        await asyncio.sleep(0.5)
    if error_code:
        raise PermissionError(f"describe {topic}: error {error_code} {error_message or ''}")
    # DescribeConfigs v1+: (name, value, read_only, source, sensitive, synonyms); v0 had a
    # default flag where the source is (True: the broker's default).
    if response.API_VERSION >= 1:
        return {e[0]: (e[1], int(e[3])) for e in entries if not e[4]}
    return {e[0]: (e[1], 5 if e[3] else 1) for e in entries if not e[4]}


_TOPIC_SOURCE = 1  # DYNAMIC_TOPIC_CONFIG: set on the topic itself


async def lengthen_retention(
    admin: AIOKafkaAdminClient, needs: Mapping[str, int]
) -> dict[str, bool]:
    """Give each topic (a name on the broker) at least the retention it needs (ms, -1: for
    ever) and no size limit, leaving its other settings as they are; a topic already keeping
    its events long enough is left alone (never shortened). Returns whether each topic now
    keeps them long enough; one that could not be read or changed (an ACL, the broker) is
    logged as an error and answered False, and the rest go on."""
    result: dict[str, bool] = {}
    for topic, need in sorted(needs.items()):
        try:
            configs = await topic_configs(admin, topic)
            current = int(configs.get("retention.ms", ("604800000", 5))[0])
            size = int(configs.get("retention.bytes", ("-1", 5))[0])
            if _enough(current, need) and size == -1:
                result[topic] = True
                continue
            # AlterConfigs replaces every setting of the topic: send back those set on it.
            kept = {k: v for k, (v, source) in configs.items() if source == _TOPIC_SOURCE}
            retention = current if _enough(current, need) else need
            kept |= {"retention.ms": str(retention), "retention.bytes": "-1"}
            (response,) = await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topic, configs=kept)]
            )
            error_code, error_message = response.resources[0][0], response.resources[0][1]
            if error_code:
                raise PermissionError(f"alter {topic}: error {error_code} {error_message or ''}")
            log.info(
                "topic retention lengthened",
                extra={"topic": topic, "retention_ms": retention, "was_ms": current},
            )
            result[topic] = True
        except Exception as exc:
            log.error(
                "topic %s must keep its events %s but could not be checked or changed (%s): "
                "an operator sets it (docs/deploy.md, 'Retention')",
                topic,
                "for ever" if need == -1 else f"{need // 86_400_000} days",
                exc,
            )
            result[topic] = False
    return result


async def kafka_ping(bootstrap: str, options: Mapping[str, Any] | None = None) -> None:
    admin = AIOKafkaAdminClient(
        **(options or {}), bootstrap_servers=bootstrap, request_timeout_ms=3_000
    )
    await admin.start()
    try:
        # The cluster's brokers, no topic's metadata (an empty list, v1+): an answer is the ping.
        await admin._send_request(MetadataRequest([]))
    finally:
        await admin.close()
