"""Named moments on the delivery path where the fault harness may stop this process.

`reached(point, **detail)` marks a moment the delivery guarantees (docs/architecture.md) must
survive a crash at: Kafka has acknowledged a batch the database does not yet know is
published; a handler's changes are made but not committed; a handled event's offset is not
committed yet; a create is written but not committed; a change is committed and its caller
has no answer yet. The fault harness (`xietong faults`, docs/faults.md) stops a service
exactly there and kills it with SIGKILL, to show that nothing is lost or doubled when a
process dies at that moment, rather than hoping a timed kill lands in a window a few
milliseconds wide.

Nothing in a service arms a point: `reached` does nothing unless a probe was installed in the
process with `install_probe`, and only the harness's own launcher does that
(`python -m xietong_devtools.faults.serve`, in the dev-only devtools package, which the
production image does not contain). No setting and no environment variable arms a point, so
no configuration can enable one in production; `tests/test_architecture.py` holds that no
code outside the devtools installs a probe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

RELAY_UNMARKED = "relay.unmarked"
"""The relay's batch is on Kafka (acknowledged) and not yet marked published."""
HANDLER_UNCOMMITTED = "handler.uncommitted"
"""A consumed event's handler has run; its changes and inbox row are not committed."""
HANDLER_OFFSET_UNCOMMITTED = "handler.offset-uncommitted"
"""A consumed event's changes are committed; its offset is not committed to Kafka."""
REQUEST_UNCOMMITTED = "request.uncommitted"
"""A create has written its resource and its Idempotency-Key; the transaction is open."""
REQUEST_UNANSWERED = "request.unanswered"
"""A request's work is done (committed) and its response not yet sent."""

POINTS = (
    RELAY_UNMARKED,
    HANDLER_UNCOMMITTED,
    HANDLER_OFFSET_UNCOMMITTED,
    REQUEST_UNCOMMITTED,
    REQUEST_UNANSWERED,
)

Probe = Callable[[str, Mapping[str, str]], None]

_probe: Probe | None = None


def reached(point: str, **detail: str) -> None:
    """The process is at `point` (one of `POINTS`); a no-op unless a probe is installed."""
    probe = _probe
    if probe is not None:
        probe(point, detail)


def install_probe(probe: Probe | None) -> None:
    """Called only by the fault harness's launcher, in a process it starts (None removes it)."""
    global _probe
    _probe = probe
