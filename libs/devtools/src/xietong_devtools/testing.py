"""pytest plugin: the real stack (PostgreSQL + Kafka), fresh databases, running services.

Order of preference for servers: DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS from the
environment; else testcontainers where a Docker engine answers; else the local stack
(`xietong stack up`), started by the test session if it is not running.

A test session is a deployment of its own on the broker: its topics and consumer groups
carry the session's namespace (`TEST_NAMESPACE`, `xt-test-<start>-<random>.`) and its audit
checkpoints its deployment id, so it never reads what the developer's `make run` (or another
session) published, nor they its events. The session deletes its topics when it ends, and
those of sessions older than a day that could not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from xietong_common.auth import mint_token
from xietong_common.clock import FakeClock
from xietong_common.db import plain_url
from xietong_common.events.namespace import Namespace
from xietong_common.settings import ServiceSettings

if TYPE_CHECKING:
    from xietong_common.context import ServiceContext
    from xietong_common.db import Database
    from xietong_common.web import ServiceSpec

TEST_JWT_SECRET = "xietong-test-secret-not-for-production-0123456789"

_SESSION = f"{int(time.time())}-{uuid.uuid4().hex[:6]}"
TEST_NAMESPACE = Namespace(f"xt-test-{_SESSION}.")
"""This test session's topics and consumer groups on the shared broker."""
TEST_DEPLOYMENT = f"test-{_SESSION}"
"""The deployment id this session's services sign their audit checkpoints with."""
# Test sessions and bench runs (bench/backbone.py) on a shared broker.
_TEST_TOPIC = re.compile(r"^xt-(?:test|bench)-(\d+)-[0-9a-f]+\.")
# No suite or bench run lasts this long: a session's topics still there after it were left
# by a run killed before it could delete them. On a broker shared by many runs (a developer's,
# this project's machines: 7,163 topics at one count) they made each Kafka client's start
# decode every topic's metadata, in every test.
STALE_SESSION_S = 3 * 3600

log = logging.getLogger(__name__)


def physical_topic(name: str) -> str:
    """`name` (a contract's topic, e.g. `case.referred`) as this session's services use it."""
    return TEST_NAMESPACE.topic(name)


@dataclass(frozen=True)
class Servers:
    postgres_admin_url: str  # postgresql://user:pw@host:port/postgres
    kafka_bootstrap: str
    # Databases this test session created; dropped when it ends, so a developer's server
    # does not collect thousands of them (slow to start, slow to recover after a crash).
    created: list[str] = field(default_factory=list, compare=False)
    # Containers started for the session alone: gone with it, nothing to tidy.
    ephemeral: bool = False


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextlib.contextmanager
def _servers() -> Iterator[Servers]:
    db_env = os.environ.get("DATABASE_URL")
    kafka_env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if db_env and kafka_env:
        yield Servers(plain_url(db_env), kafka_env)
        return
    if os.environ.get("XIETONG_TESTCONTAINERS", "auto") != "off" and _docker_answers():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer

        with (
            # As the local stack's (stack.postgres.MAX_CONNECTIONS): two workers' services.
            PostgresContainer("postgres:17").with_command("postgres -c max_connections=400") as pg,
            KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka,
        ):
            url = pg.get_connection_url().replace("postgresql+psycopg2://", "postgresql://")
            yield Servers(
                db_env or url,
                kafka_env or kafka.get_bootstrap_server(),
                ephemeral=not (db_env or kafka_env),
            )
        return
    from xietong_devtools.stack import ensure_stack

    info = ensure_stack()
    yield Servers(plain_url(db_env or info.postgres_admin_url), kafka_env or info.kafka_bootstrap)


DROP_CONNECTIONS = 16


async def drop_databases(admin_url: str, names: Iterable[str]) -> None:
    """Drop the databases `names` on the server at `admin_url` (a plain postgresql:// URL).

    Several at once: PostgreSQL (≥ 15) makes each DROP DATABASE wait for a checkpoint, and
    drops waiting together share one, so a session's hundreds of databases go in a fraction
    of the time one connection would take (2.4 s a drop on a busy machine)."""
    waiting = list(names)

    async def dropper() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            while waiting:
                name = waiting.pop()
                # FORCE: a pool a test left open must not keep its database alive.
                with contextlib.suppress(asyncpg.PostgresError):
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    await asyncio.gather(*(dropper() for _ in range(min(DROP_CONNECTIONS, len(waiting)))))


async def delete_test_topics(bootstrap: str, *, mine: bool, stale_after_s: float) -> int:
    """Delete this session's topics (`mine`) and those of test sessions that started more
    than `stale_after_s` ago (a session killed before it could); returns how many."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    await admin.start()
    try:
        now = time.time()
        doomed = []
        for topic in await admin.list_topics():
            match = _TEST_TOPIC.match(topic)
            if match is None:
                continue
            if (mine and topic.startswith(TEST_NAMESPACE.prefix)) or (
                now - int(match.group(1)) > stale_after_s
            ):
                doomed.append(topic)
        if doomed:
            await admin.delete_topics(doomed)
        return len(doomed)
    finally:
        await admin.close()


# What the session leaves on servers that outlive it (named ones, the local stack), tidied
# once every test has finished (`pytest_sessionfinish`): outside any test's timeout, which
# a fixture's teardown is not (the last test's bound would pay for hundreds of drops).
_LEFT_ON_SERVERS: list[Servers] = []


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with _servers() as found, pytest.MonkeyPatch.context() as env:
        # What the session runs by the settings (the `xietong` CLI in a test, a service
        # built from the environment) is in the session's namespace and deployment too.
        env.setenv("XIETONG_KAFKA_NAMESPACE", TEST_NAMESPACE.prefix)
        env.setenv("XIETONG_DEPLOYMENT_ID", TEST_DEPLOYMENT)
        # A service started in a test lays no warm-up document out: the tests that render
        # pay for the worker once per session, the others not at all.
        env.setenv("XIETONG_DOCUMENT_RENDER_WARM", "false")
        _tidy_topics(found.kafka_bootstrap, mine=False)
        yield found
    if not found.ephemeral:
        _LEFT_ON_SERVERS.append(found)


# Parallel runs (pytest-xdist, `make test`): each worker process is a session of its own —
# its own namespace, deployment id, databases and templates — so workers never meet. Two
# things are arranged here for them:
# - a test marked `alone` (it stops a shared server: test_broker_outage restarts Kafka) is
#   skipped in a worker; `make test` runs those after the others, in one process;
# - tests sharing a costly fixture wider than a test (a module's or a session's: the
#   workbench's six-service stack, a module's own Kafka) run on one worker
#   (`xdist_group`, honoured with `--dist loadgroup`), so it is built once, not per worker.
ALONE_REASON = (
    "stops a server the other workers use: run in a process of its own "
    "(`pytest -m alone`; `make test` does after the others)"
)


@pytest.hookimpl(tryfirst=True)  # before its fixtures are set up
def pytest_runtest_setup(item: pytest.Item) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") and item.get_closest_marker("alone"):
        pytest.skip(ALONE_REASON)


@pytest.hookimpl(tryfirst=True)  # before xdist's worker names the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        for item, group in shared_fixture_groups(items).items():
            item.add_marker(pytest.mark.xdist_group(group))
        if hasattr(config, "workerinput") and config.getvalue("loadgroup"):
            name_groups_in_node_ids(items)


def name_groups_in_node_ids(items: Iterable[pytest.Item]) -> None:
    """Name each item's `xdist_group` in its node id (`…@group`), what `--dist loadgroup`
    schedules by. xdist 3.8's worker does it by assigning `item._nodeid`, which pytest 9
    no longer reads (a node's id is `item._id`, a `NodeId`): under pytest 9 nothing was
    grouped, so the tests of one module fixture ran on both workers, each building it (the
    compose Kafka twice, ~106 s). Under pytest 8 `_id` is not read and xdist names the
    group itself."""
    from _pytest.nodeid import NodeId

    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        node_id = getattr(item, "_id", None)
        if names and isinstance(node_id, NodeId) and "@" not in item.nodeid.rpartition("]")[2]:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(sorted(names))}")


def shared_fixture_groups(items: Iterable[pytest.Item]) -> dict[pytest.Item, str]:
    """Tests that share an instance of a project fixture scoped wider than a test, joined
    into groups (tests using the workbench stack and those using its browser are one)."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    keys: dict[pytest.Item, list[str]] = {}
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        mine = []
        for name in info.names_closure:
            for fixturedef in info.name2fixturedefs.get(name, ()):
                # Fixtures of pytest, its plugins and ours (`servers`) have no base id; a
                # session's are made in every worker anyway.
                if not fixturedef.baseid or fixturedef.scope == "function":
                    continue
                if fixturedef.scope in ("module", "class"):
                    instance = item.nodeid.partition("::")[0]
                else:
                    instance = fixturedef.baseid
                mine.append(f"{name}~{instance}")
        if mine:
            keys[item] = mine
            for key in mine[1:]:
                parent[find(key)] = find(mine[0])
    return {item: find(mine[0]) for item, mine in keys.items()}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the databases the session created and delete its topics."""
    for admin_url, names in _DROPS_BEHIND.finish().items():
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            asyncio.run(drop_databases(admin_url, names))
    while _LEFT_ON_SERVERS:
        found = _LEFT_ON_SERVERS.pop()
        if found.created:
            # A loop of its own: the session's event loop is closed by now.
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                asyncio.run(drop_databases(found.postgres_admin_url, found.created))
        _tidy_topics(found.kafka_bootstrap, mine=True)


def _tidy_topics(bootstrap: str, *, mine: bool) -> None:
    try:
        asyncio.run(delete_test_topics(bootstrap, mine=mine, stale_after_s=STALE_SESSION_S))
    except Exception as exc:  # a broker that is away leaves them for the next session
        log.warning("test topics not deleted: %s", exc)


@pytest.fixture(scope="session")
def kafka_bootstrap(servers: Servers) -> str:
    return servers.kafka_bootstrap


async def create_database(
    servers: Servers, prefix: str, *, migrated_for: ServiceSpec | None = None
) -> str:
    """A new database on the test server; returns its asyncpg SQLAlchemy URL. Empty, or
    with `migrated_for` a copy of a database that service's migrations brought to head."""
    name = f"t_{prefix}_{uuid.uuid4().hex[:10]}".replace("-", "_")
    template = None if migrated_for is None else await _migrated_template(servers, migrated_for)
    conn = await asyncpg.connect(servers.postgres_admin_url)
    try:
        # A test's database lives for one test and is dropped after it: its commits need not
        # wait for the disk (`synchronous_commit = off`: what a crash of the server could lose,
        # no test needs kept; nothing else changes, each commit is still atomic and visible at
        # once). On a shared or slow disk the flush of every commit was most of a test's wait.
        await conn.execute("SET synchronous_commit = off")
        await conn.execute(
            f'CREATE DATABASE "{name}" TEMPLATE "{template}"'
            if template
            else f'CREATE DATABASE "{name}"'
        )
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()
    servers.created.append(name)
    base, _, _ = servers.postgres_admin_url.rpartition("/")
    return f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)


# Migrated templates: running a service's migrations costs a second or more on a busy
# machine, and they hold a server-wide advisory lock (one migration at a time, for replicas
# starting together), so parallel test workers would queue on it. With `migrated_for`, each
# service's migrations run once per test process, into a template database, and every
# database of that service is `CREATE DATABASE … TEMPLATE` of it: a copy of the files, no
# checkpoint (PostgreSQL ≥ 15 copies through the WAL). The service still runs its
# migrations when it starts (finding them at head), as in production.
# XIETONG_TEST_TEMPLATES=off: every database starts empty and its service migrates it.
_TEMPLATES: dict[Path, str] = {}
"""A service's migrations folder -> the database its migrations brought to head."""
_TEMPLATE_LOCK: asyncio.Lock | None = None


async def _migrated_template(servers: Servers, spec: ServiceSpec) -> str | None:
    from xietong_common.migrations import upgrade_to_head_async

    if os.environ.get("XIETONG_TEST_TEMPLATES", "on") == "off":
        return None
    global _TEMPLATE_LOCK
    if _TEMPLATE_LOCK is None:
        _TEMPLATE_LOCK = asyncio.Lock()
    async with _TEMPLATE_LOCK:
        key = Path(spec.migrations_dir)  # as the spec names it: one per service
        if key not in _TEMPLATES:
            url = await create_database(servers, f"template_{spec.name}")
            await upgrade_to_head_async(key, url)
            _TEMPLATES[key] = url.rpartition("/")[2]
        return _TEMPLATES[key]


def run_throwaway_suite(
    directory: Path, *options: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """pytest on the test files in `directory` alone (none of the project's options or test
    paths), with this plugin, as a process of its own: for tests of the plugin itself."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "xietong_devtools.testing",
            "-v",
            "-o",
            "addopts=",
            "-o",
            "testpaths=",
            *options,
            str(directory),
        ],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


class DropsBehind:
    """Finished tests' databases, dropped by a thread of their own while the next tests run.

    Each DROP DATABASE waits for a checkpoint (PostgreSQL ≥ 15): disk, not CPU, so it costs a
    CPU-bound suite nothing while tests run, whereas left to the session's end a worker's
    ~900 drops were minutes of tail (0.24 s a drop at 16 connections on a busy box). What a
    drop could not reach (a server away) is handed back by `finish`, for the session's end."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[str, str] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._left: dict[str, list[str]] = {}

    def put(self, admin_url: str, name: str) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="xietong-drops-behind", daemon=True
                )
                self._thread.start()
        self._queue.put((admin_url, name))

    def finish(self) -> dict[str, list[str]]:
        """Wait for the drops asked for so far; returns those that failed, per server."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()
        left, self._left = self._left, {}
        return left

    def _run(self) -> None:
        stopping = False
        while not stopping:
            item = self._queue.get()
            batch: dict[str, list[str]] = {}
            # Drops waiting together share a checkpoint: take what has queued up meanwhile.
            while item is not None:
                batch.setdefault(item[0], []).append(item[1])
                if sum(map(len, batch.values())) >= DROP_CONNECTIONS:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            stopping = item is None
            for admin_url, names in batch.items():
                try:
                    asyncio.run(drop_databases(admin_url, names))
                except (OSError, asyncpg.PostgresError):
                    self._left.setdefault(admin_url, []).extend(names)


_DROPS_BEHIND = DropsBehind()


@pytest.fixture
async def fresh_database(servers: Servers) -> AsyncIterator[Callable[..., Any]]:
    made: list[str] = []

    async def make(prefix: str = "svc", *, migrated_for: ServiceSpec | None = None) -> str:
        url = await create_database(servers, prefix, migrated_for=migrated_for)
        made.append(url.rpartition("/")[2])
        return url

    yield make
    # The test is over (its services, which use the database, were torn down before this
    # fixture they depend on): its databases go now, behind the next tests, not at the end.
    for name in made:
        if name in servers.created:  # else the test dropped it, or handed it on
            servers.created.remove(name)
        _DROPS_BEHIND.put(servers.postgres_admin_url, name)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(datetime(2024, 3, 1, 2, 0, tzinfo=UTC))  # Fri 2024-03-01 10:00 CST


def settings_for_tests(
    name: str,
    *,
    database_url: str,
    kafka_bootstrap: str,
    settings_class: type[ServiceSettings] = ServiceSettings,
    **overrides: Any,
) -> ServiceSettings:
    values: dict[str, Any] = {
        "service_name": name,
        "database_url": database_url,
        "kafka_bootstrap_servers": kafka_bootstrap,
        "jwt_secret": TEST_JWT_SECRET,
        "kafka_namespace": TEST_NAMESPACE.prefix,
        "deployment_id": TEST_DEPLOYMENT,
        "outbox_poll_interval_s": 0.2,
        "inbox_backoff_initial_s": 0.05,
        "inbox_backoff_max_s": 0.2,
        "inbox_max_attempts": 3,
        "log_json": False,
    }
    values.update(overrides)
    return settings_class(**values)


@dataclass
class RunningService:
    """A service app started with its lifespan (migrations, relay, consumer) on the real stack."""

    ctx: ServiceContext
    client: httpx.AsyncClient
    settings: ServiceSettings

    def token(self, org: str, *roles: str, user: str | None = None, ttl_s: int = 3600) -> str:
        return mint_token(
            self.settings, org=org, user=user or f"{org}/officer", roles=roles, ttl_s=ttl_s
        )

    def auth(self, org: str, *roles: str, user: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(org, *roles, user=user)}"}

    async def outbox_drained(self, *, timeout_s: float = 20.0) -> None:
        """Wait until the relay has published every committed outbox row, so a topic reader
        opened next sees only what the test does after it (not an earlier write's event)."""
        from xietong_common.tables import outbox

        deadline = asyncio.get_running_loop().time() + timeout_s
        query = sa.select(sa.func.count()).where(outbox.c.published_at.is_(None))
        while True:
            async with self.ctx.db.session() as session:
                waiting = int((await session.execute(query)).scalar_one())
            if waiting == 0:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{waiting} outbox rows still unpublished")
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_service(
    spec: ServiceSpec,
    *,
    database_url: str,
    kafka_bootstrap: str,
    clock: Any | None = None,
    **overrides: Any,
) -> AsyncIterator[RunningService]:
    from xietong_common.web import create_app

    if spec.handlers and overrides.get("run_consumer", True) and "service_name" not in overrides:
        # In the session's group (the service's name) it would share partitions and committed
        # offsets with every other instance in the worker — the workbench's stack among them:
        # each would take the other's events, and a test app stopped mid-rebalance held its
        # teardown 15 s.
        raise ValueError(
            f"{spec.name} consumes events: give its test app a consumer group of its own "
            "(service_name=f'<name>-test-<random>', after start_group_at_end), or "
            "run_consumer=False"
        )
    settings = settings_for_tests(
        spec.name,
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        settings_class=spec.settings_class,
        **overrides,
    )
    app = create_app(spec, settings=settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield RunningService(ctx=app.state.ctx, client=client, settings=settings)


NOWHERE = "127.0.0.1:9"  # the discard port: nothing answers there


@contextlib.asynccontextmanager
async def app_before_io(spec: ServiceSpec, **overrides: Any) -> AsyncIterator[RunningService]:
    """The service's app with its context but without its lifespan (no migrations, messaging
    or jobs), its database and Kafka at an address where nothing answers: for what a service
    must answer before it touches either (authentication, who may call an operation)."""
    from xietong_common.context import build_context
    from xietong_common.web import create_app

    settings = settings_for_tests(
        spec.name,
        database_url=f"postgresql://xietong@{NOWHERE}/nowhere",
        kafka_bootstrap=NOWHERE,
        settings_class=spec.settings_class,
        **overrides,
    )
    app = create_app(spec, settings=settings)
    app.state.ctx = ctx = build_context(settings, service=spec.name)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield RunningService(ctx=ctx, client=client, settings=settings)
    finally:
        await ctx.db.dispose()


class TopicReader:
    """Reads topics (the contracts' names, in the session's namespace) from their end (as of
    start) to assert on published events."""

    def __init__(self, bootstrap: str, topics: Iterable[str]) -> None:
        self._consumer = AIOKafkaConsumer(
            *(physical_topic(t) for t in topics),
            bootstrap_servers=bootstrap,
            group_id=None,
            auto_offset_reset="latest",
            enable_auto_commit=False,
        )
        self.records: list[ConsumerRecord[bytes, bytes]] = []

    async def start(self) -> None:
        await self._consumer.start()
        # Pin the current end of each partition, so only new records are seen.
        for _ in range(200):
            if self._consumer.assignment():
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"no partitions assigned for {self._consumer.subscription()}")
        await self._consumer.seek_to_end()
        for tp in self._consumer.assignment():
            await self._consumer.position(tp)

    async def stop(self) -> None:
        await self._consumer.stop()

    async def poll(self, timeout_s: float) -> None:
        batch = await self._consumer.getmany(timeout_ms=int(max(timeout_s, 0.01) * 1000))
        for records in batch.values():
            self.records.extend(records)

    async def read_to_end(self, *, timeout_s: float = 60.0) -> None:
        """Read every record the topics hold now (up to each partition's end as of the call):
        once a producer's sends are acknowledged, everything it sent has been seen — a second
        copy too, without waiting for one that might still come."""
        ends = await self._consumer.end_offsets(list(self._consumer.assignment()))
        deadline = asyncio.get_running_loop().time() + timeout_s
        while [tp for tp, end in ends.items() if await self._consumer.position(tp) < end]:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"timed out reading to {ends}")
            await self.poll(min(remaining, 1))

    async def wait_for_records(
        self, count: int, *, timeout_s: float = 20.0
    ) -> list[ConsumerRecord[bytes, bytes]]:
        """Raw records (headers included), e.g. from a `.dlq` topic."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(self.records) < count:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"timed out with {len(self.records)} of {count} records")
            await self.poll(min(remaining, 1))
        return list(self.records)

    def events(self) -> list[dict[str, Any]]:
        """The CloudEvents (dicts) read so far."""
        return [json.loads(r.value) for r in self.records if r.value is not None]

    async def collect(
        self, until: Callable[[list[dict[str, Any]]], bool], *, timeout_s: float = 20.0
    ) -> list[dict[str, Any]]:
        """Read until `until(events)` holds; returns the CloudEvents (dicts) seen."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            events = self.events()
            if until(events):
                return events
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out; saw {[(e['type'], e.get('subject')) for e in events]}"
                )
            await self.poll(min(remaining, 1))


@contextlib.asynccontextmanager
async def topic_reader(bootstrap: str, *topics: str) -> AsyncIterator[TopicReader]:
    reader = TopicReader(bootstrap, topics)
    await reader.start()
    try:
        yield reader
    finally:
        await reader.stop()


_PARTITIONS: dict[str, dict[str, list[int]]] = {}
"""Per broker, the session's topics made (or found) by `start_group_at_end`, with their
partitions: a session's topics are never deleted before it ends, so each is created, and
its partitions read, once — not two Kafka clients' start (each reading every topic's
metadata) in every test that starts a service."""


async def start_group_at_end(bootstrap: str, group: str, topics: Iterable[str]) -> None:
    """Commit a new consumer group at the current end of `topics`, so a service under test
    reads only what the test produces: not the topics' history, and not in one group with
    other instances of the same service on the broker (which would take partitions from it).
    `group` and `topics` are as the service names them; the session's namespace is added."""
    from aiokafka import AIOKafkaProducer, TopicPartition

    from xietong_common.events.kafka import ensure_topics

    logical = sorted(topics)
    known = _PARTITIONS.setdefault(bootstrap, {})
    if missing := [t for t in logical if physical_topic(t) not in known]:
        await ensure_topics(bootstrap, missing, namespace=TEST_NAMESPACE)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            for t in missing:
                known[physical_topic(t)] = sorted(await producer.partitions_for(physical_topic(t)))
        finally:
            await producer.stop()
    partitions = [
        TopicPartition(physical_topic(t), p) for t in logical for p in known[physical_topic(t)]
    ]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=TEST_NAMESPACE.group(group),
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit(dict(ends.items()))
    finally:
        await consumer.stop()


def sample_codes(ctx: ServiceContext) -> dict[str, str]:
    """Two towns, a department-level matter with its department and a town-level matter,
    taken from the loaded reference data (for tests and the benchmark)."""
    towns = sorted(o.code for o in ctx.directory.towns())
    dept_matter = next(m for m in ctx.catalogue.all() if not m.town_level)
    town_matter = next(m for m in ctx.catalogue.all() if m.town_level)
    town_a = "town:lizhi" if "town:lizhi" in towns else towns[0]
    town_b = next(t for t in ("town:baitao", *towns) if t in towns and t != town_a)
    return {
        "town_a": town_a,
        "town_b": town_b,
        "dept": dept_matter.owner,
        "dept_matter": dept_matter.code,
        "town_matter": town_matter.code,
    }


def sample_route(ctx: ServiceContext) -> tuple[str, str, str, str]:
    """(sender, matter, place, receiver) of a town→department referral."""
    codes = sample_codes(ctx)
    return codes["town_a"], codes["dept_matter"], codes["town_a"], codes["dept"]


# ---- statements per request (issue 22) ---------------------------------------------------------

# A running service's relay and consumer share its engine: their statements name the outbox or
# the inbox, or set a transaction's options (the relay's asynchronous commit of its marks).
_BACKGROUND = re.compile(r"\b(outbox|inbox)\b|^\s*SET\b")


async def outbox_settled(svc: RunningService, *, timeout_s: float = 10.0) -> None:
    """Wait until the service's relay has published every outbox row written so far."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        async with svc.ctx.db.session() as s:
            waiting = await s.scalar(
                sa.text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            )
        if not waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the relay did not publish the outbox in time")


@contextlib.contextmanager
def every_statement(db: Database) -> Iterator[list[str]]:
    """Every statement the database's engine runs in the block, in order (a relay's or a
    consumer's of the same engine too): for tests of the shared layers, where nothing else
    runs; a service's tests count theirs with `statements`."""
    seen: list[str] = []

    def keep(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = db.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)


_TRANSACTION_WORDS = frozenset({"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT"})


def statement_word(query: str) -> str:
    """A statement's first word, upper case (`BEGIN`, `SELECT`, `WITH`)."""
    word = re.match(r"\s*(\w+)", query)
    return word.group(1).upper() if word else ""


@contextlib.asynccontextmanager
async def every_round_trip(db: Database) -> AsyncIterator[list[str]]:
    """What the database's engine sends the server in the block, in order: every statement
    (once it has run) and the BEGIN, COMMIT and ROLLBACK SQLAlchemy's asyncpg adapter sends on
    its own, which no engine event sees (asyncpg's query logger hears them): for tests of how
    many round trips a unit of work takes (issue 22). Only connections taken from the pool in
    the block are heard."""
    seen: list[str] = []
    heard: list[Any] = []

    def simple(query: Any) -> None:  # asyncpg logs the queries it sends without preparing
        # (called soon after the query, not at once): the adapter's BEGIN, COMMIT and
        # ROLLBACK, and the statements the service runs by the driver itself
        # (`xietong_common.driver`), which the engine's event hears already.
        if statement_word(query.query) in _TRANSACTION_WORDS:
            seen.append(query.query)

    def ran(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    def checkout(driver: Any, *_: Any) -> None:
        raw = driver._connection  # the asyncpg connection under SQLAlchemy's adapter
        if raw not in heard:
            raw.add_query_logger(simple)
            heard.append(raw)

    engine = db.engine.sync_engine
    sa.event.listen(engine.pool, "checkout", checkout)
    sa.event.listen(engine, "after_cursor_execute", ran)
    try:
        yield seen
        await asyncio.sleep(0)  # the last query's log
    finally:
        sa.event.remove(engine, "after_cursor_execute", ran)
        sa.event.remove(engine.pool, "checkout", checkout)
        for raw in heard:
            raw.remove_query_logger(simple)


@contextlib.contextmanager
def statements(svc: RunningService) -> Iterator[list[tuple[str, Any]]]:
    """The statements (with their parameters) the service runs in the block, its relay's and
    consumer's left out: count them to catch a request that starts loading what it need not
    (call `outbox_settled` first, so the relay is idle). A statement that writes outbox rows
    is a unit of work's own and is kept (at commit, one statement writes them with the audit
    rows and the deadlines started)."""
    seen: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "INSERT INTO outbox" in statement or not _BACKGROUND.search(statement):
            seen.append((statement, parameters))

    engine = svc.ctx.db.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)


@contextlib.contextmanager
def flushed_inserts(*models: type[Any]) -> Iterator[list[Any]]:
    """The records of `models` the ORM's flush inserts in the block (the mappers'
    `before_insert`): none where a create writes its record with its kind's
    `RecordKind.insert`, which falls back to the flush without a word (issue 22)."""
    seen: list[Any] = []

    def keep(mapper: Any, connection: Any, target: Any) -> None:
        seen.append(target)

    for model in models:
        sa.event.listen(model, "before_insert", keep)
    try:
        yield seen
    finally:
        for model in models:
            sa.event.remove(model, "before_insert", keep)


def reading(seen: Iterable[tuple[str, Any]], table: str) -> list[str]:
    """The statements that read rows of `table` (not an EXISTS on it inside another's)."""
    return [s for s, _ in seen if s.lstrip().startswith(f"SELECT {table}.")]
