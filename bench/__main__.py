"""`make bench`: backbone, referral, official documents, secondment, information-sharing and
joint-inspection figures on the local stack (or the servers in the env), each beside a
baseline measured in the same run."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import platform

from bench.backbone import Figures, backbone, drop_databases, raw_kafka, raw_pg_commits, summary
from bench.running import servers


async def main(n: int, info_items: int, inspection_targets: int = 100_000) -> None:
    admin_url, bootstrap = servers()
    print(f"xietong bench — {platform.node()}, {os.cpu_count()} cores, n={n}")
    print(f"PostgreSQL {admin_url.split('@')[-1]}, Kafka {bootstrap}\n")
    pg = await raw_pg_commits(admin_url, n)
    kafka = await raw_kafka(bootstrap, n)
    one = await backbone(admin_url, bootstrap, n, per_txn=1)
    ten = await backbone(admin_url, bootstrap, n, per_txn=10)
    paced = await backbone(admin_url, bootstrap, max(n // 4, 100), per_txn=1, rate=100)
    print(pg.line())
    print(kafka.line())
    print("throughput (writer flat out; latency includes the queue that builds up):")
    for line in summary([one, ten], pg, "raw PG commit rate"):
        print(line)
    print("latency from commit to handled, at a rate the system keeps up with:")
    for line in summary([paced], pg, "raw PG commit rate"):
        print(line)
    print(
        f"{'':44} outbox→inbox at 1 event/txn is {one.rate / kafka.rate:.3f}× raw aiokafka throughput"
    )
    print("\ncreate a case through the API, beside a minimal endpoint with the same guarantees:")
    from bench import bench_create

    for line in await bench_create.compare(admin_url, bootstrap, n=max(n // 4, 200)):
        print(line)
    if importlib.util.find_spec("bench.bench_referral") is not None:
        from bench import bench_referral

        print()
        referral: Figures = await bench_referral.run(
            admin_url=admin_url, bootstrap=bootstrap, n=max(n // 2, 100)
        )
        for line in summary([referral], pg, "raw PG commit rate"):
            print(line)
    if importlib.util.find_spec("bench.bench_documents") is not None:
        from bench import bench_documents

        print()
        for line in await bench_documents.run(
            admin_url=admin_url, bootstrap=bootstrap, n=max(n // 100, 20)
        ):
            print(line)
    if importlib.util.find_spec("bench.bench_secondment") is not None:
        from bench import bench_secondment

        print()
        for line in await bench_secondment.run(admin_url=admin_url, bootstrap=bootstrap, n=n):
            print(line)
    if info_items and importlib.util.find_spec("bench.bench_info") is not None:
        from bench import bench_info

        print()
        figures = await bench_info.run(admin_url=admin_url, bootstrap=bootstrap, items=info_items)
        for line in bench_info.report(figures, pg):
            print(line)
    if importlib.util.find_spec("bench.bench_inspection") is not None:
        from bench import bench_inspection

        print()
        for line in await bench_inspection.run(
            admin_url=admin_url, bootstrap=bootstrap, targets=inspection_targets
        ):
            print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("-n", type=int, default=2000, help="events (or requests) per figure")
    parser.add_argument(
        "--info-items",
        type=int,
        default=100_000,
        help="items the information-sharing search runs over (0: skip it)",
    )
    parser.add_argument(
        "--inspection-targets", type=int, default=100_000, help="targets in the INSP-02 draw"
    )
    args = parser.parse_args()

    async def run() -> None:
        admin_url, _ = servers()
        try:
            await main(args.n, args.info_items, args.inspection_targets)
        finally:
            await drop_databases(admin_url)

    asyncio.run(run())
