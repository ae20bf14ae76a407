"""Two replicas of every service against one database and one broker are safe (what the Helm
chart's `replicas: 2` relies on; docs/deploy.md, "Several replicas"):

- the outbox relays of both publish each event once (FOR UPDATE SKIP LOCKED);
- a periodic job never runs on both at once (a transaction-scoped advisory lock), and what
  the jobs do happens once: a deadline swept by both is breached once, the chain head is
  checkpointed once;
- the consumers of both share the topics' partitions in one group, and when one replica
  stops, the other takes its partitions over and nothing is lost or handled twice;
- an Idempotency-Key sent to both at once creates one resource.

Every service is started twice (with its real lifespan: migrations, relay, consumer); the
behaviour that is the same code in every service (relay, jobs, inbox, idempotency) is then
shown on each, and the consumer's hand-over and the Idempotency-Key with the referral
service's own events and API."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from backbone_support import TOPIC, CounterIncremented
from xietong_common import deadlines
from xietong_common.attestation.checkpoints import audit_checkpoint_job
from xietong_common.auth import Principal
from xietong_common.contracts.review import CaseSummary, ReviewOpinionGiven, ReviewOpinionKind
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.kafka import ensure_topics
from xietong_common.events.registry import registry
from xietong_common.jobs import Job, run_job_once
from xietong_common.services import SERVICES
from xietong_common.tables import audit_checkpoints, outbox
from xietong_devtools.testing import (
    TEST_NAMESPACE,
    RunningService,
    Servers,
    create_database,
    physical_topic,
    running_service,
    sample_codes,
    start_group_at_end,
    topic_reader,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


@contextlib.asynccontextmanager
async def two_replicas(
    pkg: str, url: str, bootstrap: str, name: str, tmp_path: Path, **overrides: Any
) -> AsyncIterator[tuple[RunningService, RunningService]]:
    """Two instances of one service: one database, one broker, one consumer group."""
    spec = importlib.import_module(f"{pkg}.main").SPEC
    settings: dict[str, Any] = {
        "service_name": name,
        "blob_dir": tmp_path / "blobs",
        "audit_key_dir": tmp_path / "keys",
        "run_jobs": False,  # driven by the test, from both replicas
        **overrides,
    }
    async with contextlib.AsyncExitStack() as stack:
        # One after the other: alembic's command API is not safe in two threads of one
        # process (separate pods migrating at once wait on its advisory lock instead).
        a = await stack.enter_async_context(
            running_service(spec, database_url=url, kafka_bootstrap=bootstrap, **settings)
        )
        b = await stack.enter_async_context(
            running_service(spec, database_url=url, kafka_bootstrap=bootstrap, **settings)
        )
        yield a, b


async def _group_members(bootstrap: str, group: str) -> dict[str, set[str]]:
    """Member id -> the topics of the partitions assigned to it (DescribeGroups)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    members: dict[str, set[str]] = {}
    for described in response.groups:
        *_, state_members = described
        for member in state_members:
            member_id, *_, raw_assignment = member
            assignment = (
                ConsumerProtocolMemberAssignment.decode(raw_assignment) if raw_assignment else None
            )
            members[member_id] = {t for t, _ in assignment.assignment} if assignment else set()
    return members


async def _until(check: Callable[[], Awaitable[bool]], what: str, timeout_s: float = 120) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.3)


def _slow(job: Job) -> Job:
    """The job, holding its lock a moment, so that the two replicas' runs overlap."""

    async def run(uow: Any) -> None:
        await asyncio.sleep(0.5)
        await job(uow)

    return run


async def _run_on_both(a: RunningService, b: RunningService, name: str, jobs: list[Job]) -> int:
    """Each replica's run of one job at the same moment; how many ran."""
    ran = await asyncio.gather(
        run_job_once(a.ctx.db, name, _slow(jobs[0])),
        run_job_once(b.ctx.db, name, _slow(jobs[1])),
    )
    return sum(ran)


@pytest.mark.parametrize("service", list(SERVICES))
async def test_two_replicas_of_each_service(
    service: str, servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    pkg = SERVICES[service]
    spec = importlib.import_module(f"{pkg}.main").SPEC
    url = await create_database(servers, f"replicas_{pkg}")
    name = f"{service}-replicas-{uuid.uuid4().hex[:6]}"
    consumed = sorted({registry.spec_for(m).topic for m in spec.handlers})
    if consumed:
        await start_group_at_end(kafka_bootstrap, name, consumed)
    await ensure_topics(kafka_bootstrap, [TOPIC], namespace=TEST_NAMESPACE)
    async with (
        two_replicas(pkg, url, kafka_bootstrap, name, tmp_path) as (a, b),
        topic_reader(kafka_bootstrap, TOPIC) as reader,
    ):
        # The outbox: 60 events written through both replicas, each published once.
        counter = uuid.uuid4().hex
        for n in range(60):
            replica = (a, b)[n % 2]
            async with replica.ctx.db.uow(actor=Principal.system(name)) as uow:
                uow.publish(CounterIncremented(counter=counter, seq=n), key=f"{counter}-{n % 7}")
        await a.outbox_drained(timeout_s=60)
        events = await reader.collect(
            lambda seen: sum(e["data"]["counter"] == counter for e in seen) >= 60, timeout_s=60
        )
        mine = [e for e in events if e["data"]["counter"] == counter]
        await asyncio.sleep(2)  # a second copy would arrive now
        await reader.poll(1)
        mine = [
            json.loads(r.value)
            for r in reader.records
            if r.value and json.loads(r.value)["data"]["counter"] == counter
        ]
        assert sorted(e["data"]["seq"] for e in mine) == list(range(60))
        assert len({e["id"] for e in mine}) == 60
        # Per key, in the order written.
        for key in {f"{counter}-{k}" for k in range(7)}:
            seqs = [e["data"]["seq"] for e in mine if e["subject"] == key]
            assert seqs == sorted(seqs)

        # Periodic jobs: never both at once.
        for job in [*spec.jobs, audit_checkpoint_job()]:
            runs = [job.job(a.ctx), job.job(b.ctx)]
            assert await _run_on_both(a, b, job.name, runs) == 1, job.name

        # The consumers: both in the group, sharing the partitions.
        if consumed:
            group = TEST_NAMESPACE.group(name)

            async def split() -> bool:
                members = await _group_members(kafka_bootstrap, group)
                return len(members) == 2 and all(members.values())

            await _until(split, f"{service}: the two consumers share the partitions")


async def test_jobs_effects_happen_once_with_two_replicas(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A deadline swept by both replicas, again and again, is breached once; the chain head
    is checkpointed once however often both replicas' checkpoint jobs run."""
    url = await create_database(servers, "replicas_jobs")
    name = f"referral-jobs-{uuid.uuid4().hex[:6]}"
    async with two_replicas("referral", url, kafka_bootstrap, name, tmp_path) as (a, b):
        subjects = [f"referral:{uuid.uuid4()}" for _ in range(20)]
        async with a.ctx.db.uow(actor=Principal.system(name)) as uow:
            for subject in subjects:
                await deadlines.start_until(
                    uow,
                    subject=subject,
                    action="receive",
                    rule_id="REF-03",
                    organisation="dept:test",
                    started_at=uow.now - timedelta(days=10),
                    due_at=uow.now - timedelta(days=1),
                )
            uow.audit(action="test.replicas", subject=subjects[0], rule=None)

        def sweep_job(replica: RunningService) -> Job:
            async def run(uow: Any) -> None:
                await deadlines.sweep(uow, now=uow.now, mechanism="referral", limit=7)

            return run

        for _ in range(4):  # concurrently and one after the other
            await asyncio.gather(
                run_job_once(a.ctx.db, "deadline-sweep", sweep_job(a)),
                run_job_once(b.ctx.db, "deadline-sweep", sweep_job(b)),
            )
            await run_job_once(b.ctx.db, "deadline-sweep", sweep_job(b))
        checkpoint = audit_checkpoint_job()
        for _ in range(3):
            await asyncio.gather(
                run_job_once(a.ctx.db, checkpoint.name, checkpoint.job(a.ctx)),
                run_job_once(b.ctx.db, checkpoint.name, checkpoint.job(b.ctx)),
            )
        async with a.ctx.db.session() as session:
            breached = (
                await session.execute(
                    sa.text("SELECT subject, breached_at FROM deadlines WHERE subject = ANY(:s)"),
                    {"s": subjects},
                )
            ).all()
            breach_events = (
                (
                    await session.execute(
                        sa.select(outbox.c.envelope).where(outbox.c.topic == "deadline.breached")
                    )
                )
                .scalars()
                .all()
            )
            checkpoints = (
                await session.execute(sa.select(sa.func.count()).select_from(audit_checkpoints))
            ).scalar_one()
    assert all(row.breached_at is not None for row in breached)
    assert len(breached) == 20
    subjects_breached = [e["subject"] for e in breach_events]
    assert sorted(subjects_breached) == sorted(subjects)  # each once
    assert checkpoints == 1


def _opinion(codes: dict[str, str], n: int) -> ReviewOpinionGiven:
    return ReviewOpinionGiven(
        review_id=f"rv-{uuid.uuid4().hex[:8]}-{n}",
        round=1,
        submitting_org=codes["town_a"],
        reviewing_org=codes["town_a"],
        opinion=ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY,
        reasons="不属本机关执法权限",
        transfer_to=codes["dept"],
        case=CaseSummary(
            matter_code=codes["dept_matter"],
            place_town=codes["town_a"],
            found_at=datetime(2024, 2, 20, 2, 0, tzinfo=UTC),
            facts=f"违法排放污水 {n}",
        ),
        reviewer="town:lizhi/reviewer",
        issued_at=datetime.now(UTC),
    )


async def test_a_rebalance_loses_nothing_and_handles_nothing_twice(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Review opinions arrive while one of two referral replicas stops: every opinion makes
    its draft, once."""
    from referral.main import SPEC

    url = await create_database(servers, "replicas_rebalance")
    name = f"referral-rebalance-{uuid.uuid4().hex[:6]}"
    consumed = sorted({registry.spec_for(m).topic for m in SPEC.handlers})
    await start_group_at_end(kafka_bootstrap, name, consumed)
    group = TEST_NAMESPACE.group(name)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    settings = {
        "service_name": name,
        "blob_dir": tmp_path / "blobs",
        "audit_key_dir": tmp_path / "keys",
        "run_jobs": False,
    }
    try:
        async with running_service(
            SPEC, database_url=url, kafka_bootstrap=kafka_bootstrap, **settings
        ) as a:
            codes = sample_codes(a.ctx)
            opinions = [_opinion(codes, n) for n in range(40)]

            async def send(batch: list[ReviewOpinionGiven]) -> None:
                for opinion in batch:
                    envelope = CloudEvent.wrap(
                        opinion,
                        spec=type(opinion).spec,
                        source="/xietong/legal-review",
                        subject=opinion.review_id,
                        time=datetime.now(UTC),
                    )
                    await producer.send_and_wait(
                        physical_topic("review.opinion"),
                        envelope.to_bytes(),
                        key=opinion.review_id.encode(),
                    )

            async with running_service(
                SPEC, database_url=url, kafka_bootstrap=kafka_bootstrap, **settings
            ) as b:
                assert b is not None

                async def split() -> bool:
                    members = await _group_members(kafka_bootstrap, group)
                    return len(members) == 2 and all(members.values())

                await _until(split, "both replicas hold partitions")
                await send(opinions[:20])
            # b has stopped (mid-stream for whatever it had not committed): a takes over.
            await send(opinions[20:])

            async def all_drafted() -> bool:
                async with a.ctx.db.session() as session:
                    count = (
                        await session.execute(sa.text("SELECT count(*) FROM referrals"))
                    ).scalar_one()
                return int(count) >= 40

            await _until(all_drafted, "every opinion drafted")
            await asyncio.sleep(2)  # a second handling would show now
            async with a.ctx.db.session() as session:
                sources = (
                    (await session.execute(sa.text("SELECT source_id FROM referrals")))
                    .scalars()
                    .all()
                )
    finally:
        await producer.stop()
    assert sorted(sources) == sorted(f"{o.review_id}:1" for o in opinions)


async def test_an_idempotency_key_sent_to_both_replicas_creates_once(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    url = await create_database(servers, "replicas_idem")
    name = f"referral-idem-{uuid.uuid4().hex[:6]}"
    async with two_replicas(
        "referral", url, kafka_bootstrap, name, tmp_path, run_consumer=False
    ) as (a, b):
        codes = sample_codes(a.ctx)
        headers = {**a.auth(codes["town_a"], "handler"), "Idempotency-Key": uuid.uuid4().hex}
        body = {
            "matter_code": codes["dept_matter"],
            "place_town": codes["town_a"],
            "found_at": "2024-03-01T02:00:00+00:00",
            "facts": "巡查发现企业向河道直排污水",
        }
        responses = await asyncio.gather(
            *(
                replica.client.post("/referrals", json=body, headers=headers)
                for replica in (a, b, a, b)
            )
        )
        created = [r for r in responses if r.status_code == 201]
        assert created, [r.text for r in responses]
        # A retry still in flight is told so (409, retry); none makes a second case.
        assert all(r.status_code in (201, 409) for r in responses), [r.text for r in responses]
        assert len({r.json()["id"] for r in created}) == 1
        again = await b.client.post("/referrals", json=body, headers=headers)
        assert again.status_code == 201
        assert again.json()["id"] == created[0].json()["id"]
        async with a.ctx.db.session() as session:
            count = (await session.execute(sa.text("SELECT count(*) FROM referrals"))).scalar_one()
        assert count == 1


@pytest.mark.skip(
    reason="document numbers (文号) come with issue 23: their allocation must be "
    "shown collision-free with two replicas here when it lands"
)
async def test_document_numbers_never_collide_with_two_replicas() -> None:
    """The hook for issue 23: numbers allocated concurrently by two replicas are distinct
    and gap-free per organisation and year (a sequence row locked FOR UPDATE, or a
    PostgreSQL sequence per series)."""
