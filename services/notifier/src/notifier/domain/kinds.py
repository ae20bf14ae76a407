"""Who is told of each event kind, and from which service it must come. No I/O.

An event reaches an organisation's webhooks only when the organisation is one of the
event's parties: the organisations the REST API shows the record to as a party (a
referral: its sender, its receiver once sent, the district government once a dispute is
reported to it, the assignee it names). A town that is no party of a referral never learns
of it here, whatever it subscribes to. The oversight reader (the justice bureau), which
reads every record through the REST API, is no party and is not told.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from notifier.domain.targets import EventKind
from xietong_common.reference import DISTRICT_GOV


@dataclass(frozen=True)
class Told:
    """The mechanism that alone may publish the kind, and its parties in an event."""

    mechanism: str
    parties: Callable[[Any], tuple[str | None, ...]]


RECORD_EVENTS: dict[EventKind, Told] = {
    EventKind.CASE_REFERRED: Told("referral", lambda e: (e.sender, e.receiver)),
    EventKind.CASE_RECEIVED: Told("referral", lambda e: (e.sender, e.receiver)),
    EventKind.CASE_ANSWERED: Told("referral", lambda e: (e.sender, e.receiver)),
    EventKind.CASE_ESCALATED: Told(
        "referral", lambda e: (e.sender, e.receiver, e.reported_to or DISTRICT_GOV)
    ),
    EventKind.CASE_ASSIGNED: Told(
        "referral", lambda e: (e.sender, e.receiver, e.assignee, DISTRICT_GOV)
    ),
    EventKind.CASE_FILED: Told("referral", lambda e: (e.handler, e.sender)),
    EventKind.CASE_CONCLUDED: Told("referral", lambda e: (e.handler, e.sender)),
}


def parties_of(kind: EventKind, event: Any) -> tuple[str, ...]:
    """The distinct organisations an event of `kind` is delivered to, in order."""
    return tuple(dict.fromkeys(p for p in RECORD_EVENTS[kind].parties(event) if p))
