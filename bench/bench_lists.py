"""A list's first page with many referrals: one town's `GET /referrals` (every referral it is
a party to, newest first, 20 to a page, with its total) at 10,000 and at 1,000,000 referrals.

Two referral services run as `make run` runs them, each on a database of its own, seeded
with COPY (half the referrals sent by the town, half sent to it by other towns, spread over
five years; not through the API). wrk asks each for the first page with one request in
flight, the two INTERLEAVED round by round; the figure is the p95 at 1,000,000 over the p95
at 10,000 (target: within 2×, a list that stays flat however long the history grows).

`python -m bench.bench_lists --rows 1000000` prints it alone.
"""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg

from bench.backbone import new_database
from bench.bench_api import BENCH_SECRET, Scenario, _headers, interleave, service_env
from bench.served import load_average, served
from bench.wrk import MISSING, request_script, wrk_path
from xietong_common.auth import mint_token
from xietong_common.reference import load_catalogue, load_directory
from xietong_common.settings import ServiceSettings

COLUMNS = (
    "id", "state", "sender", "receiver", "matter_code", "place_town", "found_at", "facts",
    "urgent", "ongoing", "proceeds_transferred", "source_kind", "created_at", "created_by",
    "updated_at", "sent_at", "sent_by",
)  # fmt: skip
BATCH = 50_000


async def seed(url: str, *, rows: int, town: str, others: list[str], matter: str) -> float:
    """`rows` referrals the town is party to, by COPY; returns the seconds it took."""
    rng = random.Random(rows)
    start = time.perf_counter()
    end = datetime(2026, 1, 1, tzinfo=UTC)
    conn = await asyncpg.connect(url)
    try:
        for offset in range(0, rows, BATCH):
            records = []
            for i in range(offset, min(offset + BATCH, rows)):
                at = end - timedelta(seconds=rng.randrange(5 * 365 * 86400))
                sent = i % 2 == 0
                sender = town if sent else rng.choice(others)
                receiver = rng.choice(others) if sent else town
                state = rng.choice(("draft", "sent", "received", "filed", "concluded"))
                records.append(
                    (
                        uuid.uuid4(), state, sender, receiver, matter, sender, at, "基准测试案件",
                        False, False, Decimal(0), "manual", at, f"{sender}/bench", at,
                        None if state == "draft" else at, None if state == "draft" else "bench",
                    )
                )  # fmt: skip
            await conn.copy_records_to_table("referrals", records=records, columns=COLUMNS)
        await conn.execute("ANALYZE referrals")
    finally:
        await conn.close()
    return time.perf_counter() - start


async def run(
    *, admin_url: str, bootstrap: str, rows: int = 1_000_000, seconds: float = 5.0, rounds: int = 3
) -> list[str]:
    if wrk_path() is None:
        return [f"!! {MISSING}"]
    directory = load_directory()
    catalogue = load_catalogue(None, directory)
    towns = sorted(o.code for o in directory.towns())
    town = "town:lizhi" if "town:lizhi" in towns else towns[0]
    others = [t for t in towns if t != town]
    matter = next(m for m in catalogue.all() if m.town_level).code
    token = mint_token(
        ServiceSettings(jwt_secret=BENCH_SECRET), org=town, user="bench", roles=("handler",)
    )
    small_url = await new_database(admin_url, "referral_list_small")
    large_url = await new_database(admin_url, "referral_list_large")
    lines = [f"(load average before: {load_average()})"]
    with tempfile.TemporaryDirectory(prefix="xietong-bench-lists-") as tmp:
        work = Path(tmp)
        with (
            served("referral-10k", "referral.main:app", env=service_env(small_url, work, bootstrap), workdir=work) as small,
            served("referral-large", "referral.main:app", env=service_env(large_url, work, bootstrap), workdir=work) as large,
        ):  # fmt: skip
            # The services made their tables (migrations at start); now the history.
            small_s = await seed(small_url, rows=10_000, town=town, others=others, matter=matter)
            large_s = await seed(large_url, rows=rows, town=town, others=others, matter=matter)
            lines.append(
                f"  seeded by COPY: 10,000 referrals in {small_s:.1f} s, {rows:,} in {large_s:.1f} s"
            )
            first_page = request_script(headers=_headers(token))
            path = "/referrals?page=1&page_size=20"
            a, b = await interleave(
                [
                    (small, Scenario("GET /referrals first page, 10,000 rows (c=1)", 1, lambda s: first_page, path)),
                    (large, Scenario(f"GET /referrals first page, {rows:,} rows (c=1)", 1, lambda s: first_page, path)),
                ],
                rounds=rounds,
                seconds=seconds,
            )  # fmt: skip
            lines += [a.line(), b.line()]
            lines.append(
                f"  {'':42} → p95 {b.pct(95):.1f} ms at {rows:,} against {a.pct(95):.1f} ms at "
                f"10,000: {b.pct(95) / a.pct(95):.1f}×   (target ≤ 2×)"
            )
    lines.append(f"(load average after: {load_average()})")
    return lines


if __name__ == "__main__":
    import argparse

    from bench.running import run_alone

    parser = argparse.ArgumentParser(prog="python -m bench.bench_lists")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    run_alone(
        lambda admin, kafka: run(
            admin_url=admin,
            bootstrap=kafka,
            rows=args.rows,
            seconds=args.seconds,
            rounds=args.rounds,
        )
    )
