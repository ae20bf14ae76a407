"""The referral service over real HTTP, beside the fair baseline, in the same run.

Both run as `make run` runs a service: uvicorn in a process of its own (the referral service
with its JSON logs, outbox relay, consumer, jobs and tracing as configured by default), and
wrk, a load generator in a third process, keeps 1 or 8 requests in flight. Runs are
INTERLEAVED — baseline, service, baseline, service … — so whatever else loads the machine
meanwhile weighs on both alike; the ratios are of the sums over the rounds. Beside throughput:
latency (p50/p99) and each server's CPU time per request (read from /proc for its process),
which competing load inflates far less than wall time.

Paths: `POST /referrals` (a draft: REF-02 routing, the REF-03 deadline, the audit row, the
outbox event) against the baseline's `POST /things` (row, outbox event and chained audit row in
one transaction); `GET /referrals/{id}` against `GET /things/{id}` (the row by primary key,
404 to a non-party). What tracing costs a request it samples out is `bench.bench_tracing`'s
figure (one process, tracing switched): two served instances differ by more than it.

`python -m bench.bench_api` prints these figures alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bench.backbone import BENCH_NAMESPACE, new_database
from bench.baseline_app import prepare
from bench.served import Served, load_average, served
from bench.wrk import MISSING, WrkRun, request_script, run_wrk, wrk_path
from xietong_common.auth import mint_token
from xietong_common.reference import load_catalogue, load_directory
from xietong_common.settings import ServiceSettings
from xietong_devtools.testing import sample_codes

BENCH_SECRET = "xietong-bench-secret-not-for-production-0123456789"


@dataclass
class Tally:
    """One server's runs of one scenario, summed over the rounds."""

    name: str
    runs: list[WrkRun] = field(default_factory=list)
    cpu_s: float = 0.0

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.runs)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)

    @property
    def rate(self) -> float:
        seconds = sum(r.seconds for r in self.runs)
        return self.requests / seconds if seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.cpu_s * 1000 / self.requests if self.requests else float("nan")

    def pct(self, p: int) -> float:
        """The median over the rounds of that percentile (wrk gives no merged histogram)."""
        values = sorted(getattr(r, f"p{p}_ms") for r in self.runs)
        return values[len(values) // 2] if values else float("nan")

    def line(self) -> str:
        errors = f"  {self.errors} ERRORS" if self.errors else ""
        return (
            f"  {self.name:<42} {self.rate:8.0f} /s  p50 {self.pct(50):6.1f} ms  "
            f"p99 {self.pct(99):6.1f} ms  CPU {self.cpu_ms:5.2f} ms/req{errors}"
        )


@dataclass(frozen=True)
class Scenario:
    name: str
    connections: int
    script: Callable[[Served], str]
    path: str


async def interleave(
    pairs: list[tuple[Served, Scenario]], *, rounds: int, seconds: float
) -> list[Tally]:
    """Each (server, scenario) once per round, in turn, `rounds` times, every other round in
    the reverse order (ABBA…), so that neither always follows the other.

    A server's CPU for a run is counted until it has settled after it: what the load left
    it to do (the relay publishing the events of the last creates) is the run's, and is not
    left to fall into the next run — its own, or nobody's when another server's run came
    between (the service's relay then finished unseen while the baseline ran). Every run
    starts with its server settled."""
    tallies = [Tally(scenario.name) for _, scenario in pairs]
    for n in range(rounds):
        order = list(zip(pairs, tallies, strict=True))
        for (server, scenario), tally in order if n % 2 == 0 else reversed(order):
            script = scenario.script(server)
            await settled(server)
            before = server.cpu()
            run = await asyncio.to_thread(
                run_wrk,
                server.url + scenario.path,
                script,
                connections=scenario.connections,
                seconds=seconds,
            )
            await settled(server)
            tally.cpu_s += server.cpu() - before
            tally.runs.append(run)
    return tallies


SETTLED_SHARE = 0.03
"""A server is settled once it uses less than this share of one core over a sample."""


async def settled(server: Served, *, sample_s: float = 0.2, most_s: float = 15.0) -> None:
    """Wait until `server` is idle (under `SETTLED_SHARE` of a core over `sample_s`), or
    `most_s` has passed: a server that never settles (a periodic job) is measured as it is."""
    deadline = asyncio.get_running_loop().time() + most_s
    while asyncio.get_running_loop().time() < deadline:
        before = server.cpu()
        await asyncio.sleep(sample_s)
        if server.cpu() - before < SETTLED_SHARE * sample_s:
            return


class LockWaits:
    """While the block runs, samples every 50 ms the connections of each database that are
    running a statement and those of them waiting for a lock (pg_stat_activity): the mean of
    the waiting ones over the samples when the database was busy — the audit chain head's
    row lock, at concurrency 8."""

    def __init__(self, admin_url: str, databases: list[str]) -> None:
        self.admin_url = admin_url
        self.databases = databases
        self.waiting: dict[str, list[int]] = {d: [] for d in databases}
        self._task: asyncio.Task[None] | None = None

    async def _sample(self) -> None:
        conn = await asyncpg.connect(self.admin_url)
        try:
            while True:
                rows = await conn.fetch(
                    "SELECT datname, count(*) AS active,"
                    " count(*) FILTER (WHERE wait_event_type = 'Lock') AS waiting"
                    " FROM pg_stat_activity WHERE datname = ANY($1::text[]) AND state = 'active'"
                    " GROUP BY datname",
                    self.databases,
                )
                for row in rows:
                    if row["active"] >= 1:  # busy (the sampler itself is in another database)
                        self.waiting[row["datname"]].append(int(row["waiting"]))
                await asyncio.sleep(0.05)
        finally:
            await conn.close()

    async def __aenter__(self) -> LockWaits:
        self._task = asyncio.create_task(self._sample())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def mean(self, database: str) -> float:
        samples = self.waiting[database]
        return sum(samples) / len(samples) if samples else 0.0


def compare(base: Tally, service: Tally, target: str) -> str:
    rate = service.rate / base.rate if base.rate else float("nan")
    cpu = service.cpu_ms / base.cpu_ms if base.cpu_ms else float("nan")
    return (
        f"  {'':42} → {rate:.2f}× the baseline's throughput, p99 "
        f"{service.pct(99) / base.pct(99):.1f}×, CPU per request {cpu:.1f}×   ({target})"
    )


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def service_env(url: str, workdir: Path, bootstrap: str, **extra: str) -> dict[str, str]:
    """The referral service's settings as `make run` gives them, on the bench's database,
    broker and broker namespace. The broker is named: without it the service looked for
    Kafka at its default address, which the project's own stack does not use, and ran
    with neither its relay nor its consumer (the HTTP figures before 7 December 2026,
    afternoon, left the relay's work out)."""
    return {
        "XIETONG_SERVICE_NAME": "referral",
        "XIETONG_DATABASE_URL": url,
        "XIETONG_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "XIETONG_KAFKA_NAMESPACE": BENCH_NAMESPACE.prefix,
        "XIETONG_JWT_SECRET": BENCH_SECRET,
        "XIETONG_DEPLOYMENT_ID": "bench",
        "XIETONG_BLOB_DIR": str(workdir / "blobs"),
        "XIETONG_AUDIT_KEY_DIR": str(workdir / "audit-keys"),
        **extra,
    }


def _name(url: str) -> str:
    return url.rpartition("/")[2]


async def _ids(url: str, sql: str, limit: int = 2000) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return [str(r[0]) for r in await conn.fetch(sql, limit)]
    finally:
        await conn.close()


async def run(
    *, admin_url: str, bootstrap: str, seconds: float = 5.0, rounds: int = 4
) -> list[str]:
    """Create and GET by id over HTTP, service beside baseline; the lines to print."""
    if wrk_path() is None:
        return [f"!! {MISSING}"]
    directory = load_directory()
    codes = sample_codes(
        types.SimpleNamespace(directory=directory, catalogue=load_catalogue(None, directory))  # type: ignore[arg-type]
    )
    settings = ServiceSettings(jwt_secret=BENCH_SECRET)
    town = codes["town_a"]
    token = mint_token(settings, org=town, user=f"{town}/bench", roles=("handler",), ttl_s=7200)
    create_body = json.dumps(
        {
            "matter_code": codes["dept_matter"],
            "place_town": town,
            "found_at": datetime.now(UTC).isoformat(),
            "facts": "基准测试案件",
        },
        ensure_ascii=False,
    )
    thing_body = json.dumps(
        {
            "matter_code": codes["dept_matter"],
            "place_town": town,
            "found_at": datetime.now(UTC).isoformat(),
            "facts": "基准测试案件",
        },
        ensure_ascii=False,
    )
    service_url = await new_database(admin_url, "referral_http")
    baseline_url = await new_database(admin_url, "baseline_http")
    await prepare(baseline_url)
    lines = [f"(load average before: {load_average()})"]
    with tempfile.TemporaryDirectory(prefix="xietong-bench-http-") as tmp:
        work = Path(tmp)
        base_env = {
            "BENCH_BASELINE_DATABASE_URL": baseline_url,
            "BENCH_BASELINE_JWT_SECRET": BENCH_SECRET,
            "XIETONG_LOG_LEVEL": "WARNING",  # its access log off; served alike otherwise
        }
        with (
            served(
                "baseline",
                "bench.baseline_app:app",
                env=base_env,
                workdir=work,
            ) as baseline,
            served(
                "referral",
                "referral.main:app",
                env=service_env(service_url, work, bootstrap),
                workdir=work,
            ) as service,
        ):
            create_ref = Scenario(
                "",
                1,
                lambda s: request_script(method="POST", body=create_body, headers=_headers(token)),
                "/referrals",
            )
            create_thing = Scenario(
                "",
                1,
                lambda s: request_script(method="POST", body=thing_body, headers=_headers(token)),
                "/things",
            )
            # Warm up: connections, prepared statements, caches; and rows to GET.
            await interleave(
                [
                    (baseline, create_thing),
                    (service, create_ref),
                ],
                rounds=1,
                seconds=2,
            )
            for c in (1, 8):
                waits = LockWaits(admin_url, [_name(baseline_url), _name(service_url)])
                async with waits:
                    base, svc = await interleave(
                        [
                            (
                                baseline,
                                Scenario(
                                    f"baseline POST /things (c={c})",
                                    c,
                                    create_thing.script,
                                    "/things",
                                ),
                            ),
                            (
                                service,
                                Scenario(
                                    f"POST /referrals (c={c})", c, create_ref.script, "/referrals"
                                ),
                            ),
                        ],
                        rounds=rounds,
                        seconds=seconds,
                    )
                lines += [base.line(), svc.line()]
                lines.append(compare(base, svc, f"target ≥ {0.6 if c == 1 else 0.5}×, CPU ≤ 2×"))
                lines.append(
                    f"  {'':42}   connections waiting for a lock, mean while busy: baseline "
                    f"{waits.mean(_name(baseline_url)):.1f}, service "
                    f"{waits.mean(_name(service_url)):.1f} (of {c})"
                )
            ref_ids = await _ids(service_url, "SELECT id FROM referrals ORDER BY random() LIMIT $1")
            thing_ids = await _ids(baseline_url, "SELECT id FROM things ORDER BY random() LIMIT $1")
            get_ref = request_script(
                paths=[f"/referrals/{i}" for i in ref_ids], headers=_headers(token)
            )
            get_thing = request_script(
                paths=[f"/things/{i}" for i in thing_ids], headers=_headers(token)
            )
            base, svc = await interleave(
                [
                    (
                        baseline,
                        Scenario("baseline GET /things/{id} (c=8)", 8, lambda s: get_thing, "/"),
                    ),
                    (service, Scenario("GET /referrals/{id} (c=8)", 8, lambda s: get_ref, "/")),
                ],
                rounds=rounds,
                seconds=seconds,
            )
            lines += [base.line(), svc.line(), compare(base, svc, "target ≥ 0.5×, CPU ≤ 2×")]
    lines.append(f"(load average after: {load_average()})")
    return lines


if __name__ == "__main__":
    import argparse

    from bench.running import run_alone

    parser = argparse.ArgumentParser(prog="python -m bench.bench_api")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one wrk run")
    parser.add_argument(
        "--rounds", type=int, default=4, help="interleaved rounds per figure (even: ABBA)"
    )
    args = parser.parse_args()
    run_alone(
        lambda admin, kafka: run(
            admin_url=admin, bootstrap=kafka, seconds=args.seconds, rounds=args.rounds
        )
    )
