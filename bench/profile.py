"""Where a request's time goes: the referral service under wrk load, sampled by py-spy.

    uv run python -m bench.profile get        # GET /referrals/{id}, c=8
    uv run python -m bench.profile create     # POST /referrals, c=8
    uv run python -m bench.profile list       # GET /referrals (first page), c=8
    uv run python -m bench.profile create --connections 1   # POST at c=1

The service runs as `bench.bench_api` runs it (as `make run` does); py-spy (PyPI:
`uvx py-spy`, or on PATH) samples its process while wrk loads it, and the report sums the
samples per package and per function, inclusive (a function with its callees) and self.
`--out DIR` keeps the raw collapsed stacks (for a flame graph: `py-spy record -f speedscope`).
Not part of `make bench`: a tool for finding causes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import tempfile
import types
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bench.backbone import drop_databases, new_database
from bench.bench_api import BENCH_SECRET, _headers, _ids, service_env
from bench.running import servers
from bench.served import served
from bench.wrk import request_script, run_wrk
from xietong_common.auth import mint_token
from xietong_common.reference import load_catalogue, load_directory
from xietong_common.settings import ServiceSettings
from xietong_devtools.testing import sample_codes

PACKAGES = (
    "sqlalchemy",
    "opentelemetry",
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic",
    "asyncpg",
    "aiokafka",
    "jwt",
    "xietong_common",
    "referral",
    "logging",
    "json",
    "asyncio",
    "uvloop",
)


def py_spy() -> list[str]:
    found = shutil.which("py-spy")
    if found:
        return [found]
    uvx = shutil.which("uvx")
    if uvx:
        return [uvx, "py-spy"]
    raise SystemExit("py-spy not found: `uv tool install py-spy` (PyPI) or put it on PATH")


def package_of(frame: str) -> str:
    # A collapsed frame: "function (path/to/module.py:line)"; py-spy shortens the path to
    # the part below site-packages (`starlette/routing.py`), so it may start with the package.
    path = "/" + frame.rpartition("(")[2]
    for package in PACKAGES:
        if f"/{package}/" in path or f"/{package}.py" in path:
            return package
    if "site-packages" not in path and "/lib/python" in path:
        return "stdlib"
    return "other"


def report(collapsed: Path, top: int) -> list[str]:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = stack.split(";")
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
        by_package[package_of(frames[-1])] += count
    out = [f"{total} samples (on CPU)", "", "self time by package:"]
    for package, n in by_package.most_common():
        out.append(f"  {n / total:6.1%}  {package}")
    out += ["", f"inclusive, top {top}:"]
    for frame, n in inclusive.most_common(top):
        out.append(f"  {n / total:6.1%}  {frame[:150]}")
    out += ["", f"self, top {top}:"]
    for frame, n in own.most_common(top):
        out.append(f"  {n / total:6.1%}  {frame[:150]}")
    return out


async def main(
    what: str,
    seconds: float,
    top: int,
    out: Path | None,
    extra_env: dict[str, str],
    connections: int = 8,
) -> None:
    admin, kafka = servers()
    directory = load_directory()
    codes = sample_codes(
        types.SimpleNamespace(directory=directory, catalogue=load_catalogue(None, directory))  # type: ignore[arg-type]
    )
    town = codes["town_a"]
    token = mint_token(
        ServiceSettings(jwt_secret=BENCH_SECRET), org=town, user="bench", roles=("handler",)
    )
    body = json.dumps(
        {
            "matter_code": codes["dept_matter"],
            "place_town": town,
            "found_at": datetime.now(UTC).isoformat(),
            "facts": "基准测试案件",
        },
        ensure_ascii=False,
    )
    url = await new_database(admin, "profile")
    create = request_script(method="POST", body=body, headers=_headers(token))
    try:
        with tempfile.TemporaryDirectory(prefix="xietong-profile-") as tmp:
            work = Path(tmp)
            with served(
                "referral",
                "referral.main:app",
                env=service_env(url, work, kafka, **extra_env),
                workdir=work,
            ) as svc:
                await asyncio.to_thread(
                    run_wrk, svc.url + "/referrals", create, connections=4, seconds=3
                )
                if what == "create":
                    script, path = create, "/referrals"
                elif what == "get":
                    ids = await _ids(url, "SELECT id FROM referrals LIMIT $1")
                    script = request_script(
                        paths=[f"/referrals/{i}" for i in ids], headers=_headers(token)
                    )
                    path = "/"
                else:
                    script, path = request_script(headers=_headers(token)), "/referrals"
                collapsed = (out or work) / f"{what}.collapsed"
                collapsed.parent.mkdir(parents=True, exist_ok=True)
                spy = await asyncio.create_subprocess_exec(
                    *py_spy(), "record", "--pid", str(svc.pid), "--duration", str(int(seconds)),
                    "--rate", "200", "--format", "raw", "--output", str(collapsed), "--nonblocking",
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                run = await asyncio.to_thread(
                    run_wrk, svc.url + path, script, connections=connections, seconds=seconds
                )
                await asyncio.wait_for(spy.wait(), seconds + 60)
                print(f"{what}: {run.rate:.0f} req/s, {run.errors} errors, p99 {run.p99_ms:.1f} ms")
                print("\n".join(report(collapsed, top)))
    finally:
        await drop_databases(admin)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("what", choices=("get", "create", "list"))
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=8, help="wrk's connections (c)")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--env", action="append", default=[], help="NAME=value for the service")
    args = parser.parse_args()
    env = dict(item.split("=", 1) for item in args.env)
    asyncio.run(main(args.what, args.seconds, args.top, args.out, env, args.connections))
