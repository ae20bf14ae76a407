"""`xietong run`: the stack, then the eight services and the workbench (工作台) as uvicorn
processes, until Ctrl-C."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import httpx

from xietong_common.logs import uvicorn_log_config
from xietong_devtools.stack import StackError, ensure_stack, local_dir, service_database_url

SERVICES = (
    ("info-sharing", "info_sharing", 8001),
    ("assistance", "assistance", 8002),
    ("referral", "referral", 8003),
    ("legal-review", "legal_review", 8004),
    ("joint-inspection", "joint_inspection", 8005),
    ("secondment", "secondment", 8006),
    ("oversight", "oversight", 8007),
    ("notifier", "notifier", 8008),
)


def service_command(app: str, *, host: str, port: int) -> list[str]:
    """How `make run` starts a service, as a container runs it (`xietong serve`: JSON logs,
    the bounded request head and the server's own refusals as problem+json). `bench/` starts
    the services it measures, and its baseline, the same way."""
    return [
        str(Path(sys.executable).with_name("xietong")),
        "serve",
        app,
        "--host",
        host,
        "--port",
        str(port),
    ]


def run_services(*, host: str = "127.0.0.1") -> int:
    try:
        info = ensure_stack()
    except StackError as exc:
        print(f"stack not started: {exc}", file=sys.stderr)
        return 1
    children: list[tuple[str, int, subprocess.Popen[bytes]]] = []
    urls: dict[str, str] = {}
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
        if name == "notifier":
            # Its messages link to the record's page in the local workbench.
            workbench_port = os.environ.get("XIETONG_WORKBENCH_PORT", "8000")
            env.setdefault("XIETONG_WORKBENCH_PUBLIC_URL", f"http://{host}:{workbench_port}")
        # As a container runs it (`xietong serve`): JSON logs, the bounded request head and
        # the server's own refusals as problem+json.
        process = subprocess.Popen(
            service_command(f"{pkg}.main:app", host=host, port=port),
            env=env,
        )
        children.append((name, port, process))
        urls[name] = f"http://{host}:{port}"
    workbench = _start_workbench(host, urls)
    if workbench is not None:
        children.append(workbench)

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
            if name == "workbench":
                continue
            print(f"  {name:<17} http://{host}:{port}/docs")
        if workbench is not None:
            print(
                f"\n  工作台 workbench   http://{host}:{workbench[1]}/  (sign in: pick an organisation and roles)"
            )
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


def _start_workbench(
    host: str, urls: dict[str, str]
) -> tuple[str, int, subprocess.Popen[bytes]] | None:
    """The staff workbench in front of the services just started: plain HTTP on 127.0.0.1
    (so its session cookie is not `Secure`), local sign-in with the development key."""
    if importlib.util.find_spec("workbench.main") is None:
        print("skipping the workbench: no workbench.main", file=sys.stderr)
        return None
    port = int(os.environ.get("XIETONG_WORKBENCH_PORT", 8000))
    env = {
        **os.environ,
        "XIETONG_SERVICE_NAME": "workbench",
        "XIETONG_WORKBENCH_SERVICE_URLS": json.dumps(urls),
        "XIETONG_WORKBENCH_COOKIE_SECURE": os.environ.get(
            "XIETONG_WORKBENCH_COOKIE_SECURE", "false"
        ),
    }
    env.pop("DATABASE_URL", None)  # the workbench has no database of its own
    log_config = local_dir() / "uvicorn-log-workbench.json"
    log_config.write_text(json.dumps(uvicorn_log_config("workbench")))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "workbench.main:app",
            "--host",
            host,
            "--port",
            str(port),
            "--log-config",
            str(log_config),
        ],
        env=env,
    )
    return ("workbench", port, process)


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
