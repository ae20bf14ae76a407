"""`xietong run`: the stack, then the six services as uvicorn processes, until Ctrl-C."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import httpx

from xietong_devtools.stack import StackError, ensure_stack, service_database_url

SERVICES = (
    ("info-sharing", "info_sharing", 8001),
    ("assistance", "assistance", 8002),
    ("referral", "referral", 8003),
    ("legal-review", "legal_review", 8004),
    ("joint-inspection", "joint_inspection", 8005),
    ("secondment", "secondment", 8006),
)


def run_services(*, host: str = "127.0.0.1") -> int:
    try:
        info = ensure_stack()
    except StackError as exc:
        print(f"stack not started: {exc}", file=sys.stderr)
        return 1
    children: list[tuple[str, int, subprocess.Popen[bytes]]] = []
    for name, pkg, default_port in SERVICES:
        if importlib.util.find_spec(f"{pkg}.main") is None:
            print(f"skipping {name}: no {pkg}.main", file=sys.stderr)
            continue
        port = int(os.environ.get(f"XIETONG_{pkg.upper()}_PORT", default_port))
        env = {
            **os.environ,
            "XIETONG_SERVICE_NAME": name,
            "XIETONG_DATABASE_URL": service_database_url(info, pkg),
            "XIETONG_KAFKA_BOOTSTRAP_SERVERS": info.kafka_bootstrap,
        }
        env.pop("DATABASE_URL", None)  # the admin URL must not reach the service
        # As a container runs it (`xietong serve`): JSON logs, the bounded request head and
        # the server's own refusals as problem+json.
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("xietong")),
                "serve",
                f"{pkg}.main:app",
                "--host",
                host,
                "--port",
                str(port),
            ],
            env=env,
        )
        children.append((name, port, process))

    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        _wait_healthy(children, host)
        print("\nxietong is running:")
        for name, port, _ in children:
            print(f"  {name:<17} http://{host}:{port}/docs")
        print(
            f"\nKafka {info.kafka_bootstrap} · PostgreSQL {info.postgres_admin_url.split('@')[-1]}"
        )
        print("A token:  uv run xietong token --org town:lizhi --roles handler")
        print(
            "Ctrl-C stops the services (`uv run xietong stack down` stops Kafka and PostgreSQL).\n"
        )
        while not stopping:
            for name, _, process in children:
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}", file=sys.stderr)
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        for _, _, process in children:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, _, process in children:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_healthy(children: list[tuple[str, int, subprocess.Popen[bytes]]], host: str) -> None:
    end = time.monotonic() + 120
    pending = {name: port for name, port, _ in children}
    while pending and time.monotonic() < end:
        for name, port in list(pending.items()):
            try:
                if httpx.get(f"http://{host}:{port}/healthz", timeout=1).status_code == 200:
                    del pending[name]
            except httpx.HTTPError:
                pass
        time.sleep(0.5)
    if pending:
        print(f"not healthy after 120 s: {', '.join(pending)}", file=sys.stderr)
