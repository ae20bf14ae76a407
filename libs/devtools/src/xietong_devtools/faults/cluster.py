"""The system under test: servers, databases, and the six services as processes of its own.

A `Cluster` runs each service the way `xietong run` does (a uvicorn process with its own
database), through the harness's launcher (`faults.serve`) so that its fault points can be
armed, and can kill, pause, resume and restart each of them. Its servers are either

- a **private stack** (`PrivateStack`): a PostgreSQL and a Kafka of the harness's own, under
  another `XIETONG_LOCAL_DIR` and on other ports, which the harness may restart at will; or
- **shared servers** (the test session's, for the smoke run in `make test`): never
  restarted, used only through databases of the run's own and the session's namespace;
- the shared PostgreSQL with a **private broker** (`PrivateBroker`, a Kafka of the run's
  own, for a test that kills the broker mid-stream without touching the shared one).

Either way the run's databases are its own (`ft_<run>_<service>`). Its consumer groups are
the services' names in its namespace: a namespace of the run's own on the private stack;
on the shared servers, the session's, where the groups are first moved to the end of their
topics so that they handle only what the run publishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from pydantic import SecretStr

import xietong_common.contracts  # noqa: F401  (registers every event type)
from xietong_common.auth import mint_token
from xietong_common.db import plain_url
from xietong_common.events.kafka import kafka_ping
from xietong_common.events.namespace import Namespace
from xietong_common.services import SERVICES
from xietong_common.settings import ServiceSettings, project_root
from xietong_devtools.deploy import grants
from xietong_devtools.faults.probe import Arming, arm_file, hit_file
from xietong_devtools.stack.kafka import LocalKafka
from xietong_devtools.stack.postgres import LocalPostgres, StackError

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


async def wait_until(
    what: str,
    check: Callable[[], bool | Awaitable[bool]],
    *,
    timeout_s: float,
    every_s: float = 0.25,
) -> float:
    """Wait until `check()` (sync or async; raising = not yet) is true; returns when (epoch
    seconds). Raises TimeoutError after `timeout_s`."""
    end = time.monotonic() + timeout_s
    while True:
        try:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return time.time()
        except Exception:  # what is waited for is not there yet
            pass
        if time.monotonic() > end:
            raise TimeoutError(f"{what}: not within {timeout_s:.0f} s")
        await asyncio.sleep(every_s)


def _refuse_taken(servers: Iterable[tuple[str, int, bool]]) -> None:
    """The harness restarts its servers, so it runs only its own: a port another program
    holds is refused."""
    for name, port, mine in servers:
        if not mine and port_answers(port):
            raise StackError(
                f"port {port} ({name}) is taken by another program; the harness restarts "
                "its servers, so it runs only its own: choose other ports"
            )


class PrivateBroker:
    """A Kafka of the harness's own (`stack/`), which it may restart or kill -9: in
    `home` (never the shared stack's), on ports of its own, with the jars of the project's
    pom (kept in `jars_home`, default `home`, fetched once)."""

    def __init__(
        self, home: Path, *, port: int, controller_port: int, jars_home: Path | None = None
    ) -> None:
        self.kafka = LocalKafka(
            home=home,
            pom=project_root() / "deploy" / "local" / "kafka" / "pom.xml",
            port=port,
            controller_port=controller_port,
            jars_home=jars_home,
        )

    @property
    def bootstrap(self) -> str:
        return self.kafka.bootstrap

    def ports(self) -> list[tuple[str, int, bool]]:
        running = self.kafka.is_running()
        return [
            ("Kafka", self.kafka.port, running),
            ("Kafka's controller", self.kafka.controller_port, running),
        ]

    async def start(self) -> float:
        """Started; returns when it answers (epoch seconds)."""
        _refuse_taken(self.ports())
        await asyncio.to_thread(self.kafka.start)

        async def answers() -> bool:
            await asyncio.wait_for(kafka_ping(self.bootstrap), 5)
            return True

        return await wait_until("the harness's Kafka", answers, timeout_s=180, every_s=0.5)

    async def restart(self, *, kill: bool = False, down_s: float = 0.0) -> float:
        """Stopped as `stack down` stops it (SIGTERM, a clean shutdown), or killed with
        SIGKILL (`kill`), left down `down_s`, and started again; returns when it answers."""
        await asyncio.to_thread(self.kafka.kill if kill else self.kafka.stop)
        await asyncio.sleep(down_s)
        return await self.start()

    async def stop(self) -> None:
        await asyncio.to_thread(self.kafka.stop)


class PrivateStack:
    """A PostgreSQL and a Kafka of the harness's own (`stack/`), which it may restart.

    `home` is the harness's `XIETONG_LOCAL_DIR` (default `.local/faults`), never the shared
    stack's; its ports are its own too. The jars are those of the project's pom."""

    def __init__(self, home: Path, *, pg_port: int, kafka_port: int) -> None:
        self.home = home
        self.postgres = LocalPostgres(home=home / "postgres", port=pg_port)
        self.broker = PrivateBroker(home / "kafka", port=kafka_port, controller_port=kafka_port + 1)
        self.kafka = self.broker.kafka

    @property
    def admin_url(self) -> str:
        return self.postgres.admin_url()

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    async def start(self) -> None:
        _refuse_taken(
            [("PostgreSQL", self.postgres.port, self.postgres.is_running()), *self.broker.ports()]
        )
        self.home.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self.postgres.start)
        await self.start_kafka()

    async def start_kafka(self) -> float:
        return await self.broker.start()

    async def restart_kafka(self, *, kill: bool = False) -> float:
        return await self.broker.restart(kill=kill)

    async def restart_postgres(self) -> float:
        await asyncio.to_thread(self.postgres.stop)
        await asyncio.to_thread(self.postgres.start)

        async def answers() -> bool:
            conn = await asyncpg.connect(self.admin_url, timeout=3)
            await conn.close()
            return True

        return await wait_until("the harness's PostgreSQL", answers, timeout_s=120)

    async def stop(self) -> None:
        await self.broker.stop()
        await asyncio.to_thread(self.postgres.stop)


@dataclass(frozen=True)
class Servers:
    """Where the run's databases and topics live."""

    admin_url: str  # plain postgresql://, a superuser
    bootstrap: str
    namespace: Namespace
    private: PrivateStack | None = None


def consumed_topics(service: str) -> list[str]:
    """The topics `service` consumes, as its Kafka ACLs grant them (`deploy.grants`: a
    consumer named with a note, `oversight (SUP-01/02)`, is one; a planned one is not)."""
    return sorted(grants()[service].consumes)


class ServiceProcess:
    """One service instance: a uvicorn process forked by the service's launcher
    (`faults.serve`), which imported the service once."""

    def __init__(
        self,
        service: str,
        *,
        instance: str,
        port: int,
        env: dict[str, str],
        control: Path,
        log_file: Path,
    ) -> None:
        self.service = service
        self.package = SERVICES[service]
        self.instance = instance
        self.port = port
        self.env = env
        self.control = control
        self.log_file = log_file
        self.launcher: subprocess.Popen[bytes] | None = None
        self.child: int | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.child is not None, f"{self.service} was never started"
        return self.child

    async def start(self) -> None:
        """A new process of the service (the launcher's first start imports it)."""
        self.disarm()
        hit_file(self.control, self.instance).unlink(missing_ok=True)
        self.child = await asyncio.to_thread(self._fork)
        self.starts += 1

    def _fork(self) -> int:
        """The launcher (started if it is not running) forks the service; its process id."""
        if self.launcher is None or self.launcher.poll() is not None:
            with self.log_file.open("ab") as out:
                self.launcher = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "xietong_devtools.faults.serve",
                        self.package,
                        "--control",
                        str(self.control),
                        "--service",
                        self.service,
                    ],
                    env=self.env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=out,
                    start_new_session=True,  # a Ctrl-C to the harness is not theirs
                )
        stdin, stdout = self.launcher.stdin, self.launcher.stdout
        assert stdin is not None
        assert stdout is not None
        stdin.write(f"{self.port}\t{self.instance}\t{self.log_file}\n".encode())
        stdin.flush()
        answer = stdout.readline()  # after the import, the first time
        if not answer:
            raise RuntimeError(f"{self.service}'s launcher exited; see {self.log_file}")
        return int(answer)

    def alive(self) -> bool:
        return self.child is not None and self.state() not in ("", "Z")

    def state(self) -> str:
        """The kernel's letter for the process (R, S, T stopped, Z, …), '' if gone."""
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return ""
        return stat.rpartition(")")[2].split()[0]

    def _wait_gone(self, timeout_s: float) -> bool:
        """Until the process is gone (the kernel reaps it for the launcher)."""
        deadline = time.monotonic() + timeout_s
        while self.alive():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    async def healthy(self) -> bool:
        async with httpx.AsyncClient(timeout=2) as client:
            r = await client.get(f"{self.url}/healthz")
            return r.status_code == 200

    async def wait_healthy(self, timeout_s: float = 180) -> float:
        if not self.alive():
            raise RuntimeError(f"{self.service} is not running; see {self.log_file}")

        async def check() -> bool:
            if not self.alive():
                raise RuntimeError(f"{self.service} exited; see {self.log_file}")
            return await self.healthy()

        try:
            return await wait_until(f"{self.service} /healthz", check, timeout_s=timeout_s)
        except TimeoutError:
            if not self.alive():
                raise RuntimeError(f"{self.service} exited; see {self.log_file}") from None
            raise

    def kill(self) -> None:
        """SIGKILL: a crash, nothing flushed, no goodbye to Kafka or PostgreSQL."""
        if self.child is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.child, signal.SIGKILL)
        if not self._wait_gone(30):
            raise RuntimeError(f"{self.service} ({self.child}) survived SIGKILL")

    def pause(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def stop(self, timeout_s: float = 20) -> None:
        """The service stopped (SIGTERM, then SIGKILL), and its launcher with it."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGCONT)  # a paused process cannot stop
                os.kill(self.pid, signal.SIGTERM)
            if not self._wait_gone(timeout_s):
                self.kill()
        launcher, self.launcher = self.launcher, None
        if launcher is not None:
            with contextlib.suppress(OSError):
                assert launcher.stdin is not None
                launcher.stdin.close()  # its loop ends
            try:
                launcher.wait(timeout=10)
            except subprocess.TimeoutExpired:
                launcher.kill()
                launcher.wait()
            if launcher.stdout is not None:
                launcher.stdout.close()

    def arm(self, arming: Arming) -> None:
        target = arm_file(self.control, self.instance)
        staging = target.with_suffix(".arm-tmp")
        staging.write_text(arming.to_json())
        staging.replace(target)

    def disarm(self) -> None:
        arm_file(self.control, self.instance).unlink(missing_ok=True)

    def hit(self) -> str | None:
        """What the probe wrote when it stopped the process at the armed point."""
        path = hit_file(self.control, self.instance)
        try:
            return path.read_text()
        except FileNotFoundError:
            return None

    def clear_hit(self) -> None:
        hit_file(self.control, self.instance).unlink(missing_ok=True)


@dataclass
class Cluster:
    """The run's databases and service processes on `servers`."""

    servers: Servers
    run_id: str
    run_dir: Path
    services: Sequence[str] = tuple(SERVICES)
    # On a namespace others use too (the test session's), each consumer group starts at the
    # end of its topics: it must not handle the session's earlier events.
    groups_from_end: bool = False
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    databases: dict[str, str] = field(default_factory=dict)

    @property
    def control(self) -> Path:
        return self.run_dir / "control"

    def database_url(self, service: str) -> str:
        base = plain_url(self.servers.admin_url).rpartition("/")[0]
        return f"{base}/{self.databases[service]}"

    def instance_name(self, service: str) -> str:
        """The process's name in the control directory."""
        return f"{service}-ft{self.run_id}"

    def group(self, service: str) -> str:
        """The service's consumer group (its name: `create_app` names the instance after the
        service), on the broker."""
        return self.servers.namespace.group(service)

    def token(self, org: str, *roles: str, user: str | None = None) -> str:
        """A token as `xietong token` mints it, with the key the run's services trust."""
        settings = ServiceSettings(jwt_secret=SecretStr(self.jwt_secret))
        return mint_token(settings, org=org, user=user or f"{org}/faults", roles=roles)

    async def start(self) -> None:
        for path in (self.control, self.run_dir / "logs", self.run_dir / "blobs"):
            path.mkdir(parents=True, exist_ok=True)
        await self._create_databases()
        if self.groups_from_end:
            await start_groups_at_end(
                self.servers.bootstrap,
                self.servers.namespace,
                {s: consumed_topics(s) for s in self.services},
            )
        for service in self.services:
            env = self._env(service)
            process = ServiceProcess(
                service,
                instance=self.instance_name(service),
                port=free_port(),
                env=env,
                control=self.control,
                log_file=self.run_dir / "logs" / f"{service}.log",
            )
            self.processes[service] = process
        await asyncio.gather(*(p.start() for p in self.processes.values()))
        await asyncio.gather(*(p.wait_healthy() for p in self.processes.values()))

    def _env(self, service: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            # Nothing of the caller's servers or settings reaches the run's services.
            if not k.startswith("XIETONG_") and k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")
        }
        url = self.database_url(service).replace("postgresql://", "postgresql+asyncpg://", 1)
        env.update(
            {
                "XIETONG_DATABASE_URL": url,
                "XIETONG_KAFKA_BOOTSTRAP_SERVERS": self.servers.bootstrap,
                "XIETONG_KAFKA_NAMESPACE": self.servers.namespace.prefix,
                "XIETONG_DEPLOYMENT_ID": f"faults-{self.run_id}",
                "XIETONG_JWT_SECRET": self.jwt_secret,
                "XIETONG_BLOB_DIR": str(self.run_dir / "blobs" / service),
                "XIETONG_AUDIT_KEY_DIR": str(self.run_dir / "audit-keys"),
                "XIETONG_LOG_JSON": "true",
            }
        )
        return env

    async def _create_databases(self) -> None:
        conn = await asyncpg.connect(plain_url(self.servers.admin_url))
        try:
            for service in self.services:
                name = f"ft_{self.run_id}_{SERVICES[service]}"
                await conn.execute(f'CREATE DATABASE "{name}"')
                self.databases[service] = name
        finally:
            await conn.close()

    async def drop_databases(self) -> None:
        conn = await asyncpg.connect(plain_url(self.servers.admin_url))
        try:
            for name in self.databases.values():
                with contextlib.suppress(asyncpg.PostgresError):
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    async def restart(self, service: str) -> float:
        """Start a killed service again; returns when it answers /healthz."""
        process = self.processes[service]
        if process.alive():
            process.kill()
        await process.start()
        return await process.wait_healthy()

    def stop(self) -> None:
        for process in self.processes.values():
            process.disarm()
        for process in self.processes.values():
            process.stop()


async def start_groups_at_end(
    bootstrap: str, namespace: Namespace, groups: dict[str, Iterable[str]]
) -> None:
    """Commit each new consumer group at the current end of its topics (created if missing),
    so it reads only what comes after. Names are logical; `namespace` is applied."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    from xietong_common.events.kafka import ensure_topics

    wanted = sorted({t for topics in groups.values() for t in topics})
    if not wanted:
        return
    await ensure_topics(bootstrap, wanted, namespace=namespace)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        partitions = {
            t: [
                TopicPartition(namespace.topic(t), p)
                for p in sorted(await producer.partitions_for(namespace.topic(t)))
            ]
            for t in wanted
        }
    finally:
        await producer.stop()
    for group, topics in groups.items():
        chosen = [tp for t in topics for tp in partitions[t]]
        if not chosen:
            continue
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=namespace.group(group), enable_auto_commit=False
        )
        await consumer.start()
        try:
            consumer.assign(chosen)
            ends = await consumer.end_offsets(chosen)
            await consumer.commit(dict(ends.items()))
        finally:
            await consumer.stop()


def new_run_id() -> str:
    """Sortable and short: it names databases (`ft_<run>_<service>`) and instances."""
    return f"{int(time.time()) % 10**8:08d}{uuid.uuid4().hex[:4]}"
