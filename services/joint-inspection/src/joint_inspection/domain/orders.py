"""INSP-03..INSP-07: the task work order (检查任务工单), its consultation, its people, its
advance notice and the closed loop per target. No I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from joint_inspection.errors import (
    ConsultationRequired,
    ImplausibleTime,
    InspectionInvalidTransition,
    NoticeForbidden,
    NoticeRequired,
    OrderArchived,
    OrderIncomplete,
    TargetsOpen,
    TooFewInspectors,
)
from xietong_common.calendar import DeadlineRule
from xietong_common.errors import AppError
from xietong_common.labels import LabelledEnum
from xietong_common.states import Transitions


class OrderState(LabelledEnum):
    """Where a work order stands."""

    DRAFT = "draft", "草拟"
    PROPOSED = "proposed", "待属地协商", "proposed to the town"
    COUNTER_PROPOSED = "counter-proposed", "属地提出调整意见", "counter-proposed by the town"
    AGREED = "agreed", "已协商一致", "agreed with the town"
    ISSUED = "issued", "已下达", "issued"
    IN_PROGRESS = "in-progress", "实施中", "in progress"
    CLOSED = "closed", "已办结归档", "closed and archived"
    CANCELLED = "cancelled", "已撤销"
    MERGED = "merged", "已并入联合检查", "merged into a joint order"


class OrderStep(LabelledEnum):
    """What can happen to a work order; each step follows one rule."""

    EDIT = "edit", "修改工单", "edit the order"
    STAFF = "staff", "调度检查人员", "assign inspectors"
    SET_NOTICE = "set-notice", "确定是否事先通知", "decide on advance notice"
    RECORD = "record", "记录检查材料", "record notices, materials and findings"
    AGREE = "agree", "属地同意并确定大队任务", "the town agrees and sets its brigade's tasks"
    COUNTER_PROPOSE = "counter-propose", "属地提出调整意见", "the town counter-proposes"
    ACCEPT_COUNTER = "accept-counter", "部门接受调整意见", "accept the town's counter-proposal"
    REVISE = "revise", "部门修改方案重新协商", "revise the proposal"
    ISSUE = "issue", "下达工单", "issue"
    VISIT = "visit", "现场检查", "inspect on site"
    HANDLE = "handle", "处理处罚与结果反馈", "handle and feed back"
    CLOSE = "close", "办结归档", "close and archive"
    CANCEL = "cancel", "撤销", "cancel"
    MERGE_AWAY = "merge-away", "并入联合检查", "merge into another order"
    BUREAU_DECIDE = (
        "bureau-decide",
        "司法局协调决定",
        "the justice bureau decides a consent stalemate",
    )

    @property
    def rule(self) -> str:
        return _STEP_RULE[self]


_STEP_RULE = {
    OrderStep.EDIT: "INSP-03",
    OrderStep.STAFF: "INSP-03",
    OrderStep.SET_NOTICE: "INSP-06",
    OrderStep.RECORD: "INSP-07",
    OrderStep.AGREE: "INSP-04",
    OrderStep.COUNTER_PROPOSE: "INSP-04",
    OrderStep.ACCEPT_COUNTER: "INSP-04",
    OrderStep.REVISE: "INSP-04",
    OrderStep.ISSUE: "INSP-03",
    OrderStep.VISIT: "INSP-07",
    OrderStep.HANDLE: "INSP-07",
    OrderStep.CLOSE: "INSP-07",
    OrderStep.CANCEL: "INSP-03",
    OrderStep.MERGE_AWAY: "INSP-05",
    OrderStep.BUREAU_DECIDE: "INSP-05",
}

S = OrderState
BEFORE_ISSUE = {S.DRAFT, S.PROPOSED, S.COUNTER_PROPOSED, S.AGREED}
OPEN = {*BEFORE_ISSUE, S.ISSUED, S.IN_PROGRESS}
OPEN_STATES = frozenset(OPEN)


def _refuse(state: OrderState, step: OrderStep, allowed: frozenset[OrderState]) -> AppError:
    if state is OrderState.CLOSED:
        return OrderArchived(
            "the work order is closed and archived (立卷归档); nothing about it can change",
            zh="该检查任务工单已办结归档，不能再作任何更改",
            state=state.value,
            step=step.value,
            rule="INSP-07",
        )
    if step is OrderStep.ISSUE and state in (S.PROPOSED, S.COUNTER_PROPOSED):
        return ConsultationRequired(
            "a department's joint inspection is issued only after the town agreed it and set "
            "its brigade's tasks (INSP-04)",
            zh="区级部门发起的综合查一次须经属地乡镇（街道）同意并确定其综合执法大队检查任务后方可下达",
            state=state.value,
            rule="INSP-04",
        )
    return InspectionInvalidTransition(
        f"a work order in state {state.value} cannot {step.value}",
        zh=f"处于“{state.label_zh}”状态的检查任务工单不能“{step.label_zh}”",
        state=state.value,
        step=step.value,
        allowed_states=sorted(s.value for s in allowed),
        rule=step.rule,
    )


ORDER_TRANSITIONS: Transitions[OrderState, OrderStep] = Transitions(
    {
        OrderStep.EDIT: ({S.DRAFT, S.PROPOSED}, None),
        OrderStep.STAFF: (OPEN, None),
        OrderStep.SET_NOTICE: (BEFORE_ISSUE, None),
        OrderStep.RECORD: ({S.ISSUED, S.IN_PROGRESS}, None),
        OrderStep.AGREE: ({S.PROPOSED}, S.AGREED),
        OrderStep.COUNTER_PROPOSE: ({S.PROPOSED}, S.COUNTER_PROPOSED),
        OrderStep.ACCEPT_COUNTER: ({S.COUNTER_PROPOSED}, S.AGREED),
        OrderStep.REVISE: ({S.COUNTER_PROPOSED, S.AGREED}, S.PROPOSED),
        OrderStep.ISSUE: ({S.DRAFT, S.AGREED}, S.ISSUED),
        OrderStep.VISIT: ({S.ISSUED, S.IN_PROGRESS}, S.IN_PROGRESS),
        OrderStep.HANDLE: ({S.IN_PROGRESS}, None),
        OrderStep.CLOSE: ({S.IN_PROGRESS}, S.CLOSED),
        OrderStep.CANCEL: (BEFORE_ISSUE | {S.ISSUED}, S.CANCELLED),
        OrderStep.MERGE_AWAY: (BEFORE_ISSUE | {S.ISSUED}, S.MERGED),
        # INSP-05: where the town did not agree (a drop is then a CANCEL)
        OrderStep.BUREAU_DECIDE: ({S.PROPOSED, S.COUNTER_PROPOSED}, S.AGREED),
    },
    refuse=_refuse,
)


def next_state(state: OrderState, step: OrderStep) -> OrderState:
    return ORDER_TRANSITIONS.next(state, step)


class InspectionMethod(LabelledEnum):
    """INSP-03: how the inspection is done (检查方式)."""

    ON_SITE = "on-site", "现场检查"
    DOCUMENTS = "documents", "书面检查", "document review"
    REMOTE = "remote", "非现场检查（远程）", "remote (off-site) inspection"
    SAMPLING = "sampling", "抽样检测", "sampling and testing"


class ParticipantRole(LabelledEnum):
    """Who takes part in a work order and why."""

    LEAD = "lead", "发起单位", "initiating unit"
    BRIGADE = "brigade", "属地综合执法大队", "the town's brigade"
    DEPARTMENT = "department", "参加部门", "participating department"
    SUPPORT = "support", "应邀支持部门", "department asked for support"
    DISPATCHED = "dispatched", "司法局调度参加", "dispatched by the justice bureau"
    MERGED = "merged", "合并检查参加单位", "joined by a merge"


class InspectorKind(LabelledEnum):
    """INSP-03: the town's brigade, officers seconded to it, a department's own officers."""

    BRIGADE = "brigade", "综合执法大队人员", "brigade officer"
    SECONDED = "seconded", "下沉人员", "seconded department officer"
    DEPARTMENT = "department", "部门执法人员", "department officer"


class NoticePolicy(LabelledEnum):
    """INSP-06: whether the targets are told the time, basis and method in advance."""

    NOTIFY = "notify", "事先通报检查时间、依据、方式", "notify the targets in advance"
    LAW_FORBIDS = "law-forbids", "依法不予公开", "not to be disclosed by law"
    SUPERIOR_INSTRUCTION = (
        "superior-instruction",
        "上级机关明确要求不能事先通知",
        "no advance notice on a superior's instruction",
    )
    TOWN_DISCRETION = (
        "town-discretion",
        "属地乡镇（街道）决定不事先通知",
        "not notified at the town's discretion",
    )

    @property
    def exempt(self) -> bool:
        return self is not NoticePolicy.NOTIFY


class ConsultationDecision(LabelledEnum):
    """INSP-04: the town's answer to a department's proposed joint inspection."""

    AGREE = "agree", "同意并确定大队检查任务", "agree and set the brigade's tasks"
    COUNTER_PROPOSE = "counter-propose", "提出调整意见", "counter-propose"


class VisitState(LabelledEnum):
    """INSP-07: the closed loop at one target: on-site record → handling → feedback."""

    PENDING = "pending", "待检查"
    INSPECTED = "inspected", "已现场检查", "inspected on site"
    HANDLED = "handled", "已处理", "handled"
    FED_BACK = "fed-back", "已反馈结果", "result fed back"
    MERGED = "merged", "已并入联合检查", "merged into a joint order"


class VisitStep(LabelledEnum):
    VISIT = "visit", "记录现场检查", "record the on-site inspection"
    HANDLE = "handle", "记录处理结果", "record the outcome and handling"
    FEED_BACK = "feed-back", "结果反馈", "feed back the result"
    MERGE = "merge", "并入联合检查", "merge into a joint order"


def _refuse_visit(state: VisitState, step: VisitStep, allowed: frozenset[VisitState]) -> AppError:
    return InspectionInvalidTransition(
        f"a target {state.value} cannot {step.value}",
        zh=f"处于“{state.label_zh}”状态的检查对象不能“{step.label_zh}”",
        state=state.value,
        step=step.value,
        allowed_states=sorted(s.value for s in allowed),
        rule="INSP-07",
    )


V = VisitState
VISIT_TRANSITIONS: Transitions[VisitState, VisitStep] = Transitions(
    {
        VisitStep.VISIT: ({V.PENDING}, V.INSPECTED),
        VisitStep.HANDLE: ({V.INSPECTED}, V.HANDLED),
        VisitStep.FEED_BACK: ({V.HANDLED}, V.FED_BACK),
        VisitStep.MERGE: ({V.PENDING}, V.MERGED),
    },
    refuse=_refuse_visit,
)


def next_visit_state(state: VisitState, step: VisitStep) -> VisitState:
    return VISIT_TRANSITIONS.next(state, step)


# ---- checks ------------------------------------------------------------------------------------


def check_window(start: datetime, end: datetime) -> None:
    if end < start or end - start > timedelta(days=366):
        raise ImplausibleTime(
            "the planned window ends before it starts or lasts more than a year",
            zh="计划检查时间段的结束早于开始，或超过一年",
            rule="INSP-03",
        )


@dataclass(frozen=True)
class Readiness:
    """What an order must fix before it is issued (INSP-03, INSP-06)."""

    targets: int
    inspectors: int
    matters: int
    notice_policy: NoticePolicy | None
    exemption_reason: str | None


def check_issuable(r: Readiness) -> None:
    """INSP-03: targets, number, method and inspectors are fixed; INSP-06 decided."""
    missing = []
    if r.targets == 0:
        missing.append("targets")
    if r.inspectors == 0:
        missing.append("inspectors")
    if r.matters == 0:
        missing.append("matter_codes")
    if r.notice_policy is None:
        missing.append("notice_policy")
    elif r.notice_policy.exempt and not (r.exemption_reason or "").strip():
        missing.append("notice_exemption_reason")
    if missing:
        raise OrderIncomplete(
            "the work order cannot be issued yet; missing: " + ", ".join(missing),
            zh="检查任务工单尚不能下达，缺少：" + "、".join(missing),
            missing=missing,
            rule="INSP-03",
        )


def check_notice_before_visit(
    *, policy: NoticePolicy | None, notified_at: datetime | None, inspected_at: datetime
) -> None:
    """INSP-06: unless exempt, the target was told the time, basis and method before."""
    if policy is not None and policy.exempt:
        return
    if notified_at is None or notified_at > inspected_at:
        raise NoticeRequired(
            "record the advance notice to this target (time, basis, method) before the visit, "
            "or mark the order not-to-be-disclosed by law or unannounced on a superior's "
            "instruction, with the reason",
            zh="现场检查前应记录向检查对象事先通报的检查时间、依据和方式；依法不予公开或上级机关"
            "明确要求不能事先通知的，应在工单中标明并说明理由",
            rule="INSP-06",
        )


def check_notice_allowed(policy: NoticePolicy | None) -> None:
    """INSP-06: an exempt order is not announced (that would disclose what must not be)."""
    if policy is not None and policy.exempt:
        raise NoticeForbidden(
            f"the order is marked {policy.value}: the targets are not told in advance",
            zh=f"本工单已标明“{policy.label_zh}”，不得事先通知检查对象",
            notice_policy=policy.value,
            rule="INSP-06",
        )


def check_inspectors_on_site(present: int, minimum: int) -> None:
    """行政处罚法 第四十二条: officers enforcing are not fewer than two."""
    if present < minimum:
        raise TooFewInspectors(
            f"{present} inspector(s) named; an on-site inspection needs at least {minimum}",
            zh=f"现场检查执法人员为 {present} 人，不得少于 {minimum} 人",
            minimum=minimum,
            rule="INSP-07",
        )


def check_closable(open_targets: Iterable[tuple[str, VisitState]]) -> None:
    """INSP-07: the order closes when every target has an outcome and its result feedback."""
    lacking = [
        {"target_id": tid, "state": state.value}
        for tid, state in open_targets
        if state not in (VisitState.FED_BACK, VisitState.MERGED)
    ]
    if lacking:
        raise TargetsOpen(
            f"{len(lacking)} target(s) lack an outcome or the result feedback",
            zh=f"尚有 {len(lacking)} 个检查对象未形成处理结果或未反馈",
            targets=lacking[:50],
            rule="INSP-07",
        )


def order_number(issuer_name: str, year: int, seq: int) -> str:
    """The work order's number in the issuing unit's series: 荔枝街道综查〔2024〕7号."""
    return f"{issuer_name}综查〔{year}〕{seq}号"


# ---- deadlines ('promptly' as settings, on the working-day calendar) -----------------------------


def consultation_deadline(working_days: int) -> DeadlineRule:
    """INSP-04: the town answers a department's proposed joint inspection."""
    return DeadlineRule.working_days(working_days, rule_id="INSP-04")


def support_deadline(working_days: int) -> DeadlineRule:
    """INSP-03: a department asked for support answers yes or no."""
    return DeadlineRule.working_days(working_days, rule_id="INSP-03")


def serious_report_deadline(hours: int) -> DeadlineRule:
    """INSP-08: a serious finding is reported 'promptly' (clock hours from the inspection)."""
    return DeadlineRule.hours(hours, rule_id="INSP-08")


def shortcoming_deadline(working_days: int) -> DeadlineRule:
    """INSP-09: a department concerned acknowledges a shortcoming."""
    return DeadlineRule.working_days(working_days, rule_id="INSP-09")
