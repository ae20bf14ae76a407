"""Errors of the joint inspection service: one root, one problem type per rule that can refuse.

Every error is raised with an English `detail` and its Chinese `zh`; problems are answered in
Chinese unless the caller prefers English.
"""

from __future__ import annotations

from xietong_common.errors import AppError, Conflict, Forbidden, InvalidInput, InvalidTransition


class InspectionError(AppError):
    """Root of the joint inspection service's errors."""

    slug = "joint-inspection-error"
    title = "The joint inspection request cannot be processed"
    title_zh = "综合查一次请求无法处理"


class InspectionInvalidTransition(InspectionError, InvalidTransition):
    """The step is not allowed in the record's current state."""

    slug = "inspection-invalid-transition"
    title = "This action is not allowed in the current state"
    title_zh = "当前状态下不允许此操作"


class OrderArchived(InspectionError, Conflict):
    """INSP-07: a closed work order is archived (立卷归档) and never changes again."""

    slug = "inspection-order-archived"
    title = "The work order is closed and archived; it cannot be changed"
    title_zh = "检查任务工单已办结归档，不能再作任何更改"


class UnknownTarget(InspectionError, InvalidInput):
    slug = "inspection-unknown-target"
    title = "A target is not in the register (or not one the caller may use)"
    title_zh = "监管对象不在名录中（或调用方无权使用）"


class TargetAlreadyRegistered(InspectionError, Conflict):
    slug = "inspection-target-already-registered"
    title = "A target with this credit code or identity number is already registered"
    title_zh = "该统一社会信用代码或证件号码的监管对象已登记"


class TargetOutsideTown(InspectionError, InvalidInput):
    """A work order inspects targets of its own town (属地)."""

    slug = "inspection-target-outside-town"
    title = "The target is not in the work order's town"
    title_zh = "监管对象不在工单所属乡镇（街道）"


class InvalidPlan(InspectionError, InvalidInput):
    """INSP-01: the plan's period, rules or proportions do not hold together."""

    slug = "inspection-invalid-plan"
    title = "The inspection plan is not valid"
    title_zh = "检查计划内容无效"


class SelectionExists(InspectionError, Conflict):
    """INSP-02: one recorded draw per plan round; a redraw would let a party pick its targets."""

    slug = "inspection-selection-exists"
    title = "This round of the plan has been drawn already"
    title_zh = "该计划轮次已抽取，不能重新抽取"


class PlanDuplicate(InspectionError, Conflict):
    """INSP-02: one adopted plan per town, scenario and period. A second one would be a second
    seed for the same targets: a redraw by another name."""

    slug = "inspection-plan-duplicate"
    title = "The town already has an adopted plan for this scenario and period"
    title_zh = "本乡镇（街道）该应用场景在该期间已有印发实施的检查计划"


class InspectorDrawExists(InspectionError, Conflict):
    """INSP-02 双随机: one inspector pool and one draw per work order; another would let the
    town draw until the inspectors suit it."""

    slug = "inspection-inspector-draw-exists"
    title = "This work order's inspectors were committed or drawn already"
    title_zh = "本工单的检查人员已固定抽取范围或已抽取，不能重新抽取"


class RoundNotCommitted(InspectionError, Conflict):
    """INSP-02: a round is drawn only on the snapshot and seed committed before it."""

    slug = "inspection-round-not-committed"
    title = "This round has no committed snapshot and seed yet"
    title_zh = "该轮次尚未固定名录快照并公布随机种子承诺，不能抽取"


class NothingToCommit(InspectionError, Conflict):
    """INSP-02: a round is committed once; committing it again would be a second seed."""

    slug = "inspection-nothing-to-commit"
    title = "The plan's next round is committed already, or the plan has no round left"
    title_zh = "该计划下一轮次已固定名录快照和随机种子承诺，或已无待抽取轮次"


class ScenarioRequired(InspectionError, InvalidInput):
    """INSP-01: a plan is made for an application scenario of the catalogue, which sets the
    draw's pool (its target industries), its matters and its checklist."""

    slug = "inspection-scenario-required"
    title = "The plan names no scenario of the catalogue"
    title_zh = "检查计划未选定应用场景目录中的场景"


class SignalPermanent(InspectionError, Conflict):
    """INSP-02: a problem a past inspection found stays on the target's record for good."""

    slug = "inspection-signal-permanent"
    title = "A past-finding signal can never be withdrawn"
    title_zh = "既往检查发现的问题不能撤回"


class TargetNotDrawn(InspectionError, InvalidInput):
    slug = "inspection-target-not-drawn"
    title = "The target was not drawn in this selection, or is already in a work order"
    title_zh = "该监管对象未被本次抽取选中，或已列入工单"


class AdjustmentInvalid(InspectionError, InvalidInput):
    """INSP-02: a plan adjustment needs a signal and a reason."""

    slug = "inspection-adjustment-invalid"
    title = "The plan adjustment is not valid"
    title_zh = "检查计划调整无效"


class ConsultationRequired(InspectionError, Conflict):
    """INSP-04: a department's joint inspection waits for the town's agreement."""

    slug = "inspection-consultation-required"
    title = "The town has not agreed the inspection and its brigade's tasks yet"
    title_zh = "属地乡镇（街道）尚未同意并确定其综合执法大队的检查任务"


class OfficerIneligible(InspectionError, InvalidInput):
    """SEC-04: a seconded officer acts only on his department's empowered matters."""

    slug = "inspection-officer-ineligible"
    title = "The seconded officer may not inspect these matters here"
    title_zh = "该下沉人员不得在此检查这些事项"


class MatterNotOwn(InspectionError, InvalidInput):
    """INSP-03: a department's own officer inspects only his department's matters."""

    slug = "inspection-matter-not-own"
    title = "A department's officer may inspect only his own department's matters"
    title_zh = "区级部门执法人员只能检查本部门的事项"


class TownCommand(InspectionError, Forbidden):
    """INSP-03: seconded officers take the town's unified command (统一指挥调度)."""

    slug = "inspection-town-command"
    title = "Only the town assigns its brigade and the officers seconded to it"
    title_zh = "综合执法大队人员和下沉人员只能由属地乡镇（街道）统一调度"


class TooFewInspectors(InspectionError, InvalidInput):
    slug = "inspection-too-few-inspectors"
    title = "Too few inspectors for an on-site inspection"
    title_zh = "现场检查的执法人员人数不足"


class NoticeRequired(InspectionError, Conflict):
    """INSP-06: the advance notice is recorded before the visit unless the order is exempt."""

    slug = "inspection-advance-notice-required"
    title = "The target's advance notice is not recorded and the order is not exempt"
    title_zh = "未记录对检查对象的事先通报，且工单未标明免予事先通知"


class NoticeForbidden(InspectionError, Conflict):
    """INSP-06: an order exempt from advance notice must not be announced."""

    slug = "inspection-advance-notice-forbidden"
    title = "This order may not be announced to the target in advance"
    title_zh = "本工单依法不予公开或经上级要求不得事先通知"


class OrderIncomplete(InspectionError, Conflict):
    """INSP-03: an order is issued with its targets, method, inspectors and notice decision."""

    slug = "inspection-order-incomplete"
    title = "The work order lacks what it must fix before it is issued"
    title_zh = "检查任务工单内容不全，不能下达"


class TargetsOpen(InspectionError, Conflict):
    """INSP-07: an order closes only when every target has an outcome and feedback."""

    slug = "inspection-targets-open"
    title = "Some targets have no outcome or no result feedback yet"
    title_zh = "尚有检查对象未形成处理结果或未反馈"


class OutcomeIncomplete(InspectionError, InvalidInput):
    """INSP-08: each outcome carries what it needs (guidance given, matter, trigger check…)."""

    slug = "inspection-outcome-incomplete"
    title = "The outcome lacks what it needs"
    title_zh = "检查结果信息不全"


class SeriousReportMissing(InspectionError, Conflict):
    """INSP-08: a serious finding is reported to the district government before feedback."""

    slug = "inspection-serious-report-missing"
    title = "The serious finding has not been reported to the district government yet"
    title_zh = "严重违法行为或重大隐患尚未报告区政府"


class MergeNotPossible(InspectionError, Conflict):
    slug = "inspection-merge-not-possible"
    title = "These inspections can no longer be merged"
    title_zh = "这些检查已不能合并"


class ImplausibleTime(InspectionError, InvalidInput):
    slug = "inspection-implausible-time"
    title = "A time given is not plausible"
    title_zh = "所给时间不合理"


class NoStalemate(InspectionError, Conflict):
    """INSP-05: the justice bureau decides only where the town did not agree a department's
    proposal: it counter-proposed, or let its consultation deadline pass."""

    slug = "inspection-no-stalemate"
    title = "There is no consent stalemate for the justice bureau to decide"
    title_zh = "属地乡镇（街道）尚在协商期限内或已同意，无需司法局协调决定"


class LoopOpen(InspectionError, Conflict):
    """INSP-07: a violation that went to a referral or a legal review is fed back only once
    that returned (the case filed or concluded, the review decided)."""

    slug = "inspection-loop-open"
    title = "The referral or review this finding started has not returned yet"
    title_zh = "该检查发现已移送或提请法制审核，尚无处理结果，不能反馈办结"
