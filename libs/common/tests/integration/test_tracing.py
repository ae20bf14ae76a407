"""One trace from the HTTP request through the outbox and Kafka to the consuming handler."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from backbone_support import TOPIC, CounterIncremented, count_handled, counter_service_spec
from xietong_common.events.kafka import ensure_topics
from xietong_common.messaging.inbox import InboxConsumer
from xietong_common.telemetry import tracer_provider
from xietong_devtools.testing import TEST_NAMESPACE, Servers, create_database, running_service

pytestmark = pytest.mark.integration


async def test_request_outbox_kafka_and_handler_share_one_trace(
    servers: Servers, kafka_bootstrap: str
) -> None:
    spec = counter_service_spec()
    await ensure_topics(kafka_bootstrap, [TOPIC], namespace=TEST_NAMESPACE)
    async with running_service(
        spec,
        database_url=await create_database(servers, "trace"),
        kafka_bootstrap=kafka_bootstrap,
        outbox_poll_interval_s=0.1,
    ) as svc:
        exporter = InMemorySpanExporter()
        tracer_provider(svc.settings, spec.name).add_span_processor(SimpleSpanProcessor(exporter))
        town = f"t{uuid.uuid4().hex[:6]}"
        r = await svc.client.post(
            f"/towns/{town}/counter", headers=svc.auth(f"town:{town}", "handler")
        )
        assert r.status_code in (201, 403), r.text  # the directory may not list the town
        if r.status_code == 403:
            r = await svc.client.post(
                "/towns/lizhi/counter", headers=svc.auth("town:lizhi", "handler")
            )
            town = "lizhi"
        assert r.status_code == 201, r.text
        consumer = InboxConsumer(
            svc.ctx.db,
            namespace=TEST_NAMESPACE,
            bootstrap=kafka_bootstrap,
            handlers={CounterIncremented: count_handled},
            group_id=f"trace-{uuid.uuid4().hex[:6]}",
        )
        task = asyncio.create_task(consumer.run())
        try:
            process: list[ReadableSpan] = []
            for _ in range(100):
                process = [
                    s
                    for s in exporter.get_finished_spans()
                    if s.name == f"{TOPIC} process"
                    and s.attributes is not None
                    and s.attributes.get("messaging.kafka.offset") is not None
                ]
                mine = [s for s in process if _trace(s) == _server_trace(exporter)]
                if mine:
                    break
                await asyncio.sleep(0.1)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    spans = exporter.get_finished_spans()
    (server,) = [s for s in spans if s.kind.name == "SERVER" and town in s.name + str(s.attributes)]
    trace_id = _trace(server)
    publish = [s for s in spans if s.name == f"{TOPIC} publish" and _trace(s) == trace_id]
    handled = [s for s in spans if s.name == f"{TOPIC} process" and _trace(s) == trace_id]
    database = [s for s in spans if s.attributes and "db.system" in str(s.attributes)]
    assert publish, "the relay's publish span continues the request's trace"
    assert handled, "the handler's span continues it through Kafka"
    assert handled[0].parent is not None
    assert handled[0].parent.span_id == publish[0].context.span_id
    assert any(_trace(s) == trace_id for s in database), "the database is traced too"


def _trace(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.trace_id


def _server_trace(exporter: InMemorySpanExporter) -> int | None:
    servers = [s for s in exporter.get_finished_spans() if s.kind.name == "SERVER"]
    return _trace(servers[-1]) if servers else None
