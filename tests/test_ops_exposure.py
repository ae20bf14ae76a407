"""What a service shows of itself: /metrics on a port of its own when `XIETONG_METRICS_PORT`
is set (the containers: 9100, never published) and then not on the API's port, and /readyz
naming the dependency that is away but never the exception's text (hosts, ports, driver
messages)."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from referral.main import SPEC
from xietong_common.cli.serve import start_metrics_server
from xietong_devtools.testing import NOWHERE, app_before_io


async def test_metrics_leave_the_api_port_when_they_have_their_own() -> None:
    async with app_before_io(SPEC) as svc:
        r = await svc.client.get("/metrics")
        assert r.status_code == 200
        assert "xietong_http_requests_total" in r.text
    async with app_before_io(SPEC, metrics_port=9100) as svc:
        assert (await svc.client.get("/metrics")).status_code == 404
        assert (await svc.client.get("/healthz")).status_code == 200


def test_the_metrics_port_serves_the_process_metrics() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start_metrics_server(port, host="127.0.0.1")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            body = r.read().decode()
        for name in ("xietong_outbox_oldest_age_seconds", "xietong_dlq_messages"):
            assert name in body
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.timeout(120)
async def test_readiness_names_what_is_away_not_why() -> None:
    async with app_before_io(SPEC) as svc:
        r = await svc.client.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["checks"] == {"database": "unavailable", "kafka": "unavailable"}
    assert body["detail"] == "database: unavailable; kafka: unavailable"
    host, port = NOWHERE.split(":")
    assert f"{host}:{port}" not in r.text
    assert port not in r.text.replace("503", "")
