"""The faults, and when the harness inflicts them.

A process is killed *at a point* (`xietong_common.faultpoints`): the harness arms the point
in that process, the process stops itself there the first time it gets there under the
load, and the harness kills it with SIGKILL and starts it again. That hits windows a few
milliseconds wide every time, where a kill at a random moment would land in them once in
thousands of tries and prove nothing when it missed. If the load does not bring the process
to the point within `reach_timeout_s`, the harness kills it where it is and says so.

The servers' faults need the harness's own servers (`PrivateStack`): the broker and
PostgreSQL are restarted, and a service is paused with SIGSTOP past its consumer's session
timeout (aiokafka's 10 s), so the group coordinator drops it, then resumed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xietong_common import faultpoints
from xietong_devtools.faults.cluster import Cluster, PrivateBroker, PrivateStack, wait_until
from xietong_devtools.faults.probe import Arming
from xietong_devtools.faults.reconcile import Window

log = logging.getLogger(__name__)

WRITES = ("POST", "PUT", "PATCH")
SUCCESS = ("200", "201")


@dataclass
class Inflicted:
    """What happened: the fault, its window, and what the probe saw."""

    name: str
    exercises: str
    started_at: float
    recovered_at: float
    note: str = ""

    @property
    def window(self) -> Window:
        return Window(self.name, self.started_at, self.recovered_at)


@dataclass(frozen=True)
class KillAt:
    """kill -9 `service` when it reaches `point` (with `where` in its detail)."""

    service: str
    point: str
    exercises: str
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)
    topic: str | None = None  # a consumer's handler of this topic only (logical name)

    @property
    def name(self) -> str:
        return f"kill -9 {self.service} at {self.point}" + (
            f" ({self.topic})" if self.topic else ""
        )

    async def inflict(self, cluster: Cluster, *, reach_timeout_s: float) -> Inflicted:
        process = cluster.processes[self.service]
        where = dict(self.where)
        if self.topic is not None:
            where["topic"] = (cluster.servers.namespace.topic(self.topic),)
        process.clear_hit()
        process.arm(Arming(self.point, where))
        note = ""
        try:
            await wait_until(
                f"{self.service} at {self.point}",
                lambda: process.hit() is not None,
                timeout_s=reach_timeout_s,
                every_s=0.05,
            )
        except TimeoutError:
            process.disarm()
            note = f"not reached in {reach_timeout_s:.0f}s: killed where it was"
        hit = process.hit()
        started = time.time()
        if hit is not None:
            seen = json.loads(hit)
            started = float(seen["at"])
            note = ", ".join(f"{k}={v}" for k, v in seen["detail"].items())
            # The probe stops the process right after writing the file.
            await wait_until(
                f"{self.service} stopped",
                lambda: process.state() == "T",
                timeout_s=10,
                every_s=0.02,
            )
        process.kill()
        recovered = await cluster.restart(self.service)
        return Inflicted(self.name, self.exercises, started, recovered, note)


async def group_members(bootstrap: str, group: str) -> int:
    """How many members the consumer group has now (its coordinator's view)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5_000)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
        described = response.to_object()["groups"][0]
        return len(described["members"])
    finally:
        await admin.close()


@dataclass(frozen=True)
class Pause:
    """SIGSTOP `service` for `seconds`, then SIGCONT; notes when its consumer group lost it."""

    service: str
    seconds: float
    exercises: str

    @property
    def name(self) -> str:
        return f"SIGSTOP {self.service} {self.seconds:.0f}s"

    async def inflict(self, cluster: Cluster, *, reach_timeout_s: float) -> Inflicted:
        process = cluster.processes[self.service]
        group = cluster.group(self.service)
        started = time.time()
        process.pause()
        note = f"still in its consumer group after {self.seconds:.0f}s: pause longer"
        try:
            with contextlib.suppress(TimeoutError):
                dropped = await wait_until(
                    f"{group} without members",
                    lambda: _no_members(cluster.servers.bootstrap, group),
                    timeout_s=self.seconds,
                    every_s=1.0,
                )
                note = f"dropped from its consumer group after {dropped - started:.0f}s"
            await asyncio.sleep(max(started + self.seconds - time.time(), 0))
        finally:
            process.resume()
        recovered = await process.wait_healthy()
        return Inflicted(self.name, self.exercises, started, recovered, note)


async def _no_members(bootstrap: str, group: str) -> bool:
    return await group_members(bootstrap, group) == 0


@dataclass(frozen=True)
class RestartBroker:
    stack: PrivateStack
    exercises: str = (
        "relays keep rows queued and retry; consumers reconnect and go on from their "
        "committed offsets; requests keep succeeding"
    )
    name: str = "restart Kafka"

    async def inflict(self, cluster: Cluster, *, reach_timeout_s: float) -> Inflicted:
        started = time.time()
        recovered = await self.stack.restart_kafka()
        return Inflicted(self.name, self.exercises, started, recovered)


@dataclass(frozen=True)
class KillBroker:
    """kill -9 the broker, keep it down `down_s`, then start it again: it dies with requests
    in flight and consumer groups open, the services go on accepting writes while it is
    away, and it recovers its logs at the start."""

    broker: PrivateBroker
    down_s: float = 0.0
    exercises: str = (
        "the broker dies mid-stream (SIGKILL): relays keep their rows queued and send them "
        "again, consumers rejoin and go on from their committed offsets; nothing is lost, "
        "and what is sent twice is handled once"
    )
    name: str = "kill -9 Kafka"

    async def inflict(self, cluster: Cluster, *, reach_timeout_s: float) -> Inflicted:
        started = time.time()
        recovered = await self.broker.restart(kill=True, down_s=self.down_s)
        return Inflicted(self.name, self.exercises, started, recovered)


@dataclass(frozen=True)
class RestartPostgres:
    stack: PrivateStack
    exercises: str = (
        "every pooled connection breaks at once: requests fail and are retried, the relay "
        "and its LISTEN reconnect, a handler's transaction fails and is retried"
    )
    name: str = "restart PostgreSQL"

    async def inflict(self, cluster: Cluster, *, reach_timeout_s: float) -> Inflicted:
        started = time.time()
        recovered = await self.stack.restart_postgres()
        return Inflicted(self.name, self.exercises, started, recovered)


Fault = KillAt | Pause | RestartBroker | KillBroker | RestartPostgres

REQUEST_UNCOMMITTED = (
    "a create dies with its resource and Idempotency-Key written, uncommitted: PostgreSQL "
    "rolls it back; the retry with the same key creates it once"
)
REQUEST_UNANSWERED = (
    "a change is committed and its caller never hears: the retry is answered from the "
    "Idempotency-Key (a create) or finds it done; nothing twice"
)
RELAY_UNMARKED = (
    "Kafka has the batch, the outbox does not know: the restarted relay publishes it again "
    "with the same event ids, which the consumers' inbox ignores"
)
HANDLER_UNCOMMITTED = (
    "a handler's changes and inbox row die uncommitted: the event is delivered again and "
    "applied once"
)
HANDLER_OFFSET_UNCOMMITTED = (
    "the handler's changes are committed, the offset is not: the event comes again and the "
    "inbox finds it handled"
)


SMOKE_SERVICES = ("referral", "legal-review")
"""The smoke run's services: a review's opinion (4) crosses from one to the other."""


def smoke_faults() -> list[Fault]:
    """What the smoke run in `make test` may do on the shared servers, cheaply: kill its own
    processes, never restart a server, and only legal review, which has no consumer (a
    killed consumer's group waits out its session timeout before the restarted one gets its
    partitions; `make faults` does that)."""
    return [
        KillAt(
            "legal-review",
            faultpoints.REQUEST_UNANSWERED,
            REQUEST_UNANSWERED,
            where={"method": ("POST",), "path": ("/reviews",), "status": SUCCESS},
        ),
        KillAt("legal-review", faultpoints.RELAY_UNMARKED, RELAY_UNMARKED),
    ]


def full_faults(stack: PrivateStack, *, pause_s: float) -> list[Fault]:
    """`make faults`: every fault, on the harness's own servers."""
    return [
        KillAt(
            "legal-review",
            faultpoints.REQUEST_UNCOMMITTED,
            REQUEST_UNCOMMITTED,
            where={"scope": ("review.submit",)},
        ),
        KillAt(
            "referral",
            faultpoints.REQUEST_UNANSWERED,
            REQUEST_UNANSWERED,
            where={"method": WRITES, "status": SUCCESS},
        ),
        KillAt("legal-review", faultpoints.RELAY_UNMARKED, RELAY_UNMARKED),
        KillAt(
            "referral", faultpoints.HANDLER_UNCOMMITTED, HANDLER_UNCOMMITTED, topic="review.opinion"
        ),
        RestartBroker(stack),
        KillAt(
            "info-sharing",
            faultpoints.HANDLER_OFFSET_UNCOMMITTED,
            HANDLER_OFFSET_UNCOMMITTED,
            topic="review.decided",
        ),
        RestartPostgres(stack),
        Pause(
            "joint-inspection",
            pause_s,
            "a consumer frozen past its session timeout is dropped from its group; resumed, "
            "it finds its generation gone, rejoins and goes on from the committed offsets",
        ),
        KillAt(
            "assistance",
            faultpoints.HANDLER_UNCOMMITTED,
            HANDLER_UNCOMMITTED,
            topic="secondment.roster-changed",
        ),
        KillAt("secondment", faultpoints.RELAY_UNMARKED, RELAY_UNMARKED),
        KillAt(
            "assistance",
            faultpoints.REQUEST_UNCOMMITTED,
            REQUEST_UNCOMMITTED,
            where={"scope": ("assistance.create",)},
        ),
    ]


async def inflict_all(
    cluster: Cluster,
    faults: Sequence[Fault],
    *,
    start: float,
    every_s: float,
    reach_timeout_s: float,
    say: Callable[[str], None] = print,
) -> list[Inflicted]:
    """Each fault in turn, the n-th not before `start + n * every_s` (monotonic clock) and
    not before the one before it has recovered."""
    done: list[Inflicted] = []
    for n, fault in enumerate(faults):
        wait = start + n * every_s - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        log.info("fault: %s", fault.name)
        inflicted = await fault.inflict(cluster, reach_timeout_s=reach_timeout_s)
        done.append(inflicted)
        say(
            f"  {time.strftime('%H:%M:%S', time.localtime(inflicted.started_at))} "
            f"{inflicted.name}: back after {inflicted.recovered_at - inflicted.started_at:.1f}s"
            + (f" [{inflicted.note}]" if inflicted.note else "")
        )
    return done
