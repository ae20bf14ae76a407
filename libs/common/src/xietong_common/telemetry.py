"""Traces (OpenTelemetry): a request, the events it published, and the handlers that consumed
them, in one trace — through HTTP, the database, the transactional outbox and Kafka.

A request is a server span (`start_server_span`, in the request middleware), each SQL
statement inside a recorded span a client span (`instrument_database`); the two Kafka hops are
spans of their own: the outbox sends an event long after the request committed it, from a
relay that never saw the request, so no client instrumentation can know the parent; the
CloudEvent carries the request's `traceparent`, the relay's publish span continues it, and the
consumer's processing span continues the publish span (OpenTelemetry messaging conventions).

What is recorded is the sampler's choice (`XIETONG_OTEL_TRACES_SAMPLE_RATIO`, parent-based);
a request sampled out costs a span id and one check per statement, no more (bench/ measures
it against a service without tracing, `XIETONG_TRACING=false`). Spans are exported over
OTLP/HTTP only when `XIETONG_OTEL_EXPORTER_OTLP_ENDPOINT` (or the standard
`OTEL_EXPORTER_OTLP_ENDPOINT`) is set, and then all are sampled unless the ratio says
otherwise; without it none are recorded, and trace ids still flow (logs and events carry
them), nothing leaves the process.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.util.types import Attributes

from xietong_common.settings import ServiceSettings


class RatioSampler(Sampler):
    """Parent-based: a trace the caller sampled is recorded, one it did not is not, and of new
    traces the share `ratio`. Its ratio is the service's setting, set when the service starts
    (the provider, and so the sampler, is one per process)."""

    def __init__(self, ratio: float = 0.0) -> None:
        self.set_ratio(ratio)

    def set_ratio(self, ratio: float) -> None:
        self.ratio = ratio
        self._sampler = ParentBased(TraceIdRatioBased(ratio))

    def should_sample(
        self,
        parent_context: context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        return self._sampler.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"xietong(parent-based, ratio {self.ratio})"


_provider: TracerProvider | None = None
_sampler = RatioSampler()


def export_endpoint(settings: ServiceSettings) -> str | None:
    return settings.otel_exporter_otlp_endpoint or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")


def sample_ratio(settings: ServiceSettings) -> float:
    """The setting, else all traces when they are exported and none when nobody receives them."""
    if settings.otel_traces_sample_ratio is not None:
        return settings.otel_traces_sample_ratio
    return 1.0 if export_endpoint(settings) else 0.0


def tracer_provider(settings: ServiceSettings, service: str) -> TracerProvider:
    """The process's tracer provider (one per process: the first service started names it);
    the sampling ratio is the latest service's."""
    global _provider
    _sampler.set_ratio(sample_ratio(settings))
    if _provider is None:
        provider = TracerProvider(
            resource=Resource.create({"service.name": service, "service.namespace": "xietong"}),
            sampler=_sampler,
        )
        endpoint = export_endpoint(settings)
        if endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces"))
            )
        trace.set_tracer_provider(provider)
        _provider = provider
        global _tracer
        _tracer = None  # the provider's own tracer from now on, not the proxy
    return _provider


_tracer: trace.Tracer | None = None


def tracer() -> trace.Tracer:
    """The process's tracer, made once: `trace.get_tracer` makes a new one on every call (its
    instrumentation scope too), which a request and each of its statements paid (issue 22).
    Made before a provider is set, it is OpenTelemetry's proxy, which follows the provider
    once set."""
    global _tracer
    if _tracer is None:
        _tracer = trace.get_tracer("xietong")
    return _tracer


def current_traceparent() -> str | None:
    """The W3C traceparent of the span in progress, if one is."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-([0-9a-f]{2})$")


def sampled_out(traceparent: str | None) -> bool:
    """`traceparent` (W3C) names a trace its start sampled out: a span continuing it would
    record nothing (the sampler follows the parent), so none need be made. False for none
    or one that does not parse (a span then decides, as the sampler does)."""
    if traceparent is None:
        return False
    found = _TRACEPARENT.match(traceparent)
    return found is not None and not int(found[1], 16) & 1


def _parent(traceparent: str | None) -> context.Context:
    return propagate.extract({"traceparent": traceparent} if traceparent else {})


@contextmanager
def messaging_span(
    name: str,
    *,
    kind: SpanKind,
    traceparent: str | None,
    attributes: Mapping[str, Any],
) -> Iterator[Span]:
    """A publish or process span of a Kafka hop, continuing the trace `traceparent` names —
    not the request's a task may have been started in (its statements ask their own span)."""
    unrecorded = _unrecorded.set(False)
    try:
        with tracer().start_as_current_span(
            name, context=_parent(traceparent), kind=kind, attributes=dict(attributes)
        ) as span:
            yield span
    finally:
        _unrecorded.reset(unrecorded)


_unrecorded: ContextVar[bool] = ContextVar("xietong_unrecorded_request", default=False)
"""True while a request sampled out is handled: its statements need not ask OpenTelemetry
for the current span (four calls each) to learn that nothing is recorded — nothing in a
request sampled out is (its children follow it; an event's publish span is left out)."""


def _statement_span(statement: str, context: Any) -> Span | None:
    # A statement is traced only inside a recorded span (a sampled request, a consumed
    # event, a relay send): nothing at all is done for the rest — the cost of tracing a
    # request that was sampled out is one check per statement.
    if context is None or _unrecorded.get() or not trace.get_current_span().is_recording():
        return None
    return _start_statement_span(statement, context.engine.url)


def _recording() -> bool:
    return not _unrecorded.get() and trace.get_current_span().is_recording()


def _start_statement_span(statement: str, url: Any) -> Span:
    operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
    return tracer().start_span(
        f"{operation} {url.database or ''}".strip(),
        kind=SpanKind.CLIENT,
        attributes={
            "db.system.name": "postgresql",
            "db.namespace": url.database or "",
            "db.operation.name": operation,
            "db.query.text": statement,
            "server.address": url.host or "",
            "server.port": url.port or 5432,
        },
    )


@contextmanager
def statement_traced(statement: str, url: Any) -> Iterator[None]:
    """A statement run by the driver itself (not through SQLAlchemy's execution, whose
    dialect hooks trace the others): its span, as theirs, inside a recorded span only."""
    if not (_database_traced and _recording()):
        yield
        return
    with _traced(_start_statement_span(statement, url)):
        yield


@contextmanager
def _traced(span: Span) -> Iterator[None]:
    try:
        yield
    except BaseException as exc:
        span.set_status(trace.Status(trace.StatusCode.ERROR, str(exc)))
        raise
    finally:
        span.end()


# The dialect's execution hooks, not the connection's `before/after_cursor_execute`: a
# listener of any connection event makes every connection dispatch all of its events
# (connect, begin, before and after each execution, rollback) to every listener list, some
# sixty calls per read (issue 22); a dialect hook is called once per statement. Each runs
# the statement as the dialect would, inside the statement's span when there is one.


def _execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
    span = _statement_span(statement, context)
    if span is None:
        return False  # the dialect runs it
    with _traced(span):
        context.dialect.do_execute(cursor, statement, parameters, context)
    return True


def _execute_no_params(cursor: Any, statement: str, context: Any) -> bool:
    span = _statement_span(statement, context)
    if span is None:
        return False
    with _traced(span):
        context.dialect.do_execute_no_params(cursor, statement, context)
    return True


def _executemany(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
    span = _statement_span(statement, context)
    if span is None:
        return False
    with _traced(span):
        context.dialect.do_executemany(cursor, statement, parameters, context)
    return True


DIALECT_HOOKS = (
    ("do_execute", _execute),
    ("do_execute_no_params", _execute_no_params),
    ("do_executemany", _executemany),
)
"""The dialect events `instrument_database` listens to, and the hook of each."""

_database_traced = False


def instrument_database(provider: TracerProvider) -> None:
    """A client span for every SQL statement of every engine, inside a recorded span only.

    Not `opentelemetry-instrumentation-sqlalchemy`: it works out a statement's attributes
    and starts a span for every statement whether or not the trace is sampled, which cost
    a request that was sampled out a tenth of its CPU (issue 22). The spans are the same
    (OpenTelemetry's database conventions); the hooks are SQLAlchemy's dialect events, on
    every engine (a span ends when its statement has run, with an error status if it
    failed)."""
    global _database_traced
    if _database_traced:
        return
    from sqlalchemy import event
    from sqlalchemy.engine import Dialect

    for name, hook in DIALECT_HOOKS:
        event.listen(Dialect, name, hook)
    _database_traced = True


# Paths whose requests make no span (probes and scrapes).
UNTRACED = frozenset({"/healthz", "/readyz", "/metrics"})


_fields_of: tuple[object, frozenset[str]] | None = None


def _carries_context(headers: Mapping[str, str]) -> bool:
    """Whether a request's headers (lower-case names) include one the configured propagators
    read (`traceparent`, `tracestate`, `baggage` by default; OTEL_PROPAGATORS may name others)."""
    global _fields_of
    textmap = propagate.get_global_textmap()
    if _fields_of is None or _fields_of[0] is not textmap:
        _fields_of = (textmap, frozenset(name.lower() for name in textmap.fields))
    return any(name in headers for name in _fields_of[1])


ServerSpanTokens = tuple[Token[context.Context], Token[bool]]
"""What `end_server_span` resets: the OpenTelemetry context and whether the request is recorded."""


def start_server_span(method: str, headers: Mapping[str, str]) -> tuple[Span, ServerSpanTokens]:
    """The server span of a request, made current; continues the caller's `traceparent`.

    Ours, not `opentelemetry-instrumentation-fastapi`: that one collects a request's
    attributes before the sampler has spoken and wraps the ASGI calls in layers of its own,
    costing a request sampled out about a tenth of its CPU (issue 22). Here the attributes
    are set only on a span that is recorded."""
    # Without a header the propagators read there is nothing to extract: the current context
    # is the parent (what `extract` returns then), without running them.
    if _carries_context(headers):
        parent = propagate.extract(headers)
        span = tracer().start_span(method, context=parent, kind=SpanKind.SERVER)
    else:
        parent = context.get_current()
        span = _dropped_root(parent) or tracer().start_span(
            method, context=parent, kind=SpanKind.SERVER
        )
    token = context.attach(trace.set_span_in_context(span, parent))
    return span, (token, _unrecorded.set(not span.is_recording()))


def _dropped_root(parent: context.Context) -> Span | None:
    """The span the SDK makes for a new trace its sampler drops — what every request without
    a trace context of its own gets while the ratio is 0 (nothing exported: `make run`, a
    deployment without a collector) — made directly: the SDK's way there (its sampler's
    three parent lookups, the decision's objects, its own metrics' hook) was some thirty
    calls a request (issue 22). The same ids, flags and state as the SDK's
    (`test_a_dropped_root_span_is_the_sdk_s`); None for anything else (a span under way,
    a ratio above 0), which the SDK starts."""
    provider = _provider
    if (
        provider is None
        or _sampler.ratio > 0
        or trace.get_current_span(parent).get_span_context().is_valid
    ):
        return None
    ids = provider.id_generator
    flags = _RANDOM_TRACE_ID if ids.is_trace_id_random() else _NOT_SAMPLED
    return trace.NonRecordingSpan(
        trace.SpanContext(
            ids.generate_trace_id(), ids.generate_span_id(), is_remote=False, trace_flags=flags
        )
    )


_NOT_SAMPLED = trace.TraceFlags(trace.TraceFlags.DEFAULT)
_RANDOM_TRACE_ID = trace.TraceFlags(trace.TraceFlags.DEFAULT | trace.TraceFlags.RANDOM_TRACE_ID)


def end_server_span(
    span: Span, tokens: ServerSpanTokens, *, scope: Mapping[str, Any], route: str, status: int
) -> None:
    """Name the span by its route, give it the HTTP attributes when it is recorded, end it."""
    try:
        if span.is_recording():
            method = scope.get("method", "")
            span.update_name(f"{method} {route}")
            server = scope.get("server") or ("", None)
            client = scope.get("client") or ("", None)
            span.set_attributes(
                {
                    "http.request.method": method,
                    "http.route": route,
                    "http.response.status_code": status,
                    "url.path": scope.get("path", ""),
                    "url.scheme": scope.get("scheme", "http"),
                    "network.protocol.version": scope.get("http_version", ""),
                    "server.address": server[0] or "",
                    "client.address": client[0] or "",
                }
            )
            if server[1] is not None:
                span.set_attribute("server.port", server[1])
            if status >= 500:
                span.set_status(trace.Status(trace.StatusCode.ERROR))
        span.end()
    finally:
        otel, unrecorded = tokens
        _unrecorded.reset(unrecorded)
        context.detach(otel)


def traceparent_of(span: Span) -> str:
    """The W3C traceparent naming `span` (sampled or not)."""
    ctx = span.get_span_context()
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"
