"""A running assistance service on the real stack (PostgreSQL, Kafka) and small builders."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from assistance.main import SPEC
from xietong_common.clock import FakeClock
from xietong_common.context import ServiceContext
from xietong_common.contracts.base import IntegrationEvent
from xietong_common.contracts.secondment import RosterChanged, RosterOfficer
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.registry import registry
from xietong_common.jobs import Job, run_job_once
from xietong_common.mechanisms.roster import apply_roster
from xietong_common.reference import SecondmentMode
from xietong_common.tables import audit_log, deadlines, outbox
from xietong_devtools.files_corpus import pdf_bytes
from xietong_devtools.testing import (
    RunningService,
    physical_topic,
    running_service,
    start_group_at_end,
)

PROBLEM = "urn:xietong:problem:"
PDF = pdf_bytes("assistance test document")


@dataclass(frozen=True)
class Codes:
    """Organisations and matters from the reference data the tests use."""

    town: str  # asks for help
    other_town: str
    dept: str  # owns `matter` (delegated to towns)
    matter: str
    other_dept: str  # does not own `matter`
    dept_level_matter: str  # owned by `dept`, not delegated to towns


def codes_of(ctx: ServiceContext) -> Codes:
    towns = sorted(o.code for o in ctx.directory.towns())
    matter = next(
        m for m in ctx.catalogue.all() if m.town_level and m.owner == "dept:ecology-environment"
    )
    dept_level = next(
        m for m in ctx.catalogue.all() if not m.town_level and m.owner == matter.owner
    )
    other_dept = next(d.code for d in ctx.directory.departments() if d.code != matter.owner)
    town = "town:lizhi" if "town:lizhi" in towns else towns[0]
    return Codes(
        town=town,
        other_town=next(t for t in towns if t != town),
        dept=matter.owner,
        matter=matter.code,
        other_dept=other_dept,
        dept_level_matter=dept_level.code,
    )


@dataclass
class Assist:
    """The running service with helpers for the common steps."""

    svc: RunningService
    codes: Codes
    clock: FakeClock

    def h(self, org: str, *roles: str) -> dict[str, str]:
        return self.svc.auth(org, *roles, user=f"{org}/{'-'.join(roles) or 'nobody'}")

    @property
    def town(self) -> dict[str, str]:
        return self.h(self.codes.town, "handler")

    @property
    def dept(self) -> dict[str, str]:
        return self.h(self.codes.dept, "handler")

    async def draft(
        self, headers: dict[str, str] | None = None, **overrides: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "matter_code": self.codes.matter,
            "ground": "technical-support",
            "needed": "请协助对焚烧残留物取样检测，出具检测报告",
        }
        body.update(overrides)
        r = await self.svc.client.post(
            "/assistance-requests", json=body, headers=headers or self.town
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def upload(
        self, rid: str, headers: dict[str, str], *, content: bytes = PDF, name: str = "a.pdf"
    ) -> Any:
        return await self.svc.client.post(
            f"/assistance-requests/{rid}/materials",
            files={"file": (name, content, "application/pdf")},
            headers=headers,
        )

    async def post(self, rid: str, step: str, headers: dict[str, str], **body: Any) -> Any:
        return await self.svc.client.post(
            f"/assistance-requests/{rid}/{step}", json=body, headers=headers
        )

    async def submitted(self, **overrides: Any) -> dict[str, Any]:
        request = await self.draft(**overrides)
        r = await self.post(request["id"], "submit", self.town)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def own_officer(self, n: int = 1) -> dict[str, Any]:
        # A certificate no roster on the shared broker carries (so never taken for seconded).
        return {"name": f"王{n}", "certificate_number": f"50010299{n:06d}"}

    async def accepted(self, completion: date | None = None, **overrides: Any) -> dict[str, Any]:
        request = await self.submitted(**overrides)
        r = await self.post(
            request["id"],
            "accept",
            self.dept,
            officers=[self.own_officer()],
            agreed_completion_date=(completion or date(2024, 3, 8)).isoformat(),
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def get(self, rid: str, headers: dict[str, str] | None = None) -> Any:
        return await self.svc.client.get(
            f"/assistance-requests/{rid}", headers=headers or self.town
        )

    async def counts(self) -> tuple[int, ...]:
        """(requests, officers, extensions, flags, materials, outbox, audit, deadlines):
        what a refused request must leave unchanged."""
        async with self.svc.ctx.db.session() as s:
            found = []
            for table in (
                "assistance_requests",
                "assistance_officers",
                "assistance_extensions",
                "assistance_obstruction_flags",
                "assistance_materials",
            ):
                found.append(
                    (await s.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one()
                )
            for t in (outbox, audit_log, deadlines):
                found.append(
                    (await s.execute(sa.select(sa.func.count()).select_from(t))).scalar_one()
                )
            states = (
                await s.execute(
                    sa.text("SELECT string_agg(state, ',' ORDER BY id) FROM assistance_requests")
                )
            ).scalar_one()
        return (*[int(n) for n in found], states)

    async def roster(
        self,
        *,
        officer_id: str = "off-0042",
        certificate: str = "50010220249042",
        department: str | None = None,
        towns: list[str] | None = None,
        certificate_valid_until: date = date(2026, 12, 31),
        team_id: str = "team-1",
        version: int = 1,
    ) -> RosterChanged:
        """A secondment team in the local roster projection, as the secondment service sends it."""
        event = roster_event(
            officer_id=officer_id,
            certificate=certificate,
            department=department or self.codes.dept,
            towns=towns or [self.codes.town],
            certificate_valid_until=certificate_valid_until,
            team_id=team_id,
            version=version,
        )
        async with self.svc.ctx.db.uow() as uow:
            await apply_roster(uow, event)
        return event

    def sweep(self) -> Job:
        """The service's own deadline-sweep job (the shared one), as it runs."""
        (job,) = [j for j in SPEC.jobs if j.name == "deadline-sweep"]
        return job.job(self.svc.ctx)

    async def run_sweep(self) -> None:
        assert await run_job_once(self.svc.ctx.db, "deadline-sweep", self.sweep())


def roster_event(
    *,
    officer_id: str,
    certificate: str,
    department: str,
    towns: list[str],
    certificate_valid_until: date,
    team_id: str,
    version: int,
) -> RosterChanged:
    return RosterChanged(
        team_id=team_id,
        version=version,
        department=department,
        mode=SecondmentMode.ZONE,
        name="第一片区指导队",
        towns=towns,
        valid_from=date(2024, 1, 1),
        valid_until=None,
        effective_from=date(2024, 1, 1),
        dissolved=False,
        officers=[
            RosterOfficer(
                officer_id=officer_id,
                name="赵六",
                certificate_number=certificate,
                certificate_valid_from=date(2023, 1, 1),
                certificate_valid_until=certificate_valid_until,
                towns=towns,
            )
        ],
        changed_at=datetime(2024, 1, 1, tzinfo=UTC),
    )


@pytest.fixture
async def assist(
    kafka_bootstrap: str, fresh_database: Callable[..., Any], tmp_path: Any
) -> AsyncIterator[Assist]:
    clock = FakeClock(datetime(2024, 3, 1, 2, 0, tzinfo=UTC))  # Fri 2024-03-01 10:00 CST
    url = await fresh_database("assistance", migrated_for=SPEC)
    name = f"assistance-test-{uuid.uuid4().hex[:8]}"  # its own consumer group
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
        yield Assist(svc=svc, codes=codes_of(svc.ctx), clock=clock)


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
def publish(producer: AIOKafkaProducer) -> Callable[..., Any]:
    """Produce a CloudEvent as another service would (or as a forger would)."""

    async def send(event: IntegrationEvent, *, key: str, source: str) -> str:
        env = CloudEvent.wrap(
            event, spec=type(event).spec, source=source, subject=key, time=datetime.now(UTC)
        )
        raw = env.to_bytes()
        await producer.send_and_wait(physical_topic(type(event).spec.topic), raw, key=key.encode())
        return str(json.loads(raw)["id"])

    return send


async def refused(
    assist: Assist, response: Any, status: int, slug: str, before: tuple[int, ...]
) -> dict[str, Any]:
    """A clear problem+json of this type, and nothing changed."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert body["type"] == PROBLEM + slug, body
    assert body["detail"]
    assert await assist.counts() == before
    return body
