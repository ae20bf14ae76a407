"""Secondment benchmark: a department's 5,000-officer roster sheet imported, and SEC-04
eligibility look-ups per second from a consumer's projection — each beside a baseline
measured in the same run.

- Import: the secondment service runs in-process on a fresh database (migrations, outbox
  relay); a zone department gets 100 teams, then POST /rosters/imports takes a 5,000-row
  .xlsx as its clerks would send it: every row parsed and checked, officers matched, 100 team
  versions written with their rosters, 100 `secondment.roster-changed` events in the outbox,
  the audit rows, all in one transaction. Time of the request, and the peak of Python
  allocations (tracemalloc) for the same import into a second department. Baseline:
  openpyxl merely reading the same sheet (read-only, every cell), timed and traced alike.
  The same sheet imported again is timed too (recognised as `unchanged`: parsed and
  compared, nothing written).
- Eligibility: a projection database (as joint inspection keeps it) filled from 300 teams'
  `RosterChanged` events (≈5,100 officers); `xietong_common.mechanisms.roster.eligibility`
  asked for random officers, matters, towns and times from `concurrency` sessions at once.
  Baseline:
  a plain primary-key SELECT of one roster version through the same sessions.

`python -m bench.bench_secondment` prints the figures; `python -m bench` includes them.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from sqlalchemy.ext.asyncio import create_async_engine

from bench.backbone import BENCH_NAMESPACE, Figures, new_database
from xietong_common.auth import Principal, mint_token
from xietong_common.backbone import create_backbone_schema
from xietong_common.clock import SystemClock
from xietong_common.contracts.secondment import RosterChanged, RosterOfficer
from xietong_common.db import Database
from xietong_common.mechanisms.roster import (
    apply_roster,
    eligibility,
    roster_metadata,
    roster_versions,
)
from xietong_common.reference import SecondmentMode, load_catalogue, load_directory
from xietong_common.settings import ServiceSettings
from xietong_common.web import create_app

BENCH_SECRET = "xietong-bench-secret-not-for-production-0123456789"
ZONE_DEPARTMENTS = ("dept:water", "dept:ecology-environment")
TEAMS = 100


def _asyncpg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


def roster_sheet(officers: int, teams: int, prefix: str = "BENCH") -> bytes:
    """A department's list as its clerks keep it: a title row, then 序号, 姓名, 执法证号,
    执法证有效期, 所属队伍, 服务乡镇 (empty: every town of the team), 职务."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["区级部门划片指导队伍清单（基准测试）"])
    sheet.append(["序号", "姓名", "执法证号", "执法证有效期", "所属队伍", "服务乡镇", "职务"])
    for i in range(officers):
        sheet.append(
            [
                i + 1,
                f"人员{i:05d}",
                f"{prefix}{i:08d}",
                date(2027, 1, 1) + timedelta(days=i % 700),
                f"第{i % teams + 1:03d}片区指导队",
                None,
                "队长" if i < teams else "队员",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def openpyxl_read(content: bytes) -> int:
    """The baseline: open the workbook read-only and touch every cell, nothing else."""
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    cells = 0
    for row in book.worksheets[0].iter_rows(values_only=True):
        cells += sum(1 for v in row if v is not None)
    book.close()
    return cells


def traced(work: Callable[[], Any]) -> tuple[float, int]:
    tracemalloc.start()
    try:
        start = time.perf_counter()
        work()
        elapsed = time.perf_counter() - start
        return elapsed, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def traced_async(work: Callable[[], Awaitable[Any]]) -> tuple[float, int]:
    tracemalloc.start()
    try:
        start = time.perf_counter()
        await work()
        elapsed = time.perf_counter() - start
        return elapsed, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def import_figures(*, admin_url: str, bootstrap: str, officers: int) -> dict[str, float]:
    """The import through the running service, beside openpyxl reading the same sheet."""
    from secondment.main import SPEC
    from secondment.settings import SecondmentSettings

    content = roster_sheet(officers, TEAMS)
    # the second department's list: the same shape, its own certificates (one officer is on
    # one department's list)
    other = roster_sheet(officers, TEAMS, prefix="OTHER")
    url = await new_database(admin_url, "secondment")
    directory = load_directory()
    towns = sorted(t.code for t in directory.towns())
    with tempfile.TemporaryDirectory(prefix="xietong-bench-blobs-") as blobs:
        settings = SecondmentSettings(
            service_name="secondment",
            database_url=_asyncpg(url),
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
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", timeout=600
            ) as client:

                def headers(department: str) -> dict[str, str]:
                    return {"Authorization": f"Bearer {_token(settings, department)}"}

                for department in ZONE_DEPARTMENTS:
                    for n in range(TEAMS):
                        body = {
                            "name": f"第{n + 1:03d}片区指导队",
                            "towns": [towns[(n + k) % len(towns)] for k in range(3)],
                            "valid_from": "2024-01-05",
                        }
                        r = await client.post("/teams", json=body, headers=headers(department))
                        r.raise_for_status()

                async def upload(department: str, sheet: bytes = content) -> dict[str, Any]:
                    r = await client.post(
                        "/rosters/imports",
                        files={"file": ("roster.xlsx", sheet, "application/octet-stream")},
                        headers=headers(department),
                    )
                    r.raise_for_status()
                    return dict(r.json())

                start = time.perf_counter()
                created = await upload(ZONE_DEPARTMENTS[0])
                import_s = time.perf_counter() - start
                assert created["outcome"]["value"] == "created", created
                start = time.perf_counter()
                again = await upload(ZONE_DEPARTMENTS[0])
                unchanged_s = time.perf_counter() - start
                assert again["outcome"]["value"] == "unchanged", again
                _, import_peak = await traced_async(lambda: upload(ZONE_DEPARTMENTS[1], other))
    read_s = min(_timed(lambda: openpyxl_read(content)) for _ in range(3))
    _, read_peak = traced(lambda: openpyxl_read(content))
    return {
        "officers": officers,
        "sheet_kb": len(content) / 1024,
        "import_s": import_s,
        "import_peak_mb": import_peak / 2**20,
        "unchanged_s": unchanged_s,
        "openpyxl_read_s": read_s,
        "openpyxl_peak_mb": read_peak / 2**20,
    }


def _timed(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _token(settings: ServiceSettings, org: str) -> str:
    return mint_token(settings, org=org, user=f"{org}/bench", roles=("admin",), ttl_s=3600)


def projection_events(teams: int, per_team: int) -> list[RosterChanged]:
    directory = load_directory()
    towns = sorted(t.code for t in directory.towns())
    departments = [d for d in directory.departments() if d.secondment_mode is SecondmentMode.ZONE]
    at = datetime(2024, 1, 5, tzinfo=UTC)
    events = []
    for n in range(teams):
        team_towns = [towns[(n + k) % len(towns)] for k in range(3)]
        events.append(
            RosterChanged(
                team_id=f"team-{n:04d}",
                version=1,
                department=departments[n % len(departments)].code,
                mode=SecondmentMode.ZONE,
                name=f"第{n:04d}队",
                towns=team_towns,
                valid_from=date(2024, 1, 5),
                effective_from=date(2024, 1, 5),
                officers=[
                    RosterOfficer(
                        officer_id=f"officer-{n:04d}-{k:02d}",
                        name=f"人员{n}-{k}",
                        certificate_number=f"P{n:04d}{k:02d}",
                        certificate_valid_until=date(2025, 1, 1) + timedelta(days=(n * k) % 900),
                        towns=team_towns[: 1 + k % 3],
                    )
                    for k in range(per_team)
                ],
                changed_at=at,
            )
        )
    return events


async def eligibility_figures(
    *, admin_url: str, n: int, teams: int = 300, per_team: int = 17, concurrency: int = 8
) -> tuple[Figures, Figures]:
    """SEC-04 from the projection, beside a plain primary-key SELECT, same sessions."""
    url = _asyncpg(await new_database(admin_url, "projection"))
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(create_backbone_schema)
        await conn.run_sync(roster_metadata.create_all)
    await engine.dispose()
    db = Database(url, clock=SystemClock(), service_name="bench-projection", pool_size=concurrency)
    catalogue = load_catalogue(None, load_directory())
    matters = [m.code for m in catalogue.all()]
    events = projection_events(teams, per_team)
    try:
        for event in events:
            async with db.uow(actor=Principal.system("bench")) as uow:
                await apply_roster(uow, event)
        rng = random.Random(7)
        questions = [
            (
                rng.choice(events),
                rng.randrange(per_team),
                rng.choice(matters),
                datetime(2024, 6, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(24 * 700)),
            )
            for _ in range(n)
        ]

        async def ask(i: int) -> None:
            event, k, matter, at = questions[i]
            async with db.session() as s:
                await eligibility(
                    s,
                    catalogue=catalogue,
                    officer_id=f"officer-{event.team_id[5:]}-{k:02d}",
                    matter_code=matter,
                    town=event.towns[k % 3],
                    at=at,
                )

        async def select(i: int) -> None:
            event = questions[i][0]
            async with db.session() as s:
                await s.execute(
                    sa.select(roster_versions).where(
                        roster_versions.c.team_id == event.team_id, roster_versions.c.version == 1
                    )
                )

        looked_up = await _drive(ask, n, concurrency)
        selected = await _drive(select, n, concurrency)
    finally:
        await db.dispose()
    return (
        Figures(f"SEC-04 eligibility from the projection (c={concurrency})", n, *looked_up),
        Figures(f"plain primary-key SELECT, same sessions (c={concurrency})", n, *selected),
    )


async def _drive(
    one: Callable[[int], Awaitable[None]], n: int, concurrency: int
) -> tuple[float, list[float]]:
    queue = list(range(n))
    latencies: list[float] = []

    async def worker() -> None:
        while queue:
            i = queue.pop()
            t0 = time.perf_counter()
            await one(i)
            latencies.append((time.perf_counter() - t0) * 1000)

    await one(0)  # warm up the pool
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start, latencies


async def run(*, admin_url: str, bootstrap: str, n: int, officers: int = 5000) -> list[str]:
    """The printed lines of `make bench`."""
    imported = await import_figures(admin_url=admin_url, bootstrap=bootstrap, officers=officers)
    looked_up, selected = await eligibility_figures(admin_url=admin_url, n=n)
    ratio = imported["import_s"] / imported["openpyxl_read_s"]
    rate_ratio = looked_up.rate / selected.rate if selected.rate else float("nan")
    return [
        f"secondment: import a {officers:,}-officer roster sheet ({imported['sheet_kb']:.0f} KB, "
        f"{TEAMS} teams)",
        f"{'  import (parse, check, 100 versions, events, audit)':<44} "
        f"{imported['import_s']:9.2f} s   peak {imported['import_peak_mb']:6.1f} MB"
        f"   ({ratio:.1f}× openpyxl reading it)",
        f"{'  the same sheet again (unchanged)':<44} {imported['unchanged_s']:9.2f} s",
        f"{'  openpyxl merely reading the sheet':<44} {imported['openpyxl_read_s']:9.2f} s   "
        f"peak {imported['openpyxl_peak_mb']:6.1f} MB",
        f"{looked_up.line()}   ({rate_ratio:.2f}× plain primary-key SELECT)",
        selected.line(),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.bench_secondment")
    parser.add_argument("-n", type=int, default=2000, help="eligibility look-ups")
    parser.add_argument("--officers", type=int, default=5000)
    args = parser.parse_args()
    from bench.running import servers

    admin, kafka = servers()
    lines = asyncio.run(run(admin_url=admin, bootstrap=kafka, n=args.n, officers=args.officers))
    print("\n".join(lines))
