"""Fixtures of the notifier on the real stack: one service (and database) per module, and a
webhook receiver on 127.0.0.1 started by the test (allowed by the test's settings only)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from aiokafka import AIOKafkaProducer

from notifier.main import SPEC
from notifier.models import Delivery
from xietong_common.contracts.base import IntegrationEvent
from xietong_common.contracts.deadlines import (
    BreachKind,
    DeadlineApproaching,
    DeadlineBreached,
    DeadlineUnit,
)
from xietong_common.events.envelope import CloudEvent
from xietong_common.events.registry import registry
from xietong_devtools.testing import (
    RunningService,
    Servers,
    create_database,
    physical_topic,
    running_service,
    sample_codes,
    start_group_at_end,
)

pytestmark = pytest.mark.integration


@dataclass
class Receiver:
    """A webhook receiver: records every request (and the target it was sent to: path and
    query as received), answers `status` with `answer`."""

    port: int = 0
    status: int = 200
    answer: bytes = b"{}"
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        self.targets.append(scope["path"] + (f"?{query}" if query else ""))
        self.received.append((headers, body))
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": self.answer})


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[int]:
    """An ASGI app served on 127.0.0.1 (a free port, yielded) for the test's duration."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(600):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "the receiver did not start"
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    app = Receiver()
    async with serving(app) as port:
        app.port = port
        yield app


@pytest.fixture(scope="module")
async def svc(servers: Servers, kafka_bootstrap: str) -> AsyncIterator[RunningService]:
    url = await create_database(servers, "notifier")
    name = f"notifier-test-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(
        kafka_bootstrap, name, (registry.spec_for(m).topic for m in SPEC.handlers)
    )
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        run_jobs=False,
        service_name=name,
        notifier_allow_http=True,
        notifier_allowed_private_hosts=["127.0.0.1"],
        notifier_backoff_initial_s=0,
        notifier_max_attempts=3,
        notifier_delivery_timeout_s=30,
    ) as running:
        yield running


@pytest.fixture(scope="module")
def codes(svc: RunningService) -> dict[str, str]:
    return sample_codes(svc.ctx)


def admin(svc: RunningService, org: str) -> dict[str, str]:
    return svc.auth(org, "admin", user=f"{org}/admin")


async def subscribe(svc: RunningService, org: str, url: str, **body: Any) -> dict[str, Any]:
    body = {"url": url, "kinds": ["deadline.approaching", "deadline.breached"], **body}
    r = await svc.client.post("/subscriptions", json=body, headers=admin(svc, org))
    assert r.status_code == 201, r.text
    return dict(r.json())


def breach(org: str, counterparty: str | None, *, mechanism: str = "referral") -> DeadlineBreached:
    due = datetime.now(UTC) - timedelta(hours=1)
    return DeadlineBreached(
        deadline_id=str(uuid.uuid4()),
        mechanism=mechanism,
        rule="REF-07",
        action="answer",
        organisation=org,
        counterparty=counterparty,
        subject=f"referral:{uuid.uuid4()}",
        due_at=due,
        kind=BreachKind.NO_ACTION,
        recorded_at=datetime.now(UTC),
    )


def approaching(
    org: str, counterparty: str | None, *, mechanism: str = "referral"
) -> DeadlineApproaching:
    now = datetime.now(UTC)
    return DeadlineApproaching(
        deadline_id=str(uuid.uuid4()),
        mechanism=mechanism,
        rule="REF-07",
        action="answer",
        organisation=org,
        counterparty=counterparty,
        subject=f"referral:{uuid.uuid4()}",
        due_at=now + timedelta(days=2),
        unit=DeadlineUnit.WORKING_DAYS,
        amount=5,
        started_at=now - timedelta(days=5),
        provisional=False,
        lead="2 working days",
        lead_unit=DeadlineUnit.WORKING_DAYS,
        lead_amount=2,
        remind_at=now,
        working_days_left=2,
    )


def envelope(event: IntegrationEvent, *, source: str, event_id: str | None = None) -> CloudEvent:
    key = str(getattr(event, "deadline_id"))  # noqa: B009
    env = CloudEvent.wrap(
        event, spec=type(event).spec, source=source, subject=key, time=datetime.now(UTC)
    )
    return env.model_copy(update={"id": event_id}) if event_id else env


@pytest.fixture
async def publish(kafka_bootstrap: str) -> AsyncIterator[Callable[..., Any]]:
    """Produce a CloudEvent as a mechanism would (the key: the deadline's id)."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()

    async def send(env: CloudEvent) -> None:
        topic = physical_topic(registry.spec_for_type(env.type).topic)  # type: ignore[union-attr]
        await producer.send_and_wait(topic, env.to_bytes(), key=(env.subject or "").encode())

    yield send
    await producer.stop()


async def deliveries_of(svc: RunningService, event_id: str) -> list[Delivery]:
    async with svc.ctx.db.session() as session:
        rows = await session.execute(
            sa.select(Delivery).where(Delivery.event_id == event_id).order_by(Delivery.organisation)
        )
        return list(rows.scalars())


async def wait_for_deliveries(
    svc: RunningService, event_id: str, count: int, *, timeout_s: float = 90
) -> list[Delivery]:
    """Wait (generously: a busy 2-core box) until the consumer has made `count` deliveries."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        found = await deliveries_of(svc, event_id)
        if len(found) >= count:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{len(found)} deliveries of {event_id}, expected {count}")
        await asyncio.sleep(0.1)


def event_body(raw: bytes) -> dict[str, Any]:
    return dict(json.loads(raw))


@pytest.fixture(scope="module")
def towns(svc: RunningService) -> list[str]:
    """The directory's towns: each test takes its own, so subscriptions never cross."""
    return sorted(o.code for o in svc.ctx.directory.towns())
