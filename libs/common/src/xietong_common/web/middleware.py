"""Request id and W3C traceparent in; logs and metrics out (plain ASGI, no extra task)."""

from __future__ import annotations

import logging
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xietong_common.events.envelope import trace_context
from xietong_common.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = logging.getLogger(__name__)


class RequestContextMiddleware:
    """Request id and W3C traceparent in, logs and metrics out (plain ASGI, no extra task)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request_id = headers.get("x-request-id") or secrets.token_hex(8)
        traceparent = (
            headers.get("traceparent") or f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
        )
        token = trace_context.set({"requestid": request_id, "traceparent": traceparent})
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(self.service, method, path, str(status)).inc()
            HTTP_LATENCY.labels(self.service, method, path).observe(elapsed)
            if path not in ("/healthz", "/metrics"):
                log.info(
                    "%s %s %d",
                    method,
                    scope.get("path", ""),
                    status,
                    extra={"status": status, "duration_ms": round(elapsed * 1000, 1)},
                )
            trace_context.reset(token)
