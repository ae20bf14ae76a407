"""Traces (OpenTelemetry): a request, the events it published, and the handlers that consumed
them, in one trace — through HTTP, the database, the transactional outbox and Kafka.

HTTP and the database are traced by the well-kept instrumentation packages
(`opentelemetry-instrumentation-fastapi`, `-sqlalchemy`). The two Kafka hops are ours: the
outbox sends an event long after the request committed it, from a relay that never saw the
request, so no client instrumentation can know the parent; the CloudEvent carries the
request's `traceparent`, the relay's publish span continues it, and the consumer's
processing span continues the publish span (OpenTelemetry messaging conventions).

Spans are exported over OTLP/HTTP only when `XIETONG_OTEL_EXPORTER_OTLP_ENDPOINT` (or the
standard `OTEL_EXPORTER_OTLP_ENDPOINT`) is set; without it trace ids still flow (logs and
events carry them), nothing leaves the process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind

from xietong_common.settings import ServiceSettings

_provider: TracerProvider | None = None


def tracer_provider(settings: ServiceSettings, service: str) -> TracerProvider:
    """The process's tracer provider (one per process: the first service started names it)."""
    global _provider
    if _provider is None:
        provider = TracerProvider(
            resource=Resource.create({"service.name": service, "service.namespace": "xietong"})
        )
        endpoint = settings.otel_exporter_otlp_endpoint or os.environ.get(
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        if endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces"))
            )
        trace.set_tracer_provider(provider)
        _provider = provider
    return _provider


def tracer() -> trace.Tracer:
    return trace.get_tracer("xietong")


def current_traceparent() -> str | None:
    """The W3C traceparent of the span in progress, if one is."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


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
    """A publish or process span of a Kafka hop, continuing the trace `traceparent` names."""
    with tracer().start_as_current_span(
        name, context=_parent(traceparent), kind=kind, attributes=dict(attributes)
    ) as span:
        yield span


def instrument_database(provider: TracerProvider) -> None:
    """Every SQLAlchemy engine created from now on is traced (once per process)."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    instrumentor = SQLAlchemyInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        # Its declared range ends below SQLAlchemy 2.1; the engine events it listens to are
        # unchanged in 2.1, and a test proves the spans come (test_tracing).
        instrumentor.instrument(tracer_provider=provider, skip_dep_check=True)


def instrument_app(app: Any, provider: TracerProvider) -> None:
    """Server spans for every request (health, readiness and metrics left out)."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls="healthz,readyz,metrics"
    )
