"""Test support of the workbench: the real services on the local stack, and the workbench in
front of them, over real HTTP.

Each service runs as `make run` runs it — a uvicorn process — on a free port, with a fresh
database of its own and a Kafka namespace of the stack's own inside the session's
(`STACK_NAMESPACE`); the workbench runs the same way, pointed at them, with local sign-in on the
session's test key. Started by the first test that needs it and stopped after the last of
them (`UntilLastUser`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
import pytest

from xietong_devtools.testing import (
    TEST_DEPLOYMENT,
    TEST_JWT_SECRET,
    TEST_NAMESPACE,
    Servers,
    create_database,
)

SERVICES = {
    "info-sharing": "info_sharing",
    "assistance": "assistance",
    "referral": "referral",
    "legal-review": "legal_review",
    "joint-inspection": "joint_inspection",
    "secondment": "secondment",
    "oversight": "oversight",
}
T = TypeVar("T")
# The stack's services consume in groups named as production names them: in the session's
# own namespace they would be members of the groups the same worker's tests use, and read
# (and dead-letter) the events those tests forge. A namespace inside the session's keeps them
# apart, and its topics are deleted with the session's.
STACK_NAMESPACE = f"{TEST_NAMESPACE.prefix}wb."
START_TIMEOUT_S = 400  # a busy 2-core box migrating six databases at once (361 s seen)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    name: str
    url: str
    proc: asyncio.subprocess.Process
    log: Path


@dataclass
class Stack:
    """The services' and the workbench's base URLs."""

    services: dict[str, str]
    workbench: str
    workdir: Path
    processes: list[Process] = field(default_factory=list)
    namespace: str = STACK_NAMESPACE  # the Kafka namespace the services talk in

    def topic(self, name: str) -> str:
        """The topic a contract names, as the stack's services read and write it."""
        from xietong_common.events.namespace import Namespace

        return Namespace(self.namespace).topic(name)

    def to_json(self) -> str:
        return json.dumps(
            {
                "services": self.services,
                "workbench": self.workbench,
                "workdir": str(self.workdir),
                "namespace": self.namespace,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Stack:
        data = json.loads(text)
        return cls(
            services=data["services"],
            workbench=data["workbench"],
            workdir=Path(data["workdir"]),
            namespace=data.get("namespace") or STACK_NAMESPACE,
        )


async def _start(name: str, app: str, env: dict[str, str], workdir: Path) -> Process:
    port = free_port()
    log_path = workdir / f"{name}.log"
    log = log_path.open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        env=env,
        stdout=log,
        stderr=log,
    )
    log.close()
    return Process(name=name, url=f"http://127.0.0.1:{port}", proc=proc, log=log_path)


async def _healthy(process: Process) -> None:
    async with httpx.AsyncClient() as client:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT_S
        while loop.time() < deadline:
            if process.proc.returncode is not None:
                raise AssertionError(
                    f"{process.name} stopped: {process.log.read_text(errors='replace')[-3000:]}"
                )
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{process.url}/healthz", timeout=2)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise AssertionError(f"{process.name} did not start in {START_TIMEOUT_S} s; see {process.log}")


async def _stop(process: Process) -> None:
    if process.proc.returncode is None:
        process.proc.terminate()
        try:
            await asyncio.wait_for(process.proc.wait(), 30)
        except TimeoutError:
            process.proc.kill()
            await process.proc.wait()


def _base_env(workdir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("XIETONG_") and k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")
    }
    env.update(
        {
            "XIETONG_JWT_SECRET": TEST_JWT_SECRET,
            "XIETONG_KAFKA_NAMESPACE": STACK_NAMESPACE,
            "XIETONG_DEPLOYMENT_ID": TEST_DEPLOYMENT,
            "XIETONG_BLOB_DIR": str(workdir / "blobs"),
            "XIETONG_LOG_LEVEL": "WARNING",
            "XIETONG_LOG_JSON": "false",
            "XIETONG_OUTBOX_POLL_INTERVAL_S": "0.5",
        }
    )
    return env


@contextlib.asynccontextmanager
async def running_stack(servers: Servers, kafka: str, workdir: Path) -> AsyncIterator[Stack]:
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    started: list[Process] = []
    try:
        databases = await asyncio.gather(
            *(create_database(servers, f"wb_{package}") for package in SERVICES.values())
        )
        for (name, package), database_url in zip(SERVICES.items(), databases, strict=True):
            env = _base_env(workdir) | {
                "XIETONG_SERVICE_NAME": name,
                "XIETONG_DATABASE_URL": database_url,
                "XIETONG_KAFKA_BOOTSTRAP_SERVERS": kafka,
            }
            started.append(await _start(name, f"{package}.main:app", env, workdir))
        urls = {p.name: p.url for p in started}
        workbench_env = _base_env(workdir) | {
            "XIETONG_WORKBENCH_SERVICE_URLS": json.dumps(urls),
            "XIETONG_WORKBENCH_COOKIE_SECURE": "false",
            # A busy shared 2-core box: a service's first official document may wait for its
            # render worker's warm-up (tens of seconds there), more than the default 30 s.
            "XIETONG_WORKBENCH_API_TIMEOUT_S": "180",
            "XIETONG_WORKBENCH_SESSION_SECRET": secrets.token_urlsafe(32),
        }
        workbench = await _start("workbench", "workbench.main:app", workbench_env, workdir)
        started.append(workbench)
        await asyncio.gather(*(_healthy(p) for p in started))
        yield Stack(services=urls, workbench=workbench.url, workdir=workdir, processes=started)
    finally:
        await asyncio.gather(*(_stop(p) for p in started))


# The test a worker runs after this one (pytest's `nextitem`), kept by the workbench's
# conftest for `UntilLastUser`.
NEXT_TEST = pytest.StashKey["pytest.Item | None"]()


def next_test_uses(item: pytest.Item, fixture: str) -> bool:
    """Whether the test this worker runs after `item` asks for `fixture` (directly or through
    another fixture)."""
    nextitem = item.stash.get(NEXT_TEST, None)
    return nextitem is not None and fixture in getattr(nextitem, "fixturenames", ())


class UntilLastUser(Generic[T]):
    """A costly thing tests share (the stack of services, the browser): started by the first
    test that asks for it, stopped after the last of a row of tests using it, not at the
    session's end. Left running, the stack's eight idle processes and the browser cost the
    worker some 60–90 s of CPU over a `make test` (issue 25). The tests using it run in one
    worker one after the other (their `xdist_group`), so it is started once; a test asking
    for it after it was stopped starts it again."""

    def __init__(self, start: Callable[[], AbstractAsyncContextManager[T]]) -> None:
        self._start = start
        self._running: contextlib.AsyncExitStack | None = None
        self._value: T | None = None

    async def __aenter__(self) -> UntilLastUser[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()  # the session's end: whatever is still running

    async def get(self) -> T:
        if self._running is None:
            running = contextlib.AsyncExitStack()
            self._value = await running.enter_async_context(self._start())
            self._running = running
        assert self._value is not None
        return self._value

    async def stop(self) -> None:
        running, self._running, self._value = self._running, None, None
        if running is not None:
            await running.aclose()

    async def stop_unless_next_uses(self, item: pytest.Item, fixture: str) -> None:
        """Stop it after `item` unless the worker's next test uses it too."""
        if not next_test_uses(item, fixture):
            await self.stop()


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Staff:
    """A person at the workbench without a browser: cookies, CSRF tokens, forms."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    @staticmethod
    def csrf(html: str) -> str:
        found = CSRF.search(html)
        assert found, "no CSRF token on the page"
        return found.group(1)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def post_form(
        self, path: str, data: dict[str, Any], *, page: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Post `data` the way the form on `page` (default: `path`) would, with its token."""
        form_page = await self.client.get(page or path)
        return await self.client.post(
            path, data={"csrf_token": self.csrf(form_page.text), **data}, **kwargs
        )


@contextlib.asynccontextmanager
async def staff_of(stack: Stack, org: str, *roles: str, name: str = "") -> AsyncIterator[Staff]:
    async with httpx.AsyncClient(base_url=stack.workbench, timeout=60) as client:
        person = Staff(client)
        response = await person.post_form(
            "/signin",
            {"org": org, "roles": list(roles), "name": name or f"{org} 经办人", "next": "/"},
        )
        assert response.status_code == 303, response.text[-2000:]
        yield person


async def _serve_forever() -> None:
    """`python -m workbench_testing`: a stack for working on the pages (Ctrl-C stops it)."""
    import tempfile

    from xietong_devtools.testing import _servers, drop_databases

    with _servers() as found:
        workdir = Path(tempfile.mkdtemp(prefix="workbench-stack-"))
        try:
            async with running_stack(found, found.kafka_bootstrap, workdir) as running:
                print(f"XIETONG_WORKBENCH_TEST_STACK='{running.to_json()}'", flush=True)
                print(f"workbench: {running.workbench}", flush=True)
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.Event().wait()
        finally:
            await drop_databases(found.postgres_admin_url, found.created)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever())


class Direct:
    """The services' APIs called straight (the way another platform would), to set up what a
    screen needs beyond the one being tested."""

    def __init__(self, stack: Stack) -> None:
        from xietong_common.settings import ServiceSettings

        self.stack = stack
        self.settings = ServiceSettings(jwt_secret=TEST_JWT_SECRET)

    def headers(self, org: str, *roles: str) -> dict[str, str]:
        from xietong_common.auth import mint_token

        token = mint_token(
            self.settings, org=org, user=f"{org}/setup", roles=roles or ("handler", "leader")
        )
        return {"Authorization": f"Bearer {token}"}

    async def call(
        self, service: str, method: str, path: str, org: str, *roles: str, **kwargs: Any
    ) -> Any:
        async with httpx.AsyncClient(base_url=self.stack.services[service], timeout=60) as c:
            response = await c.request(method, path, headers=self.headers(org, *roles), **kwargs)
        assert response.status_code < 300, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None


# ---- 督察: facts in the oversight ledger ----------------------------------------------------

LEDGER_WAIT_S = 180  # a generous bound on a busy box; the condition ends the wait


def this_quarter() -> tuple[str, datetime]:
    """The dashboard's default period (the China quarter of today) and its first moment."""
    from xietong_common.calendar import CHINA_TZ

    today = datetime.now(CHINA_TZ)
    first_month = (today.month - 1) // 3 * 3 + 1
    start = datetime(today.year, first_month, 1, tzinfo=CHINA_TZ)
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}", start.astimezone(UTC)


async def assistance_refused(direct: Direct, town: str, dept: str, matter: str) -> str:
    """ASSIST-03: the department refuses the town's request, through the assistance API; the
    request's id."""
    created = await direct.call(
        "assistance",
        "POST",
        "/assistance-requests",
        town,
        json={"matter_code": matter, "ground": "technical-support", "needed": "请协助调取监测数据"},
    )
    rid = str(created["id"])
    await direct.call("assistance", "POST", f"/assistance-requests/{rid}/submit", town)
    await direct.call(
        "assistance",
        "POST",
        f"/assistance-requests/{rid}/refuse",
        dept,
        json={
            "ground": "forbidden-by-law",
            "law": "《中华人民共和国保守国家秘密法》",
            "article": "第二十八条",
            "reason": "所需监测数据已定密为秘密级，依法不得提供",
        },
    )
    return rid


async def deadline_breached(
    stack: Stack, kafka: str, *, organisation: str, counterparty: str, due_at: datetime
) -> str:
    """REF-07 missed by `organisation`: the deadline's start and breach as the referral service
    publishes them (its own sweep would need the deadline to pass during the test); the
    deadline's subject."""
    from aiokafka import AIOKafkaProducer

    from xietong_common.contracts.deadlines import (
        BreachKind,
        DeadlineLifecycle,
        DeadlineUnit,
        LifecycleKind,
    )
    from xietong_common.events.envelope import CloudEvent

    deadline_id, subject = str(uuid.uuid4()), f"referral:{uuid.uuid4()}"
    started_at = due_at - timedelta(days=7)
    facts: dict[str, Any] = {
        "deadline_id": deadline_id,
        "mechanism": "referral",
        "rule": "REF-07",
        "action": "answer",
        "organisation": organisation,
        "counterparty": counterparty,
        "subject": subject,
        "unit": DeadlineUnit.WORKING_DAYS,
        "amount": 5,
        "started_at": started_at,
        "due_at": due_at,
        "provisional": False,
    }
    events = [
        DeadlineLifecycle(**facts, kind=LifecycleKind.STARTED, recorded_at=started_at),
        DeadlineLifecycle(
            **facts,
            kind=LifecycleKind.BREACHED,
            breach_kind=BreachKind.NO_ACTION,
            recorded_at=due_at + timedelta(minutes=1),
        ),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        for event in events:
            spec = type(event).spec
            envelope = CloudEvent.wrap(
                event,
                spec=spec,
                source="/xietong/referral",
                subject=deadline_id,
                time=datetime.now(UTC),
            )
            await producer.send_and_wait(
                stack.topic(spec.topic), envelope.to_bytes(), key=deadline_id.encode()
            )
    finally:
        await producer.stop()
    return subject


async def until(check: Callable[[], Awaitable[T | None]], what: str) -> T:
    """What `check` finds, once it finds it (the ledger reads Kafka a moment later)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LEDGER_WAIT_S
    while (found := await check()) is None:
        assert loop.time() < deadline, f"{what} never reached the oversight ledger"
        await asyncio.sleep(1)
    return found


async def ledger_fact(direct: Direct, period: str, organisation: str, subject: str) -> str:
    """The id of the unit's refusal, flag or unread fact about `subject`, once it is there."""

    async def check() -> str | None:
        found = await direct.call(
            "oversight",
            "GET",
            f"/assessment/organisations/{organisation}",
            "justice-bureau",
            params={"period": period},
        )
        mine = [f for f in found["facts"] if f["subject"] == subject]
        return str(mine[0]["id"]) if mine else None

    return await until(check, subject)


async def breach_fact(direct: Direct, period: str, organisation: str, subject: str) -> str:
    """The id of the fact of the unit's breach of the deadline on `subject`, once it is there."""

    async def check() -> str | None:
        found = await direct.call(
            "oversight",
            "GET",
            "/breaches",
            "justice-bureau",
            params={"period": period, "organisation": organisation, "page_size": 100},
        )
        mine = [b for b in found["items"] if b["subject"] == subject and b["breach_fact_id"]]
        return str(mine[0]["breach_fact_id"]) if mine else None

    return await until(check, subject)
