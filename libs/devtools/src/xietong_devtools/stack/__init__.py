"""The local stack: Kafka (KRaft, from Maven jars) and PostgreSQL, started by the project itself.

`ensure_stack()` is idempotent and safe to call from several processes at once. Servers
named by `DATABASE_URL` / `KAFKA_BOOTSTRAP_SERVERS` are used as they are: nothing is
started for them. Data lives under `.local/` in the checkout (as root, PostgreSQL's own
files live under `/var/lib/xietong-pg/`: see `stack/postgres.py`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from xietong_common.db import plain_url
from xietong_common.settings import project_root
from xietong_devtools.stack.kafka import LocalKafka
from xietong_devtools.stack.postgres import LocalPostgres, StackError

__all__ = [
    "SERVICE_PACKAGES",
    "StackError",
    "StackInfo",
    "ensure_stack",
    "local_kafka",
    "local_postgres",
    "service_database_url",
    "stack_down",
    "stack_status",
]

T = TypeVar("T")

SERVICE_PACKAGES = (
    "info_sharing",
    "assistance",
    "referral",
    "legal_review",
    "joint_inspection",
    "secondment",
    "oversight",
    "notifier",
)


@dataclass(frozen=True)
class StackInfo:
    postgres_admin_url: str
    kafka_bootstrap: str
    postgres_external: bool
    kafka_external: bool


def local_dir() -> Path:
    return Path(os.environ.get("XIETONG_LOCAL_DIR", project_root() / ".local"))


def local_postgres() -> LocalPostgres:
    return LocalPostgres(
        home=local_dir() / "postgres", port=int(os.environ.get("XIETONG_STACK_PG_PORT", "54329"))
    )


def local_kafka() -> LocalKafka:
    port = int(os.environ.get("XIETONG_STACK_KAFKA_PORT", "29092"))
    return LocalKafka(
        home=local_dir() / "kafka",
        pom=project_root() / "deploy" / "local" / "kafka" / "pom.xml",
        port=port,
        controller_port=port + 1,
    )


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even when called inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@contextmanager
def _stack_lock() -> Iterator[None]:
    local_dir().mkdir(parents=True, exist_ok=True)
    with (local_dir() / "stack.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _port_answers(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _wait(what: str, check: Callable[[], bool], timeout_s: float, log: Path) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.3)
    raise StackError(f"{what} did not answer within {timeout_s:.0f}s; see {log}")


async def _kafka_ready(bootstrap: str) -> bool:
    from xietong_common.events.kafka import kafka_ping

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # a broker still starting is expected
    try:
        await asyncio.wait_for(kafka_ping(bootstrap), 5)
    except Exception:
        return False
    return True


async def _ensure_service_databases(admin_url: str) -> None:
    conn = await asyncpg.connect(plain_url(admin_url))
    try:
        for pkg in SERVICE_PACKAGES:
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", pkg)
            if not exists:
                # Local development credentials only (role = password = package name).
                await conn.execute(f"CREATE ROLE {pkg} LOGIN PASSWORD '{pkg}'")
            if not await conn.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", f"xietong_{pkg}"
            ):
                await conn.execute(f'CREATE DATABASE "xietong_{pkg}" OWNER {pkg}')
    finally:
        await conn.close()


def ensure_stack(*, kafka: bool = True) -> StackInfo:
    """Start what is not running (or not configured externally), wait until both answer.
    With `kafka=False` only PostgreSQL is started (`kafka_bootstrap` is then empty unless
    KAFKA_BOOTSTRAP_SERVERS names a broker)."""
    db_env = os.environ.get("DATABASE_URL")
    kafka_env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    with _stack_lock():
        if db_env:
            admin_url = plain_url(db_env)
        else:
            pg = local_postgres()
            if not pg.is_running() and _port_answers("127.0.0.1", pg.port):
                raise StackError(
                    f"port {pg.port} is taken by another program; set XIETONG_STACK_PG_PORT"
                )
            pg.start()
            admin_url = pg.admin_url()
            _run(_ensure_service_databases(admin_url))
        if kafka_env or not kafka:
            bootstrap = kafka_env or ""
        else:
            broker = local_kafka()
            if not broker.is_running() and _port_answers("127.0.0.1", broker.port):
                raise StackError(
                    f"port {broker.port} is taken by another program; set XIETONG_STACK_KAFKA_PORT"
                )
            broker.start()
            bootstrap = broker.bootstrap
            _wait("Kafka", lambda: _port_answers("127.0.0.1", broker.port), 90, broker.log_file)
            _wait("Kafka", lambda: _run(_kafka_ready(bootstrap)), 60, broker.log_file)
        info = StackInfo(
            postgres_admin_url=admin_url,
            kafka_bootstrap=bootstrap,
            postgres_external=bool(db_env),
            kafka_external=bool(kafka_env),
        )
        (local_dir() / "stack.json").write_text(json.dumps(asdict(info), indent=2))
        return info


def stack_down(*, delete_data: bool = False) -> list[str]:
    """Stop only what the stack started; return what was stopped. `delete_data` also
    removes PostgreSQL's files where they live outside `.local/` (as root), for `make clean`."""
    stopped = []
    with _stack_lock():
        kafka = local_kafka()
        if kafka.is_running():
            kafka.stop()
            stopped.append("kafka")
        pg = local_postgres()
        if pg.is_running():
            pg.stop()
            stopped.append("postgres")
        if delete_data:
            pg.delete_data()
    return stopped


def stack_status() -> dict[str, str]:
    pg, kafka = local_postgres(), local_kafka()
    status = {
        "postgres": f"running on 127.0.0.1:{pg.port}" if pg.is_running() else "stopped",
        "kafka": f"running on {kafka.bootstrap}" if kafka.is_running() else "stopped",
        "data": str(local_dir()),
    }
    if pg.server_home != pg.home:
        status["pg data"] = str(pg.server_home)
    return status


def service_database_url(info: StackInfo, pkg: str) -> str:
    """The asyncpg URL of a service's own database on this stack."""
    if info.postgres_external:
        _run(_ensure_external_database(info.postgres_admin_url, f"xietong_{pkg}"))
        base = plain_url(info.postgres_admin_url).rpartition("/")[0]
        return f"{base}/xietong_{pkg}".replace("postgresql://", "postgresql+asyncpg://", 1)
    port = local_postgres().port
    return f"postgresql+asyncpg://{pkg}:{pkg}@127.0.0.1:{port}/xietong_{pkg}"


async def _ensure_external_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(plain_url(admin_url))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
