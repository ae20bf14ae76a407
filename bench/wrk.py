"""wrk, the out-of-process HTTP load generator (Debian's `wrk` package), driven from Python.

An in-process client flatters a service at concurrency 8: it competes with the app for the
same interpreter, so the app waits for the client as much as for its work. wrk is C, runs in
its own process and keeps `connections` requests in flight over keep-alive connections, as
real clients would. Each run's figures come back through a Lua `done` hook as one JSON line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

MISSING = (
    "wrk is not installed: the HTTP figures (create, GET by id, lists) are SKIPPED. "
    "Install Debian's package (`apt-get install -y wrk`) and run `make bench` again."
)


def wrk_path() -> str | None:
    return shutil.which("wrk")


@dataclass(frozen=True)
class WrkRun:
    """What one wrk run measured (latencies in ms)."""

    requests: int
    seconds: float
    errors: int  # non-2xx/3xx answers, socket errors and timeouts
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"errors":%d,"p50":%d,"p95":%d,"p99":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def lua_string(text: str) -> str:
    """A Lua string literal (long brackets cannot hold every text; escapes can)."""
    return '"' + "".join(f"\\{b}" for b in text.encode()) + '"'


def request_script(
    *,
    method: str = "GET",
    paths: list[str] | None = None,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> str:
    """A wrk script: every request the same, or cycling through `paths` (GET by id)."""
    lines = [f"wrk.method = {lua_string(method)}"]
    for name, value in (headers or {}).items():
        lines.append(f"wrk.headers[{lua_string(name)}] = {lua_string(value)}")
    if body is not None:
        lines.append(f"wrk.body = {lua_string(body)}")
    if paths:
        lines.append("local paths = {" + ",".join(lua_string(p) for p in paths) + "}")
        lines.append("local n = 0")
        lines.append(
            "request = function() n = n + 1; return wrk.format(nil, paths[(n % #paths) + 1]) end"
        )
    return "\n".join(lines) + _DONE


def run_wrk(url: str, script: str, *, connections: int, seconds: float) -> WrkRun:
    """Load `url` for `seconds` with `connections` requests in flight (wrk must exist)."""
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError(MISSING)
    with tempfile.TemporaryDirectory(prefix="xietong-wrk-") as tmp:
        path = Path(tmp) / "script.lua"
        path.write_text(script)
        # Two threads at most: the machine's cores are for the server under test.
        threads = max(1, min(2, connections))
        out = subprocess.run(
            [
                wrk,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                str(path),
                url,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=seconds + 120,
        )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    data = json.loads(line.removeprefix("WRKJSON "))
    return WrkRun(
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        errors=int(data["errors"]),
        p50_ms=data["p50"] / 1000,
        p95_ms=data["p95"] / 1000,
        p99_ms=data["p99"] / 1000,
    )
