"""Creating a case through the API, beside the fair baseline: a minimal FastAPI endpoint with
the same guarantees, measured in the same run.

The baseline verifies the JWT, and in one transaction inserts a row, its outbox event and a
hash-chained audit row (chain head locked just before COMMIT) — with asyncpg and hand-written
SQL, nothing else. `POST /referrals` does the same plus what the referral service is for
(routing, the REF-03 deadline, the response with its deadlines). The ratio says how much of
a request is the service's own work; run at concurrency 1 (latency) and 8 (contention).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
import httpx
import jwt
from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel

from bench.backbone import Figures, new_database
from bench.running import BENCH_SECRET, running
from xietong_common.backbone import create_backbone_schema


class ThingIn(BaseModel):
    matter_code: str
    place_town: str
    found_at: datetime
    facts: str


def principal(authorization: Annotated[str, Header()]) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            authorization.removeprefix("Bearer "),
            BENCH_SECRET,
            algorithms=["HS256"],
            audience="xietong",
            issuer="xietong",
        )
    except jwt.PyJWTError as exc:
        raise HTTPException(401) from exc
    return claims


PrincipalClaims = Annotated[dict[str, Any], Depends(principal)]


def baseline_app(url: str) -> FastAPI:
    """The least a create with these guarantees can do."""
    state: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state["pool"] = await asyncpg.create_pool(url, min_size=8, max_size=16)
        yield
        await state["pool"].close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/things", status_code=201)
    async def create(data: ThingIn, who: PrincipalClaims) -> dict[str, Any]:
        thing_id = uuid.uuid4()
        now = datetime.now(UTC)
        event_id = uuid.uuid4()
        envelope = {
            "id": str(event_id),
            "type": "bench.thing",
            "data": data.model_dump(mode="json"),
        }
        async with state["pool"].acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO things (id, body) VALUES ($1, $2)", thing_id, data.model_dump_json()
            )
            await conn.execute(
                "INSERT INTO outbox (event_id, topic, key, envelope) VALUES ($1, $2, $3, $4)",
                event_id,
                "bench.thing",
                str(thing_id),
                json.dumps(envelope),
            )
            prev = await conn.fetchval("SELECT hash FROM audit_head WHERE id = 1 FOR UPDATE")
            digest = hashlib.sha256(f"{prev}{thing_id}{now.isoformat()}".encode()).hexdigest()
            await conn.execute(
                "WITH ins AS (INSERT INTO audit_log (at, actor, org, action, subject, detail,"
                " prev_hash, hash) VALUES ($1, $2, $3, 'created', $4, '{}', $5, $6)"
                " RETURNING seq) UPDATE audit_head SET last_seq = (SELECT seq FROM ins), hash = $6"
                " WHERE id = 1",
                now,
                str(who["sub"]),
                str(who["org"]),
                f"thing:{thing_id}",
                prev,
                digest,
            )
        return {"id": str(thing_id), **data.model_dump(mode="json")}

    return app


async def drive(
    client: httpx.AsyncClient,
    one: Callable[[httpx.AsyncClient, int], Awaitable[None]],
    *,
    n: int,
    concurrency: int,
    name: str,
) -> Figures:
    queue = list(range(n))
    latencies: list[float] = []

    async def worker() -> None:
        while queue:
            i = queue.pop()
            t0 = time.perf_counter()
            await one(client, i)
            latencies.append((time.perf_counter() - t0) * 1000)

    for i in range(5):  # warm up: connections, caches, first statements
        await one(client, -1 - i)
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Figures(name, n, time.perf_counter() - start, latencies)


async def baseline(admin_url: str, *, n: int, concurrency: int) -> Figures:
    url = await new_database(admin_url, "baseline")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE TABLE things (id uuid PRIMARY KEY, body jsonb NOT NULL)")
    finally:
        await conn.close()
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
    async with engine.begin() as sa_conn:
        await sa_conn.run_sync(create_backbone_schema)
    await engine.dispose()
    app = baseline_app(url)
    token = jwt.encode(
        {"sub": "bench", "org": "town:lizhi", "iss": "xietong", "aud": "xietong", "exp": 2**31},
        BENCH_SECRET,
        algorithm="HS256",
    )
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "matter_code": "ENV-001",
        "place_town": "town:lizhi",
        "found_at": datetime.now(UTC).isoformat(),
        "facts": "基准测试案件",
    }

    async def one(client: httpx.AsyncClient, i: int) -> None:
        r = await client.post("/things", json=body, headers=headers)
        if r.status_code != 201:
            raise RuntimeError(r.text)

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            return await drive(
                client, one, n=n, concurrency=concurrency, name=f"baseline create (c={concurrency})"
            )


async def referral_create(admin_url: str, bootstrap: str, *, n: int, concurrency: int) -> Figures:
    from referral.main import SPEC
    from xietong_devtools.testing import sample_route

    async with running(
        SPEC,
        admin_url=admin_url,
        bootstrap=bootstrap,
        concurrency=concurrency,
        run_consumer=False,
    ) as svc:
        sender, matter, place, _ = sample_route(svc.ctx)
        headers = svc.headers(sender)
        body = {
            "matter_code": matter,
            "place_town": place,
            "found_at": svc.ctx.clock.now().isoformat(),
            "facts": "基准测试案件",
        }

        async def one(client: httpx.AsyncClient, i: int) -> None:
            (await client.post("/referrals", json=body, headers=headers)).raise_for_status()

        return await drive(
            svc.client, one, n=n, concurrency=concurrency, name=f"POST /referrals (c={concurrency})"
        )


async def referral_create_replicas(
    admin_url: str, bootstrap: str, *, n: int, concurrency: int, replicas: int = 2
) -> Figures:
    """POST /referrals spread over `replicas` instances of the service on one database, each
    with its own outbox relay (SKIP LOCKED) and connection pool. In one process, so it
    measures what the replicas' coordination costs (the chain head, the relays), not the
    capacity more machines add."""
    from contextlib import AsyncExitStack

    from referral.main import SPEC
    from xietong_devtools.testing import sample_route

    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(
            running(SPEC, admin_url=admin_url, bootstrap=bootstrap, concurrency=concurrency)
        )
        instances = [first]
        for _ in range(replicas - 1):
            instances.append(
                await stack.enter_async_context(
                    running(
                        SPEC,
                        admin_url=admin_url,
                        bootstrap=bootstrap,
                        concurrency=concurrency,
                        database_url=first.settings.database_url,
                    )
                )
            )
        sender, matter, place, _ = sample_route(first.ctx)
        headers = first.headers(sender)
        body = {
            "matter_code": matter,
            "place_town": place,
            "found_at": first.ctx.clock.now().isoformat(),
            "facts": "基准测试案件",
        }

        async def one(_client: httpx.AsyncClient, i: int) -> None:
            replica = instances[i % len(instances)]
            (await replica.client.post("/referrals", json=body, headers=headers)).raise_for_status()

        return await drive(
            first.client,
            one,
            n=n,
            concurrency=concurrency,
            name=f"POST /referrals, {replicas} replicas (c={concurrency})",
        )


async def compare(admin_url: str, bootstrap: str, *, n: int) -> list[str]:
    """Create-referral throughput and p99 at concurrency 1 and 8, as a ratio to the baseline,
    and at concurrency 8 with one and with two replicas of the service on one database."""
    lines = []
    figures: dict[int, Figures] = {}
    for concurrency in (1, 8):
        base = await baseline(admin_url, n=n, concurrency=concurrency)
        ref = await referral_create(admin_url, bootstrap, n=n, concurrency=concurrency)
        figures[concurrency] = ref
        ratio = ref.rate / base.rate if base.rate else float("nan")
        lines.append(base.line())
        lines.append(
            f"{ref.line()}   ({ratio:.2f}× the baseline's throughput; "
            f"p99 {ref.pct(99) / base.pct(99):.1f}× the baseline's)"
        )
    two = await referral_create_replicas(admin_url, bootstrap, n=n, concurrency=8)
    one = figures[8]
    lines.append(
        f"{two.line()}   ({two.rate / one.rate:.2f}× one replica's throughput, "
        f"p99 {two.pct(99) / one.pct(99):.1f}×; one process: the coordination's cost)"
    )
    return lines


if __name__ == "__main__":
    import argparse

    from bench.running import servers

    parser = argparse.ArgumentParser(prog="python -m bench.bench_create")
    parser.add_argument("-n", type=int, default=500)
    args = parser.parse_args()
    admin, kafka = servers()
    for line in asyncio.run(compare(admin, kafka, n=args.n)):
        print(line)
