"""`make bench`: backbone, the referral service over HTTP, what tracing costs a request it
samples out, lists at a million referrals,
creating a case with one and with two replicas on one database, official documents,
secondment, information-sharing and joint-inspection figures, the notifier's webhook
deliveries per second, oversight's ledger ingestion and its assessment of a year at a
million rows, on the local stack (or the servers in the env), each beside a baseline
measured in the same run.

On a shared machine absolute figures say little: read the ratios, each taken against a
baseline measured in the same run (the HTTP ones interleaved round by round), and the load
average printed beside them. `--only http,lists` runs some parts; `--help` lists the knobs.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import platform
import time

from bench.backbone import (
    BENCH_NAMESPACE,
    Figures,
    backbone,
    drop_databases,
    raw_kafka,
    raw_pg_commits,
    summary,
)
from bench.running import servers
from bench.served import load_average
from xietong_devtools.faults.runner import delete_topics

PARTS = (
    "backbone",
    "http",
    "tracing",
    "lists",
    "referral",
    "replicas",
    "documents",
    "secondment",
    "info",
    "inspection",
    "notifier",
    "oversight",
)


async def main(args: argparse.Namespace) -> None:
    admin_url, bootstrap = servers()
    n = args.n
    only = set(args.only.split(",")) if args.only else set(PARTS)
    started = time.perf_counter()
    print(f"xietong bench — {platform.node()}, {os.cpu_count()} cores, n={n}")
    print(f"PostgreSQL {admin_url.split('@')[-1]}, Kafka {bootstrap}")
    print(f"load average {load_average()} (1, 5, 15 min)\n", flush=True)
    pg = await raw_pg_commits(admin_url, n)
    if "backbone" in only:
        kafka = await raw_kafka(bootstrap, n)
        # Latency first, on a quiet database server: after the flat-out runs it measured
        # PostgreSQL cleaning up their tens of thousands of rows (p99 184 against 58–71 ms).
        # Half a second of events first, left out: the relay's producer starting, the first
        # fetches (raw aiokafka's clock starts after its producer and consumer have).
        paced = await backbone(
            admin_url, bootstrap, max(n // 4, 100), per_txn=1, rate=100, warm_up=50
        )
        # The target's figure: one-event commits as the baseline commits its rows, from a
        # process of their own, for a few seconds; then as a service's unit of work beside
        # the relay and the consumer (the writer's own cost, one coroutine, bounds that one).
        apart = await backbone(
            admin_url, bootstrap, 4 * n, per_txn=1, writer="statement", apart=True
        )
        one = await backbone(admin_url, bootstrap, n, per_txn=1)
        ten = await backbone(admin_url, bootstrap, n, per_txn=10)
        print(pg.line())
        print(kafka.line())
        print("throughput (writer flat out; latency includes the queue that builds up):")
        for line in summary([apart, one, ten], pg, "raw PG commit rate"):
            print(line)
        print("latency from commit to handled, at a rate the system keeps up with:")
        for line in summary([paced], pg, "raw PG commit rate"):
            print(line)
        print(
            f"{'':44} outbox→inbox at 1 event/txn is {apart.rate / pg.rate:.2f}× raw PG commits "
            f"(target ≥ 0.5×), {apart.rate / kafka.rate:.3f}× raw aiokafka throughput; paced p99 is {paced.pct(99) / kafka.pct(99):.1f}× raw aiokafka's p99 "
            "(target ≤ 2×)",
            flush=True,
        )
    if "http" in only:
        from bench import bench_api

        print(
            "\nthe referral service over HTTP (wrk), beside a minimal endpoint with the same "
            "guarantees, interleaved:"
        )
        for line in await bench_api.run(
            admin_url=admin_url,
            bootstrap=bootstrap,
            seconds=args.http_seconds,
            rounds=args.http_rounds,
        ):
            print(line, flush=True)
    if "tracing" in only:
        from bench import bench_tracing

        print(
            "\ntracing sampled out against no tracing, one referral service in this process, "
            "switched block by block:"
        )
        for line in await bench_tracing.run(admin_url=admin_url, bootstrap=bootstrap):
            print(line, flush=True)
    if "lists" in only and args.list_rows:
        from bench import bench_lists

        print("\none town's list, its first page, at 10,000 and at many referrals:")
        for line in await bench_lists.run(
            admin_url=admin_url,
            bootstrap=bootstrap,
            rows=args.list_rows,
            seconds=args.http_seconds,
            rounds=args.http_rounds,
        ):
            print(line, flush=True)
    if "referral" in only and importlib.util.find_spec("bench.bench_referral") is not None:
        from bench import bench_referral

        print()
        referral: Figures = await bench_referral.run(
            admin_url=admin_url, bootstrap=bootstrap, n=max(n // 2, 100)
        )
        for line in summary([referral], pg, "raw PG commit rate"):
            print(line, flush=True)
    if "replicas" in only:
        from bench import bench_referral

        print(
            "\ncreating a case through the API, one and two replicas of the service on one database:"
        )
        for line in await bench_referral.replicas_compared(
            admin_url=admin_url, bootstrap=bootstrap, n=max(n // 2, 100)
        ):
            print(line, flush=True)
    if "documents" in only and importlib.util.find_spec("bench.bench_documents") is not None:
        from bench import bench_documents

        print()
        for line in await bench_documents.run(
            admin_url=admin_url, bootstrap=bootstrap, n=max(n // 100, 20)
        ):
            print(line, flush=True)
    if "secondment" in only and importlib.util.find_spec("bench.bench_secondment") is not None:
        from bench import bench_secondment

        print()
        for line in await bench_secondment.run(admin_url=admin_url, bootstrap=bootstrap, n=n):
            print(line, flush=True)
    if "info" in only and args.info_items and importlib.util.find_spec("bench.bench_info"):
        from bench import bench_info

        print()
        figures = await bench_info.run(
            admin_url=admin_url, bootstrap=bootstrap, items=args.info_items
        )
        for line in bench_info.report(figures, pg):
            print(line, flush=True)
    if "inspection" in only and importlib.util.find_spec("bench.bench_inspection") is not None:
        from bench import bench_inspection

        print()
        for line in await bench_inspection.run(
            admin_url=admin_url, bootstrap=bootstrap, targets=args.inspection_targets
        ):
            print(line, flush=True)
    if "notifier" in only and importlib.util.find_spec("bench.bench_notifier") is not None:
        from bench import bench_notifier

        print()
        for line in await bench_notifier.run(
            admin_url=admin_url, bootstrap=bootstrap, n=max(n // 2, 200)
        ):
            print(line, flush=True)
    if "oversight" in only and args.oversight_rows:
        from bench import bench_oversight

        print(
            "\noversight: ledger ingestion beside the raw PG commit rate, and the assessment "
            "of one year:"
        )
        figures = await bench_oversight.run(
            admin_url=admin_url,
            bootstrap=bootstrap,
            facts=max(n * 2, 200),
            rows=args.oversight_rows,
        )
        for line in [pg.line(), *bench_oversight.report(figures, pg)]:
            print(line, flush=True)
    print(
        f"\nbench took {time.perf_counter() - started:.0f} s; load average {load_average()}",
        flush=True,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("-n", type=int, default=2000, help="events (or requests) per figure")
    parser.add_argument("--only", default="", help=f"comma-separated parts of {','.join(PARTS)}")
    parser.add_argument(
        "--http-seconds", type=float, default=5.0, help="length of one wrk run (HTTP, lists)"
    )
    parser.add_argument(
        "--http-rounds",
        type=int,
        default=4,
        help="interleaved rounds per HTTP figure (even: each order as often, ABBA)",
    )
    parser.add_argument(
        "--list-rows",
        type=int,
        default=1_000_000,
        help="referrals of one town for the list figure, beside 10,000 (0: skip it)",
    )
    parser.add_argument(
        "--info-items",
        type=int,
        default=100_000,
        help="items the information-sharing search runs over (0: skip it)",
    )
    parser.add_argument(
        "--inspection-targets", type=int, default=100_000, help="targets in the INSP-02 draw"
    )
    parser.add_argument(
        "--oversight-rows",
        type=int,
        default=1_000_000,
        help="deadlines of one year in the oversight ledger for the assessment (0: skip it)",
    )
    args = parser.parse_args()

    async def run() -> None:
        admin_url, bootstrap = servers()
        try:
            await main(args)
        finally:
            await drop_databases(admin_url)
            # A run's topics go with it: left behind (a developer runs the bench again and
            # again), thousands of them made every Kafka client's start decode their metadata.
            await delete_topics(bootstrap, BENCH_NAMESPACE)

    asyncio.run(run())
