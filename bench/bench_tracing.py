"""What tracing costs a request it samples out, against no tracing at all (issue 22: ≤ 5%).

One referral service in this process, with its relay, tracing on as `make run` has it (no
exporter: every request sampled out), and its requests sent straight to the app (ASGI, no
HTTP server): tracing is switched off and on between blocks of requests — what
`XIETONG_TRACING=false` leaves out: the server span of each request, the statements' hooks,
the tracer of the relay's publish spans — and each block's CPU time read for the process.
The pairs of blocks alternate their order (on-off, off-on, …), and the figure is the median
over the pairs of on / off. The same run with tracing on in both blocks of every pair (the
A/A control) shows what the method reads where there is no difference.

Why not two served instances, one of each, as the HTTP figures are compared: four identical
instances loaded in turn on this 2-core machine spread 10–17% in CPU per request (docs/
performance.md, tenth pass), twice the target; two instances cannot tell 5% apart. One
process switched every few milliseconds has the same memory, connections and caches on both
sides, and the machine's moods fall on both alike.

The share is of the app's own CPU per request here — less than the served instance's (no
HTTP parsing; the service logs at WARNING here, so no access line is written): the share of
a served request is smaller still.

`python -m bench.bench_tracing` prints these figures alone.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import types
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from sqlalchemy import event
from sqlalchemy.engine import Dialect

from bench.backbone import BENCH_NAMESPACE, new_database
from xietong_common import telemetry
from xietong_common.reference import load_catalogue, load_directory
from xietong_common.web.middleware import RequestContextMiddleware
from xietong_devtools.testing import running_service, sample_codes


@dataclass
class Switch:
    """Tracing of one app in this process, on (as started) or off (as without
    `XIETONG_TRACING`: no server span, no statement hooks, the no-op tracer)."""

    middleware: RequestContextMiddleware
    tracer: trace.Tracer

    @classmethod
    def of(cls, app: Any) -> Switch:
        node = app.middleware_stack  # built by the app's first request
        while node is not None and not isinstance(node, RequestContextMiddleware):
            node = getattr(node, "app", None)
        if node is None or not node.tracing:
            raise RuntimeError("the app has no traced request middleware (tracing off?)")
        return cls(middleware=node, tracer=telemetry.tracer())

    def __call__(self, on: bool) -> None:
        self.middleware.tracing = on
        for name, hook in telemetry.DIALECT_HOOKS:
            if on != event.contains(Dialect, name, hook):
                (event.listen if on else event.remove)(Dialect, name, hook)
        telemetry._tracer = self.tracer if on else trace.NoOpTracer()


Request = Callable[[], Awaitable[None]]


def asgi_request(
    app: Any,
    method: str,
    path: str,
    headers: dict[str, str],
    *,
    body: bytes = b"",
    status: int = 200,
) -> Request:
    """One request sent straight to the app; raises unless it answers `status`."""
    raw_headers = [
        (b"host", b"bench"),
        *((k.lower().encode(), v.encode()) for k, v in headers.items()),
        (b"content-length", str(len(body)).encode()),
    ]

    async def one() -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": raw_headers,
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        answered: list[int] = []
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:  # the app only asks again to learn of a disconnect
                await asyncio.Event().wait()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answered.append(message["status"])

        await app(scope, receive, send)
        if answered != [status]:
            raise RuntimeError(f"{method} {path} answered {answered}, not {status}")

    return one


@dataclass
class Paired:
    """CPU µs per request of each block, on and off, pair by pair."""

    on: list[float]
    off: list[float]

    @property
    def cost(self) -> float:
        """Median over the pairs of on / off, less one."""
        return statistics.median(a / b for a, b in zip(self.on, self.off, strict=True)) - 1

    @property
    def off_us(self) -> float:
        return statistics.median(self.off)


async def paired(
    one: Request,
    switch: Switch,
    *,
    pairs: int,
    block: int,
    settle_s: float = 0.0,
    control: bool = False,
) -> Paired:
    """`pairs` pairs of `block` requests, tracing on in one block and off in the other (on
    in both for the A/A `control`), in alternating order. `settle_s`: a wait inside each
    block's time after its requests, for the work they leave behind (the relay's pass over
    their events), which costs the block its CPU and no more."""
    on: list[float] = []
    off: list[float] = []
    try:
        for k in range(pairs):
            for state in (True, False) if k % 2 == 0 else (False, True):
                switch(state or control)
                started = time.process_time()
                for _ in range(block):
                    await one()
                if settle_s:
                    await asyncio.sleep(settle_s)
                (on if state else off).append((time.process_time() - started) / block * 1e6)
    finally:
        switch(True)
    return Paired(on=on, off=off)


async def run(
    *, admin_url: str, bootstrap: str, pairs: int = 200, block: int = 20, warm: int = 200
) -> list[str]:
    """The lines to print: GET by id and create, each with its A/A control."""
    from referral.main import SPEC

    url = await new_database(admin_url, "referral_tracing")
    lines: list[str] = []
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=bootstrap,
        run_consumer=False,
        tracing=True,
        log_level="WARNING",
        # The bench's topics (deleted when it ends), and the relay's idle poll as deployed
        # (the tests' is five times as often; each poll also counts the backlog).
        kafka_namespace=BENCH_NAMESPACE.prefix,
        outbox_poll_interval_s=1.0,
    ) as svc:
        directory = load_directory()
        codes = sample_codes(
            types.SimpleNamespace(directory=directory, catalogue=load_catalogue(None, directory))  # type: ignore[arg-type]
        )
        town = codes["town_a"]
        headers = {**svc.auth(town, "handler"), "content-type": "application/json"}
        draft = {
            "matter_code": codes["dept_matter"],
            "place_town": town,
            "found_at": datetime.now(UTC).isoformat(),
            "facts": "基准测试案件",
        }
        app = svc.client._transport.app  # type: ignore[attr-defined]
        created = await svc.client.post("/referrals", json=draft, headers=headers)
        created.raise_for_status()
        create = asgi_request(
            app,
            "POST",
            "/referrals",
            headers,
            body=json.dumps(draft, ensure_ascii=False).encode(),
            status=201,
        )
        get = asgi_request(app, "GET", f"/referrals/{created.json()['id']}", headers)
        for _ in range(warm):
            await create()
            await get()
        switch = Switch.of(app)
        for name, one, settle_s, n, size in (
            ("GET /referrals/{id}", get, 0.0, pairs, block),
            # A create's relay pass comes within the linger (10 ms): waited for in its block,
            # which is twice as long (half as many waits; the relay's passes, fewer per block).
            ("POST /referrals", create, 0.03, max(pairs // 2, 1), block * 2),
        ):
            figure = await paired(one, switch, pairs=n, block=size, settle_s=settle_s)
            control = await paired(
                one, switch, pairs=n, block=size, settle_s=settle_s, control=True
            )
            lines.append(
                f"  {name:22} {figure.off_us:7,.0f} µs CPU a request untraced; sampled out "
                f"{figure.cost:+.1%} (A/A control {control.cost:+.1%}, {n} pairs of {size})"
                "   (target ≤ 5%)"
            )
    return lines


if __name__ == "__main__":
    import argparse

    from bench.running import run_alone

    parser = argparse.ArgumentParser(prog="python -m bench.bench_tracing")
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--block", type=int, default=20)
    args = parser.parse_args()
    run_alone(
        lambda admin, kafka: run(
            admin_url=admin, bootstrap=kafka, pairs=args.pairs, block=args.block
        )
    )
