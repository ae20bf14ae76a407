"""A server under benchmark in its own process, started as `make run` starts a service
(`xietong serve <app>`: JSON logs, the h11 protocol with a bounded request head, the
service's lifespan with its relay, consumer and jobs), on a port of its own; and the CPU time it spends, read from /proc."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from xietong_devtools.run import service_command


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} {five:.1f} {fifteen:.1f}"


@dataclass
class Served:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)


@contextmanager
def served(
    name: str,
    app: str,
    *,
    env: Mapping[str, str],
    workdir: Path,
    ready_path: str = "/healthz",
    extra_args: tuple[str, ...] = (),
) -> Iterator[Served]:
    """`app` under `xietong serve` in a child process until the block ends; its stdout (the JSON logs,
    written as in production) goes to a file in `workdir`."""
    port = free_port()
    log = workdir / f"{name}.log"
    command = [*service_command(app, host="127.0.0.1", port=port), *extra_args]
    child_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    child_env.setdefault("XIETONG_SERVICE_NAME", name)
    # The baseline is `bench.baseline_app`: importable from the project's root, which the
    # `xietong` script (unlike `python -m uvicorn`) does not put on the path.
    root = str(Path(__file__).resolve().parent.parent)
    child_env["PYTHONPATH"] = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    child_env.update(env)
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=child_env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, url + ready_path, log)
        yield Served(name=name, url=url, process=process, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 300  # migrations on a busy shared machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{tail}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after 300 s")
