"""Which W3C trace contexts name a trace its start sampled out (`telemetry.sampled_out`): the
relay makes no publish span for those (issue 22)."""

from __future__ import annotations

import pytest

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
