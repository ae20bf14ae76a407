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
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.backbone import Figures, new_database, raw_pg_commits
from xietong_common.auth import mint_token
from xietong_common.settings import ServiceSettings
from xietong_common.web import create_app

BENCH_SECRET = "xietong-bench-secret-not-for-production-0123456789"


def _pick_route(app_ctx: Any) -> tuple[str, str, str, str]:
    """A sender, a matter, a place and its receiver from the reference data."""
    from xietong_devtools.testing import sample_route

    return sample_route(app_ctx)


async def run(*, admin_url: str, bootstrap: str, n: int, concurrency: int = 8) -> Figures:
    """Refer `n` cases through the REST API; referrals/s and p50/p99 of one referral's flow."""
    from referral.main import SPEC
    from referral.settings import ReferralSettings

    url = await new_database(admin_url, "referral")
    with tempfile.TemporaryDirectory(prefix="xietong-bench-blobs-") as blobs:
        settings = ReferralSettings(
            service_name="referral",
            database_url=url,
            kafka_bootstrap_servers=bootstrap,
            jwt_secret=BENCH_SECRET,
            blob_dir=Path(blobs),
            run_jobs=False,
            log_json=False,
            log_level="WARNING",
            database_pool_size=max(concurrency, 5),
        )
        app = create_app(SPEC, settings=settings)
        async with app.router.lifespan_context(app):
            ctx = app.state.ctx
            sender, matter, place, _receiver = _pick_route(ctx)
            headers = {"Authorization": f"Bearer {_token(settings, sender)}"}
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                body = {
                    "matter_code": matter,
                    "place_town": place,
                    "found_at": ctx.clock.now().isoformat(),
                    "facts": "基准测试案件",
                }

                async def one(i: int) -> float:
                    t0 = time.perf_counter()
                    r = await client.post("/referrals", json=body, headers=headers)
                    r.raise_for_status()
                    rid = r.json()["id"]
                    for kind in ("letter", "item-list"):
                        files = {
                            "file": (
                                f"{kind}.pdf",
                                f"%PDF {kind} {i} {uuid.uuid4()}",
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
                    return (time.perf_counter() - t0) * 1000

                queue = list(range(n))
                latencies: list[float] = []

                async def worker() -> None:
                    while queue:
                        latencies.append(await one(queue.pop()))

                await one(-1)  # warm up (first connections, first blob directories)
                start = time.perf_counter()
                await asyncio.gather(*(worker() for _ in range(concurrency)))
                elapsed = time.perf_counter() - start
    return Figures(f"referral REST: draft+2 uploads+send (c={concurrency})", n, elapsed, latencies)


def _token(settings: ServiceSettings, org: str) -> str:
    return mint_token(settings, org=org, user=f"{org}/bench", roles=("handler",), ttl_s=3600)


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
