"""Issue 17: every refusal the server makes is problem+json — also those uvicorn makes before
the app sees the request (a 10,000-character search, headers past the bound, bytes that
are not HTTP). Over real HTTP, against the uvicorn configuration `xietong serve` runs."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from info_sharing.main import SPEC
from xietong_common.cli.serve import uvicorn_options
from xietong_devtools.testing import settings_for_tests


@contextlib.asynccontextmanager
async def served() -> AsyncIterator[tuple[int, int]]:
    """info-sharing's app under uvicorn as `xietong serve` configures it (no lifespan: the
    server's own refusals need no database); yields its port and its head bound."""
    from xietong_common.context import build_context
    from xietong_common.web import create_app

    settings = settings_for_tests(
        SPEC.name,
        database_url="postgresql://x@127.0.0.1:9/none",
        kafka_bootstrap="127.0.0.1:9",
        settings_class=SPEC.settings_class,
    )
    app = create_app(SPEC, settings=settings)
    app.state.ctx = ctx = build_context(settings, service=SPEC.name)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        log_level="warning",
        **uvicorn_options(settings),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port, settings.http_max_head_bytes
    finally:
        server.should_exit = True
        await task
        await ctx.db.dispose()


async def exchange(
    port: int, request: bytes, *, wait: bool = False
) -> tuple[int, dict[str, str], bytes]:
    """Send `request` (with `wait`, in pieces, never ending its head) and read the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    if wait:
        for start in range(0, len(request), 8192):
            writer.write(request[start : start + 8192])
            await writer.drain()
            await asyncio.sleep(0.01)
    else:
        writer.write(request)
        await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def problem(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    assert headers["content-type"] == "application/problem+json", headers
    return dict(json.loads(body))


async def test_a_long_search_long_headers_and_garbage_are_answered_as_problems() -> None:
    async with served() as (port, limit):
        query = "%E6%9C%BA" * 10_000  # 10,000 Chinese characters, as a browser sends them
        status, headers, body = await exchange(
            port, f"GET /items/search?q={query} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        )
        assert status == 414
        found = problem(headers, body)
        assert found["type"] == "urn:xietong:problem:uri-too-long"
        assert found["max_bytes"] == limit
        status, headers, body = await exchange(
            port,
            b"GET /items HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * (limit + 10) + b"\r\n\r\n",
        )
        assert status == 431
        assert (
            problem(headers, body)["type"] == "urn:xietong:problem:request-header-fields-too-large"
        )
        # a head still arriving past the bound: the server itself refuses it
        status, headers, body = await exchange(
            port, b"GET /items/search?q=" + b"a" * (limit + 100), wait=True
        )
        assert status == 414
        assert problem(headers, body)["type"] == "urn:xietong:problem:uri-too-long"
        status, headers, body = await exchange(port, b"\x16\x03\x01 not http at all\r\n\r\n")
        assert status == 400
        assert problem(headers, body)["type"] == "urn:xietong:problem:bad-request"
        # within the bound, the app answers (here: no token), as problem+json too
        status, headers, body = await exchange(
            port, f"GET /items/search?q={'a' * 10_000} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        )
        assert status == 401
        assert problem(headers, body)["status"] == 401
