"""SUP-01, the outsider: oversight reads every service's signed audit checkpoints from the
real `audit.checkpoint` topic, checks each signature against the service's public keys and
each chain's continuity, and raises `oversight.audit-alarm` (and a metric) once per
checkpoint it cannot trust: a forged signature, a gap, a rollback, a replaced chain.

Checkpoints are signed here with keys this module makes (their public keys given to
oversight as `<service>.pem` in XIETONG_OVERSIGHT_AUDIT_KEYS_DIR) and published as each
service publishes them; the oversight under test is a deployment of its own, so the
checkpoints other tests' services publish on the same broker are not judged by it.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from oversight import handlers
from oversight.main import SPEC
from oversight.models import Alarm, WatchedCheckpoint
from prometheus_client import REGISTRY

from xietong_common.attestation.checkpoints import ChainHead, sign_head
from xietong_common.audit.crypto import SigningKey, generate_key
from xietong_common.auth import Principal
from xietong_common.contracts.audit import AuditCheckpointSigned
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.kafka import ensure_topics
from xietong_common.events.registry import registry
from xietong_common.services import SERVICES
from xietong_devtools.testing import (
    TEST_NAMESPACE,
    TopicReader,
    create_database,
    running_service,
    start_group_at_end,
)

from .conftest import Ledger

pytestmark = pytest.mark.integration

DEPLOYMENT = f"outsider-{uuid.uuid4().hex[:8]}"
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@dataclass
class Keys:
    signing: dict[str, SigningKey]
    stranger: SigningKey  # a key nobody gave oversight


@dataclass
class Outsider:
    ledger: Ledger
    keys: Keys
    alarms: TopicReader
    sent: list[str] = field(default_factory=list)

    async def tell(self, checkpoint: AuditCheckpointSigned, *, source: str | None = None) -> str:
        """Publish as the service publishes its checkpoints (keyed by the service), and wait
        until oversight has handled it."""
        event_id = await self.ledger.publish(
            checkpoint, source=source or checkpoint.service, key=checkpoint.service
        )
        await self.ledger.until_handled(event_id)
        return event_id

    async def alarms_of(self, service: str) -> list[Alarm]:
        async with self.ledger.svc.ctx.db.session() as session:
            rows = await session.execute(
                sa.select(Alarm).where(Alarm.service == service).order_by(Alarm.raised_at)
            )
            return list(rows.scalars())


@pytest.fixture(scope="module")
async def outsider(
    kafka_bootstrap: str, servers: Any, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Outsider]:
    keys_dir: Path = tmp_path_factory.mktemp("audit-public-keys")
    signing = {service: generate_key("ed25519") for service in SERVICES}
    for service, key in signing.items():
        (keys_dir / f"{service}.pem").write_text(key.public.pem())
    url = await create_database(servers, "outsider")
    name = f"oversight-outsider-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(
        kafka_bootstrap, name, (registry.spec_for(m).topic for m in SPEC.handlers)
    )
    await ensure_topics(kafka_bootstrap, ["oversight.audit-alarm"], namespace=TEST_NAMESPACE)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    reader = TopicReader(kafka_bootstrap, ["oversight.audit-alarm"])
    await reader.start()
    try:
        async with running_service(
            SPEC,
            database_url=url,
            kafka_bootstrap=kafka_bootstrap,
            run_jobs=False,
            service_name=name,
            deployment_id=DEPLOYMENT,
            oversight_audit_keys_dir=keys_dir,
        ) as svc:
            yield Outsider(
                ledger=Ledger(svc=svc, producer=producer),
                keys=Keys(signing=signing, stranger=generate_key("ed25519")),
                alarms=reader,
            )
    finally:
        await reader.stop()
        await producer.stop()


def row_hash(chain: str, seq: int) -> str:
    return hashlib.sha256(f"{chain}:{seq}".encode()).hexdigest()


def checkpoint(
    keys: Keys,
    service: str,
    chain: str,
    seq: int,
    *,
    at: datetime = T0,
    previous: int | None = None,
    key: SigningKey | None = None,
    hash_: str | None = None,
    deployment: str | None = DEPLOYMENT,
) -> AuditCheckpointSigned:
    head = ChainHead(chain, seq, hash_ or row_hash(chain, seq), "sha256")
    return sign_head(
        head,
        service=service,
        key=key or keys.signing[service],
        at=at + timedelta(minutes=seq),
        deployment=deployment,
        previous=(previous, row_hash(chain, previous)) if previous else None,
    )


def counted(service: str, kind: str) -> float:
    value = REGISTRY.get_sample_value(
        "xietong_oversight_audit_alarms_total", {"service": service, "kind": kind}
    )
    return value or 0.0


async def alarm_events(outsider: Outsider, service: str, count: int) -> list[dict[str, Any]]:
    """The `oversight.audit-alarm` events about `service` once `count` of them are seen."""

    def mine(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [e for e in events if e["data"]["service"] == service]

    await outsider.ledger.svc.outbox_drained()
    events = await outsider.alarms.collect(lambda es: len(mine(es)) >= count, timeout_s=60)
    return mine(events)


async def test_sup_01_the_outsider_trusts_a_good_sequence_of_checkpoints(
    outsider: Outsider,
) -> None:
    """Checkpoints that follow each other (a head moving forward, the same head signed again,
    each naming the one before) raise nothing; oversight keeps what it read and shows the
    newest trusted head of the chain. Another deployment's checkpoints are not judged."""
    keys, service, chain = outsider.keys, "referral", str(uuid.uuid4())
    await outsider.tell(checkpoint(keys, service, chain, 5))
    await outsider.tell(checkpoint(keys, service, chain, 9, previous=5))
    # The same head signed again (a forced checkpoint): no rollback, nothing missing.
    await outsider.tell(checkpoint(keys, service, chain, 9, previous=5, at=T0 + timedelta(hours=1)))
    await outsider.tell(checkpoint(keys, service, chain, 12, previous=9))
    await outsider.tell(checkpoint(keys, service, chain, 15))  # one stating no predecessor
    # Another deployment's checkpoint, even one going backwards, is not this one's business.
    await outsider.tell(checkpoint(keys, service, str(uuid.uuid4()), 1, deployment="staging"))
    assert await outsider.alarms_of(service) == []
    assert counted(service, "rollback") == counted(service, "bad-signature") == 0
    async with outsider.ledger.svc.ctx.db.session() as session:
        verdicts = (
            await session.execute(
                sa.select(WatchedCheckpoint.seq, WatchedCheckpoint.verdict)
                .where(WatchedCheckpoint.service == service)
                .order_by(WatchedCheckpoint.id)
            )
        ).all()
    assert [tuple(v) for v in verdicts] == [(5, "ok"), (9, "ok"), (9, "ok"), (12, "ok"), (15, "ok")]
    h = outsider.ledger.h("justice-bureau")
    r = await outsider.ledger.svc.client.get("/audit-chains", headers=h)
    assert r.status_code == 200, r.text
    (mine,) = [c for c in r.json() if c["service"] == service]
    assert (mine["chain_id"], mine["seq"], mine["checkpoints"]) == (chain, 15, 5)
    r = await outsider.ledger.svc.client.get("/alarms", params={"service": service}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["items"] == []


async def test_sup_01_the_outsider_raises_an_alarm_on_a_forged_checkpoint(
    outsider: Outsider,
) -> None:
    """A checkpoint signed with a key oversight was not given, or altered after signing, is
    an alarm (`bad-signature`), once: told again under another event id, nothing more. It
    moves nothing: the next genuine checkpoint is judged against the last genuine one."""
    keys, service, chain = outsider.keys, "assistance", str(uuid.uuid4())
    before = counted(service, "bad-signature")
    await outsider.tell(checkpoint(keys, service, chain, 10))
    forged = checkpoint(keys, service, chain, 3, key=keys.stranger)
    await outsider.tell(forged)
    await outsider.tell(forged)  # the same forgery again, under a new event id
    genuine = checkpoint(keys, service, chain, 20, previous=10)
    altered = genuine.model_copy(update={"hash": row_hash(chain, 21)})
    await outsider.tell(altered)
    await outsider.tell(genuine)  # after the forgeries: trusted, continuous with row 10
    alarms = await outsider.alarms_of(service)
    assert [(a.kind, a.facts["seq"]) for a in alarms] == [
        ("bad-signature", 3),
        ("bad-signature", 20),
    ]
    assert "not a trusted key" in alarms[0].detail
    assert "does not verify" in alarms[1].detail
    assert counted(service, "bad-signature") == before + 2
    events = await alarm_events(outsider, service, 2)
    assert sorted((e["data"]["kind"], e["data"]["seq"]) for e in events) == [
        ("bad-signature", 3),
        ("bad-signature", 20),
    ]
    assert {e["type"] for e in events} == {"xietong.oversight.audit-alarm.v1"}
    assert {e["data"]["alarm_id"] for e in events} == {str(a.id) for a in alarms}
    # The justice bureau sees them; a town may not (403), nor the services' own staff.
    h = outsider.ledger.h("justice-bureau")
    r = await outsider.ledger.svc.client.get("/alarms", params={"service": service}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(a["kind"], a["facts"]["seq"]) for a in body["items"]] == [
        ("bad-signature", 20),
        ("bad-signature", 3),
    ]
    assert body["items"][0]["detail_zh"].startswith("assistance：审计检查点签名无效")
    town = outsider.ledger.h("town:lizhi")
    assert (await outsider.ledger.svc.client.get("/alarms", headers=town)).status_code == 403
    r = await outsider.ledger.svc.client.get("/audit-chains", headers=town)
    assert r.status_code == 403


async def test_sup_01_the_outsider_raises_an_alarm_on_a_gap_and_on_a_rollback(
    outsider: Outsider,
) -> None:
    """A checkpoint naming a predecessor oversight never read is a gap; one behind the newest
    trusted row, or the same row with another hash, is a rollback; each raised once. After a
    gap the chain is followed from the new checkpoint (its signature is good), so one
    missing checkpoint is one alarm."""
    keys, service, chain = outsider.keys, "legal-review", str(uuid.uuid4())
    await outsider.tell(checkpoint(keys, service, chain, 10))
    await outsider.tell(checkpoint(keys, service, chain, 14, previous=10))
    gap = checkpoint(keys, service, chain, 30, previous=22)  # row 22's checkpoint: never seen
    await outsider.tell(gap)
    await outsider.tell(gap)  # again, under a new event id: nothing more
    await outsider.tell(checkpoint(keys, service, chain, 35, previous=30))  # continuous again
    back = checkpoint(keys, service, chain, 12, at=T0 + timedelta(days=1))  # behind row 35
    await outsider.tell(back)
    await outsider.tell(back)
    rewritten = checkpoint(keys, service, chain, 35, hash_=row_hash("another", 35))
    await outsider.tell(rewritten)
    await outsider.tell(checkpoint(keys, service, chain, 40, previous=35))  # still fine
    alarms = await outsider.alarms_of(service)
    assert [(a.kind, a.facts["seq"], a.facts["expected_seq"]) for a in alarms] == [
        ("gap", 30, 14),
        ("rollback", 12, 35),
        ("rollback", 35, 35),
    ]
    assert "never read" in alarms[0].detail
    assert "rewritten" in alarms[2].detail
    assert counted(service, "gap") == 1
    assert counted(service, "rollback") == 2
    events = await alarm_events(outsider, service, 3)
    assert sorted((e["data"]["kind"], e["data"]["seq"]) for e in events) == [
        ("gap", 30),
        ("rollback", 12),
        ("rollback", 35),
    ]


async def test_sup_01_the_outsider_raises_an_alarm_when_a_chain_is_replaced(
    outsider: Outsider,
) -> None:
    """A new chain of a service whose chain oversight followed (a database rebuilt from
    scratch) is an alarm, once; the new chain is followed from then on."""
    keys, service = outsider.keys, "secondment"
    old, new = str(uuid.uuid4()), str(uuid.uuid4())
    await outsider.tell(checkpoint(keys, service, old, 50))
    await outsider.tell(checkpoint(keys, service, new, 2))
    await outsider.tell(checkpoint(keys, service, new, 4, previous=2))
    alarms = await outsider.alarms_of(service)
    assert [(a.kind, a.facts["chain_id"], a.facts["expected_chain_id"]) for a in alarms] == [
        ("chain-replaced", new, old)
    ]


async def test_sup_01_a_service_tells_only_its_own_chain(outsider: Outsider) -> None:
    """A checkpoint of one service's chain published by another is refused (dead-lettered):
    not judged, not kept, no alarm on the service it names."""
    keys, service, chain = outsider.keys, "joint-inspection", str(uuid.uuid4())
    event_id = await outsider.ledger.publish(
        checkpoint(keys, service, chain, 3), source="referral", key=service
    )
    # Published after it on the same partition (the same key): handled once it is done.
    await outsider.tell(checkpoint(keys, service, chain, 5))
    assert not await outsider.ledger.handled(event_id)
    async with outsider.ledger.svc.ctx.db.session() as session:
        seqs = (
            await session.execute(
                sa.select(WatchedCheckpoint.seq).where(WatchedCheckpoint.service == service)
            )
        ).scalars()
        assert list(seqs) == [5]
    assert await outsider.alarms_of(service) == []


async def test_sup_01_the_outsider_trusts_a_checkpoint_as_a_service_signs_it(
    kafka_bootstrap: str, servers: Any
) -> None:
    """End to end with the platform's own signing: oversight's audit chain is signed by its
    checkpoint code (`create_checkpoint`, the key under audit_key_dir as `make run` and the
    tests keep it), published through the outbox to `audit.checkpoint`, read back by the same
    oversight through its inbox and judged with the keys the service trusts (no keys
    directory set): trusted, no alarm."""
    from xietong_common.attestation.checkpoints import create_checkpoint
    from xietong_common.audit.keys import service_signing_key
    from xietong_common.auth import Principal

    url = await create_database(servers, "outsider_e2e")
    name = f"oversight-outsider-e2e-{uuid.uuid4().hex[:8]}"
    deployment = f"outsider-e2e-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(
        kafka_bootstrap, name, (registry.spec_for(m).topic for m in SPEC.handlers)
    )
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        run_jobs=False,
        service_name=name,
        deployment_id=deployment,
    ) as svc:
        key = service_signing_key(svc.settings, "oversight")
        async with svc.ctx.db.uow(actor=Principal.system("outsider-test")) as uow:
            uow.audit(action="test.touched", subject="test:1", rule="SUP-01")
        async with svc.ctx.db.uow(actor=Principal.system("outsider-test")) as uow:
            signed = await create_checkpoint(
                uow, service="oversight", key=key, deployment=deployment
            )
        assert signed is not None

        async def judged() -> bool:
            async with svc.ctx.db.session() as session:
                found = await session.execute(
                    sa.select(WatchedCheckpoint.verdict).where(
                        WatchedCheckpoint.signature == signed.signature
                    )
                )
                return found.scalar_one_or_none() == "ok"

        for _ in range(1200):  # a busy 2-core box: up to two minutes
            if await judged():
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the checkpoint was not judged trusted")
        async with svc.ctx.db.session() as session:
            assert (
                await session.execute(sa.select(sa.func.count()).select_from(Alarm))
            ).scalar() == 0
        r = await svc.client.get("/audit-chains", headers=svc.auth("justice-bureau", "handler"))
        (chain,) = r.json()
        assert (chain["service"], chain["seq"], chain["hash"]) == (
            "oversight",
            signed.seq,
            signed.hash,
        )


async def test_sup_01_a_service_whose_keys_oversight_lacks_is_one_alarm_not_one_each(
    outsider: Outsider,
) -> None:
    """Oversight given no public key of a service cannot trust any of its checkpoints: that
    is an alarm, once per key the service signs with, not once per checkpoint."""
    keys, service, chain = outsider.keys, "notifier", str(uuid.uuid4())
    settings = outsider.ledger.svc.settings
    keys_dir = getattr(settings, "oversight_audit_keys_dir", None)
    assert keys_dir is not None
    (Path(keys_dir) / f"{service}.pem").unlink()
    before = counted(service, "bad-signature")
    await outsider.tell(checkpoint(keys, service, chain, 1))
    await outsider.tell(checkpoint(keys, service, chain, 2, previous=1))
    await outsider.tell(checkpoint(keys, service, chain, 3, previous=2))
    (alarm,) = await outsider.alarms_of(service)
    assert alarm.kind == "bad-signature"
    assert "holds no public key of notifier" in alarm.detail
    assert counted(service, "bad-signature") == before + 1


async def test_sup_01_an_alarm_whose_handler_fails_and_is_retried_is_counted_once(
    outsider: Outsider,
) -> None:
    """The alarm's counter moves with its commit: a handler that fails after recording the
    alarm (rolled back: no alarm, no event) and is retried, as the inbox retries it, counts
    one alarm."""
    keys, service, chain = outsider.keys, "secondment", str(uuid.uuid4())
    svc = outsider.ledger.svc
    forged = checkpoint(keys, service, chain, 4, key=keys.stranger)
    envelope = CloudEvent.wrap(
        forged,
        spec=registry.spec_for(AuditCheckpointSigned),
        source=f"/xietong/{service}",
        subject=service,
        time=datetime.now(UTC),
    )
    before = counted(service, "bad-signature")

    async def alarms_on_chain() -> list[str]:
        alarms = await outsider.alarms_of(service)  # other tests' too: this chain's only
        return [a.kind for a in alarms if a.facts["chain_id"] == chain]

    async def attempt(*, fail: bool) -> None:
        db = svc.ctx.db
        async with db.uow(actor=Principal.system(db.service_name)) as uow:
            await handlers.on_audit_checkpoint(uow, forged, envelope, ctx=svc.ctx)
            if fail:
                raise RuntimeError("the handler fails after recording the alarm")

    with pytest.raises(RuntimeError, match="after recording the alarm"):
        await attempt(fail=True)
    assert await alarms_on_chain() == []
    assert counted(service, "bad-signature") == before
    await attempt(fail=False)  # the retry
    assert await alarms_on_chain() == ["bad-signature"]
    assert counted(service, "bad-signature") == before + 1
