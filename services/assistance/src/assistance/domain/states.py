"""The states of a request and the steps between them, as ONE `Transitions` table; the kinds
of things a request carries; who takes part. No I/O."""

from __future__ import annotations

from dataclasses import dataclass

from assistance.errors import AssistanceInvalidTransition
from xietong_common.errors import AppError
from xietong_common.labels import LabelledEnum
from xietong_common.reference import OVERSIGHT_ORG
from xietong_common.states import Transitions


class AssistanceState(LabelledEnum):
    """执法协助请求的状态: where a request stands."""

    DRAFT = "draft", "草稿"
    REQUESTED = "requested", "已提出协助请求", "requested, awaiting the department's answer"
    ACCEPTED = "accepted", "已接受协助", "accepted, assistance under way"
    REFUSED = "refused", "不予协助", "refused with a legal ground and reasons"
    DELIVERED = "delivered", "协助结果已交付", "result delivered, awaiting the town's confirmation"
    COMPLETED = "completed", "协助已完成", "completed: the town confirmed the result"
    WITHDRAWN = "withdrawn", "已撤回", "withdrawn by the town"


class Step(LabelledEnum):
    """What can happen to a request; each step follows one rule."""

    EDIT = "edit", "修改草稿", "edit the draft"
    ATTACH = "attach", "提交申请材料", "attach request materials"
    SUBMIT = "submit", "提出协助请求", "submit the request"
    ACCEPT = "accept", "接受协助", "accept"
    REFUSE = "refuse", "不予协助并说明理由", "refuse with a legal ground and reasons"
    REQUEST_EXTENSION = "request-extension", "申请延长完成日期", "ask to move the completion date"
    DECIDE_EXTENSION = "decide-extension", "答复延期申请", "agree or decline the extension"
    ADD_RESULT = "add-result", "上传协助结果材料", "upload result files"
    DELIVER = "deliver", "交付协助结果", "deliver the result"
    RETURN = "return", "退回协助结果", "return a result that does not answer the request"
    CONFIRM = "confirm", "确认协助结果", "confirm the result"
    FLAG = "flag-obstruction", "反映推诿、刁难", "flag shirking or obstruction"
    WITHDRAW = "withdraw", "撤回协助请求", "withdraw the request"

    @property
    def rule(self) -> str:
        return _STEP_RULE[self]


_STEP_RULE = {
    Step.EDIT: "ASSIST-01",
    Step.ATTACH: "ASSIST-01",
    Step.SUBMIT: "ASSIST-01",
    Step.ACCEPT: "ASSIST-02",
    Step.REFUSE: "ASSIST-03",
    Step.REQUEST_EXTENSION: "ASSIST-04",
    Step.DECIDE_EXTENSION: "ASSIST-04",
    Step.ADD_RESULT: "ASSIST-02",
    Step.DELIVER: "ASSIST-02",
    Step.RETURN: "ASSIST-02",
    Step.CONFIRM: "ASSIST-02",
    Step.FLAG: "ASSIST-02",
    Step.WITHDRAW: "ASSIST-01",
}

S = AssistanceState


def _refuse(state: AssistanceState, step: Step, allowed: frozenset[AssistanceState]) -> AppError:
    return AssistanceInvalidTransition(
        f"a request in state {state.value} ({state.label_en}) cannot {step.label_en}",
        zh=f"处于“{state.label_zh}”状态的协助请求不能执行“{step.label_zh}”",
        state=state.value,
        step=step.value,
        allowed_states=sorted(s.value for s in allowed),
        rule=step.rule,
    )


TRANSITIONS: Transitions[AssistanceState, Step] = Transitions(
    {
        Step.EDIT: ({S.DRAFT}, None),
        Step.ATTACH: ({S.DRAFT, S.REQUESTED, S.ACCEPTED}, None),
        Step.SUBMIT: ({S.DRAFT}, S.REQUESTED),
        Step.ACCEPT: ({S.REQUESTED}, S.ACCEPTED),
        # After accepting, only a legal prohibition ends the duty (check_refusal).
        Step.REFUSE: ({S.REQUESTED, S.ACCEPTED}, S.REFUSED),
        Step.REQUEST_EXTENSION: ({S.ACCEPTED}, None),
        Step.DECIDE_EXTENSION: ({S.ACCEPTED}, None),
        Step.ADD_RESULT: ({S.ACCEPTED}, None),
        Step.DELIVER: ({S.ACCEPTED}, S.DELIVERED),
        Step.RETURN: ({S.DELIVERED}, S.ACCEPTED),
        Step.CONFIRM: ({S.DELIVERED}, S.COMPLETED),
        Step.FLAG: ({S.REQUESTED, S.ACCEPTED, S.REFUSED, S.DELIVERED, S.COMPLETED}, None),
        Step.WITHDRAW: ({S.DRAFT, S.REQUESTED, S.ACCEPTED}, S.WITHDRAWN),
    },
    refuse=_refuse,
)


def next_state(state: AssistanceState, step: Step) -> AssistanceState:
    """The state after `step`, or a refusal naming the states the step needs."""
    return TRANSITIONS.next(state, step)


class MaterialKind(LabelledEnum):
    """Files on a request: the town's attachments, the department's result."""

    REQUEST = "request", "协助请求材料", "material of the request"
    RESULT = "result", "协助结果材料", "result (materials, appraisal or test report)"


class ExtensionDecision(LabelledEnum):
    """ASSIST-04: the town's answer to a request to move the completion date."""

    AGREED = "agreed", "同意延期", "agreed"
    DECLINED = "declined", "不同意延期", "declined"
    LAPSED = "lapsed", "已失效", "lapsed: the request moved on before the town answered"


class PeriodUnit(LabelledEnum):
    """三(四)/SUP-02: the periods oversight counts by (China time)."""

    MONTH = "month", "月"
    QUARTER = "quarter", "季度"
    YEAR = "year", "年"


# ---- parties ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parties:
    """Who takes part in one request: the town that asks, the department asked."""

    town: str
    department: str
    state: AssistanceState

    def visible_to(self) -> set[str]:
        """The town, the justice bureau (oversight) and, once asked, the department."""
        seen = {self.town, OVERSIGHT_ORG}
        if self.state is not AssistanceState.DRAFT:
            seen.add(self.department)
        return seen
