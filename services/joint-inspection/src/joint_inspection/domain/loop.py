"""INSP-05..INSP-07 beyond the happy path: the justice bureau deciding a consent stalemate,
notice withheld at the town's discretion, and the loop that stays open until what the
inspection started (a referral, a legal review) returns. No I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from joint_inspection.domain.orders import NoticePolicy, OrderState
from joint_inspection.errors import LoopOpen, NoStalemate
from xietong_common.labels import LabelledEnum
from xietong_common.reasons import is_stated


class StalemateDecision(LabelledEnum):
    """INSP-05: the justice bureau's decision where the town did not agree (原则上 consulted:
    the town's consent is the rule, not an absolute veto)."""

    PROCEED = "proceed", "协调决定按部门方案开展", "the inspection goes on as proposed"
    DROP = "drop", "协调决定不予开展", "the inspection is dropped"


def check_stalemate(state: OrderState, consult_due_at: datetime | None, now: datetime) -> None:
    """INSP-05: a stalemate is a counter-proposal the department did not accept, or a
    proposal the town left unanswered past its consultation deadline. While the town still
    has time, the bureau does not answer for it."""
    if state is OrderState.COUNTER_PROPOSED:
        return
    if state is OrderState.PROPOSED and consult_due_at is not None and now > consult_due_at:
        return
    raise NoStalemate(
        "the town has not refused the proposal and its consultation deadline has not passed: "
        "there is no stalemate for the justice bureau to decide",
        zh="属地乡镇（街道）未提出不同意见且协商期限未届满，不存在需由司法局协调决定的僵局",
        state=state.value,
        due_at=consult_due_at.isoformat() if consult_due_at else None,
        rule="INSP-05",
    )


def stalemate_missing(
    decision: StalemateDecision, reason: str | None, brigade_tasks: str | None
) -> list[str]:
    """INSP-05: a decision someone can rule on; going on fixes the brigade's tasks the town
    did not set (INSP-04)."""
    missing = [] if is_stated(reason) else ["reason"]
    if decision is StalemateDecision.PROCEED and not (brigade_tasks or "").strip():
        missing.append("brigade_tasks")
    return missing


def unannounced(policy: str | None) -> bool:
    """INSP-06: the order is not announced to its targets in advance (law forbids it, a
    superior required it, or the town chose not to): its planned times reach integrators
    only once its first visit is made."""
    return policy is not None and NoticePolicy(policy).exempt


class Awaits(LabelledEnum):
    """INSP-07: what a finding started that the loop waits for (处理处罚 before 结果反馈)."""

    REFERRAL = "referral", "移送有管辖权机关", "the referral to the party with jurisdiction"
    REVIEW = "review", "法制审核", "the legal review (REV-01)"


def check_loop_returned(awaits: str | None, returned_at: datetime | None) -> None:
    """INSP-07: the result is fed back once the handling it started has a result."""
    if awaits is None or returned_at is not None:
        return
    kind = Awaits(awaits)
    raise LoopOpen(
        f"the {kind.label_en} this finding started has not returned a result yet: the "
        "feedback waits for it (the case filed or concluded, the review decided)",
        zh=f"该检查发现已{kind.label_zh}，尚无处理结果（立案、结案或审核决定），暂不能反馈",
        awaits=kind.value,
        rule="INSP-07",
    )


def feedback_recipients(
    *, town: str, initiating_org: str, matter_owners: Iterable[str], handling_org: str | None
) -> list[str]:
    """INSP-07: the feedback goes to the town, the initiating unit, the departments whose
    matters were checked and the party that handles the violation — never to nobody."""
    found = {town, initiating_org, *matter_owners}
    if handling_org:
        found.add(handling_org)
    return sorted(found)
