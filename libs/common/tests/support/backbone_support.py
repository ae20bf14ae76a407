"""A tiny aggregate and event for exercising the backbone on the real stack."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter
from sqlalchemy.ext.asyncio import create_async_engine

from xietong_common.backbone import create_backbone_schema
from xietong_common.clock import SystemClock
from xietong_common.contracts.base import IntegrationEvent, event
from xietong_common.db import Database
from xietong_common.reference import OrgKind
from xietong_common.uow import UnitOfWork
from xietong_common.web import Context, CurrentPrincipal, ServiceSpec
from xietong_common.web.access import Allowed
from xietong_common.web.problems import problem_responses

TOPIC = "test.counter-incremented"

test_metadata = sa.MetaData()
counters = sa.Table(
    "counters",
    test_metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)


@event(TOPIC, producers=("test", "counter-test"), consumers=("test",))
class CounterIncremented(IntegrationEvent):
    """Test-only event: a counter went up by one."""

    counter: str
    seq: int


async def prepare_database(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(create_backbone_schema)
        await conn.run_sync(test_metadata.create_all)
    await engine.dispose()


@dataclass
class Harness:
    db: Database
    url: str


async def harness(url: str, name: str = "test") -> AsyncIterator[Harness]:
    await prepare_database(url)
    db = Database(url, clock=SystemClock(), service_name=name)
    try:
        yield Harness(db=db, url=url)
    finally:
        await db.dispose()


async def increment(uow: UnitOfWork, counter: str, seq: int) -> None:
    """The use case: bump a counter and say so."""
    from sqlalchemy.dialects.postgresql import insert

    stmt = insert(counters).values(name=counter, value=1)
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[counters.c.name], set_={"value": counters.c.value + 1}
        )
    )
    uow.publish(CounterIncremented(counter=counter, seq=seq), key=counter)


def new_key() -> str:
    return f"c-{uuid.uuid4().hex[:8]}"


async def count_handled(uow: UnitOfWork, event: CounterIncremented, envelope: object) -> None:
    """A consumer's handler: applies the increment to its own copy of the counter."""
    from sqlalchemy.dialects.postgresql import insert

    stmt = insert(counters).values(name=event.counter, value=1)
    await uow.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[counters.c.name], set_={"value": counters.c.value + 1}
        )
    )


async def counter_value(db: Database, name: str) -> int | None:
    async with db.session() as s:
        return (
            await s.execute(sa.select(counters.c.value).where(counters.c.name == name))
        ).scalar_one_or_none()


def envelope_bytes(event: IntegrationEvent, *, key: str, event_id: str | None = None) -> bytes:
    from datetime import UTC, datetime

    from xietong_common.events.envelope import CloudEvent

    env = CloudEvent.wrap(
        event, spec=type(event).spec, source="/xietong/test", subject=key, time=datetime.now(UTC)
    )
    if event_id:
        env = env.model_copy(update={"id": event_id})
    return env.to_bytes()


def counter_service_spec() -> ServiceSpec:
    """A service with one protected write: a town bumps its own counter."""
    router = APIRouter()

    @router.post(
        "/towns/{town}/counter",
        status_code=201,
        responses=problem_responses(401, 403),
        dependencies=[Allowed(roles=("handler",), orgs=(OrgKind.TOWN,))],
    )
    async def bump(town: str, principal: CurrentPrincipal, ctx: Context) -> dict[str, int]:
        principal.require_org(f"town:{town}")
        principal.require_role("handler")
        async with ctx.db.uow(actor=principal) as uow:
            await increment(uow, town, 1)
            uow.audit(action="counter.bumped", subject=f"counter:{town}")
        return {"value": await counter_value(ctx.db, town) or 0}

    return ServiceSpec(
        name="counter-test",
        title="counter test service",
        description="test only",
        routers=[router],
        migrations_dir=Path(__file__).parent / "test_migrations",
        handlers={},
    )
