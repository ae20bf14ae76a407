"""Signed checkpoints of the audit chain, on the real PostgreSQL and Kafka: what the chain
alone cannot show — its newest rows truncated, the whole chain recomputed, checkpoints
re-signed with another key — is detected against the checkpoints a service published.

Each test's chain belongs to a service name of its own (`audit-<hex>`), so the checkpoints it
publishes on the shared, never-deleting topic are its alone."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.ext.asyncio import AsyncConnection

from backbone_support import prepare_database
from xietong_common.attestation.checkpoints import (
    audit_checkpoint_job,
    create_checkpoint,
    sign_head,
)
from xietong_common.attestation.verification import (
    AuditReport,
    Found,
    Reading,
    read_files,
    read_recorded,
    read_topic,
    render,
    verify_audit,
)
from xietong_common.audit.chain import row_hash, verify_chain
from xietong_common.audit.crypto import SigningKey, generate_key
from xietong_common.auth import Principal
from xietong_common.clock import SystemClock
from xietong_common.contracts.audit import CHECKPOINT_TOPIC
from xietong_common.db import Database
from xietong_common.events.kafka import ensure_topics, topic_configs
from xietong_common.jobs import run_job_once
from xietong_common.messaging.outbox import OutboxRelay
from xietong_common.tables import audit_checkpoints, audit_head, audit_log, outbox
from xietong_devtools.testing import (
    TEST_DEPLOYMENT,
    TEST_NAMESPACE,
    Servers,
    create_database,
    physical_topic,
)

pytestmark = pytest.mark.integration

CLERK = Principal(org="town:lizhi", user="zhang.san", roles=frozenset({"clerk"}))


@dataclass
class Chain:
    """One service's database and signing key, as the service holds them."""

    db: Database
    url: str
    service: str
    key: SigningKey
    bootstrap: str
    deployment: str = TEST_DEPLOYMENT

    async def write(self, count: int, *, start: int = 1) -> None:
        for n in range(start, start + count):
            async with self.db.uow(actor=CLERK) as uow:
                uow.audit(action=f"step-{n}", subject="referral:1", rule="REF-03", detail={"n": n})

    async def checkpoint(self) -> None:
        async with self.db.uow(actor=Principal.system(self.service)) as uow:
            assert await create_checkpoint(
                uow,
                service=self.service,
                key=self.key,
                deployment=self.deployment,
                force=True,
            )

    async def publish(self) -> None:
        """What the service's relay does: the outbox's checkpoints onto the topic."""
        relay = OutboxRelay(self.db, namespace=TEST_NAMESPACE, bootstrap=self.bootstrap)
        try:
            while await relay.relay_once():
                pass
        finally:
            await relay.close()

    async def verify(self, *readings: Reading, keys: list[SigningKey] | None = None) -> AuditReport:
        async with self.db.session() as session:
            report = await verify_audit(
                session,
                service=self.service,
                readings=list(readings),
                keys=[k.public for k in (keys or [self.key])],
                deployment=self.deployment,
            )
        print("\n".join(render(report)))
        return report

    async def topic(self) -> Reading:
        return await read_topic(self.bootstrap, service=self.service, namespace=TEST_NAMESPACE)

    async def recorded(self) -> Reading:
        async with self.db.session() as session:
            return await read_recorded(session, service=self.service)

    async def chain_only_ok(self) -> bool:
        async with self.db.session() as session:
            return (await verify_chain(session)).ok


async def _chain(
    servers: Servers, *, hash_alg: str = "sha256", signature: str = "ed25519", service: str = ""
) -> AsyncIterator[Chain]:
    url = await create_database(servers, "audit_cp")
    await prepare_database(url)
    name = service or f"audit-{uuid.uuid4().hex[:10]}"
    db = Database(url, clock=SystemClock(), service_name=name, audit_hash=hash_alg)
    await ensure_topics(servers.kafka_bootstrap, [CHECKPOINT_TOPIC], namespace=TEST_NAMESPACE)
    try:
        yield Chain(db, url, name, generate_key(signature), servers.kafka_bootstrap)
    finally:
        await db.dispose()


@pytest.fixture
async def chain(servers: Servers) -> AsyncIterator[Chain]:
    async for value in _chain(servers):
        yield value


@pytest.fixture
async def guomi_chain(servers: Servers) -> AsyncIterator[Chain]:
    """A site under 商用密码 assessment: SM3 row hashes, SM2 signatures."""
    async for value in _chain(servers, hash_alg="sm3", signature="sm2"):
        yield value


async def _disable_append_only(conn: AsyncConnection) -> None:
    # What an intruder with the database's owner or superuser rights does first.
    await conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")


async def truncate_newest(chain: Chain, *, keep: int) -> None:
    """Delete the newest rows and move the head back, so the chain alone looks whole."""
    async with chain.db.engine.begin() as conn:
        await _disable_append_only(conn)
        await conn.execute(sa.delete(audit_log).where(audit_log.c.seq > keep))
        last = (
            await conn.execute(
                sa.select(audit_log.c.seq, audit_log.c.hash)
                .order_by(audit_log.c.seq.desc())
                .limit(1)
            )
        ).one()
        await conn.execute(sa.update(audit_head).values(last_seq=last.seq, hash=last.hash))
        # ... and the service's own record of what it signed.
        await conn.execute(sa.delete(audit_checkpoints))


async def rewrite_whole_chain(chain: Chain, *, seq: int, rule: str) -> None:
    """Change one row's content and recompute every hash from the first row on, consistently
    (each row with its own function), so the chain alone verifies."""
    async with chain.db.engine.begin() as conn:
        await _disable_append_only(conn)
        rows = (await conn.execute(sa.select(audit_log).order_by(audit_log.c.seq))).mappings().all()
        prev = "0" * 64
        for row in rows:
            new_rule = rule if row["seq"] == seq else row["rule"]
            digest = row_hash(
                prev_hash=prev,
                at=row["at"],
                actor=row["actor"],
                org=row["org"],
                action=row["action"],
                subject=row["subject"],
                rule=new_rule,
                detail=row["detail"],
                algorithm=row["hash_alg"],
            )
            await conn.execute(
                sa.update(audit_log)
                .where(audit_log.c.seq == row["seq"])
                .values(rule=new_rule, prev_hash=prev, hash=digest)
            )
            prev = digest
        await conn.execute(sa.update(audit_head).values(hash=prev))
        await conn.execute(sa.delete(audit_checkpoints))


async def test_the_checkpoint_topic_never_deletes(servers: Servers) -> None:
    await ensure_topics(servers.kafka_bootstrap, [CHECKPOINT_TOPIC], namespace=TEST_NAMESPACE)
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap)
    await admin.start()
    try:
        # As the broker states it, waiting a little for a topic created a moment ago (a
        # describe right after the creation could find it unknown: a KeyError below, 2 in 3
        # runs of libs/common/tests beside a full suite).
        configs = await topic_configs(admin, physical_topic(CHECKPOINT_TOPIC))
    finally:
        await admin.close()
    assert configs["retention.ms"][0] == "-1"
    assert configs["retention.bytes"][0] == "-1"
    assert configs["cleanup.policy"][0] == "delete"  # never compacted away either


async def test_a_good_chain_with_checkpoints_verifies(chain: Chain, tmp_path: Path) -> None:
    await chain.write(3)
    await chain.checkpoint()
    await chain.write(2, start=4)
    await chain.checkpoint()
    await chain.write(1, start=6)
    await chain.publish()

    topic = await chain.topic()
    assert [f.checkpoint.seq for f in topic.found] == [3, 5]
    assert all(
        f.envelope and f.envelope["source"] == f"/xietong/{chain.service}" for f in topic.found
    )
    report = await chain.verify(topic, await chain.recorded())
    assert report.ok, report.problems
    assert report.checkpoints == 2  # the topic's and the database's copies count once
    assert report.trusted == 2
    assert report.chain.newest_matched_seq == 5
    assert "the 1 row(s) after it are not covered" in "\n".join(render(report))

    # An outsider's exported copy (the events as on the topic, one per line) is enough.
    exported = tmp_path / "checkpoints.jsonl"
    exported.write_text("".join(json.dumps(f.envelope) + "\n" for f in topic.found))
    report = await chain.verify(read_files([exported], service=chain.service))
    assert report.ok, report.problems
    assert report.trusted == 2


async def test_sup_01_each_checkpoint_names_the_one_it_follows(chain: Chain) -> None:
    """SUP-01, the outsider: a checkpoint states the chain's previous checkpoint (row, hash),
    signed with it, so one that never reached the topic shows as a gap at the next; the
    service's recorded copies keep it and still verify."""
    await chain.write(3)
    await chain.checkpoint()
    await chain.write(2, start=4)
    await chain.checkpoint()
    await chain.write(1, start=6)
    await chain.checkpoint()
    await chain.publish()
    topic = await chain.topic()
    found = [f.checkpoint for f in topic.found]
    assert [c.seq for c in found] == [3, 5, 6]
    assert found[0].previous_seq is None
    assert found[0].previous_hash is None
    assert [(c.previous_seq, c.previous_hash) for c in found[1:]] == [
        (found[0].seq, found[0].hash),
        (found[1].seq, found[1].hash),
    ]
    recorded = await chain.recorded()
    assert [f.checkpoint for f in recorded.found] == found
    report = await chain.verify(topic, recorded)
    assert report.ok, report.problems
    assert report.trusted == 3


async def test_the_periodic_job_signs_the_head_when_it_moved(
    servers: Servers, chain: Chain, tmp_path: Path
) -> None:
    from xietong_common.context import build_context
    from xietong_devtools.testing import settings_for_tests

    key_file = tmp_path / "key.pem"
    key_file.write_text(chain.key.pem())
    settings = settings_for_tests(
        chain.service,
        database_url=chain.url,
        kafka_bootstrap=chain.bootstrap,
        audit_key_file=key_file,
        audit_checkpoint_every_s=42,
    )
    job = audit_checkpoint_job()
    assert job.interval(settings) == 42
    ctx = build_context(settings, service=chain.service)
    run = job.job(ctx)
    try:

        async def signed() -> list[int]:
            async with ctx.db.session() as s:
                return list((await s.execute(sa.select(audit_checkpoints.c.seq))).scalars())

        assert await run_job_once(ctx.db, job.name, run)
        assert await signed() == []  # an empty chain: nothing to sign
        await chain.write(2)
        await run_job_once(ctx.db, job.name, run)
        await run_job_once(ctx.db, job.name, run)
        assert await signed() == [2]  # signed once: the head had not moved
        await chain.write(1, start=3)
        await run_job_once(ctx.db, job.name, run)
        assert await signed() == [2, 3]
        async with ctx.db.session() as s:
            queued = (
                await s.execute(sa.select(outbox.c.topic, outbox.c.key, outbox.c.envelope))
            ).all()
        assert [(t, k) for t, k, _ in queued] == [(CHECKPOINT_TOPIC, chain.service)] * 2
        assert queued[0][2]["source"] == f"/xietong/{chain.service}"
    finally:
        await ctx.db.dispose()
    report = await chain.verify(await chain.recorded())
    assert report.ok, report.problems
    assert report.trusted == 2


async def test_the_newest_rows_truncated_are_detected(chain: Chain) -> None:
    await chain.write(5)
    await chain.checkpoint()
    await chain.publish()

    await truncate_newest(chain, keep=3)
    # The chain alone, its head moved back too, cannot tell.
    assert await chain.chain_only_ok()
    report = await chain.verify(await chain.topic(), await chain.recorded())
    assert not report.ok
    assert any("names row 5, but the chain ends at row 3" in p for p in report.problems)
    assert any("truncated" in p for p in report.problems)


async def test_a_chain_rewritten_end_to_end_is_detected(chain: Chain) -> None:
    await chain.write(4)
    await chain.checkpoint()
    await chain.write(2, start=5)
    await chain.checkpoint()
    await chain.publish()

    await rewrite_whole_chain(chain, seq=2, rule="REF-99")
    assert await chain.chain_only_ok()
    report = await chain.verify(await chain.topic())
    assert not report.ok
    rewritten = [p for p in report.problems if "rewritten" in p]
    assert len(rewritten) == 2  # both signed rows, 4 and 6, no longer match
    assert "row 4:" in rewritten[0]
    assert "row 6:" in rewritten[1]


async def test_checkpoints_re_signed_with_another_key_are_detected(
    chain: Chain, tmp_path: Path
) -> None:
    """The intruder rewrites the chain and hands the auditor checkpoints that match it,
    re-signed with a key of his own (or claiming the service's key id)."""
    await chain.write(4)
    await chain.checkpoint()
    await chain.publish()
    genuine = await chain.topic()

    await rewrite_whole_chain(chain, seq=1, rule="REF-99")
    intruder = generate_key("ed25519")
    async with chain.db.session() as s:
        head = (await s.execute(sa.select(audit_head))).one()
    from xietong_common.attestation.checkpoints import ChainHead

    forged_head = ChainHead(str(head.chain_id), head.last_seq, head.hash, "sha256")
    resigned = sign_head(forged_head, service=chain.service, key=intruder, at=datetime.now(UTC))
    claimed = resigned.model_copy(update={"key_id": chain.key.key_id})
    copy = tmp_path / "auditor-copy.jsonl"
    copy.write_text(resigned.model_dump_json() + "\n" + claimed.model_dump_json() + "\n")

    report = await chain.verify(read_files([copy], service=chain.service))
    assert not report.ok
    assert any("not a trusted key" in p and "re-signed" in p for p in report.problems)
    assert any("does not verify" in p for p in report.problems)
    assert report.trusted == 0

    # With the genuine checkpoints from the topic as well, the rewrite shows too.
    report = await chain.verify(genuine, read_files([copy], service=chain.service))
    assert any("rewritten" in p for p in report.problems)


async def test_sm3_rows_and_sm2_checkpoints_verify(guomi_chain: Chain) -> None:
    chain = guomi_chain
    await chain.write(3)
    await chain.checkpoint()
    await chain.publish()
    async with chain.db.session() as s:
        algorithms = set((await s.execute(sa.select(audit_log.c.hash_alg))).scalars())
    assert algorithms == {"sm3"}
    topic = await chain.topic()
    assert [f.checkpoint.signature_algorithm for f in topic.found] == ["sm2"]
    assert topic.found[0].checkpoint.hash_algorithm == "sm3"
    report = await chain.verify(topic, await chain.recorded())
    assert report.ok, report.problems
    assert report.trusted == 1

    # ... and detect a truncation just the same.
    await chain.write(2, start=4)
    await chain.checkpoint()
    await chain.publish()
    await truncate_newest(chain, keep=4)
    report = await chain.verify(await chain.topic())
    assert any("truncated" in p for p in report.problems)


async def test_a_chain_that_changed_hash_function_still_verifies(servers: Servers) -> None:
    """Rows written before a site switched to SM3 stay SHA-256 and verify as such."""
    async for chain in _chain(servers, signature="sm2"):
        await chain.write(2)
        sm3 = Database(chain.url, clock=SystemClock(), service_name=chain.service, audit_hash="sm3")
        try:
            async with sm3.uow(actor=CLERK) as uow:
                uow.audit(action="after-the-switch", subject="referral:1", rule="REF-06")
        finally:
            await sm3.dispose()
        await chain.checkpoint()
        report = await chain.verify(await chain.recorded())
        assert report.ok, report.problems
        assert report.chain.algorithms == {"sha256": 2, "sm3": 1}


async def test_a_database_rebuilt_from_scratch_is_reported(servers: Servers) -> None:
    """Checkpoints of the service's earlier chain do not match a new, empty database."""
    async for first in _chain(servers):
        await first.write(2)
        await first.checkpoint()
        await first.publish()
        async for rebuilt in _chain(servers, service=first.service):
            rebuilt.key = first.key
            await rebuilt.write(3)
            report = await rebuilt.verify(await rebuilt.topic())
            assert not report.ok
            assert any(
                "the chain was replaced, or the database rebuilt" in p for p in report.problems
            )


async def test_a_staging_and_a_production_system_sharing_a_broker_never_judge_each_other(
    servers: Servers,
) -> None:
    """Issue 27: checkpoints carry the deployment that signed them; a database is judged only
    against its own deployment's (the other's are counted in a note), while a rebuilt database
    of the same deployment is still reported."""
    async for production in _chain(servers):
        production.deployment = "production"
        await production.write(2)
        await production.checkpoint()
        await production.publish()
        async for staging in _chain(servers, service=production.service):
            staging.deployment, staging.key = "staging", production.key
            await staging.write(5)
            await staging.checkpoint()
            await staging.publish()
            for system in (production, staging):
                report = await system.verify(await system.topic(), await system.recorded())
                assert report.ok, report.problems
                assert report.trusted >= 1
                other = "staging" if system is production else "production"
                assert any(f"deployment {other!r}" in n for n in report.notes), report.notes
            # The deployment is signed: relabelling a checkpoint breaks its signature.
            found = (await staging.topic()).found
            relabelled = [
                Found(f.checkpoint.model_copy(update={"deployment": "production"}), "relabelled")
                for f in found
            ]
            report = await production.verify(Reading("forged", found=relabelled))
            assert not report.ok
            assert any("does not verify" in p for p in report.problems)
            # Judged as the other deployment, the chains do not match: replaced or rebuilt.
            staging.deployment = "production"
            report = await staging.verify(await staging.topic())
            assert any("the chain was replaced" in p for p in report.problems)


async def test_a_running_service_publishes_checkpoints_of_its_chain(
    servers: Servers, tmp_path: Path
) -> None:
    """The periodic job as a service runs it: a write, then its signed head on the topic."""
    from backbone_support import counter_service_spec
    from xietong_devtools.testing import running_service, topic_reader

    url = await create_database(servers, "audit_svc")
    spec = counter_service_spec()
    await ensure_topics(servers.kafka_bootstrap, [CHECKPOINT_TOPIC], namespace=TEST_NAMESPACE)
    async with (
        topic_reader(servers.kafka_bootstrap, CHECKPOINT_TOPIC) as reader,
        running_service(
            spec,
            database_url=url,
            kafka_bootstrap=servers.kafka_bootstrap,
            audit_key_dir=tmp_path,
            audit_checkpoint_every_s=0.2,
        ) as svc,
    ):
        response = await svc.client.post(
            "/towns/lizhi/counter", headers=svc.auth("town:lizhi", "handler")
        )
        assert response.status_code == 201
        async with svc.ctx.db.session() as s:
            chain_id = str((await s.execute(sa.select(audit_head.c.chain_id))).scalar_one())
        events = await reader.collect(
            lambda es: any(e["data"]["chain_id"] == chain_id for e in es), timeout_s=30
        )
    ours = [e for e in events if e["data"]["chain_id"] == chain_id]
    assert ours[0]["data"]["seq"] == 1
    assert ours[0]["data"]["service"] == spec.name
    assert ours[0]["source"] == f"/xietong/{spec.name}"
    assert (tmp_path / f"{spec.name}.ed25519.pem").exists()


async def test_a_service_without_its_key_does_not_start(servers: Servers, tmp_path: Path) -> None:
    from backbone_support import counter_service_spec
    from xietong_common.audit.crypto import AuditKeyError
    from xietong_devtools.testing import running_service

    url = await create_database(servers, "audit_nokey")
    with pytest.raises(AuditKeyError, match="no audit signing key"):
        async with running_service(
            counter_service_spec(),
            database_url=url,
            kafka_bootstrap=servers.kafka_bootstrap,
            audit_key_dir=tmp_path,
            audit_key_generate=False,
        ):
            pass  # pragma: no cover
    # Nothing of the service is left running in the process: no relay or consumer that
    # would go on writing (the backlog gauges, say) in its name.
    name = counter_service_spec().name
    assert [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith(name)] == []


# ---- the `xietong audit` commands ------------------------------------------------------------


async def _xietong(*argv: str) -> int:
    from xietong_common.cli.main import main as xietong

    # The CLI runs its own event loop, as it does from a shell.
    return await asyncio.to_thread(xietong, list(argv))


async def test_the_audit_commands_as_an_operator_and_an_outsider_use_them(
    chain: Chain,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    service = "referral"  # the commands know the six services; this database is the test's
    key_file = tmp_path / "referral.pem"
    assert await _xietong("audit", "keygen", "--algorithm", "sm2", "--out", str(key_file)) == 0
    assert "BEGIN PUBLIC KEY" in capsys.readouterr().out
    assert await _xietong("audit", "keygen", "--out", str(key_file)) == 1  # never overwritten
    monkeypatch.setenv("XIETONG_DATABASE_URL", chain.url)
    monkeypatch.setenv("XIETONG_AUDIT_KEY_FILE", str(key_file))
    monkeypatch.setenv("XIETONG_AUDIT_SIGNATURE_ALGORITHM", "sm2")
    await chain.write(3)

    # The operator signs a checkpoint now; the service's relay would publish it.
    assert await _xietong("audit", "checkpoint", service) == 0
    signed = json.loads(capsys.readouterr().out.splitlines()[0])
    assert signed["seq"] == 3
    assert signed["signature_algorithm"] == "sm2"
    async with chain.db.session() as s:
        queued = (await s.execute(sa.select(outbox.c.topic, outbox.c.key))).all()
    assert queued == [(CHECKPOINT_TOPIC, service)]

    # ... exports the public key for the auditors ...
    assert await _xietong("audit", "public-key", service) == 0
    keys = tmp_path / "referral-keys.pem"
    keys.write_text(capsys.readouterr().out)
    assert "(current): sm2" in keys.read_text()
    # ... who keep their own copy of the checkpoint.
    copy = tmp_path / "auditor.jsonl"
    copy.write_text(json.dumps(signed) + "\n")

    assert await _xietong("audit", "verify", service, "--no-kafka") == 0
    assert "intact (3 rows)" in capsys.readouterr().out

    await truncate_newest(chain, keep=2)  # and the service's record of its checkpoints with it
    # From inside alone nothing is left to compare with: why the topic and copies exist.
    assert await _xietong("audit", "verify", service, "--no-kafka") == 0
    assert "no signed checkpoint covers this chain" in capsys.readouterr().out
    outsider = [
        "audit",
        "verify",
        service,
        "--no-kafka",
        "--no-recorded",
        "--checkpoints",
        str(copy),
        "--keys",
        str(keys),
    ]
    assert await _xietong(*outsider) == 1
    out = capsys.readouterr().out
    assert "BROKEN" in out
    assert "truncated" in out


async def test_verify_reads_the_topic_through_the_configured_kafka(
    chain: Chain, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XIETONG_DATABASE_URL", chain.url)
    monkeypatch.setenv("XIETONG_KAFKA_BOOTSTRAP_SERVERS", chain.bootstrap)
    await chain.write(1)
    await _xietong("audit", "verify", "secondment")
    out = capsys.readouterr().out
    assert f"from Kafka topic {physical_topic(CHECKPOINT_TOPIC)}" in out
    # Kafka that cannot be reached is a problem: the chain could not be checked.
    monkeypatch.setenv("XIETONG_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    assert await _xietong("audit", "verify", "secondment") == 1
    assert (
        f"could not read {physical_topic(CHECKPOINT_TOPIC)} from Kafka" in capsys.readouterr().out
    )


async def test_junk_under_the_services_key_is_reported_and_binary_mode_events_are_read(
    chain: Chain,
) -> None:
    """Anything on the topic under the service's key that is not a checkpoint is a problem
    (another key's junk is another service's); a checkpoint sent as a binary-mode
    CloudEvent (attributes in headers) is read like the structured ones."""
    from aiokafka import AIOKafkaProducer

    await chain.write(2)
    async with chain.db.uow(actor=Principal.system(chain.service)) as uow:
        signed = await create_checkpoint(
            uow,
            service=chain.service,
            key=chain.key,
            deployment=TEST_DEPLOYMENT,
            force=True,
        )
    assert signed is not None
    async with chain.db.engine.begin() as conn:
        await conn.execute(sa.delete(outbox))  # published below by hand, as an SDK would
    producer = AIOKafkaProducer(bootstrap_servers=chain.bootstrap)
    await producer.start()
    try:
        key = chain.service.encode()
        await producer.send_and_wait(physical_topic(CHECKPOINT_TOPIC), b"not json", key=key)
        await producer.send_and_wait(
            physical_topic(CHECKPOINT_TOPIC), b"not json", key=b"someone-else"
        )
        await producer.send_and_wait(
            physical_topic(CHECKPOINT_TOPIC),
            signed.model_dump_json().encode(),
            key=key,
            headers=[
                ("ce_specversion", b"1.0"),
                ("ce_id", uuid.uuid4().hex.encode()),
                ("ce_source", f"/xietong/{chain.service}".encode()),
                ("ce_type", b"xietong.audit.checkpoint.v1"),
                ("ce_time", datetime.now(UTC).isoformat().encode()),
                ("content-type", b"application/json"),
            ],
        )
    finally:
        await producer.stop()
    topic = await chain.topic()
    assert [f.checkpoint.signature for f in topic.found] == [signed.signature]
    assert len(topic.problems) == 1
    assert f"(key {chain.service}) is not a checkpoint" in topic.problems[0]
    report = await chain.verify(topic)
    assert report.trusted == 1
    assert not report.ok  # the junk is reported
