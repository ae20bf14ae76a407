"""Referral benchmark: referrals referred per second through the REST API, with their outbox event.

`await run(admin_url=..., bootstrap=..., n=...)` starts the referral service in-process on a
fresh database (its lifespan runs for real: migrations, outbox relay, consumer), then refers
`n` cases through the HTTP API (httpx against the ASGI app) from `concurrency` clients at
once. One referral is the whole sender's flow: POST /referrals (draft, REF-03 deadline,
audit row), two multipart uploads (letter and item list, REF-05) and POST /send, whose
transaction writes the state change, the `case.referred` outbox row, the deadline rows and
the audit row together. It returns `Figures`: referrals/s and the p50/p99 latency of one
referral's four requests. `measure()` returns that beside the raw single-row PostgreSQL
commit rate measured in the same run; `python -m bench.bench_referral -n 200` prints both.
`replicas_compared()` is POST /referrals with one and with two replicas of the service on one
database (`make bench`'s part `replicas`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench.backbone import Figures, raw_pg_commits
from bench.running import running
from xietong_devtools.files_corpus import pdf_bytes
from xietong_devtools.testing import sample_route


async def drive(
    client: httpx.AsyncClient,
    one: Callable[[httpx.AsyncClient, int], Awaitable[None]],
    *,
    n: int,
    concurrency: int,
    name: str,
) -> Figures:
    """`n` calls of `one` from `concurrency` workers, after a few to warm up."""
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


async def run(*, admin_url: str, bootstrap: str, n: int, concurrency: int = 8) -> Figures:
    """Refer `n` cases through the REST API; referrals/s and p50/p99 of one referral's flow."""
    from referral.main import SPEC

    async with running(
        SPEC, admin_url=admin_url, bootstrap=bootstrap, concurrency=concurrency
    ) as svc:
        sender, matter, place, _receiver = sample_route(svc.ctx)
        headers = svc.headers(sender)
        client = svc.client
        body = {
            "matter_code": matter,
            "place_town": place,
            "found_at": svc.ctx.clock.now().isoformat(),
            "facts": "基准测试案件",
        }

        async def one(client: httpx.AsyncClient, i: int) -> None:
            r = await client.post("/referrals", json=body, headers=headers)
            r.raise_for_status()
            rid = r.json()["id"]
            for kind in ("letter", "item-list"):
                files = {
                    "file": (
                        f"{kind}.pdf",
                        pdf_bytes(f"{kind} {i} {uuid.uuid4()}"),
                        "application/pdf",
                    )
                }
                up = await client.post(
                    f"/referrals/{rid}/materials",
                    data={"kind": kind},
                    files=files,
                    headers=headers,
                )
                up.raise_for_status()
            sent = await client.post(f"/referrals/{rid}/send", headers=headers)
            sent.raise_for_status()

        return await drive(
            client,
            one,
            n=n,
            concurrency=concurrency,
            name=f"referral REST: draft+2 uploads+send (c={concurrency})",
        )


async def create_replicas(
    admin_url: str, bootstrap: str, *, n: int, concurrency: int, replicas: int = 2
) -> Figures:
    """POST /referrals spread over `replicas` instances of the service on one database, each
    with its own outbox relay (SKIP LOCKED), jobs and connection pool. In one process, so it
    measures what the replicas' coordination costs (the chain head, the relays), not the
    capacity more machines add."""
    from contextlib import AsyncExitStack

    from referral.main import SPEC

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
            name=f"POST /referrals, {replicas} replica{'s' if replicas > 1 else ''} (c={concurrency})",
        )


async def replicas_compared(*, admin_url: str, bootstrap: str, n: int) -> list[str]:
    """The create-case figure with one and with two replicas of the service on one database,
    in the same run (issue 25); the lines to print."""
    one = await create_replicas(admin_url, bootstrap, n=n, concurrency=8, replicas=1)
    two = await create_replicas(admin_url, bootstrap, n=n, concurrency=8, replicas=2)
    return [
        one.line(),
        f"{two.line()}   ({two.rate / one.rate:.2f}× one replica's throughput, "
        f"p99 {two.pct(99) / one.pct(99):.1f}×; one process: the coordination's cost)",
    ]


async def measure(*, admin_url: str, bootstrap: str, n: int) -> dict[str, Any]:
    """Referral figures beside the raw single-row PostgreSQL commit rate, from one run."""
    pg = await raw_pg_commits(admin_url, n)
    referral = await run(admin_url=admin_url, bootstrap=bootstrap, n=n)
    return {
        "referrals_per_s": round(referral.rate, 1),
        "p50_ms": round(referral.pct(50), 1),
        "p99_ms": round(referral.pct(99), 1),
        "raw_pg_commits_per_s": round(pg.rate, 1),
        "referral_vs_raw_commit": round(referral.rate / pg.rate, 3) if pg.rate else None,
        "n": n,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.bench_referral")
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()
    figures = asyncio.run(
        measure(
            admin_url=os.environ.get(
                "DATABASE_URL", "postgresql://postgres@127.0.0.1:15432/postgres"
            ),
            bootstrap=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"),
            n=args.n,
        )
    )
    for key, value in figures.items():
        print(f"{key:>26}: {value}")
