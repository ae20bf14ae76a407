"""States, steps and parties of 案件移送 (涪陵府办〔2024〕1号 二(三)). No I/O."""

from __future__ import annotations

from dataclasses import dataclass

from referral.errors import ReferralInvalidTransition
from xietong_common.errors import AppError
from xietong_common.labels import LabelledEnum
from xietong_common.reference import DISTRICT_GOV, OVERSIGHT_ORG
from xietong_common.states import Transitions


class ReferralState(LabelledEnum):
    """Where a referral stands. Chinese names as the notice uses them."""

    DRAFT = "draft", "草稿"
    WITHDRAWN = "withdrawn", "已撤回", "withdrawn (a draft never sent)"
    HELD = (
        "held",
        "待区政府决定",
        "held for the district government: it resembles a case its sender received (REF-08)",
    )
    BARRED = (
        "barred",
        "不予移送",
        "not delivered: the district government found it an onward referral",
    )
    SENT = "sent", "已移送"
    RECEIVED = "received", "已签收"
    ACCEPTED = "accepted", "已受理"
    REPORTED = "reported", "报请区政府", "reported to the district government"
    ASSIGNED = "assigned", "指定管辖", "assigned by the district government"
    FILED = "filed", "已立案"
    CONCLUDED = "concluded", "已办结"


class Step(LabelledEnum):
    """What can happen to a referral; each step follows one rule."""

    WITHDRAW = "withdraw", "撤回草稿", "withdraw the draft"
    SEND = "send", "移送"
    HOLD = "hold", "提交区政府决定", "hold for the district government (REF-08)"
    RELEASE = "release", "准予移送", "release: the district government finds it a different case"
    BAR = "bar", "不予移送", "bar: the district government finds it an onward referral"
    RECEIVE = "receive", "签收"
    ACCEPT = "accept", "受理"
    REPORT = "report", "报请区政府决定", "report to the district government"
    ASSIGN = "assign", "指定管辖", "assign jurisdiction"
    FILE = "file", "立案"
    CONCLUDE = "conclude", "办结"
    REQUEST_COOPERATION = "request-cooperation", "请求移送方配合", "ask the sender to cooperate"
    SUSPEND = "suspend", "中止办案期限", "suspend the conclusion period"
    RESUME = "resume", "恢复计算办案期限", "resume the conclusion period"
    EXTEND = "extend", "延长办案期限", "extend the conclusion period"

    @property
    def rule(self) -> str:
        return _STEP_RULE[self]


_STEP_RULE = {
    Step.WITHDRAW: "REF-03",
    Step.SEND: "REF-03",
    Step.HOLD: "REF-08",
    Step.RELEASE: "REF-08",
    Step.BAR: "REF-08",
    Step.RECEIVE: "REF-06",
    Step.ACCEPT: "REF-07",
    Step.REPORT: "REF-08",
    Step.ASSIGN: "REF-08",
    Step.FILE: "REF-09",
    Step.CONCLUDE: "REF-09",
    Step.REQUEST_COOPERATION: "REF-10",
    Step.SUSPEND: "REF-09",
    Step.RESUME: "REF-09",
    Step.EXTEND: "REF-09",
}

S = ReferralState

# A case the holder received, finished or not: what REF-08 forbids referring on. A concluded
# case is no less received (accept, file, conclude, then refer it on was a walk-around).
RECEIVED_STATES = frozenset(
    {S.SENT, S.RECEIVED, S.ACCEPTED, S.REPORTED, S.ASSIGNED, S.FILED, S.CONCLUDED}
)


# Never delivered: the receiver does not see these (a held referral waits for the district).
UNDELIVERED = frozenset({S.DRAFT, S.WITHDRAWN, S.HELD, S.BARRED})


def _refuse(state: ReferralState, step: Step, allowed: frozenset[ReferralState]) -> AppError:
    return ReferralInvalidTransition(
        f"a referral in state {state.value} ({state.label_en}) cannot {step.value}",
        zh=f"处于“{state.label_zh}”状态的移送案件不能执行“{step.label_zh}”",
        state=state.value,
        step=step.value,
        allowed_states=sorted(s.value for s in allowed),
        rule=step.rule,
    )


TRANSITIONS: Transitions[ReferralState, Step] = Transitions(
    {
        Step.WITHDRAW: ({S.DRAFT}, S.WITHDRAWN),
        Step.SEND: ({S.DRAFT}, S.SENT),
        Step.HOLD: ({S.DRAFT}, S.HELD),
        Step.RELEASE: ({S.HELD}, S.SENT),
        Step.BAR: ({S.HELD}, S.BARRED),
        Step.RECEIVE: ({S.SENT}, S.RECEIVED),
        Step.ACCEPT: ({S.RECEIVED}, S.ACCEPTED),
        Step.REPORT: ({S.RECEIVED}, S.REPORTED),
        Step.ASSIGN: ({S.REPORTED}, S.ASSIGNED),
        Step.FILE: ({S.ACCEPTED, S.ASSIGNED}, S.FILED),
        Step.CONCLUDE: ({S.FILED}, S.CONCLUDED),
        Step.REQUEST_COOPERATION: ({S.ACCEPTED, S.ASSIGNED, S.FILED}, None),
        Step.SUSPEND: ({S.FILED}, None),
        Step.RESUME: ({S.FILED}, None),
        Step.EXTEND: ({S.FILED}, None),
    },
    refuse=_refuse,
)


def next_state(state: ReferralState, step: Step) -> ReferralState:
    """The state after `step`, or a refusal naming the states the step needs."""
    return TRANSITIONS.next(state, step)


_WHAT_ZH = {
    "edited": "修改",
    "given materials": "添加材料",
    "approved": "审批",
}


def ensure_draft(state: ReferralState, what: str) -> None:
    """Only a draft is edited, given materials or approved; a sent referral is on record."""
    if state is not ReferralState.DRAFT:
        raise ReferralInvalidTransition(
            f"only a draft can be {what}; this referral is {state.value} ({state.label_en})",
            zh=f"只有草稿才能{_WHAT_ZH.get(what, '更改')}；该移送案件处于“{state.label_zh}”状态",
            state=state.value,
            allowed_states=[ReferralState.DRAFT.value],
        )


# ---- parties ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parties:
    """Who takes part in one referral."""

    sender: str
    receiver: str | None
    assignee: str | None
    state: ReferralState
    held: bool = False

    @property
    def handler(self) -> str | None:
        """The organisation handling the case: the assignee once the district government decided."""
        return self.assignee or self.receiver

    def visible_to(self) -> set[str]:
        """Sender, receiver (once sent), the district government (once reported), the assignee."""
        seen = {self.sender, OVERSIGHT_ORG}
        if self.state not in UNDELIVERED and self.receiver:
            seen.add(self.receiver)
        if self.state in (S.REPORTED, S.ASSIGNED) or self.assignee or self.held:
            seen.add(DISTRICT_GOV)  # REF-08: it decides disputes and held referrals
        if self.assignee:
            seen.add(self.assignee)
        return seen
