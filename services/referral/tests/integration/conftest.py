"""Fixtures for the referral service on the real stack: a running service and small builders."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from referral.main import SPEC
from xietong_common.clock import FakeClock
from xietong_common.contracts.base import IntegrationEvent
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.registry import registry
from xietong_common.tables import outbox
from xietong_devtools.files_corpus import pdf_bytes
from xietong_devtools.testing import (
    RunningService,
    physical_topic,
    running_service,
    sample_codes,
    start_group_at_end,
)


@dataclass(frozen=True)
class Codes:
    """Organisations and matters from the reference data that the tests route between."""

    town_a: str  # the finder
    town_b: str  # another town
    dept: str  # owns dept_matter
    dept_matter: str  # not delegated to towns
    town_matter: str  # delegated to towns


PDF = pdf_bytes("test document")


@dataclass
class Case:
    """A running referral service with helpers for the common steps."""

    svc: RunningService
    codes: Codes
    clock: FakeClock

    def h(self, org: str, *roles: str) -> dict[str, str]:
        return self.svc.auth(org, *roles, user=f"{org}/{'-'.join(roles) or 'nobody'}")

    @property
    def sender(self) -> dict[str, str]:
        return self.h(self.codes.town_a, "handler")

    async def draft(self, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "matter_code": self.codes.dept_matter,
            "place_town": self.codes.town_a,
            "found_at": self.clock.now().isoformat(),
            "facts": "巡查发现企业向河道直排污水",
            "party": {"name": "某某化工有限公司", "kind": "legal-person"},
        }
        body.update(overrides)
        r = await self.svc.client.post("/referrals", json=body, headers=self.sender)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def upload(
        self,
        rid: str,
        kind: str,
        *,
        content: bytes = PDF,
        content_type: str = "application/pdf",
        headers: dict[str, str] | None = None,
    ) -> Any:
        return await self.svc.client.post(
            f"/referrals/{rid}/materials",
            data={"kind": kind},
            files={"file": (f"{kind}.pdf", content + uuid.uuid4().bytes, content_type)},
            headers=headers or self.sender,
        )

    async def ready(self, **overrides: Any) -> dict[str, Any]:
        referral = await self.draft(**overrides)
        for kind in ("letter", "item-list"):
            assert (await self.upload(referral["id"], kind)).status_code == 201
        return referral

    async def sent(self, **overrides: Any) -> dict[str, Any]:
        referral = await self.ready(**overrides)
        r = await self.svc.client.post(f"/referrals/{referral['id']}/send", headers=self.sender)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def received(self, **overrides: Any) -> dict[str, Any]:
        referral = await self.sent(**overrides)
        r = await self.svc.client.post(
            f"/referrals/{referral['id']}/receive",
            json={"signer_name": "王芳"},
            headers=self.h(referral["receiver"], "clerk"),
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def act(self, rid: str, step: str, org: str, *roles: str, **body: Any) -> Any:
        return await self.svc.client.post(
            f"/referrals/{rid}/{step}", json=body, headers=self.h(org, *roles)
        )

    async def get(self, rid: str, org: str | None = None) -> Any:
        return await self.svc.client.get(
            f"/referrals/{rid}", headers=self.h(org or self.codes.town_a, "handler")
        )

    async def counts(self) -> tuple[int, int]:
        """(referrals, outbox rows): what a refused request must leave unchanged."""
        async with self.svc.ctx.db.session() as s:
            referrals = (await s.execute(sa.text("SELECT count(*) FROM referrals"))).scalar_one()
            events = (await s.execute(sa.select(sa.func.count()).select_from(outbox))).scalar_one()
        return int(referrals), int(events)


async def group_from_now(bootstrap: str, group: str) -> None:
    """A consumer group of the test's own, starting at the end of the consumed topics."""
    await start_group_at_end(bootstrap, group, (registry.spec_for(m).topic for m in SPEC.handlers))


@pytest.fixture
async def case(
    kafka_bootstrap: str, fresh_database: Callable[..., Any], tmp_path: Any
) -> AsyncIterator[Case]:
    clock = FakeClock(datetime(2024, 3, 1, 2, 0, tzinfo=UTC))  # Fri 2024-03-01 10:00 CST
    url = await fresh_database("referral", migrated_for=SPEC)
    # The consumer group is the service name: one of its own per test.
    name = f"referral-test-{uuid.uuid4().hex[:8]}"
    await group_from_now(kafka_bootstrap, name)
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        clock=clock,
        run_jobs=False,
        blob_dir=tmp_path / "blobs",
        service_name=name,
    ) as svc:
        yield Case(svc=svc, codes=Codes(**sample_codes(svc.ctx)), clock=clock)


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await p.start()
    yield p
    await p.stop()


def envelope(
    event: IntegrationEvent, *, key: str, source: str, event_id: str | None = None
) -> bytes:
    env = CloudEvent.wrap(
        event, spec=type(event).spec, source=source, subject=key, time=datetime.now(UTC)
    )
    if event_id:
        env = env.model_copy(update={"id": event_id})
    return env.to_bytes()


@pytest.fixture
def publish(producer: AIOKafkaProducer) -> Callable[..., Any]:
    """Produce a CloudEvent as another service would."""

    async def send(
        event: IntegrationEvent, *, key: str, source: str, event_id: str | None = None
    ) -> str:
        raw = envelope(event, key=key, source=source, event_id=event_id)
        await producer.send_and_wait(physical_topic(type(event).spec.topic), raw, key=key.encode())
        return str(json.loads(raw)["id"])

    return send
