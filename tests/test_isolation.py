"""Issue 27: `make run` and `make test` on one broker never see each other.

The developer's `make run` is played by services in a namespace and deployment of their own
(`RUN`, the settings `make run` would have, but deleted with the session's topics so a
developer's real topics are never touched); the suite is the session's own namespace. The
order is the README's, both ways round: the running system, then the suite, then the running
system again — no dead letter, no foreign draft, and `xietong audit verify` intact on each.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from referral.main import SPEC as REFERRAL
from secondment.main import SPEC as SECONDMENT
from xietong_common.auth import Principal
from xietong_common.contracts.review import (
    CaseParty,
    CaseSummary,
    ReviewOpinionGiven,
    ReviewOpinionKind,
)
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.kafka import ensure_topics
from xietong_common.events.namespace import Namespace
from xietong_common.events.registry import dlq_topic
from xietong_common.tables import audit_checkpoints
from xietong_devtools.testing import (
    TEST_NAMESPACE,
    RunningService,
    Servers,
    create_database,
    running_service,
)

pytestmark = pytest.mark.integration

RUN = Namespace(TEST_NAMESPACE.prefix + "run.")
"""`make run`'s stand-in: its own namespace on the broker, its deployment `default`."""
RUN_SETTINGS: dict[str, Any] = {"kafka_namespace": RUN.prefix, "deployment_id": "default"}
SUITE = Namespace(TEST_NAMESPACE.prefix + "suite.")
"""The suite's stand-in, as every session has one (so this test's checkpoints of the
secondment service never meet the session's other tests)."""
SUITE_SETTINGS: dict[str, Any] = {"kafka_namespace": SUITE.prefix, "deployment_id": "suite"}
CONSUMED = "review.opinion"  # what the referral service consumes


def opinion(review_id: uuid.UUID) -> ReviewOpinionGiven:
    """A review opinion (4) as legal review publishes it: it drafts a referral wherever a
    referral service reads it."""
    return ReviewOpinionGiven(
        review_id=review_id,
        round=1,
        submitting_org="town:lizhi",
        reviewing_org="town:lizhi",
        opinion=ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY,
        reasons="不属本机关执法权限",
        transfer_to="dept:ecology-environment",
        case=CaseSummary(
            matter_code="ENV-001",
            place_town="town:lizhi",
            found_at=datetime.now(UTC),
            facts="违法排放污水",
            party=CaseParty(name="张三", kind="citizen"),
        ),
        reviewer="town:lizhi/reviewer",
        issued_at=datetime.now(UTC),
    )


async def produce(bootstrap: str, namespace: Namespace, event: Any, *, source: str) -> None:
    raw = CloudEvent.wrap(
        event, spec=type(event).spec, source=source, subject="k", time=datetime.now(UTC)
    ).to_bytes()
    await ensure_topics(bootstrap, [type(event).spec.topic], namespace=namespace)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(namespace.topic(type(event).spec.topic), raw, key=b"k")
    finally:
        await producer.stop()


async def records_on(bootstrap: str, topic: str) -> int:
    """How many records the topic has ever held (0 if it does not exist)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if topic not in await admin.list_topics():
            return 0
        [described] = await admin.describe_topics([topic])
        partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


async def referrals(svc: RunningService) -> int:
    async with svc.ctx.db.session() as session:
        return int((await session.execute(sa.text("SELECT count(*) FROM referrals"))).scalar_one())


async def write_and_sign(svc: RunningService) -> None:
    """Audit rows as the service writes them, then its periodic checkpoint on the topic."""
    for n in range(3):
        async with svc.ctx.db.uow(actor=Principal.system("secondment")) as uow:
            uow.audit(action=f"step-{n}", subject="team:1", rule="SEC-02")
    for _ in range(400):
        async with svc.ctx.db.session() as session:
            signed = (
                await session.execute(sa.select(sa.func.count()).select_from(audit_checkpoints))
            ).scalar_one()
        if signed:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("no checkpoint signed")
    await svc.outbox_drained()


async def verify(
    url: str, namespace: Namespace, deployment: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """`xietong audit verify secondment` as an operator of that deployment runs it."""
    from xietong_common.cli.main import main as xietong

    with pytest.MonkeyPatch.context() as env:
        env.setenv("XIETONG_DATABASE_URL", url)
        env.setenv("XIETONG_KAFKA_NAMESPACE", namespace.prefix)
        env.setenv("XIETONG_DEPLOYMENT_ID", deployment)
        capsys.readouterr()
        status = await asyncio.to_thread(xietong, ["audit", "verify", "secondment"])
    return status, capsys.readouterr().out


@contextlib.asynccontextmanager
async def made_run(
    spec: Any, url: str, bootstrap: str, tmp: Path, **settings: Any
) -> AsyncIterator[RunningService]:
    """A service with `make run`'s settings: the service's own name as its consumer group,
    reading its topics from the beginning, its jobs on."""
    async with running_service(
        spec,
        database_url=url,
        kafka_bootstrap=bootstrap,
        blob_dir=tmp / "blobs",
        service_name=spec.name,
        **RUN_SETTINGS,
        **settings,
    ) as svc:
        yield svc


async def test_make_run_then_the_suite_then_make_run_never_see_each_other(
    servers: Servers,
    kafka_bootstrap: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_referral = await create_database(servers, "run_referral")
    run_secondment = await create_database(servers, "run_secondment")
    fast = {"audit_checkpoint_every_s": 0.2}

    # 1. The running system: its services used, then stopped.
    async with made_run(SECONDMENT, run_secondment, kafka_bootstrap, tmp_path, **fast) as sec:
        await write_and_sign(sec)
    async with made_run(REFERRAL, run_referral, kafka_bootstrap, tmp_path, run_jobs=False) as ref:
        await produce(kafka_bootstrap, RUN, opinion(uuid.uuid4()), source="/xietong/legal-review")
        for _ in range(400):
            if await referrals(ref) == 1:
                break
            await asyncio.sleep(0.05)
        assert await referrals(ref) == 1  # the running system's own opinion drafts its case

    # 2. The suite: the same services, its own databases, events the running system must
    # never read (a forged one, and a valid one that would draft a case there).
    suite_secondment = await create_database(servers, "suite_secondment")
    async with running_service(
        SECONDMENT,
        database_url=suite_secondment,
        kafka_bootstrap=kafka_bootstrap,
        blob_dir=tmp_path / "suite",
        **SUITE_SETTINGS,
        **fast,
    ) as sec:
        await write_and_sign(sec)
    status, out = await verify(suite_secondment, SUITE, "suite", capsys)
    assert status == 0, out  # not judged against the running system's checkpoints
    assert "intact" in out
    await produce(kafka_bootstrap, SUITE, opinion(uuid.uuid4()), source="/xietong/assistance")
    await produce(kafka_bootstrap, SUITE, opinion(uuid.uuid4()), source="/xietong/legal-review")

    # 3. The running system again: nothing of the suite's reached it.
    async with made_run(REFERRAL, run_referral, kafka_bootstrap, tmp_path, run_jobs=False) as ref:
        await asyncio.sleep(3)  # its consumer rejoins its group and reads what is there
        assert await referrals(ref) == 1
    assert await records_on(kafka_bootstrap, RUN.topic(dlq_topic(CONSUMED))) == 0
    assert await records_on(kafka_bootstrap, SUITE.topic(CONSUMED)) == 2
    status, out = await verify(run_secondment, RUN, "default", capsys)
    assert status == 0, out
    assert "intact" in out


async def test_a_consuming_service_started_by_a_test_needs_a_consumer_group_of_its_own() -> None:
    """In the session's group of its name it would share partitions and committed offsets
    with every other instance in the worker (the workbench's stack among them): refused
    before anything starts."""
    nowhere = "postgresql+asyncpg://xietong@127.0.0.1:9/nowhere"
    with pytest.raises(ValueError, match="consumer group of its own"):
        async with running_service(REFERRAL, database_url=nowhere, kafka_bootstrap="127.0.0.1:9"):
            pass
