"""SUP-02, history: `xietong oversight rebuild` replays the accountability topics from their
beginning into an empty ledger, and the rebuilt assessment equals the live one.

The module publishes into topics of its own (a namespace inside the session's), so that
"from the beginning" means exactly what the live service read."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from oversight.main import SPEC

from xietong_common.contracts.assistance import AssistanceRefused, RefusalGround
from xietong_common.contracts.deadlines import BreachKind, LifecycleKind
from xietong_common.events.kafka import ensure_topics
from xietong_common.events.namespace import Namespace
from xietong_common.events.registry import registry
from xietong_devtools.testing import TEST_NAMESPACE, create_database, running_service

from .conftest import Deadline, Ledger

DEPT = "dept:ecology-environment"
OTHER_DEPT = "dept:water"
TOWN = "town:lizhi"
WAIT_S = 300.0  # a generous bound for a busy box; the process's end ends the wait


@pytest.fixture(scope="module")
async def live(kafka_bootstrap: str, servers: Any) -> AsyncIterator[Ledger]:
    namespace = Namespace(f"{TEST_NAMESPACE.prefix}rebuild-{uuid.uuid4().hex[:6]}.")
    await ensure_topics(
        kafka_bootstrap,
        sorted({registry.spec_for(m).topic for m in SPEC.handlers}),
        namespace=namespace,
    )
    url = await create_database(servers, "oversight")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        async with running_service(
            SPEC,
            database_url=url,
            kafka_bootstrap=kafka_bootstrap,
            run_jobs=False,
            kafka_namespace=namespace.prefix,
            service_name=SPEC.name,  # its group: the service's, in a namespace of the test's own
        ) as svc:
            yield Ledger(svc=svc, producer=producer, namespace=namespace)
    finally:
        await producer.stop()


def deadline(org: str, month: int, day: int, rule: str = "REF-07") -> Deadline:
    due = datetime(2025, month, day, 16, 0, tzinfo=UTC)
    return Deadline(
        mechanism="referral" if rule.startswith("REF") else "assistance",
        rule=rule,
        organisation=org,
        counterparty=TOWN,
        due_at=due,
        started_at=due - timedelta(days=7),
    )


async def rebuild(kafka_bootstrap: str, database_url: str, namespace: Namespace) -> Any:
    env = {
        **os.environ,
        "XIETONG_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "XIETONG_KAFKA_NAMESPACE": namespace.prefix,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "xietong_common.cli.main",
        "oversight",
        "rebuild",
        "--database-url",
        database_url,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), WAIT_S)
    return process.returncode, out.decode(), err.decode()


async def tables(ledger: Ledger) -> dict[str, Any]:
    h = ledger.h("justice-bureau")
    found: dict[str, Any] = {}
    for period in ("2025", "2025-01", "2025-02"):
        r = await ledger.svc.client.get("/assessment", params={"period": period}, headers=h)
        assert r.status_code == 200, r.text
        found[period] = r.json()
    r = await ledger.svc.client.get("/breaches", params={"period": "2025"}, headers=h)
    # The ledger's own ids (of the deadline, of its breach fact) are new in a rebuilt ledger.
    ids = ("id", "breach_fact_id")
    found["breaches"] = [{k: v for k, v in b.items() if k not in ids} for b in r.json()["items"]]
    return found


async def test_sup_02_the_rebuilt_ledger_gives_the_live_assessment(
    live: Ledger, kafka_bootstrap: str, servers: Any
) -> None:
    on_time, late, running, ended = (deadline(DEPT, 1, d) for d in (3, 6, 9, 12))
    other = deadline(OTHER_DEPT, 2, 5, rule="ASSIST-04")
    ids = [
        *await live.tell(
            on_time, on_time.started(), on_time.met(on_time.due_at - timedelta(days=1), late=False)
        ),
        *await live.tell(
            late,
            late.started(),
            late.breached(),
            late.met(late.due_at + timedelta(days=2), late=True),
        ),
        *await live.tell(running, running.started()),
        *await live.tell(
            ended,
            ended.started(),
            ended.ended(
                LifecycleKind.CLOSED, "request-withdrawn", ended.due_at - timedelta(days=3)
            ),
        ),
        *await live.tell(other, other.started(), other.breached(), other.alert()),
        # The same breach again under a new id (a service's replay): counted once.
        *await live.tell(
            late, late.fact(LifecycleKind.BREACHED, breach_kind=BreachKind.NO_ACTION, replayed=True)
        ),
        await live.publish(
            AssistanceRefused(
                request_id=str(uuid.uuid4()),
                town=TOWN,
                department=OTHER_DEPT,
                matter_code="ENV-002",
                proposed_department=OTHER_DEPT,
                ground=RefusalGround.OUTSIDE_POWERS,
                reason="不属于本部门职权范围",
                after_acceptance=False,
                refused_at=datetime(2025, 2, 7, 3, 0, tzinfo=UTC),
                late=False,
            ),
            source="assistance",
            key=str(uuid.uuid4()),
        ),
    ]
    # A forged fact (assistance pinning a referral breach on a department): refused live,
    # and refused again by the rebuild.
    victim = deadline(DEPT, 1, 20)
    await live.publish(victim.breached(), source="assistance", key=victim.deadline_id)
    await live.until_handled(*ids)
    before = await tables(live)
    assert before["2025-01"]["totals"]["due"] == 3, before
    assert before["2025-02"]["items"][0]["refusals"] == 1, before

    url = await create_database(servers, "oversight")
    code, out, err = await rebuild(kafka_bootstrap, url, live.namespace)
    assert code == 0, err
    assert "rebuilt the ledger" in out, out
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        run_jobs=False,
        run_consumer=False,
        run_relay=False,
        kafka_namespace=live.namespace.prefix,
    ) as rebuilt_svc:
        rebuilt = Ledger(svc=rebuilt_svc, producer=live.producer, namespace=live.namespace)
        assert await tables(rebuilt) == before
    # Into a ledger that holds facts already: refused, nothing replayed.
    again, _, err = await rebuild(kafka_bootstrap, url, live.namespace)
    assert again == 1
    assert "empty" in err
