"""The ledger: what the services told the harness they did, and when.

Every operation the load makes whose effects are checked afterwards is entered here with
the moment its answer came. An operation answered 2xx is *accepted*: its effects must all
exist, once each, and arrive in time. An operation whose answer never came (the service
died, the request timed out, a retry found it already done) is *unacknowledged*: its
effects may or may not exist, both are fine, but never twice.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Kind(StrEnum):
    """What was done; `reconcile` knows what each must have caused."""

    REFERRAL_CREATED = "referral.created"
    """POST /referrals: one referral carries the marker."""
    REFERRAL_SENT = "referral.sent"
    """POST /referrals/{id}/send: `case.referred` once."""
    REVIEW_SUBMITTED = "review.submitted"
    """POST /reviews: one review carries the case number."""
    OPINION_TRANSFER = "review.opinion-4"
    """REV-07 opinion (4): `review.opinion` once, and the referral service drafts the referral
    once (REF-01)."""
    REVIEW_DECIDED = "review.decided"
    """REV-08 decided as proposed: `review.decided` once, and information sharing makes the
    category-4 item for the department that asked, once (INFO-04)."""
    ASSISTANCE_REQUESTED = "assistance.requested"
    """POST /assistance-requests and its submit: one request carries the marker,
    `assistance.requested` once."""
    ROSTER_CHANGED = "roster.changed"
    """POST /teams or PATCH /teams/{id}: `secondment.roster-changed` for the team's version
    once, and the version in the roster projection of joint inspection and of assistance."""


@dataclass
class Entry:
    kind: Kind
    ref: str  # what identifies it: a resource id, a marker, team:version
    acknowledged: bool  # a 2xx answered it
    at: float  # when the harness learnt the outcome (epoch seconds)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ledger:
    entries: list[Entry] = field(default_factory=list)

    def accepted(self, kind: Kind, ref: str, at: float, **detail: Any) -> Entry:
        entry = Entry(kind, ref, True, at, detail)
        self.entries.append(entry)
        return entry

    def unacknowledged(self, kind: Kind, ref: str, at: float, **detail: Any) -> Entry:
        entry = Entry(kind, ref, False, at, detail)
        self.entries.append(entry)
        return entry

    def of(self, kind: Kind) -> list[Entry]:
        return [e for e in self.entries if e.kind is kind]

    def save(self, path: Path) -> None:
        with path.open("w") as out:
            for entry in self.entries:
                out.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
