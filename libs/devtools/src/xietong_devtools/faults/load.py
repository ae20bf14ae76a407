"""A steady mixed load: workers running the flows (`flows.FLOWS`) back to back until told
to stop, in a fixed mix by weight (each worker from another place in it), so a short run
exercises every flow too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field

import httpx

from xietong_devtools.faults.client import Api, GaveUp, Refused, Stats
from xietong_devtools.faults.cluster import Cluster
from xietong_devtools.faults.flows import DECIDED_MATTER, DECIDED_MATTER_OWNER, FLOWS, Recorder
from xietong_devtools.faults.ledger import Ledger

log = logging.getLogger(__name__)


@dataclass
class Load:
    """Workers running flows until told to stop."""

    cluster: Cluster
    ledger: Ledger
    workers: int = 4
    think_s: float = 0.2
    weights: dict[str, int] = field(
        default_factory=lambda: {
            "referral": 3,
            "review-transfer": 2,
            "review-decided": 2,
            "assistance": 2,
            "roster": 2,
        }
    )
    stats: Stats = field(default_factory=Stats)

    async def setup(self, api: Api) -> None:
        """What the flows need before they start: the urban management bureau asks for
        feedback on its matter (INFO-04), so a decision on it becomes an item."""
        if not self.weights.get("review-decided"):
            return
        asked = await api.call(
            "info-sharing",
            "POST",
            "/feedback-requests",
            headers=api.headers(DECIDED_MATTER_OWNER, "clerk"),
            json={"matter_code": DECIDED_MATTER},
            key=f"fb-{self.cluster.run_id}",
        )
        if not asked.ok:
            raise Refused(f"feedback request: {asked.status} {asked.body}")

    async def run(self, stop: asyncio.Event, *, request_timeout_s: float = 60.0) -> None:
        # 60 s, not less: an upload is read in the service's file worker (one on a 2-core
        # box), behind the others; a shorter timeout turned slow uploads into retries that
        # queued behind the first attempt, until the flow gave up (docs/faults.md).
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        async with httpx.AsyncClient(limits=limits) as http:
            api = Api(self.cluster, http, self.stats, request_timeout_s=request_timeout_s)
            await self.setup(api)
            record = Recorder(self.ledger)
            await asyncio.gather(*(self._worker(n, api, record, stop) for n in range(self.workers)))

    def mix(self) -> list[str]:
        """The flows by weight, spread out: 3, 2, 2 → a b c a b c a."""
        left = dict(self.weights)
        order: list[str] = []
        while any(left.values()):
            for name in self.weights:
                if left[name]:
                    order.append(name)
                    left[name] -= 1
        return order

    async def _worker(self, n: int, api: Api, record: Recorder, stop: asyncio.Event) -> None:
        rng = random.Random(n)
        mix = self.mix()
        turn = n * 2  # the workers start at different places in the mix
        while not stop.is_set():
            name = mix[turn % len(mix)]
            turn += 1
            self.stats.flows[name] += 1
            try:
                await FLOWS[name](api, record)
            except (GaveUp, Refused) as exc:
                self.stats.flows_failed[name] += 1
                self.stats.failures.append(f"{name}: {exc}")
                log.warning("flow %s failed: %s", name, exc)
            except Exception as exc:  # a harness bug must not stop the other workers
                self.stats.flows_failed[name] += 1
                self.stats.failures.append(f"{name}: {type(exc).__name__}: {exc}")
                log.exception("flow %s broke", name)
            with_jitter = self.think_s * (0.5 + rng.random())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), with_jitter)
