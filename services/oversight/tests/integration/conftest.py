"""The oversight service on the real stack, once per module: its ledger fed through Kafka by
events produced as the six services produce them (a raw producer, any `source`)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from oversight.main import SPEC
from oversight.models import LedgerDeadline, LedgerFact

from xietong_common.contracts.base import IntegrationEvent
from xietong_common.contracts.deadlines import (
    BreachKind,
    DeadlineBreached,
    DeadlineLifecycle,
    DeadlineUnit,
    LifecycleKind,
)
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.namespace import Namespace
from xietong_common.events.registry import registry
from xietong_devtools.testing import (
    TEST_NAMESPACE,
    RunningService,
    running_service,
    start_group_at_end,
)

WAIT_S = 120.0  # a generous bound for a busy 2-core box; the condition ends the wait


@dataclass
class Deadline:
    """One deadline of a producing service, and the facts it tells about it."""

    mechanism: str
    rule: str
    organisation: str
    counterparty: str | None
    due_at: datetime
    started_at: datetime
    deadline_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    subject: str = field(default_factory=lambda: f"referral:{uuid.uuid4()}")
    provisional: bool = False

    def facts(self) -> dict[str, Any]:
        return {
            "deadline_id": self.deadline_id,
            "mechanism": self.mechanism,
            "rule": self.rule,
            "action": "answer",
            "organisation": self.organisation,
            "counterparty": self.counterparty,
            "subject": self.subject,
            "unit": DeadlineUnit.WORKING_DAYS,
            "amount": 5,
            "started_at": self.started_at,
            "due_at": self.due_at,
            "provisional": self.provisional,
        }

    def fact(self, kind: LifecycleKind, **extra: Any) -> DeadlineLifecycle:
        at = extra.pop("recorded_at", None) or self.due_at
        return DeadlineLifecycle(**self.facts(), kind=kind, recorded_at=at, **extra)

    def started(self) -> DeadlineLifecycle:
        return self.fact(LifecycleKind.STARTED, recorded_at=self.started_at)

    def met(self, at: datetime, *, late: bool) -> DeadlineLifecycle:
        return self.fact(LifecycleKind.MET, satisfied_at=at, late=late, recorded_at=at)

    def breached(self, kind: BreachKind = BreachKind.NO_ACTION) -> DeadlineLifecycle:
        return self.fact(
            LifecycleKind.BREACHED, breach_kind=kind, recorded_at=self.due_at + timedelta(hours=1)
        )

    def alert(self) -> DeadlineBreached:
        return DeadlineBreached(
            **self.facts(), kind=BreachKind.NO_ACTION, recorded_at=self.due_at + timedelta(hours=1)
        )

    def ended(self, kind: LifecycleKind, reason: str, at: datetime) -> DeadlineLifecycle:
        return self.fact(kind, reason=reason, recorded_at=at)


@dataclass
class Ledger:
    """The running oversight service and a producer that speaks as any service."""

    svc: RunningService
    producer: AIOKafkaProducer
    namespace: Namespace = TEST_NAMESPACE  # where it publishes (test_rebuild: one of its own)

    def h(self, org: str, *roles: str) -> dict[str, str]:
        return self.svc.auth(org, *(roles or ("handler",)), user=f"{org}/officer")

    async def publish(
        self, event: IntegrationEvent, *, source: str, key: str, event_id: str | None = None
    ) -> str:
        spec = type(event).spec
        envelope = CloudEvent.wrap(
            event, spec=spec, source=f"/xietong/{source}", subject=key, time=datetime.now(UTC)
        )
        if event_id is not None:
            envelope = envelope.model_copy(update={"id": event_id})
        await self.producer.send_and_wait(
            self.namespace.topic(spec.topic), envelope.to_bytes(), key=key.encode()
        )
        return envelope.id

    async def tell(self, deadline: Deadline, *events: IntegrationEvent) -> list[str]:
        """Each event as the deadline's own service publishes it (keyed by its id)."""
        return [
            await self.publish(e, source=deadline.mechanism, key=deadline.deadline_id)
            for e in events
        ]

    async def count(self, query: sa.Select[Any]) -> int:
        async with self.svc.ctx.db.session() as session:
            return int((await session.execute(query)).scalar_one())

    async def facts_of(self, deadline_id: str) -> int:
        return await self.count(
            sa.select(sa.func.count())
            .select_from(LedgerFact)
            .where(LedgerFact.fact_key.startswith(f"{deadline_id}:"))
        )

    async def handled(self, event_id: str) -> bool:
        return bool(
            await self.count(
                sa.select(sa.func.count())
                .select_from(sa.table("inbox", sa.column("event_id")))
                .where(sa.column("event_id") == event_id)
            )
        )

    async def until(self, check: Callable[[], Awaitable[bool]], what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_S
        while not await check():
            if loop.time() > deadline:
                raise AssertionError(f"not within {WAIT_S} s: {what}")
            await asyncio.sleep(0.1)

    async def until_handled(self, *event_ids: str) -> None:
        for event_id in event_ids:
            await self.until(lambda e=event_id: self.handled(e), f"event {event_id} handled")

    async def ledger_row(self, deadline: Deadline) -> LedgerDeadline | None:
        async with self.svc.ctx.db.session() as session:
            return (
                await session.execute(
                    sa.select(LedgerDeadline).where(
                        LedgerDeadline.deadline_id == deadline.deadline_id
                    )
                )
            ).scalar_one_or_none()

    async def assessment(self, org: str, **params: Any) -> dict[str, Any]:
        r = await self.svc.client.get(
            "/assessment", params=params, headers=self.h("justice-bureau")
        )
        assert r.status_code == 200, r.text
        rows = [row for row in r.json()["items"] if row["organisation"] == org]
        assert len(rows) <= 1
        return rows[0] if rows else {}


@pytest.fixture(scope="module")
async def ledger(kafka_bootstrap: str, servers: Any) -> AsyncIterator[Ledger]:
    from xietong_devtools.testing import create_database

    url = await create_database(servers, "oversight")
    name = f"oversight-test-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(
        kafka_bootstrap, name, (registry.spec_for(m).topic for m in SPEC.handlers)
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        async with running_service(
            SPEC,
            database_url=url,
            kafka_bootstrap=kafka_bootstrap,
            run_jobs=False,
            service_name=name,
        ) as svc:
            yield Ledger(svc=svc, producer=producer)
    finally:
        await producer.stop()


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, default=str)
