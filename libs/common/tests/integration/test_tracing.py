"""One trace from the HTTP request through the outbox and Kafka to the consuming handler."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
import sqlalchemy as sa
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from backbone_support import TOPIC, CounterIncremented, count_handled, counter_service_spec
from xietong_common.events.kafka import ensure_topics
from xietong_common.messaging.inbox import InboxConsumer
from xietong_common.tables import outbox
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
        # Nothing is exported in tests: sampled by default only when something is.
        otel_traces_sample_ratio=1.0,
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
    database = [s for s in spans if s.attributes and "db.system.name" in s.attributes]
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


async def test_a_request_sampled_out_records_no_span_and_still_carries_its_trace_id(
    servers: Servers, kafka_bootstrap: str
) -> None:
    """Sampled out (the default when nothing is exported), a request records no span — not
    its own, not its statements' — yet its trace id still names it in the event it publishes
    and in its logs, and a caller's sampled trace is followed (parent-based)."""
    spec = counter_service_spec()
    async with running_service(
        spec,
        database_url=await create_database(servers, "trace_off"),
        kafka_bootstrap=kafka_bootstrap,
        run_relay=False,
    ) as svc:
        exporter = InMemorySpanExporter()
        tracer_provider(svc.settings, spec.name).add_span_processor(SimpleSpanProcessor(exporter))
        headers = svc.auth("town:lizhi", "handler")
        r = await svc.client.post("/towns/lizhi/counter", headers=headers)
        assert r.status_code == 201, r.text
        assert exporter.get_finished_spans() == ()
        async with svc.ctx.db.session() as s:
            envelope = (
                (await s.execute(sa.select(outbox.c.envelope).order_by(outbox.c.id.desc())))
                .scalars()
                .first()
            )
        assert envelope is not None
        _, trace_id, _, flags = envelope["traceparent"].split("-")
        assert len(trace_id) == 32  # a trace id…
        assert int(flags, 16) & 1 == 0  # …not sampled

        caller = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"
        r = await svc.client.post(
            "/towns/lizhi/counter", headers={**headers, "traceparent": caller}
        )
        assert r.status_code == 201, r.text
        spans = exporter.get_finished_spans()
        assert spans, "a trace the caller sampled is recorded"
        assert {_trace(s) for s in spans} == {int("ab" * 16, 16)}
        assert any(
            s.kind.name == "SERVER" and s.name == "POST /towns/{town}/counter" for s in spans
        )
        assert any(s.attributes and "db.system.name" in s.attributes for s in spans)
