"""A running information sharing service on the real stack, and small builders."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from info_sharing.main import SPEC
from xietong_common.clock import FakeClock
from xietong_common.contracts.base import IntegrationEvent
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.registry import registry
from xietong_common.tables import audit_log, outbox
from xietong_devtools.testing import (
    RunningService,
    Servers,
    create_database,
    physical_topic,
    running_service,
    sample_codes,
    start_group_at_end,
)

PROBLEM = "urn:xietong:problem:"


@dataclass(frozen=True)
class Codes:
    town_a: str
    town_b: str
    dept: str  # owns dept_matter and town_matter's owner may differ
    dept_matter: str
    town_matter: str
    other_dept: str


@dataclass
class Info:
    """A running service with helpers for the common steps."""

    svc: RunningService
    codes: Codes
    clock: FakeClock
    blob_dir: Path

    def h(self, org: str, *roles: str) -> dict[str, str]:
        return self.svc.auth(org, *roles, user=f"{org}/{'-'.join(roles) or 'reader'}")

    def clerk(self, org: str) -> dict[str, str]:
        return self.h(org, "clerk")

    async def post(self, org: str, body: dict[str, Any], **headers: str) -> Any:
        return await self.svc.client.post(
            "/items", json=body, headers={**self.clerk(org), **headers}
        )

    async def publish(self, org: str, **fields: Any) -> dict[str, Any]:
        body = item_body(publish=True, **fields)
        r = await self.post(org, body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def get(self, item_id: str, org: str) -> Any:
        return await self.svc.client.get(f"/items/{item_id}", headers=self.h(org))

    async def subscribe(self, org: str, **filters: Any) -> dict[str, Any]:
        r = await self.svc.client.post("/subscriptions", json=filters, headers=self.clerk(org))
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def inbox(self, org: str, **params: Any) -> dict[str, Any]:
        r = await self.svc.client.get("/inbox", params=params, headers=self.h(org))
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def count(self, table: str) -> int:
        async with self.svc.ctx.db.session() as s:
            return int((await s.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one())

    async def counts(self) -> dict[str, int]:
        """What a refused request must leave unchanged."""
        tables = ("items", "attachments", "deliveries", "subscriptions", "feedback_requests")
        found = {t: await self.count(t) for t in tables}
        async with self.svc.ctx.db.session() as s:
            found["outbox"] = (
                await s.execute(sa.select(sa.func.count()).select_from(outbox))
            ).scalar_one()
        return found

    async def audit(self, action: str) -> list[dict[str, Any]]:
        async with self.svc.ctx.db.session() as s:
            rows = await s.execute(
                sa.select(audit_log.c.subject, audit_log.c.rule, audit_log.c.detail).where(
                    audit_log.c.action == action
                )
            )
            return [dict(r._mapping) for r in rows]


def item_body(**fields: Any) -> dict[str, Any]:
    """A category-9 item unless told otherwise."""
    body: dict[str, Any] = {
        "category": "other",
        "title": "关于开展夏季夜市占道经营联合整治的情况通报",
        "body": "近期荔枝街道夜市存在占道经营现象，现将联合整治情况通报如下。",
    }
    body.update(fields)
    return body


async def group_from_now(bootstrap: str, group: str) -> None:
    await start_group_at_end(bootstrap, group, (registry.spec_for(m).topic for m in SPEC.handlers))


@pytest.fixture
async def info(
    servers: Servers, kafka_bootstrap: str, fake_clock: FakeClock, tmp_path: Path
) -> AsyncIterator[Info]:
    url = await create_database(servers, "info", migrated_for=SPEC)
    name = f"info-sharing-test-{uuid.uuid4().hex[:8]}"  # its own consumer group
    await group_from_now(kafka_bootstrap, name)
    blobs = tmp_path / "blobs"
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        clock=fake_clock,
        run_jobs=False,
        blob_dir=blobs,
        service_name=name,
    ) as svc:
        codes = sample_codes(svc.ctx)
        other = next(d.code for d in svc.ctx.directory.departments() if d.code != codes["dept"])
        yield Info(
            svc=svc,
            codes=Codes(**codes, other_dept=other),
            clock=fake_clock,
            blob_dir=blobs,
        )


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
def publish_event(producer: AIOKafkaProducer) -> Callable[..., Any]:
    """Produce a CloudEvent as another service would."""

    async def send(
        event: IntegrationEvent, *, key: str, source: str, event_id: str | None = None
    ) -> str:
        env = CloudEvent.wrap(
            event, spec=type(event).spec, source=source, subject=key, time=datetime.now(UTC)
        )
        if event_id:
            env = env.model_copy(update={"id": event_id})
        raw = env.to_bytes()
        await producer.send_and_wait(physical_topic(type(event).spec.topic), raw, key=key.encode())
        return str(json.loads(raw)["id"])

    return send
