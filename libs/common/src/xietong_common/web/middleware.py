"""Plain ASGI middleware: request id and trace context in, logs and metrics out; request
bodies bounded while they stream in."""

from __future__ import annotations

import logging
import secrets
import time

from prometheus_client import Counter, Histogram
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xietong_common import faultpoints
from xietong_common.errors import PayloadTooLarge
from xietong_common.events.envelope import trace_context
from xietong_common.logs import log_line
from xietong_common.metrics import HTTP_LATENCY, HTTP_REQUESTS
from xietong_common.telemetry import (
    UNTRACED,
    end_server_span,
    start_server_span,
    traceparent_of,
)
from xietong_common.web.problems import language, problem_response

log = logging.getLogger(__name__)


class RequestContextMiddleware:
    """Request id and trace in, logs and metrics out (plain ASGI, no extra task).

    With `tracing`, each request is a server span (OpenTelemetry HTTP conventions) continuing
    the caller's `traceparent`; the sampler decides whether it is recorded, and a request
    sampled out costs one span id and nothing more. Without, the caller's traceparent (or a
    new one) still names the request in the logs and in the events it publishes."""

    def __init__(self, app: ASGIApp, service: str, *, tracing: bool = False) -> None:
        self.app = app
        self.service = service
        self.tracing = tracing
        # The metrics' labelled series, looked up once per label set (`labels()` validates
        # and locks on every call): (method, route, status) → (requests, latency).
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request_id = headers.get("x-request-id") or secrets.token_hex(8)
        method = scope.get("method", "")
        path = scope.get("path", "")
        span = otel_token = None
        if self.tracing and path not in UNTRACED:
            span, otel_token = start_server_span(method, headers)
            traceparent = traceparent_of(span)
        else:
            traceparent = headers.get("traceparent") or (
                f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
            )
        token = trace_context.set({"requestid": request_id, "traceparent": traceparent})
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                faultpoints.reached(
                    faultpoints.REQUEST_UNANSWERED,
                    method=str(scope.get("method", "")),
                    path=str(scope.get("path", "")),
                    status=str(status),
                )
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            series = self._series.get((method, route, status))
            if series is None:
                series = self._series[(method, route, status)] = (
                    HTTP_REQUESTS.labels(self.service, method, route, str(status)),
                    HTTP_LATENCY.labels(self.service, method, route),
                )
            series[0].inc()
            series[1].observe(elapsed)
            if path not in ("/healthz", "/metrics"):
                log_line(
                    log,
                    logging.INFO,
                    "%s %s %d",
                    method,
                    path,
                    status,
                    status=status,
                    duration_ms=round(elapsed * 1000, 1),
                )
            trace_context.reset(token)
            if span is not None and otel_token is not None:
                end_server_span(span, otel_token, scope=scope, route=route, status=status)


class BodyLimitMiddleware:
    """Refuses a request body larger than the limit (413 problem+json), counting while it
    streams in, so neither a huge JSON body nor a huge upload is read, spooled or parsed
    whole first. Multipart uploads get their own, larger limit."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        upload = headers.get(b"content-type", b"").startswith(b"multipart/")
        limit = self.max_upload_bytes if upload else self.max_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        too_large = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _too_large(limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_large:
                # Whatever read the body may turn the error into its own answer (FastAPI's
                # "error parsing the body", a 400): the answer is the 413 below instead.
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not started:
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:

        request = Request(scope, receive)
        lang = language(request)
        error = _too_large(limit)
        response = problem_response(error.to_problem(scope.get("path"), lang=lang), lang=lang)
        await response(scope, receive, send)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the request body is larger than the limit of {limit} bytes",
        zh=f"请求内容超过 {limit} 字节的上限",
        max_bytes=limit,
    )


class HeadLimitMiddleware:
    """A request line or headers past `XIETONG_HTTP_MAX_HEAD_BYTES` is 414 or 431,
    problem+json. The server (`web.protocol`) refuses a head it is still receiving past the
    bound; one that arrived whole in one read reaches the app, and is refused here."""

    def __init__(self, app: ASGIApp, *, max_head_bytes: int) -> None:
        self.app = app
        self.max_head_bytes = max_head_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        headers = sum(len(k) + len(v) + 4 for k, v in scope.get("headers", []))
        if target + headers <= self.max_head_bytes:
            await self.app(scope, receive, send)
            return
        from xietong_common.web.protocol import refusal

        status = 414 if target > self.max_head_bytes else 431
        body = refusal(status, self.max_head_bytes)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
