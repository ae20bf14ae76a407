"""INSP-05..INSP-07 beyond the happy path, as pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from joint_inspection.domain import OrderState
from joint_inspection.domain.loop import (
    StalemateDecision,
    check_loop_returned,
    check_stalemate,
    feedback_recipients,
    stalemate_missing,
    unannounced,
)
from joint_inspection.errors import LoopOpen, NoStalemate

NOW = datetime(2024, 3, 11, 2, tzinfo=UTC)


def test_insp_05_a_stalemate_is_a_counter_proposal_or_a_missed_consultation() -> None:
    check_stalemate(OrderState.COUNTER_PROPOSED, None, NOW)
    check_stalemate(OrderState.PROPOSED, NOW - timedelta(seconds=1), NOW)
    for state, due in (
        (OrderState.PROPOSED, NOW + timedelta(days=1)),
        (OrderState.PROPOSED, None),
        (OrderState.AGREED, NOW - timedelta(days=1)),
        (OrderState.DRAFT, NOW - timedelta(days=1)),
    ):
        with pytest.raises(NoStalemate):
            check_stalemate(state, due, NOW)


def test_insp_05_the_bureau_states_its_reason_and_sets_the_brigades_tasks_to_go_on() -> None:
    assert stalemate_missing(StalemateDecision.PROCEED, "同意", None) == [
        "reason",
        "brigade_tasks",
    ]
    assert stalemate_missing(StalemateDecision.DROP, "该事项已另行专项检查完毕", None) == []
    assert stalemate_missing(StalemateDecision.PROCEED, "区安委会年度重点任务须开展", " ") == [
        "brigade_tasks"
    ]


def test_insp_06_every_exemption_keeps_the_order_unannounced() -> None:
    assert not unannounced("notify")
    assert not unannounced(None)
    for policy in ("law-forbids", "superior-instruction", "town-discretion"):
        assert unannounced(policy)


def test_insp_07_the_feedback_waits_for_the_referral_or_review_it_started() -> None:
    check_loop_returned(None, None)
    check_loop_returned("referral", NOW)
    for awaits in ("referral", "review"):
        with pytest.raises(LoopOpen):
            check_loop_returned(awaits, None)


def test_insp_07_the_feedback_goes_to_the_departments_concerned_never_to_nobody() -> None:
    assert feedback_recipients(
        town="town:lizhi",
        initiating_org="town:lizhi",
        matter_owners=["dept:water", "dept:fire-rescue", "dept:water"],
        handling_org="dept:ecology-environment",
    ) == ["dept:ecology-environment", "dept:fire-rescue", "dept:water", "town:lizhi"]
