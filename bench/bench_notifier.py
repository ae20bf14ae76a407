"""Notifier benchmark (issue 24): webhook deliveries per second to a local receiver, beside raw
httpx POSTs of the same bodies to the same receiver in the same run.

- The receiver: a minimal ASGI app (`bench/webhook_receiver.py`: reads the body, answers
  200 `{}`) under uvicorn in a process of its own on 127.0.0.1, as an organisation's
  endpoint would be.
- The notifier runs in-process on a fresh database (its lifespan for real: migrations; no
  consumer, no periodic job): `subscriptions` CloudEvents subscriptions of the towns, each to
  its own path of the receiver (registered through the API: the secret sealed, the URL
  checked), then `n` pending deliveries of a `deadline.breached` CloudEvent spread over them
  (one INSERT). Timed: the delivery job's runs (`deliver_due`) until none is pending — each
  run claims at most one delivery per subscription, signs each (Standard Webhooks, the secret
  unsealed), POSTs them side by side through the SSRF-guarded client, and records each
  outcome in its own transaction (the delivery's state, its attempt row, an audit row).
- Baseline: the same bodies POSTed with a plain `httpx.AsyncClient`, as many at once as the
  notifier sends in one run (one per subscription), no signing, no database.

Goal (issue 24): deliveries/s ≥ 0.5× the raw POSTs/s.

`python -m bench.bench_notifier -n 2000` prints the figures; `python -m bench --only
notifier` includes them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.backbone import BENCH_NAMESPACE, Figures, new_database
from xietong_common.auth import mint_token
from xietong_common.contracts.deadlines import BreachKind, DeadlineBreached
from xietong_common.events.envelope import CloudEvent
from xietong_common.settings import ServiceSettings
from xietong_common.web import create_app

ROOT = Path(__file__).resolve().parents[1]  # the checkout: `bench` importable from there
BENCH_SECRET = "xietong-bench-secret-not-for-production-0123456789"
SECRETS_KEY = "xietong-bench-notifier-secrets-key-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def receiver() -> AsyncIterator[str]:
    """The receiver in its own process; yields its base URL."""
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        "bench.webhook_receiver:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--lifespan",
        "off",
        cwd=str(ROOT),
        env={**os.environ},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                with contextlib.suppress(httpx.HTTPError):
                    await client.post(f"{base}/ready", content=b"")
                    break
                if process.returncode is not None:
                    raise RuntimeError("the bench receiver stopped")
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the bench receiver did not start")
        yield base
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=10)


def breach_event(organisation: str) -> dict[str, Any]:
    """A deadline.breached CloudEvent as the notifier stores and sends it."""
    now = datetime.now(UTC)
    event = DeadlineBreached(
        deadline_id=str(uuid.uuid4()),
        mechanism="referral",
        rule="REF-07",
        action="answer",
        organisation=organisation,
        counterparty=None,
        subject=f"referral:{uuid.uuid4()}",
        reference="涪移回〔2026〕12号",
        due_at=now - timedelta(hours=1),
        kind=BreachKind.NO_ACTION,
        recorded_at=now,
    )
    envelope = CloudEvent.wrap(
        event,
        spec=DeadlineBreached.spec,
        source="/xietong/referral",
        subject=event.deadline_id,
        time=now,
    )
    return envelope.model_dump(mode="json", exclude_none=True)


def _token(settings: ServiceSettings, org: str) -> str:
    return mint_token(settings, org=org, user=f"{org}/bench", roles=("admin",), ttl_s=3600)


async def deliveries(
    *, admin_url: str, bootstrap: str, base: str, n: int, subscriptions: int
) -> Figures:
    """The notifier's deliveries/s (module doc)."""
    from notifier import service as notifier_service
    from notifier.domain import DeliveryState
    from notifier.main import SPEC
    from notifier.models import Delivery
    from notifier.settings import NotifierSettings

    url = await new_database(admin_url, "notifier")
    settings = NotifierSettings(
        service_name="notifier",
        database_url=url.replace("postgresql://", "postgresql+asyncpg://", 1),
        kafka_bootstrap_servers=bootstrap,
        kafka_namespace=BENCH_NAMESPACE.prefix,
        jwt_secret=BENCH_SECRET,
        run_jobs=False,
        run_consumer=False,
        log_json=False,
        log_level="WARNING",
        notifier_allow_http=True,
        notifier_allowed_private_hosts=["127.0.0.1"],
        notifier_delivery_batch=subscriptions,
        notifier_secrets_key=SECRETS_KEY,
        database_pool_size=max(10, subscriptions // 2),
    )
    app = create_app(SPEC, settings=settings)
    async with app.router.lifespan_context(app):
        ctx = app.state.ctx
        towns = sorted(o.code for o in ctx.directory.towns())
        subscribed: list[tuple[uuid.UUID, str]] = []
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:
            for i in range(subscriptions):
                org = towns[i % len(towns)]
                r = await client.post(
                    "/subscriptions",
                    json={"url": f"{base}/hook/{i}", "kinds": ["deadline.breached"]},
                    headers={"Authorization": f"Bearer {_token(settings, org)}"},
                )
                r.raise_for_status()
                subscribed.append((uuid.UUID(r.json()["id"]), org))
        now = datetime.now(UTC)
        rows = []
        for k in range(n):
            sid, org = subscribed[k % len(subscribed)]
            event = breach_event(org)
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "subscription_id": sid,
                    "organisation": org,
                    "state": DeliveryState.PENDING.value,
                    "event_id": event["id"],
                    "event_type": event["type"],
                    "subject": event.get("subject"),
                    "event": event,
                    "attempts": 0,
                    "round": 1,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        async with ctx.db.session() as session, session.begin():
            await session.execute(sa.insert(Delivery), rows)
        start = time.perf_counter()
        sent = 0
        while sent < n:
            done = await notifier_service.deliver_due(ctx)
            if done == 0:
                raise RuntimeError(f"nothing due, {sent} of {n} sent")
            sent += done
        seconds = time.perf_counter() - start
        async with ctx.db.session() as session:
            delivered = (
                await session.execute(
                    sa.select(sa.func.count()).where(
                        Delivery.state == DeliveryState.DELIVERED.value
                    )
                )
            ).scalar_one()
        if delivered != n:
            raise RuntimeError(f"{delivered} of {n} delivered")
    return Figures(f"notifier deliveries ({subscriptions} subscriptions)", n, seconds, [])


async def raw_posts(*, base: str, n: int, concurrency: int) -> Figures:
    """The same bodies POSTed with a plain httpx client, `concurrency` at once."""
    bodies = [json.dumps(breach_event("town:lizhi")).encode() for _ in range(n)]
    headers = {"content-type": "application/cloudevents+json; charset=utf-8"}
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(k: int) -> None:
            t = time.perf_counter()
            r = await client.post(
                f"{base}/hook/{k % concurrency}", content=bodies[k], headers=headers
            )
            r.raise_for_status()
            latencies.append((time.perf_counter() - t) * 1000)

        start = time.perf_counter()
        for first in range(0, n, concurrency):
            await asyncio.gather(*(one(k) for k in range(first, min(first + concurrency, n))))
        seconds = time.perf_counter() - start
    return Figures(f"raw httpx POSTs ({concurrency} at once)", n, seconds, latencies)


async def run(*, admin_url: str, bootstrap: str, n: int, subscriptions: int = 50) -> list[str]:
    """The lines `make bench` prints: the raw POSTs, the deliveries, their ratio."""
    async with receiver() as base:
        raw = await raw_posts(base=base, n=n, concurrency=subscriptions)
        notified = await deliveries(
            admin_url=admin_url, bootstrap=bootstrap, base=base, n=n, subscriptions=subscriptions
        )
    return [
        "webhook deliveries to a local receiver (its own process), beside raw httpx POSTs:",
        raw.line(),
        notified.line(),
        f"{'':44} deliveries/s are {notified.rate / raw.rate:.2f}× raw httpx POSTs/s "
        "(goal ≥ 0.5×; each delivery signed, sent through the SSRF guard and recorded: its "
        "state, its attempt row, an audit row)",
    ]


if __name__ == "__main__":
    from bench.running import run_alone

    parser = argparse.ArgumentParser(prog="python -m bench.bench_notifier")
    parser.add_argument("-n", type=int, default=2000, help="deliveries (and raw POSTs)")
    parser.add_argument("--subscriptions", type=int, default=50)
    args = parser.parse_args()
    run_alone(
        lambda admin, kafka: run(
            admin_url=admin, bootstrap=kafka, n=args.n, subscriptions=args.subscriptions
        )
    )
