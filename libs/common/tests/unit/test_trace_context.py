"""Which W3C trace contexts name a trace its start sampled out (`telemetry.sampled_out`): the
relay makes no publish span for those; and a request sampled out costs no more than its span
(issue 22)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import context, trace
from opentelemetry.trace import SpanKind

from xietong_common import telemetry
from xietong_common.settings import ServiceSettings
from xietong_common.telemetry import sampled_out

TRACE = "0af7651916cd43dd8448eb211c80319c"
SPAN = "b7ad6b7169203331"


@pytest.mark.parametrize(
    ("traceparent", "out"),
    [
        (f"00-{TRACE}-{SPAN}-00", True),
        (f"00-{TRACE}-{SPAN}-02", True),  # another flag set, not "sampled"
        (f"00-{TRACE}-{SPAN}-01", False),
        (f"00-{TRACE}-{SPAN}-03", False),
        (None, False),  # no trace: the sampler decides
        ("", False),
        ("garbage", False),
        (f"00-{TRACE}-{SPAN}-0", False),
        (f"00-{TRACE.upper()}-{SPAN}-00", False),  # not W3C's lower-case hex: not trusted
    ],
)
def test_a_trace_context_sampled_out_is_told_from_others(
    traceparent: str | None, out: bool
) -> None:
    assert sampled_out(traceparent) is out


@pytest.fixture
def ratio_zero() -> Iterator[None]:
    """The process's provider (made if none is yet) sampling no new trace, as `make run` has it."""
    telemetry.tracer_provider(ServiceSettings(jwt_secret="s" * 40), "test")
    ratio = telemetry._sampler.ratio
    telemetry._sampler.set_ratio(0.0)
    try:
        yield
    finally:
        telemetry._sampler.set_ratio(ratio)


def test_a_dropped_root_span_is_the_sdk_s(ratio_zero: None) -> None:
    """A request without a trace context, while the ratio is 0, gets its span made directly
    rather than through the SDK's sampler (thirty calls a request): the same kind of span,
    with the same flags and state as the SDK's — should a new SDK flag them otherwise, this
    fails — and fresh ids. A trace under way, or a ratio above 0, is the SDK's to start."""
    ours = telemetry._dropped_root(context.Context())
    sdk = telemetry.tracer().start_span("GET", context=context.Context(), kind=SpanKind.SERVER)
    assert ours is not None
    assert type(ours) is type(sdk) is trace.NonRecordingSpan
    a, b = ours.get_span_context(), sdk.get_span_context()
    assert (a.trace_flags, a.trace_state, a.is_remote, a.is_valid) == (
        b.trace_flags,
        b.trace_state,
        b.is_remote,
        b.is_valid,
    )
    assert a.is_valid
    assert (a.trace_id, a.span_id) != (b.trace_id, b.span_id)
    assert not ours.is_recording()

    assert telemetry._dropped_root(trace.set_span_in_context(sdk)) is None
    telemetry._sampler.set_ratio(0.5)
    assert telemetry._dropped_root(context.Context()) is None


def test_a_request_sampled_out_tells_its_statements_so_until_it_ends(ratio_zero: None) -> None:
    """Its statements learn that nothing is recorded from one context variable (no span
    lookup each); a sampled request's, and anything after the request, ask as before."""
    span, tokens = telemetry.start_server_span("GET", {"host": "x"})
    assert not span.is_recording()
    assert telemetry._unrecorded.get()
    assert telemetry.current_traceparent() == telemetry.traceparent_of(span)
    telemetry.end_server_span(span, tokens, scope={}, route="/x", status=200)
    assert not telemetry._unrecorded.get()

    # A Kafka hop's span in a task started during such a request (which inherits its
    # context) continues its own trace: its statements ask their own span.
    span, tokens = telemetry.start_server_span("GET", {"host": "x"})
    try:
        with telemetry.messaging_span(
            "publish", kind=SpanKind.PRODUCER, traceparent=f"00-{TRACE}-{SPAN}-01", attributes={}
        ):
            assert not telemetry._unrecorded.get()
        assert telemetry._unrecorded.get()
    finally:
        telemetry.end_server_span(span, tokens, scope={}, route="/x", status=200)

    sampled = {"traceparent": f"00-{TRACE}-{SPAN}-01"}
    telemetry._sampler.set_ratio(1.0)
    span, tokens = telemetry.start_server_span("GET", sampled)
    try:
        assert span.is_recording()
        assert not telemetry._unrecorded.get()
    finally:
        telemetry.end_server_span(span, tokens, scope={}, route="/x", status=200)
