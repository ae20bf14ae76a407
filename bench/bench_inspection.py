"""Joint inspection benchmark: INSP-02's draw of a plan round over 100,000 targets with risk
signals, done in PostgreSQL, beside baselines measured in the same run on the same tables.

`await run(admin_url=..., bootstrap=..., targets=100_000)` starts the joint inspection service
in-process on a fresh database (its lifespan runs for real), fills the register with bulk SQL
(targets, their versions, ~0.6 signals per target — not through the API), adopts a plan by
level through the REST API and then times, through the REST API:

- the draw (`POST /plans/{id}/selections`): every candidate ranked in one statement and the
  whole ranked list recorded (`selection_entries`), seed and digest stored;
- the re-run of that draw on the register as it stood (`POST /selections/{id}/rerun`).

Beside them, on the same tables: a plain `SELECT count(*)` of the town's candidates and loading
every target id into Python (what a draw done in Python would at least cost). For each, the
wall time and the peak of Python memory allocated in the service process meanwhile
(tracemalloc), plus the process's peak RSS. `python -m bench.bench_inspection --targets 100000`.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import sqlalchemy as sa

from bench.backbone import BENCH_NAMESPACE, new_database
from xietong_common.auth import mint_token
from xietong_common.web import create_app

BENCH_SECRET = "xietong-bench-secret-not-for-production-0123456789"
TOWN = "town:lizhi"
T = TypeVar("T")


@dataclass(frozen=True)
class Measured:
    name: str
    seconds: float
    peak_python_mib: float

    def line(self, base: Measured | None = None) -> str:
        ratio = f"   ({self.seconds / base.seconds:6.1f}× {base.name})" if base else ""
        return (
            f"{self.name:<52} {self.seconds * 1000:9.1f} ms   "
            f"peak Python alloc {self.peak_python_mib:7.2f} MiB{ratio}"
        )


async def measure(
    name: str, work: Callable[[], Awaitable[T]], again: Callable[[], Awaitable[object]]
) -> tuple[Measured, T]:
    """Time `work` as it runs; then run `again` (the same work, or its twin) under tracemalloc
    for the peak of Python memory it allocates (tracemalloc slows Python down, so the time is
    taken without it)."""
    start = time.perf_counter()
    result = await work()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        await again()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Measured(name, seconds, peak / 2**20), result


FILL = [
    # targets: a pseudo credit code each (bulk data, not validated through the API)
    """
    INSERT INTO targets (id, party_kind, name, credit_code, industry, supervision_level, town,
                         supervised_since, active, version, created_at, created_by,
                         created_by_org, updated_at)
    SELECT md5('t' || n)::uuid, 'legal-person', '基准对象' || n,
           upper(substr(md5('c' || n), 1, 18)),
           '餐饮',  -- all in the plan's scenario (food-street): the pool is every target
           (ARRAY['a','b','c','d'])[1 + (n * 7) % 4], :town,
           DATE '2019-01-01' + (n % 1500), true, 1, now() - interval '1 day', 'bench',
           :town, now() - interval '1 day'
    FROM generate_series(1, :n) AS n
    """,
    """
    INSERT INTO target_versions (target_id, version, valid_from, town, industry,
                                 supervision_level, supervised_since, active)
    SELECT id, 1, created_at, town, industry, supervision_level, supervised_since, active
    FROM targets
    """,
    # signals: 40 % of the targets have one to three, observed over the last two years
    """
    INSERT INTO risk_signals (id, target_id, kind, source, observed_on, weight, description,
                              recorded_at, recorded_by, recorded_by_org)
    SELECT md5('s' || n || ':' || k)::uuid, md5('t' || n)::uuid,
           (ARRAY['problem-list','complaint','media','past-finding'])[1 + (n + k) % 4],
           '基准', CURRENT_DATE - ((n * 13 + k * 101) % 700), 1 + (n * k) % 20, '基准信号',
           now() - interval '1 day', 'bench', :town
    FROM generate_series(1, :n) AS n, generate_series(1, 3) AS k
    WHERE n % 5 < 2 AND k <= 1 + n % 3
    """,
    "ANALYZE targets",
    "ANALYZE target_versions",
    "ANALYZE risk_signals",
]


async def run(*, admin_url: str, bootstrap: str, targets: int = 100_000) -> list[str]:
    """The draw over `targets` targets beside its baselines; the lines to print."""
    from joint_inspection.main import SPEC
    from joint_inspection.settings import InspectionSettings

    url = await new_database(admin_url, "inspection")
    with tempfile.TemporaryDirectory(prefix="xietong-bench-blobs-") as blobs:
        settings = InspectionSettings(
            service_name="joint-inspection",
            database_url=url,
            kafka_bootstrap_servers=bootstrap,
            kafka_namespace=BENCH_NAMESPACE.prefix,
            jwt_secret=BENCH_SECRET,
            blob_dir=Path(blobs),
            run_jobs=False,
            run_consumer=False,  # nothing consumed here: not the topics' history either
            log_json=False,
            log_level="WARNING",
        )
        app = create_app(SPEC, settings=settings)
        async with app.router.lifespan_context(app):
            ctx = app.state.ctx
            fill_start = time.perf_counter()
            async with ctx.db.engine.begin() as conn:
                for statement in FILL:
                    await conn.execute(sa.text(statement), {"n": targets, "town": TOWN})
            fill = time.perf_counter() - fill_start
            async with ctx.db.session() as session:
                signals = (
                    await session.execute(sa.text("SELECT count(*) FROM risk_signals"))
                ).scalar_one()
            token = mint_token(settings, org=TOWN, user="bench", roles=("handler", "leader"))
            headers = {"Authorization": f"Bearer {token}"}
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", timeout=600
            ) as client:
                plan = await client.post(
                    "/plans",
                    headers=headers,
                    json={
                        "title": "基准计划",
                        "scenario": "基准场景",
                        "scenario_code": "food-street",  # adopted only for one (INSP-01)
                        "period_start": "2024-01-01",
                        "period_end": "2026-12-31",
                        "basis": "level",
                        "rules": [
                            {"value": "d", "frequency": 4, "proportion": "50"},
                            {"value": "c", "frequency": 2, "proportion": "20"},
                            {"value": None, "frequency": 1, "proportion": "5"},
                        ],
                        "clean_proportion": "2",
                        "targeting_threshold": 40,
                        "matter_codes": ["WAT-001", "FIR-001"],
                    },
                )
                plan.raise_for_status()
                pid = plan.json()["id"]
                (await client.post(f"/plans/{pid}/adopt", headers=headers)).raise_for_status()

                async def count() -> int:
                    async with ctx.db.session() as s:
                        return int(
                            (
                                await s.execute(
                                    sa.text("SELECT count(*) FROM target_versions WHERE town = :t"),
                                    {"t": TOWN},
                                )
                            ).scalar_one()
                        )

                async def load_ids() -> list[Any]:
                    async with ctx.db.session() as s:
                        return list(
                            (
                                await s.execute(
                                    sa.text("SELECT id FROM targets WHERE town = :t"), {"t": TOWN}
                                )
                            ).scalars()
                        )

                async def draw(round_: int = 1) -> dict[str, Any]:
                    r = await client.post(
                        f"/plans/{pid}/selections", json={"round": round_}, headers=headers
                    )
                    r.raise_for_status()
                    return dict(r.json())

                rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                counted, n = await measure(
                    "baseline: SELECT count(*) of the candidates", count, count
                )
                loaded, ids = await measure(
                    "baseline: load every target id into Python", load_ids, load_ids
                )
                # the memory of the draw is taken on round 2 (one draw a round)
                drawn, selection = await measure(
                    "INSP-02 draw via REST (rank all, record all)", draw, lambda: draw(2)
                )

                async def rerun() -> dict[str, Any]:
                    r = await client.post(f"/selections/{selection['id']}/rerun", headers=headers)
                    r.raise_for_status()
                    return dict(r.json())

                rerun_m, again = await measure(
                    "INSP-02 re-run via REST (as of the draw)", rerun, rerun
                )
                rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert n == len(ids) == targets
    assert again["matches"], again
    return [
        f"joint inspection: {targets:,} targets, {signals:,} signals (bulk SQL fill {fill:.1f} s); "
        f"{selection['candidates']:,} candidates, {selection['drawn']:,} drawn",
        counted.line(),
        loaded.line(counted),
        drawn.line(counted),
        rerun_m.line(counted),
        f"{'':52} draw vs loading the ids: {drawn.seconds / loaded.seconds:.1f}× the time, "
        f"{drawn.peak_python_mib / max(loaded.peak_python_mib, 1e-9):.2f}× the Python memory",
        f"{'':52} service process peak RSS {rss_before:.0f} MiB before, {rss_after:.0f} MiB after",
    ]


if __name__ == "__main__":
    from bench.running import servers

    parser = argparse.ArgumentParser(prog="python -m bench.bench_inspection")
    parser.add_argument("--targets", type=int, default=100_000)
    args = parser.parse_args()
    admin, kafka = servers()
    lines = asyncio.run(run(admin_url=admin, bootstrap=kafka, targets=args.targets))
    print("\n".join(lines))
