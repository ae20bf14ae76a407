"""One harness run: the cluster up, the load and the faults for a bounded time, the
reconciliation, the report."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from xietong_common.events.namespace import Namespace
from xietong_common.settings import project_root
from xietong_devtools.faults.cluster import Cluster, PrivateStack, Servers, new_run_id
from xietong_devtools.faults.ledger import Ledger
from xietong_devtools.faults.load import Load
from xietong_devtools.faults.nemesis import Fault, Inflicted, full_faults, inflict_all
from xietong_devtools.faults.reconcile import Report, reconcile

log = logging.getLogger(__name__)

Say = Callable[[str], None]


def echo(line: str) -> None:
    print(line, flush=True)


@dataclass(frozen=True)
class Options:
    duration_s: float = 240.0
    workers: int = 4
    grace_s: float = 60.0  # "late": delivered more than this after recovery
    pause_s: float = 25.0  # SIGSTOP: past aiokafka's 10 s consumer session timeout
    reach_timeout_s: float = 180.0  # a flow with uploads takes a minute on a busy box
    settle_timeout_s: float = 300.0
    keep: bool = False  # keep the run's databases and topics (and the private stack up)
    # The flows and their weights (`Load.weights`); None: every flow, the full mix.
    flows: dict[str, int] | None = None


@dataclass
class Outcome:
    report: Report
    faults: list[Inflicted]
    ledger: Ledger
    load: Load
    run_dir: Path


def default_local_dir() -> Path:
    return project_root() / ".local" / "faults"


async def drive(
    cluster: Cluster, faults: Sequence[Fault], options: Options, say: Say = echo
) -> Outcome:
    """Start the cluster, run the load for `duration_s` with the faults spread over it,
    then reconcile. The caller stops the cluster."""
    started = time.monotonic()
    say(f"starting {len(cluster.services)} services (run {cluster.run_id}) …")
    await cluster.start()
    say(
        f"services up in {time.monotonic() - started:.0f}s; load for {options.duration_s:.0f}s "
        f"with {options.workers} workers, {len(faults)} faults:"
    )
    ledger = Ledger()
    load = Load(cluster, ledger, workers=options.workers)
    if options.flows is not None:
        load.weights = dict(options.flows)
    stop = asyncio.Event()
    loading = asyncio.create_task(load.run(stop), name="faults-load")
    began = time.monotonic()
    warmup = min(20.0, options.duration_s * 0.15)
    spread = max(options.duration_s * 0.85 - warmup, 1.0)
    try:
        # Every fault is inflicted, even if the last ones end after `duration_s`; the load
        # goes on for a while after the last recovery, so that is exercised too.
        inflicted = await inflict_all(
            cluster,
            faults,
            start=began + warmup,
            every_s=spread / max(len(faults), 1),
            reach_timeout_s=options.reach_timeout_s,
            say=say,
        )
        tail = min(15.0, options.duration_s * 0.1)
        until = max(began + options.duration_s, time.monotonic() + tail)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(loading), until - time.monotonic())
    finally:
        stop.set()
        await loading  # a flow in progress finishes (its retries are bounded)
    stats = load.stats
    say(
        f"load: {sum(stats.flows.values())} flows ({', '.join(f'{k} {v}' for k, v in sorted(stats.flows.items()))}), "
        f"{stats.requests} requests, {stats.unknown} answers lost (reset, timeout, 5xx), "
        f"{sum(stats.flows_failed.values())} flows stopped"
    )
    for failure in stats.failures[:10]:
        say(f"  stopped: {failure}")
    for route, n in stats.server_errors.most_common(10):
        say(f"  server error ×{n}: {route}")
    say("reconciling …")
    report = await reconcile(
        cluster,
        ledger,
        [f.window for f in inflicted],
        grace_s=options.grace_s,
        settle_timeout_s=options.settle_timeout_s,
    )
    ledger.save(cluster.run_dir / "ledger.jsonl")
    (cluster.run_dir / "faults.json").write_text(
        json.dumps([asdict(f) for f in inflicted], ensure_ascii=False, indent=1)
    )
    return Outcome(report, inflicted, ledger, load, cluster.run_dir)


def render(outcome: Outcome, options: Options) -> list[str]:
    report = outcome.report
    lines = [
        f"ledger: ok / lost / duplicated / late (late: delivered more than {options.grace_s:.0f}s "
        "after acceptance, or after the recovery from the faults it was in transit through)",
        *report.lines(),
        "",
    ]
    lost = sum(r.lost for r in report.rows.values())
    doubled = sum(r.duplicated for r in report.rows.values())
    if report.oversight is not None:  # facts of oversight's ledger
        lost += report.oversight.lost
        doubled += report.oversight.duplicated
    late = sum(r.late for r in report.rows.values())
    verdict = "FAILED" if report.failed else "OK"
    lines.append(f"result: {verdict}: {lost} lost, {doubled} duplicated, {late} late")
    return lines


async def run_private(
    options: Options,
    *,
    local_dir: Path,
    pg_port: int,
    kafka_port: int,
    say: Say = echo,
) -> int:
    """`xietong faults`: the full run on the harness's own PostgreSQL and Kafka."""
    transcript: list[str] = []

    def tee(line: str) -> None:
        transcript.append(line)
        say(line)

    stack = PrivateStack(local_dir, pg_port=pg_port, kafka_port=kafka_port)
    tee(
        f"the harness's own servers: PostgreSQL 127.0.0.1:{pg_port}, Kafka 127.0.0.1:{kafka_port} "
        f"(data in {local_dir})"
    )
    await stack.start()
    run_id = new_run_id()
    servers = Servers(
        admin_url=stack.admin_url,
        bootstrap=stack.bootstrap,
        namespace=Namespace(f"xt-faults-{run_id}."),
        private=stack,
    )
    cluster = Cluster(servers, run_id, local_dir / "runs" / run_id)
    try:
        outcome = await drive(cluster, full_faults(stack, pause_s=options.pause_s), options, tee)
        for line in render(outcome, options):
            tee(line)
        (cluster.run_dir / "report.txt").write_text("\n".join(transcript) + "\n")
        say(f"ledger, report and service logs: {cluster.run_dir}")
        return 1 if outcome.report.failed else 0
    finally:
        cluster.stop()
        if not options.keep:
            with contextlib.suppress(Exception):
                await cluster.drop_databases()
            with contextlib.suppress(Exception):
                await delete_topics(stack.bootstrap, servers.namespace)
            await stack.stop()


async def delete_topics(bootstrap: str, namespace: Namespace) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    await admin.start()
    try:
        doomed = [t for t in await admin.list_topics() if t.startswith(namespace.prefix)]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()
