"""A service under benchmark: started in-process on a fresh database with its real lifespan
(migrations, outbox relay), driven through its HTTP API by an httpx client."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.backbone import BENCH_NAMESPACE, drop_databases, new_database
from xietong_common.auth import mint_token
from xietong_common.context import ServiceContext
from xietong_common.settings import ServiceSettings
from xietong_common.web import ServiceSpec, create_app


def servers() -> tuple[str, str]:
    """PostgreSQL admin URL and Kafka bootstrap: from the environment, else the local stack
    (started if need be), as `make test` finds them."""
    db, kafka = os.environ.get("DATABASE_URL"), os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if db and kafka:
        return db, kafka
    from xietong_devtools.stack import ensure_stack

    info = ensure_stack()
    return db or info.postgres_admin_url, kafka or info.kafka_bootstrap


def run_alone(part: Callable[[str, str], Awaitable[list[str]]]) -> None:
    """`python -m bench.<part>`: the part's lines, given the PostgreSQL admin URL and the Kafka
    bootstrap (`servers`), printed; then what it left on the servers removed — its
    databases and the bench's topics, as `python -m bench` removes them (a part run alone
    left its topics, and a broker holding thousands made every Kafka client's start slow)."""
    from xietong_devtools.faults.runner import delete_topics

    async def main() -> None:
        admin, kafka = servers()
        try:
            for line in await part(admin, kafka):
                print(line, flush=True)
        finally:
            await drop_databases(admin)
            await delete_topics(kafka, BENCH_NAMESPACE)

    asyncio.run(main())


BENCH_SECRET = "xietong-bench-secret-not-for-production-0123456789"


@dataclass
class Running:
    ctx: ServiceContext
    client: httpx.AsyncClient
    settings: ServiceSettings

    def headers(self, org: str, roles: Iterable[str] = ("handler",)) -> dict[str, str]:
        token = mint_token(
            self.settings, org=org, user=f"{org}/bench", roles=tuple(roles), ttl_s=3600
        )
        return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def running(
    spec: ServiceSpec,
    *,
    admin_url: str,
    bootstrap: str,
    concurrency: int,
    database_url: str | None = None,
    **overrides: Any,
) -> AsyncIterator[Running]:
    """The service on a new database, or on `database_url` (a second replica of one)."""
    url = database_url or await new_database(admin_url, spec.name.replace("-", "_"))
    with tempfile.TemporaryDirectory(prefix="xietong-bench-blobs-") as blobs:
        values: dict[str, Any] = {
            "service_name": spec.name,
            "database_url": url,
            "kafka_bootstrap_servers": bootstrap,
            "kafka_namespace": BENCH_NAMESPACE.prefix,
            "deployment_id": "bench",
            "jwt_secret": BENCH_SECRET,
            "blob_dir": Path(blobs),
            "run_jobs": False,
            # Nothing consumed here: a bench must not spend its run on the topics' history
            # (on a developer's broker, every test's events).
            "run_consumer": False,
            "log_json": False,
            "log_level": "WARNING",
            "database_pool_size": max(concurrency, 5),
        }
        values.update(overrides)
        settings = spec.settings_class(**values)
        app = create_app(spec, settings=settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                yield Running(ctx=app.state.ctx, client=client, settings=settings)
