"""Every service starts on the real stack: migrations, health, readiness, metrics, OpenAPI."""

from __future__ import annotations

import importlib

import pytest

from xietong_devtools.testing import Servers, create_database, running_service

pytestmark = pytest.mark.integration

SERVICES = [
    ("info-sharing", "info_sharing"),
    ("assistance", "assistance"),
    ("referral", "referral"),
    ("legal-review", "legal_review"),
    ("joint-inspection", "joint_inspection"),
    ("secondment", "secondment"),
    ("oversight", "oversight"),
    ("notifier", "notifier"),
]


@pytest.mark.parametrize(("name", "package"), SERVICES)
async def test_service_starts_and_reports_ready(
    name: str, package: str, servers: Servers, kafka_bootstrap: str
) -> None:
    spec = importlib.import_module(f"{package}.main").SPEC
    assert spec.name == name
    url = await create_database(servers, package)
    # Its shell, not its consumer (which would join the session's group of that name).
    async with running_service(
        spec, database_url=url, kafka_bootstrap=kafka_bootstrap, run_consumer=False
    ) as svc:
        health = await svc.client.get("/healthz")
        assert health.json() == {"status": "ok", "service": name}

        ready = await svc.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "kafka": "ok"}

        metrics = await svc.client.get("/metrics")
        assert metrics.status_code == 200
        assert "xietong_http_requests_total" in metrics.text

        openapi = (await svc.client.get("/openapi.json")).json()
        assert openapi["info"]["title"].startswith("xietong")
        assert "/healthz" in openapi["paths"]
        docs = await svc.client.get("/docs")
        assert docs.status_code == 200
        # Served from the image, never a CDN: district networks may be offline.
        assert "cdn." not in docs.text
        assert "http" not in docs.text.split("<body>")[-1].replace("http://testserver", "")
        script = docs.text.split('src="')[1].split('"')[0]
        assert (await svc.client.get(script)).status_code == 200

        # The backbone tables exist in the service's own database.
        async with svc.ctx.db.session() as session:
            from sqlalchemy import text

            tables = set(
                (
                    await session.execute(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                    )
                ).scalars()
            )
        assert {"outbox", "inbox", "audit_log", "deadlines", "alembic_version"} <= tables


async def test_readyz_reports_kafka_unreachable_as_503(servers: Servers) -> None:
    spec = importlib.import_module("secondment.main").SPEC
    url = await create_database(servers, "secondment")
    async with running_service(spec, database_url=url, kafka_bootstrap="127.0.0.1:1") as svc:
        ready = await svc.client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["content-type"].startswith("application/problem+json")
        assert ready.json()["checks"]["database"] == "ok"
