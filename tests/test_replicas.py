"""Two replicas of a service against one database and one broker are safe (what the Helm
chart's `replicas: 2` relies on; docs/deploy.md, "Several replicas"):

- the outbox relays of both publish each event once, per key in the order written
  (FOR UPDATE SKIP LOCKED);
- a periodic job never runs on both at once (a transaction-scoped advisory lock keyed by the
  job's name), and what the jobs do happens once: a deadline swept by both is breached once,
  the chain head is checkpointed once;
- the consumers of both share the topics' partitions in one group, and when one replica
  stops, the other takes its partitions over and every event is handled, once;
- an Idempotency-Key sent to both at once creates one resource;
- document numbers (文号) taken by both at once never collide, nor leave a gap.

Shown on the referral service (it publishes, consumes, runs the common jobs and takes
creates with an Idempotency-Key), started twice in-process with its real lifespan
(migrations, relay, consumer). The relay, the job runner, the inbox and idempotency are the
same xietong_common code in every service (`create_app`, `periodic_jobs`; the architecture
test keeps services from growing their own), so starting the other five twice as well would
prove the same code again at a minute of CI time; what does differ per service — its list of
jobs, each locked by name — is checked for all of them without starting any."""

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
from xietong_common.documents import issuing
from xietong_common.documents.kinds import DocumentKind
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.kafka import ensure_topics
from xietong_common.events.registry import registry
from xietong_common.jobs import Job, run_job_once
from xietong_common.services import SERVICES
from xietong_common.tables import audit_checkpoints, document_counters, outbox
from xietong_common.web.app import periodic_jobs
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

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

Pair = tuple[RunningService, RunningService]


def _referral_spec() -> Any:
    return importlib.import_module("referral.main").SPEC


def _consumed(spec: Any) -> list[str]:
    return sorted({registry.spec_for(m).topic for m in spec.handlers})


def _settings(name: str, tmp: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "service_name": name,
        "blob_dir": tmp / "blobs",
        "audit_key_dir": tmp / "keys",
        "run_jobs": False,  # driven by the tests, from both replicas
        **overrides,
    }


@pytest.fixture(scope="module")
async def replicas(
    servers: Servers, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Pair]:
    """Two referral replicas: one database, one broker, one consumer group (the tests of
    this module share them; each test works on records of its own)."""
    spec = _referral_spec()
    url = await create_database(servers, "replicas")
    name = f"referral-replicas-{uuid.uuid4().hex[:6]}"
    await start_group_at_end(kafka_bootstrap, name, _consumed(spec))
    settings = _settings(name, tmp_path_factory.mktemp("replicas"))
    async with contextlib.AsyncExitStack() as stack:
        # One after the other: alembic's command API is not safe in two threads of one
        # process (separate pods migrating at once wait on its advisory lock instead).
        a, b = [
            await stack.enter_async_context(
                running_service(spec, database_url=url, kafka_bootstrap=kafka_bootstrap, **settings)
            )
            for _ in range(2)
        ]
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


async def _run_on_both(pair: Pair, name: str, jobs: tuple[Job, Job]) -> tuple[bool, bool]:
    """One replica's run of a job holds its lock while the other's run is tried: whether
    each ran. The overlap is made, not hoped for (no timing a busy machine could miss)."""
    (a, b), inside, release = pair, asyncio.Event(), asyncio.Event()

    async def holding(uow: Any) -> None:
        inside.set()
        await release.wait()
        await jobs[0](uow)

    first = asyncio.create_task(run_job_once(a.ctx.db, name, holding))
    try:
        await asyncio.wait_for(inside.wait(), timeout=120)
        second = await run_job_once(b.ctx.db, name, jobs[1])
    finally:
        release.set()
    return await first, second


def test_every_services_periodic_jobs_are_locked_by_distinct_names() -> None:
    """Each job's advisory lock is keyed by its name within its service: two jobs of a
    service never share one (one would starve the other), for every service."""
    for service, pkg in SERVICES.items():
        spec = importlib.import_module(f"{pkg}.main").SPEC
        names = [job.name for job in periodic_jobs(spec)]
        assert len(names) == len(set(names)), (service, names)


async def test_the_outbox_relays_of_two_replicas_publish_each_event_once(
    replicas: Pair, kafka_bootstrap: str
) -> None:
    a, b = replicas
    await ensure_topics(kafka_bootstrap, [TOPIC], namespace=TEST_NAMESPACE)
    async with topic_reader(kafka_bootstrap, TOPIC) as reader:
        counter = uuid.uuid4().hex
        for n in range(60):  # written through both replicas, relayed by both
            async with (a, b)[n % 2].ctx.db.uow(actor=Principal.system("test")) as uow:
                uow.publish(CounterIncremented(counter=counter, seq=n), key=f"{counter}-{n % 7}")
        await a.outbox_drained(timeout_s=120)
        # A row is marked published only once the broker acknowledged it: everything either
        # relay sent, a second copy included, is in the topic now.
        await reader.read_to_end()
    mine = [
        json.loads(r.value)
        for r in reader.records
        if r.value and json.loads(r.value)["data"]["counter"] == counter
    ]
    assert sorted(e["data"]["seq"] for e in mine) == list(range(60))
    assert len({e["id"] for e in mine}) == 60
    for key in {f"{counter}-{k}" for k in range(7)}:  # per key, in the order written
        seqs = [e["data"]["seq"] for e in mine if e["subject"] == key]
        assert seqs == sorted(seqs)


async def test_a_periodic_job_never_runs_on_both_replicas_at_once(replicas: Pair) -> None:
    a, b = replicas
    for job in periodic_jobs(_referral_spec()):
        runs = (job.job(a.ctx), job.job(b.ctx))
        assert await _run_on_both(replicas, job.name, runs) == (True, False), job.name
        # The lock is the run's, not the replica's: once it ends, the other may run it.
        assert await run_job_once(b.ctx.db, job.name, job.job(b.ctx)), job.name


async def test_what_the_jobs_do_happens_once_with_two_replicas(replicas: Pair) -> None:
    """A deadline swept by both replicas, again and again, is breached once; the chain head
    is checkpointed once however often both replicas' checkpoint jobs run."""
    a, b = replicas
    subjects = [f"referral:{uuid.uuid4()}" for _ in range(20)]
    async with a.ctx.db.session() as session:
        checkpoints_before = (
            await session.execute(sa.select(sa.func.count()).select_from(audit_checkpoints))
        ).scalar_one()
    async with a.ctx.db.uow(actor=Principal.system("test")) as uow:
        for subject in subjects:
            await deadlines.start_until(
                uow,
                subject=subject,
                action="receive",
                rule_id="REF-03",
                organisation="dept:test",
                counterparty="town:test",
                started_at=uow.now - timedelta(days=10),
                due_at=uow.now - timedelta(days=1),
                mechanism="referral",
            )
        uow.audit(action="test.replicas", subject=subjects[0], rule=None)

    async def sweep(uow: Any) -> None:
        await deadlines.sweep(uow, now=uow.now, mechanism="referral", limit=7)

    for _ in range(4):  # concurrently and one after the other
        await asyncio.gather(
            run_job_once(a.ctx.db, "deadline-sweep", sweep),
            run_job_once(b.ctx.db, "deadline-sweep", sweep),
        )
        await run_job_once(b.ctx.db, "deadline-sweep", sweep)
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
    assert len(breached) == 20
    assert all(row.breached_at is not None for row in breached)
    subjects_breached = [e["subject"] for e in breach_events if e["subject"] in subjects]
    assert sorted(subjects_breached) == sorted(subjects)  # each once
    assert checkpoints == checkpoints_before + 1


async def test_an_idempotency_key_sent_to_both_replicas_creates_once(replicas: Pair) -> None:
    a, b = replicas
    codes = sample_codes(a.ctx)
    headers = {**a.auth(codes["town_a"], "handler"), "Idempotency-Key": uuid.uuid4().hex}
    facts = f"巡查发现企业向河道直排污水 {uuid.uuid4().hex[:6]}"
    body = {
        "matter_code": codes["dept_matter"],
        "place_town": codes["town_a"],
        "found_at": "2024-03-01T02:00:00+00:00",
        "facts": facts,
    }
    responses = await asyncio.gather(
        *(replica.client.post("/referrals", json=body, headers=headers) for replica in (a, b, a, b))
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
        count = (
            await session.execute(
                sa.text("SELECT count(*) FROM referrals WHERE facts = :f"), {"f": facts}
            )
        ).scalar_one()
    assert count == 1


def _opinion(codes: dict[str, str], n: int) -> ReviewOpinionGiven:
    return ReviewOpinionGiven(
        review_id=uuid.uuid4(),
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


async def test_consumers_share_partitions_and_a_rebalance_loses_nothing(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Two referral replicas split the partitions of their group; review opinions arrive
    while one of them stops: the other takes its partitions over and every opinion makes
    its draft, once. (Replicas of their own: this test stops one.)"""
    spec = _referral_spec()
    url = await create_database(servers, "replicas_rebalance")
    name = f"referral-rebalance-{uuid.uuid4().hex[:6]}"
    await start_group_at_end(kafka_bootstrap, name, _consumed(spec))
    group = TEST_NAMESPACE.group(name)
    settings = _settings(name, tmp_path)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()

    async def send(batch: list[ReviewOpinionGiven]) -> None:
        for opinion in batch:
            envelope = CloudEvent.wrap(
                opinion,
                spec=type(opinion).spec,
                source="/xietong/legal-review",
                subject=str(opinion.review_id),
                time=datetime.now(UTC),
            )
            await producer.send_and_wait(
                physical_topic("review.opinion"),
                envelope.to_bytes(),
                key=str(opinion.review_id).encode(),
            )

    try:
        async with running_service(
            spec, database_url=url, kafka_bootstrap=kafka_bootstrap, **settings
        ) as a:
            opinions = [_opinion(sample_codes(a.ctx), n) for n in range(40)]
            async with running_service(
                spec, database_url=url, kafka_bootstrap=kafka_bootstrap, **settings
            ):

                async def split() -> bool:
                    members = await _group_members(kafka_bootstrap, group)
                    return len(members) == 2 and all(members.values())

                await _until(split, "both replicas hold partitions")
                await send(opinions[:20])
            # The second has stopped (mid-stream for whatever it had not committed): the
            # first takes its partitions over.
            await send(opinions[20:])

            async def handled() -> int:
                async with a.ctx.db.session() as session:
                    return int(
                        (await session.execute(sa.text("SELECT count(*) FROM inbox"))).scalar_one()
                    )

            async def all_handled() -> bool:
                return await handled() >= 40

            await _until(all_handled, "every opinion handled")
            async with a.ctx.db.session() as session:
                sources = (
                    (await session.execute(sa.text("SELECT source_id FROM referrals")))
                    .scalars()
                    .all()
                )
            inbox_count = await handled()
    finally:
        await producer.stop()
    # Every opinion handled (the inbox keeps one row per event) and drafted, once.
    assert inbox_count == 40
    assert sorted(sources) == sorted(f"{o.review_id}:1" for o in opinions)


class _Abandoned(Exception):
    """The document could not be made after its number was taken."""


async def test_document_numbers_never_collide_with_two_replicas(replicas: Pair) -> None:
    """Issue 23's numbers (文号: an organisation's series per kind and year), taken at once by
    both replicas, each in a transaction of its own that holds its number while the document
    is made: distinct and gap-free, a transaction rolled back giving its number back (the
    series' counter row, upserted and so locked: `issuing.allocate_serial`)."""
    a, b = replicas
    org = f"replicas-{uuid.uuid4().hex[:8]}"

    async def take(replica: RunningService, i: int) -> int | None:
        try:
            async with replica.ctx.db.sessions() as session, session.begin():
                serial = await issuing.allocate_serial(
                    session, org=org, kind=DocumentKind.REFERRAL_LETTER, year=2027
                )
                await asyncio.sleep(0.005)  # the document being made, its number held
                if i % 8 == 7:
                    raise _Abandoned
                return serial
        except _Abandoned:
            return None

    taken = await asyncio.gather(*(take((a, b)[i % 2], i) for i in range(32)))
    kept = [serial for serial in taken if serial is not None]
    assert len(kept) == 28
    assert sorted(kept) == list(range(1, 29))  # distinct, and none lost to a rollback
    async with a.ctx.db.session() as session:
        last = await session.scalar(
            sa.select(document_counters.c.last).where(document_counters.c.org == org)
        )
    assert last == 28
