"""The webhook receiver of `bench.bench_notifier`, in a module of its own so its process
imports nothing else: `uvicorn bench.webhook_receiver:app`. Reads the whole body, answers
200 `{}`, as an organisation's endpoint that acknowledges at once."""

from __future__ import annotations

from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while True:
        message = await receive()
        if not message.get("more_body"):
            break
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b"{}"})
