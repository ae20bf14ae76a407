"""SUP-02: the deadline contracts a ledger and a notifier build on — what they accept and refuse,
and that `deadline.breached` events already on the topic still read (it stays version 1)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from xietong_common.contracts.deadlines import (
    DeadlineApproaching,
    DeadlineBreached,
    DeadlineLifecycle,
)
from xietong_common.events.registry import registry

NAMED: dict[str, Any] = {
    "deadline_id": "5f0c6c1e-8d4b-4a51-9d1a-2f3e4a5b6c7d",
    "mechanism": "referral",
    "rule": "REF-07",
    "action": "answer",
    "organisation": "dept:water",
    "subject": "referral:0b9c2f4e-3d1a-4c5e-9f00-8a7b6c5d4e3f",
    "due_at": "2024-03-08T16:00:00Z",
}
FACTS = {
    **NAMED,
    "counterparty": "town:lizhi",
    "unit": "working_days",
    "amount": 5,
    "started_at": "2024-03-01T02:00:00Z",
    "provisional": False,
}


def test_sup_02_a_breach_published_before_this_release_still_reads() -> None:
    """Exactly what the services published before (the topic keeps it 400 days now)."""
    old = DeadlineBreached.model_validate(
        {**NAMED, "kind": "late-action", "actual_at": "2024-03-11T01:00:00Z"}
    )
    assert (old.counterparty, old.unit, old.started_at) == (None, None, None)
    assert DeadlineBreached.spec.type == "xietong.deadline.breached.v1"


def test_sup_02_every_lifecycle_fact_says_what_its_kind_needs() -> None:
    base = {**FACTS, "recorded_at": "2024-03-01T02:00:00Z"}
    assert DeadlineLifecycle.model_validate({**base, "kind": "started"}).replayed is False
    for kind, needs in (
        ("met", "satisfied_at"),
        ("breached", "breach_kind"),
        ("cancelled", "reason"),
        ("closed", "reason"),
        ("made-final", "previous_due_at"),
    ):
        with pytest.raises(ValidationError, match=needs):
            DeadlineLifecycle.model_validate({**base, "kind": kind})
    with pytest.raises(ValidationError, match="reason"):
        DeadlineLifecycle.model_validate({**base, "kind": "closed", "reason": "Draft withdrawn!"})
    with pytest.raises(ValidationError):
        DeadlineLifecycle.model_validate({**base, "kind": "forgotten"})
    with pytest.raises(ValidationError):  # the new topic has every field of the deadline
        DeadlineLifecycle.model_validate(
            {**NAMED, "kind": "started", "recorded_at": base["due_at"]}
        )


def test_issue_24_a_reminder_names_its_lead_time() -> None:
    reminder = DeadlineApproaching.model_validate(
        {
            **FACTS,
            "lead": "2 working days",
            "lead_unit": "working_days",
            "lead_amount": 2,
            "remind_at": "2024-03-06T16:00:00Z",
            "working_days_left": 2,
        }
    )
    assert reminder.lead_amount == 2
    with pytest.raises(ValidationError):
        DeadlineApproaching.model_validate({**FACTS, "lead": "soon"})


def test_sup_02_deadline_topics_and_their_keeping() -> None:
    assert registry.accountable("deadline.lifecycle")
    assert registry.accountable("deadline.breached")
    assert not registry.accountable("deadline.approaching")  # a reminder, not a fact to keep
    configs = registry.topic_configs("deadline.lifecycle")
    assert configs == {"retention.ms": str(400 * 24 * 3600 * 1000), "retention.bytes": "-1"}
    assert registry.topic_configs("audit.checkpoint") == {
        "retention.ms": "-1",
        "retention.bytes": "-1",
    }
