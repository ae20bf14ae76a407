"""SUP-01/SUP-02 (issue 19, "History"): accountability topics keep their events at least 400
days (XIETONG_ACCOUNTABILITY_RETENTION_DAYS), applied by `ensure_topics` when a service
starts — to topics it creates and to existing ones whose retention is shorter, never
shortening one, keeping their other settings — on the real broker, in the session's
namespace."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from xietong_common.contracts.base import IntegrationEvent, event
from xietong_common.events.kafka import ensure_topics, lengthen_retention, topic_configs
from xietong_common.events.registry import ACCOUNTABILITY_RETENTION_MS, DAY_MS, registry
from xietong_devtools.testing import TEST_NAMESPACE, physical_topic

pytestmark = pytest.mark.integration

_RUN = uuid.uuid4().hex[:6]
FACTS, EVIDENCE, PLAIN = (
    f"test.{_RUN}.accountability-fact",
    f"test.{_RUN}.evidence",
    f"test.{_RUN}.plain",
)


@event(FACTS, producers=("test",), accountability=True)
class AccountabilityFact(IntegrationEvent):
    """Test only: a fact oversight holds a unit to account with."""

    n: int


@event(f"{FACTS}.existing", producers=("test",), accountability=True)
class EarlierFact(IntegrationEvent):
    """Test only: an accountability fact whose topic an older release created."""

    n: int


@event(EVIDENCE, producers=("test",), retained=True)
class Evidence(IntegrationEvent):
    """Test only: evidence, never deleted."""

    n: int


@event(PLAIN, producers=("test",))
class Plain(IntegrationEvent):
    """Test only: an event the broker's default retention is enough for."""

    n: int


@pytest.fixture
async def admin(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap, request_timeout_ms=30_000)
    await client.start()
    yield client
    await client.close()


async def retention(admin: AIOKafkaAdminClient, topic: str) -> dict[str, str]:
    configs = await topic_configs(admin, physical_topic(topic))
    return {k: v for k, (v, _) in configs.items() if k in RELEVANT}


RELEVANT = ("retention.ms", "retention.bytes", "max.message.bytes", "cleanup.policy")


async def create(admin: AIOKafkaAdminClient, topic: str, configs: dict[str, str]) -> None:
    await admin.create_topics([NewTopic(physical_topic(topic), 1, 1, topic_configs=configs)])


def test_sup_02_the_registry_names_the_accountability_topics() -> None:
    """The topics oversight's ledger is built from, as docs/events.md lists them."""
    accountable = set(registry.accountability_topics())
    assert {
        "deadline.lifecycle",
        "deadline.breached",
        "assistance.refused",
        "assistance.obstruction-flagged",
        "case.onward-referral-suspected",
        "case.escalated",
        "case.assigned",
        "info.unread-overdue",
        "inspection.serious-reported",
        "secondment.guidance-recorded",
    } <= accountable
    assert "deadline.approaching" not in accountable  # a reminder is no accountability fact
    assert ACCOUNTABILITY_RETENTION_MS == 400 * DAY_MS


async def test_sup_02_a_new_accountability_topic_keeps_its_events_400_days(
    kafka_bootstrap: str, admin: AIOKafkaAdminClient
) -> None:
    kept = await ensure_topics(kafka_bootstrap, [FACTS, EVIDENCE, PLAIN], namespace=TEST_NAMESPACE)
    assert kept == {FACTS: True, EVIDENCE: True}
    await settled(admin, FACTS, retention_ms=str(400 * DAY_MS), retention_bytes="-1")
    await settled(admin, EVIDENCE, retention_ms="-1", retention_bytes="-1")
    assert (await retention(admin, f"{FACTS}.dlq"))["retention.ms"] != str(400 * DAY_MS)


async def settled(admin: AIOKafkaAdminClient, topic: str, **expected: str) -> dict[str, str]:
    """The topic's configuration once the broker shows `expected` (a change made through one
    broker reaches the others' view of the metadata a moment later, longer on a busy box)."""
    want = {k.replace("_", "."): v for k, v in expected.items()}
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        found = await retention(admin, topic)
        if all(found.get(k) == v for k, v in want.items()):
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{topic}: {found}, expected {want}")
        await asyncio.sleep(0.2)


async def test_sup_02_an_existing_shorter_topic_is_lengthened_keeping_its_other_settings(
    kafka_bootstrap: str, admin: AIOKafkaAdminClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A topic created before (by an older release, or by hand with the broker's 7 days and
    a size limit) is lengthened when a service starts; what else was set on it stays."""
    topic = EarlierFact.spec.topic
    await create(
        admin,
        topic,
        {
            "retention.ms": str(7 * DAY_MS),
            "retention.bytes": "1048576",
            "max.message.bytes": "2000000",
        },
    )
    await settled(admin, topic, retention_ms=str(7 * DAY_MS))
    assert await ensure_topics(kafka_bootstrap, [topic], namespace=TEST_NAMESPACE) == {topic: True}
    after = await settled(admin, topic, retention_ms=str(400 * DAY_MS))
    assert after == {
        "retention.ms": str(400 * DAY_MS),
        "retention.bytes": "-1",
        "max.message.bytes": "2000000",
        "cleanup.policy": "delete",
    }
    # The setting may keep them longer (here 2 years), or for ever (-1) ...
    assert await ensure_topics(
        kafka_bootstrap, [topic], namespace=TEST_NAMESPACE, accountability_ms=730 * DAY_MS
    ) == {topic: True}
    await settled(admin, topic, retention_ms=str(730 * DAY_MS))
    # ... but a service never shortens a topic: back to 400 days, nothing is changed.
    caplog.clear()
    assert await ensure_topics(kafka_bootstrap, [topic], namespace=TEST_NAMESPACE) == {topic: True}
    assert "topic retention lengthened" not in caplog.text
    assert (await retention(admin, topic))["retention.ms"] == str(730 * DAY_MS)
    await ensure_topics(kafka_bootstrap, [topic], namespace=TEST_NAMESPACE, accountability_ms=-1)
    await settled(admin, topic, retention_ms="-1")
    caplog.clear()
    assert await ensure_topics(kafka_bootstrap, [topic], namespace=TEST_NAMESPACE) == {topic: True}
    assert "topic retention lengthened" not in caplog.text


class RefusingAdmin:
    """A broker that refuses to describe configurations (no DescribeConfigs ACL)."""

    async def describe_configs(self, resources: Any) -> Any:
        raise PermissionError("TOPIC_AUTHORIZATION_FAILED")


async def test_sup_02_a_topic_whose_retention_cannot_be_set_is_reported_not_fatal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = await lengthen_retention(
        RefusingAdmin(),  # type: ignore[arg-type]
        {"x.deadline.lifecycle": 400 * DAY_MS, "x.audit.checkpoint": -1},
    )
    assert result == {"x.deadline.lifecycle": False, "x.audit.checkpoint": False}
    assert "must keep its events 400 days" in caplog.text
    assert "for ever" in caplog.text
