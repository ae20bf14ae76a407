"""Request bodies of the joint inspection API, in the order of its use-case groups: the
shared blocks, work orders, plans, reports, targets, visits."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic_core import PydanticCustomError

from joint_inspection.domain import (
    AdjustmentKind,
    ConsultationDecision,
    InspectionMethod,
    InspectorKind,
    MergeChoice,
    NoticePolicy,
    PlanBasis,
    SignalKind,
    SupervisionLevel,
)
from joint_inspection.domain.loop import StalemateDecision
from joint_inspection.domain.scenarios import ChecklistResult
from xietong_common.contracts.inspection import FindingOutcome, SeriousScope
from xietong_common.mechanisms.review_triggers import ProposedDecisionIn
from xietong_common.parties import IdentityError, PartyKind, normalise_identity
from xietong_common.schemas import (
    CLEAN_TEXT,
    LINE_SCHEMA,
    ONE_LINE,
    Code,
    Day,
    Line,
    Name,
    OrgCode,
    ShortText,
    Strict,
    Text,
    Timestamp,
)
from xietong_common.spreadsheets import plain_date

# ---- Blocks shared by the joint inspection API's requests.

IdNumber = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[0-9A-Za-z-]+$"
    ),
    Field(
        description="an organisation's unified social credit code (checked, GB 32100-2015) or a "
        "person's identity number (GB 11643 checked; never stored, only its digest and mask)",
        examples=["91500102MA5U7YBX2G"],
    ),
]

Industry = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    CLEAN_TEXT,
    ONE_LINE,
    LINE_SCHEMA,
    Field(description="type of target (行业类型), as the plan's rules name it", examples=["餐饮"]),
]

OfficerId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
    ),
    Field(description="the officer's id (the secondment roster's id for seconded officers)"),
]

Seed = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$"),
    Field(description="a seed to re-run the draw with (printable ASCII)", examples=["a1b2c3"]),
]

# ---- Work orders (INSP-03..INSP-06): creation, consultation, people, support, dispatch, notice.


class OrderIn(Strict):
    """A work order. A town's own starts as a draft; a department's starts as a proposal to
    the town (INSP-04), with what it proposes the town's brigade do."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "兴华中路沿街餐饮店消防和油烟联合检查",
                    "town": "town:lizhi",
                    "method": "on-site",
                    "matter_codes": ["FIR-001", "URB-001"],
                    "planned_start": "2024-03-11T09:00:00+08:00",
                    "planned_end": "2024-03-15T18:00:00+08:00",
                    "target_ids": ["0b9c6f4e-2d7a-4b8e-9a55-2b8f2f8b4d11"],
                    "proposal": "拟请荔枝街道综合执法大队负责占道经营检查，我队负责消防通道检查",
                }
            ]
        },
    )

    title: Line
    town: OrgCode | None = Field(default=None, description="属地 town; a town's own is itself")
    scenario: Line | None = None
    method: InspectionMethod
    matter_codes: list[Code] = Field(min_length=1, max_length=50)
    planned_start: Timestamp
    planned_end: Timestamp
    target_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    proposal: Text | None = Field(
        default=None,
        description="INSP-04 (departments): the proposal to the town, with the tasks proposed "
        "for its brigade",
    )


class OrderUpdate(Strict):
    """Changes to a draft or a proposal not yet agreed."""

    title: Line | None = None
    scenario: Line | None = None
    method: InspectionMethod | None = None
    matter_codes: list[Code] | None = Field(default=None, min_length=1, max_length=50)
    planned_start: Timestamp | None = None
    planned_end: Timestamp | None = None
    proposal: Text | None = None


class TargetsIn(Strict):
    target_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class ConsultationIn(Strict):
    """INSP-04: the town agrees and sets its brigade's tasks, or counter-proposes."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "decision": "agree",
                    "brigade_tasks": "街道综合执法大队负责占道经营、油烟直排检查，派2人参加",
                }
            ]
        },
    )

    decision: ConsultationDecision
    brigade_tasks: Text = Field(description="the town brigade's tasks and content (检查任务和内容)")
    counter_proposal: Text | None = None


class ReviseIn(Strict):
    """INSP-04: the department revises its proposal; the town is consulted again."""

    proposal: Text


class InspectorIn(Strict):
    """INSP-03: an inspector. Brigade and seconded officers are assigned by the town (统一指挥);
    a seconded officer is checked against the roster for each matter (SEC-04)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "seconded", "officer_id": "off-water-1", "matter_codes": ["WAT-001"]}
            ]
        },
    )

    kind: InspectorKind
    officer_id: OfficerId
    name: Name | None = Field(default=None, description="brigade and department officers")
    certificate_number: Line | None = Field(default=None, description="执法证号")
    matter_codes: list[Code] | None = Field(
        default=None, max_length=50, description="default: the order's matters he may inspect"
    )


class RecusalIn(Strict):
    """INSP-02: an officer declares a conflict with a target of the order (回避), and why."""

    officer_id: OfficerId
    target_id: uuid.UUID
    reason: Text


class InspectorPoolIn(Strict):
    """INSP-02 双随机: the pool the order's inspectors are drawn from, how many are drawn, and
    the recusals declared. Each candidate passes the same checks as an assignment (SEC-04 for
    seconded officers); one who does not, or who recused himself, is left out, with why."""

    count: int = Field(ge=1, le=50, description="how many inspectors are drawn")
    candidates: list[InspectorIn] = Field(min_length=1, max_length=200)
    recusals: list[RecusalIn] = Field(default_factory=list, max_length=200)


class SupportIn(Strict):
    """INSP-03: ask another department to support the inspection."""

    department: OrgCode
    request: Text


class SupportAnswerIn(Strict):
    """INSP-03: the department answers yes or no, with a reason either way."""

    accept: bool
    reason: Text


class DispatchIn(Strict):
    """INSP-05: the justice bureau dispatches an agency to the inspection."""

    agency: OrgCode
    instructions: Text


class NoticePolicyIn(Strict):
    """INSP-06: announce to the targets in advance, or not, with the reason."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "policy": "superior-instruction",
                    "reason": "区安委办通知要求开展“四不两直”暗查暗访",
                    "instructing_authority": "涪陵区安全生产委员会办公室",
                    "instructing_document": "涪安委办〔2024〕12号",
                },
                {
                    "policy": "law-forbids",
                    "reason": "检查涉及国家秘密，依法不得事先公开",
                    "legal_basis": "《中华人民共和国保守国家秘密法》第十条",
                },
            ]
        },
    )

    policy: NoticePolicy
    reason: ShortText | None = Field(
        default=None, description="required when exempt: a sentence someone can rule on"
    )
    instructing_authority: Line | None = Field(
        default=None, description="the superior that required no advance notice"
    )
    legal_basis: Line | None = Field(
        default=None,
        description="law-forbids: the law that forbids disclosure, by its title (《…法》, "
        "《…条例》, 《…办法》), an article may follow",
    )
    instructing_document: Line | None = Field(
        default=None,
        description="superior-instruction: the superior's instructing document (文号 or title)",
    )


class CancelIn(Strict):
    reason: Text


class OverruleIn(Strict):
    """INSP-05: the justice bureau overrules a declined merge."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "同一对象十日内两次入企，按“综合查一次”要求合并为一次联合检查"}]
        },
    )

    reason: Text


class StalemateIn(Strict):
    """INSP-05: the justice bureau decides where the town did not agree a department's
    proposal: it goes on (with the brigade's tasks the town did not set) or is dropped."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "decision": "proceed",
                    "reason": "消防安全隐患排查属区安委会年度重点任务，须按期开展",
                    "brigade_tasks": "街道综合执法大队派2人配合",
                }
            ]
        },
    )

    decision: StalemateDecision
    reason: Text = Field(description="why: a sentence someone can rule on")
    brigade_tasks: Text | None = Field(
        default=None, description="required to go on: the town brigade's tasks (INSP-04)"
    )


# ---- Plans (INSP-01), their adjustments and draws (INSP-02).


def _to_hundredths(value: Decimal) -> Decimal:
    """`10`, `1e1` and `10.0` are the same percent: kept as `10.00`."""
    return (value + 0).quantize(Decimal("0.01"))


Percent = Annotated[
    Decimal,
    Field(ge=0, le=100, max_digits=5, decimal_places=2, allow_inf_nan=False, examples=["10"]),
    AfterValidator(_to_hundredths),
]


# A plan has at most this many rules (INSP-01: per type of target or supervision level);
# a rule is named by its position in the plan.
MAX_RULES = 50
RulePosition = Annotated[int, Field(ge=0, le=MAX_RULES - 1)]


class RuleIn(Strict):
    """INSP-01: frequency and proportion for one type of target or level (`value` null: every
    other target of the town)."""

    value: Industry | None = Field(default=None, examples=["餐饮"])
    frequency: int = Field(ge=1, le=366, description="inspection rounds in the plan's period")
    proportion: Percent = Field(description="percent of the group drawn in each round")


class PlanIn(Strict):
    """A town's inspection plan (检查工作计划) for one application scenario (应用场景)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "2024年荔枝街道沿街餐饮综合查一次工作计划",
                    "scenario": "沿街餐饮店综合查一次",
                    "scenario_code": "food-street",
                    "period_start": "2024-03-01",
                    "period_end": "2024-12-31",
                    "basis": "level",
                    "rules": [
                        {"value": "d", "frequency": 4, "proportion": "100"},
                        {"value": "c", "frequency": 2, "proportion": "50"},
                        {"value": None, "frequency": 1, "proportion": "10"},
                    ],
                    "clean_proportion": "3",
                    "targeting_threshold": 20,
                    "matter_codes": ["URB-001", "FIR-001"],
                }
            ]
        },
    )

    title: Line
    scenario: Line = Field(description="应用场景 of 综合查一次")
    scenario_code: Code | None = Field(
        default=None,
        description="INSP-01: a scenario of the catalogue (GET /scenarios): the plan draws only "
        "its target industries, inspects only its matters and carries its checklist; a draft "
        "may lack it, a plan is adopted only with one (`inspection-scenario-required`)",
    )
    period_start: Day
    period_end: Day
    basis: PlanBasis
    rules: list[RuleIn] = Field(min_length=1, max_length=MAX_RULES)
    clean_proportion: Percent = Field(
        description="INSP-02: percent of 守法诚信 targets still drawn; beyond it they are left "
        "alone (无事不扰)"
    )
    targeting_threshold: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="INSP-02: a target whose risk reaches this is always drawn (针对性检查)",
    )
    matter_codes: list[Code] = Field(min_length=1, max_length=50)
    notes: ShortText | None = None


class PlanUpdate(Strict):
    """Changes to a draft plan (an adopted plan changes only by adjustment, with a reason)."""

    title: Line | None = None
    scenario: Line | None = None
    scenario_code: Code | None = Field(
        default=None,
        description="INSP-01: a scenario of the catalogue (GET /scenarios); a plan is adopted "
        "only with one",
    )
    period_start: Day | None = None
    period_end: Day | None = None
    basis: PlanBasis | None = None
    rules: list[RuleIn] | None = Field(default=None, min_length=1, max_length=MAX_RULES)
    clean_proportion: Percent | None = None
    targeting_threshold: int | None = Field(default=None, ge=1, le=1_000_000)
    matter_codes: list[Code] | None = Field(default=None, min_length=1, max_length=50)
    notes: ShortText | None = None


class AdjustmentIn(Strict):
    """INSP-02: a signal adjusts the plan — a target is added for targeted inspection, or a
    rule's frequency or proportion changes — with the reason on record."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "add-target",
                    "signal_id": "6f1c1f0e-1f77-4a4e-9d8e-6c8b0d6c2b11",
                    "reason": "媒体报道该店后厨卫生问题，列入本轮定向检查",
                }
            ]
        },
    )

    kind: AdjustmentKind
    signal_id: uuid.UUID | None = Field(default=None, description="the signal behind it")
    rule_position: RulePosition | None = None
    frequency: int | None = Field(default=None, ge=1, le=366)
    proportion: Percent | None = None
    reason: Text


class DrawIn(Strict):
    """INSP-02: draw the targets of a round; the seed is made by the service and recorded."""

    round: int = Field(ge=1, le=366, examples=[1])


class CommitIn(Strict):
    """INSP-02: commit a plan's next round late (a plan adopted before rounds were committed,
    or one that named no catalogue scenario): its register is frozen now and a fresh seed's
    hash goes into the audit chain."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"scenario_code": "food-street"}]})

    scenario_code: Code | None = Field(
        default=None,
        description="INSP-01: the catalogue scenario the plan draws from (GET /scenarios); "
        "required when the plan names none yet, refused if it names another",
    )


class RerunIn(Strict):
    """Re-run a recorded draw on the register as it stood; another seed shows another draw."""

    seed: Seed | None = None


class OrderFromSelectionIn(Strict):
    """INSP-03: a work order from drawn targets (those given, or the next `limit` by rank)."""

    target_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=500)
    limit: int = Field(default=50, ge=1, le=500)
    title: Line
    method: InspectionMethod = InspectionMethod.ON_SITE
    planned_start: Timestamp
    planned_end: Timestamp
    notice_policy: NoticePolicy | None = None


# ---- INSP-09 shortcomings; one visit instead of many: merge proposals, figures, re-inspections.


class ShortcomingIn(Strict):
    """INSP-09: a shortcoming of government services found on site, for the departments
    concerned (优化流程、减少环节、精简材料)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "departments": ["dept:urban-management"],
                    "description": "餐饮店办理门头招牌设置审批需往返三次，材料重复提交",
                    "suggestion": "推行一次告知、一窗受理",
                }
            ]
        },
    )

    departments: list[OrgCode] = Field(min_length=1, max_length=20)
    description: Text
    suggestion: ShortText | None = None
    target_id: uuid.UUID | None = Field(default=None, description="the target where it was seen")


class AckIn(Strict):
    """INSP-09: the department acknowledges, with what it will do."""

    response: Text


class MergeDecisionIn(Strict):
    """Accept or decline merging two inspections into one joint visit."""

    choice: MergeChoice
    reason: ShortText | None = Field(default=None, description="required to decline")


# ---- Targets (监管对象), their import and their risk signals (INSP-02).


def _checked_number(value: str | None, data: dict[str, Any]) -> str | None:
    if value is None or "party_kind" not in data:
        return value
    try:
        normalise_identity(data["party_kind"], value)
    except IdentityError as exc:
        raise PydanticCustomError(
            "identity_number", "{message}", {"message": str(exc), "position": exc.position}
        ) from exc
    return value


class TargetIn(Strict):
    """A target to register: an enterprise or organisation by its unified social credit code,
    a person by an identity number (only its digest and masked form are kept)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "涪陵区某某餐饮有限公司",
                    "party_kind": "legal-person",
                    "id_number": "91500102MA5U7YBX2G",
                    "industry": "餐饮",
                    "supervision_level": "b",
                    "town": "town:lizhi",
                    "address": "荔枝街道兴华中路18号",
                    "supervised_since": "2022-03-01",
                }
            ]
        },
    )

    name: Name
    party_kind: PartyKind
    id_number: IdNumber
    industry: Industry
    supervision_level: SupervisionLevel
    town: OrgCode = Field(description="the town (属地) where the target is")
    address: Line | None = None
    supervised_since: Day | None = Field(
        default=None, description="since when it is supervised (纳入监管); default today"
    )

    @field_validator("id_number")
    @classmethod
    def _number(cls, value: str, info: Any) -> str:
        return _checked_number(value, info.data) or value


class TargetUpdate(Strict):
    """Changes to a target; each change is a new version the draw reads as of its time."""

    name: Name | None = None
    industry: Industry | None = None
    supervision_level: SupervisionLevel | None = None
    address: Line | None = None
    active: bool | None = Field(default=None, description="false: no longer supervised (注销)")


class TargetRow(BaseModel):
    """One row of an imported table (the header may be Chinese or English)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    party_kind: PartyKind
    id_number: IdNumber
    industry: Industry
    supervision_level: SupervisionLevel
    town: Line
    address: Line | None = None
    supervised_since: Day | None = None

    _dates = field_validator("supervised_since", mode="before")(plain_date)

    @field_validator("party_kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        if isinstance(value, str):
            for kind in PartyKind:
                if value.strip() in (kind.label_zh, kind.value, kind.label_en):
                    return kind.value
        return value

    @field_validator("supervision_level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            for level in SupervisionLevel:
                if (
                    text.lower() == level.value
                    or text == level.label_zh
                    or text.upper()
                    in (
                        level.value.upper(),
                        f"{level.value.upper()}类",
                    )
                ):
                    return level.value
        return value

    @field_validator("id_number")
    @classmethod
    def _number(cls, value: str, info: Any) -> str:
        return _checked_number(value, info.data) or value


IMPORT_COLUMNS = {
    "名称": "name",
    "监管对象名称": "name",
    "name": "name",
    "类型": "party_kind",
    "主体类型": "party_kind",
    "party_kind": "party_kind",
    "统一社会信用代码或证件号码": "id_number",
    "统一社会信用代码": "id_number",
    "证件号码": "id_number",
    "id_number": "id_number",
    "行业": "industry",
    "行业类型": "industry",
    "industry": "industry",
    "监管等级": "supervision_level",
    "supervision_level": "supervision_level",
    "乡镇(街道)": "town",
    "乡镇街道": "town",
    "所属乡镇(街道)": "town",
    "town": "town",
    "地址": "address",
    "address": "address",
    "纳入监管日期": "supervised_since",
    "supervised_since": "supervised_since",
}


class SignalIn(Strict):
    """INSP-02: a risk signal on a target, with its source, date and weight."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "complaint",
                    "source": "12345政务服务便民热线",
                    "observed_on": "2024-02-20",
                    "weight": 5,
                    "description": "群众投诉油烟直排扰民",
                }
            ]
        },
    )

    kind: SignalKind
    source: Line = Field(description="where it comes from (热线、问题清单名称、媒体…)")
    observed_on: Day
    weight: int = Field(ge=1, le=100, description="how much it raises the target's risk")
    description: Text


class WithdrawIn(Strict):
    reason: ShortText


# ---- The closed loop at a target (INSP-06..INSP-08): notice, on-site record, outcome, serious
# report, feedback, materials.


class AdvanceNoticeIn(Strict):
    """INSP-06: what the target was told before the visit: time, basis and method."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "notified_at": "2024-03-08T10:00:00+08:00",
                    "inspection_time": "2024-03-12T09:30:00+08:00",
                    "basis": "《重庆市消防条例》第二十八条；本街道2024年综合查一次工作计划",
                    "method": "现场检查，查阅台账",
                    "channel": "电话通知负责人并发送书面告知书",
                }
            ]
        },
    )

    notified_at: Timestamp
    inspection_time: Timestamp
    basis: ShortText = Field(description="检查依据")
    method: Line = Field(description="检查方式")
    channel: Line = Field(description="how the target was told")


class ChecklistAnswerIn(Strict):
    """INSP-01: one item of the scenario's checklist, as found."""

    code: Code
    result: ChecklistResult
    note: Line | None = None


class OnSiteIn(Strict):
    """INSP-07: the on-site inspection record (现场检查记录)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "inspected_at": "2024-03-12T10:00:00+08:00",
                    "inspector_ids": [
                        "7c1a3b8e-5d2f-4c6a-9e1b-2f3a4b5c6d7e",
                        "8d2b4c9f-6e3a-4d7b-8f2c-3a4b5c6d7e8f",
                    ],
                    "record": "后厨排烟管道未接入油烟净化设施；安全出口处堆放杂物",
                    "matters_checked": ["URB-001", "FIR-001"],
                }
            ]
        },
    )

    inspected_at: Timestamp
    inspector_ids: list[uuid.UUID] = Field(min_length=1, max_length=20)
    record: Text
    matters_checked: list[Code] | None = Field(default=None, max_length=50)
    checklist: list[ChecklistAnswerIn] | None = Field(
        default=None,
        max_length=200,
        description="INSP-01: the scenario's checklist item by item (required when the order "
        "comes from a plan made for a catalogue scenario)",
    )


class OutcomeIn(Strict):
    """INSP-08: what was found and how it is handled."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "outcome": "violation",
                    "description": "安全出口被杂物堵塞",
                    "matter_code": "FIR-001",
                    "handling": "当场责令改正，拟立案处罚",
                    "proposed_decision": {"fine": "5000.00"},
                }
            ]
        },
    )

    outcome: FindingOutcome
    description: Text
    handling: ShortText | None = Field(default=None, description="处理情况")
    guidance: ShortText | None = Field(
        default=None, description="the legal education and guidance given (行政指导)"
    )
    matter_code: Code | None = None
    proposed_decision: ProposedDecisionIn | None = Field(
        default=None, description="REV-01: the proposed decision, within jurisdiction"
    )
    serious_scope: SeriousScope | None = None
    competent_authority: Line | None = Field(
        default=None, description="the competent authority notified (organisation code or name)"
    )
    authority_notified_at: Timestamp | None = None


class SeriousReportIn(Strict):
    """INSP-08: the report to the district government."""

    report: Text


class SeriousAckIn(Strict):
    """INSP-08: the district government (or the competent authority notified) acknowledges
    the serious report, with what it will do."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"response": "已收悉，责成区应急局牵头督促整改并跟踪"}]},
    )

    response: Text


class FeedbackIn(Strict):
    """INSP-07: the result feedback (结果反馈)."""

    result: Text
