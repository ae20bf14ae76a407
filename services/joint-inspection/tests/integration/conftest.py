"""Fixtures for the joint inspection service on the real stack: a running service and small
builders for targets, rosters, plans and orders."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from joint_inspection.main import SPEC
from xietong_common.auth import Principal
from xietong_common.clock import FakeClock
from xietong_common.contracts.base import IntegrationEvent
from xietong_common.contracts.secondment import RosterChanged, RosterOfficer
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.registry import registry
from xietong_common.mechanisms.roster import apply_roster
from xietong_common.parties import uscc_check_character
from xietong_common.reference import SecondmentMode
from xietong_common.tables import outbox
from xietong_devtools.files_corpus import pdf_bytes
from xietong_devtools.testing import (
    RunningService,
    physical_topic,
    running_service,
    start_group_at_end,
)

PROBLEM = "urn:xietong:problem:"
TOWN = "town:lizhi"
OTHER_TOWN = "town:baitao"
WATER = "dept:water"  # owns WAT-001 (delegated to towns)
FIRE = "dept:fire-rescue"  # owns FIR-001 (delegated to towns)
ECOLOGY = "dept:ecology-environment"  # owns ENV-001 (not delegated)
URBAN = "dept:urban-management"  # owns URB-001 (delegated to towns)
PDF = pdf_bytes("inspection record")
_codes = itertools.count(1)


def credit_code(n: int | None = None) -> str:
    """A real-format unified social credit code with its check character (GB 32100-2015)."""
    body = f"91500102MA{(n if n is not None else next(_codes)):07d}"
    return body + uscc_check_character(body)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class Insp:
    """A running joint inspection service with helpers for the common steps."""

    svc: RunningService
    clock: FakeClock
    officers: dict[str, str] = field(default_factory=dict)

    def h(self, org: str, *roles: str, user: str | None = None) -> dict[str, str]:
        return self.svc.auth(
            org, *(roles or ("handler", "leader")), user=user or f"{org}/{'-'.join(roles) or 'hl'}"
        )

    @property
    def client(self) -> Any:
        return self.svc.client

    async def target(
        self,
        *,
        town: str = TOWN,
        org: str | None = None,
        industry: str = "餐饮",
        level: str = "b",
        since: date | None = date(2020, 1, 1),
        **extra: Any,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": f"涪陵区测试餐饮店{uuid.uuid4().hex[:6]}",
            "party_kind": "legal-person",
            "id_number": credit_code(),
            "industry": industry,
            "supervision_level": level,
            "town": town,
            **extra,
        }
        if since is not None:
            body["supervised_since"] = since.isoformat()
        r = await self.client.post("/targets", json=body, headers=self.h(org or town))
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def signal(
        self, target_id: str, *, weight: int = 10, days_ago: int = 10, org: str = TOWN
    ) -> dict[str, Any]:
        r = await self.client.post(
            f"/targets/{target_id}/signals",
            json={
                "kind": "complaint",
                "source": "12345热线",
                "observed_on": (self.clock.now().date() - timedelta(days=days_ago)).isoformat(),
                "weight": weight,
                "description": "群众投诉",
            },
            headers=self.h(org),
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def roster(
        self,
        officer_id: str,
        *,
        department: str = WATER,
        towns: tuple[str, ...] = (TOWN,),
        until: date = date(2026, 12, 31),
        version: int = 1,
        team: str | None = None,
        certificate: str = "50010220240001",
        effective: date = date(2024, 1, 1),
    ) -> None:
        """SEC-02: the officer on a team's roster, kept in this service's projection."""
        event = RosterChanged(
            team_id=team or f"team-{officer_id}",
            version=version,
            department=department,
            mode=SecondmentMode.ZONE,
            name="指导队",
            towns=list(towns),
            valid_from=date(2024, 1, 1),
            effective_from=effective,
            officers=[
                RosterOfficer(
                    officer_id=officer_id,
                    name=f"下沉{officer_id}",
                    certificate_number=certificate,
                    certificate_valid_until=until,
                    towns=list(towns),
                )
            ],
            changed_at=datetime(2024, 1, 1, tzinfo=UTC),
        )
        async with self.svc.ctx.db.uow(actor=Principal.system("test")) as uow:
            await apply_roster(uow, event)

    async def order(
        self,
        target_ids: list[str],
        *,
        org: str = TOWN,
        town: str | None = None,
        matters: tuple[str, ...] = ("WAT-001", "FIR-001"),
        start: datetime | None = None,
        proposal: str | None = None,
    ) -> dict[str, Any]:
        start = start or self.clock.now() + timedelta(days=3)
        body: dict[str, Any] = {
            "title": "联合检查",
            "method": "on-site",
            "matter_codes": list(matters),
            "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(days=2)).isoformat(),
            "target_ids": target_ids,
        }
        if town:
            body["town"] = town
        if proposal:
            body["proposal"] = proposal
        r = await self.client.post("/orders", json=body, headers=self.h(org))
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def staff(self, order_id: str, *, org: str = TOWN, n: int = 2) -> list[str]:
        ids = []
        for _ in range(n):
            r = await self.client.post(
                f"/orders/{order_id}/inspectors",
                json={
                    "kind": "brigade",
                    "officer_id": f"b-{uuid.uuid4().hex[:8]}",
                    "name": "大队队员",
                },
                headers=self.h(org),
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        return ids

    async def issued(
        self, target_ids: list[str], *, notice: str = "law-forbids", **kw: Any
    ) -> dict[str, Any]:
        """A town's order, staffed, with its notice decision, issued."""
        order = await self.order(target_ids, **kw)
        inspectors = await self.staff(order["id"])
        org = kw.get("org", TOWN)
        body = {"policy": notice}
        if notice != "notify":
            body["reason"] = "依法不予公开的检查事项"
            body["legal_basis"] = "《中华人民共和国保守国家秘密法》"
        r = await self.client.put(
            f"/orders/{order['id']}/notice-policy", json=body, headers=self.h(org)
        )
        assert r.status_code == 200, r.text
        r = await self.client.post(f"/orders/{order['id']}/issue", headers=self.h(org))
        assert r.status_code == 200, r.text
        out = dict(r.json())
        out["inspector_ids"] = inspectors
        return out

    async def visit(self, order: dict[str, Any], target_id: str, *, org: str = TOWN) -> Any:
        return await self.client.post(
            f"/orders/{order['id']}/targets/{target_id}/on-site",
            json={
                "inspected_at": self.clock.now().isoformat(),
                "inspector_ids": order["inspector_ids"],
                "record": "现场检查记录",
            },
            headers=self.h(org),
        )

    async def act(self, order_id: str, path: str, org: str, body: Any = None, *roles: str) -> Any:
        return await self.client.post(
            f"/orders/{order_id}/{path}", json=body, headers=self.h(org, *roles)
        )

    async def counts(self) -> dict[str, int]:
        """Rows a refused request must leave unchanged."""
        tables = [
            "targets",
            "risk_signals",
            "plans",
            "selections",
            "work_orders",
            "visits",
            "order_inspectors",
            "merge_proposals",
            "shortcomings",
        ]
        async with self.svc.ctx.db.session() as s:
            out = {
                t: int((await s.execute(sa.text(f"SELECT count(*) FROM {t}"))).scalar_one())
                for t in tables
            }
            out["outbox"] = int(
                (await s.execute(sa.select(sa.func.count()).select_from(outbox))).scalar_one()
            )
            out["audit"] = int(
                (await s.execute(sa.text("SELECT count(*) FROM audit_log"))).scalar_one()
            )
        return out


async def refused(
    insp: Insp, response: Any, status: int, slug: str, before: dict[str, int]
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert body["type"] == PROBLEM + slug, body
    assert body["detail"]
    assert await insp.counts() == before
    return body


@pytest.fixture
async def insp(
    kafka_bootstrap: str, fresh_database: Callable[..., Any], tmp_path: Any
) -> AsyncIterator[Insp]:
    clock = FakeClock(datetime(2024, 3, 1, 2, 0, tzinfo=UTC))  # Fri 2024-03-01 10:00 CST
    url = await fresh_database("inspection", migrated_for=SPEC)
    name = f"joint-inspection-test-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(
        kafka_bootstrap, name, (registry.spec_for(m).topic for m in SPEC.handlers)
    )
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        clock=clock,
        run_jobs=False,
        blob_dir=tmp_path / "blobs",
        service_name=name,
    ) as svc:
        yield Insp(svc=svc, clock=clock)


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
def publish(producer: AIOKafkaProducer) -> Callable[..., Any]:
    """Produce a CloudEvent as another service would."""

    async def send(event: IntegrationEvent, *, key: str, source: str) -> str:
        env = CloudEvent.wrap(
            event, spec=type(event).spec, source=source, subject=key, time=datetime.now(UTC)
        )
        raw = env.to_bytes()
        await producer.send_and_wait(physical_topic(type(event).spec.topic), raw, key=key.encode())
        return str(json.loads(raw)["id"])

    return send
