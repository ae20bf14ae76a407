"""Request models of the information sharing API: one item shape per category (INFO-01),
bounded text that refuses NUL, closed vocabularies, no extra fields."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from info_sharing.domain.categories import (
    Category,
    ComplaintKind,
    ComplaintStatus,
    DiscretionKind,
    ExecutionStatus,
    NormLevel,
    StatisticsPurpose,
    SupervisionKind,
)
from info_sharing.domain.secrecy import Classification, declared_level, declares_none
from xietong_common.parties import PartyKind
from xietong_common.schemas import (
    CLEAN_TEXT,
    LINE_SCHEMA,
    ONE_LINE,
    Amount,
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


def _classification(value: Any) -> Any:
    """`机密`, `机 密★1年`, `confidential` all name a level; `none`, `非涉密`, `不涉及国家秘密`,
    `非国家秘密`, `商业秘密` and `工作秘密` none (they are not state secrets)."""
    if isinstance(value, str):
        level = declared_level(value)
        if level is not None:
            return level
        if declares_none(value):
            return Classification.NONE
    return value


ClassificationIn = Annotated[
    Classification,
    BeforeValidator(_classification),
    Field(
        description="INFO-02 密级: `none` (非涉密; also understood: 不涉及国家秘密, 非国家秘密, "
        "商业秘密, 工作秘密 — not state secrets). An item declared 秘密, 机密 or 绝密 (in "
        "English or Chinese) is refused and nothing of it is stored."
    ),
]

MatterCodes = Annotated[
    list[Code],
    Field(
        max_length=50, description="matters of the catalogue it concerns", examples=[["URB-001"]]
    ),
]
Towns = Annotated[
    list[OrgCode],
    Field(max_length=50, description="towns it concerns", examples=[["town:lizhi"]]),
]
RecordId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128),
    CLEAN_TEXT,
    ONE_LINE,
    LINE_SCHEMA,
]


ZERO = Decimal("0.00")


def _dates_in_order(start: date | None, end: date | None, what: str) -> None:
    if start is not None and end is not None and end < start:
        raise ValueError(f"{what}: the end date is before the start date")


# ---- the category fields (INFO-01) ----------------------------------------------------------


class LawsNormsDetails(Strict):
    """1. 法律、法规、规章、技术规范、国家标准及规范性文件."""

    level: NormLevel
    issuing_body: Name = Field(description="制定机关或发布机关", examples=["重庆市人民政府"])
    document_number: Line | None = Field(
        default=None, description="文号", examples=["渝府发〔2023〕12号"]
    )
    issued_on: Day | None = Field(default=None, description="发布日期")
    effective_from: Day = Field(description="施行日期")
    expires_on: Day | None = Field(default=None, description="失效日期 (if it has one)")

    @model_validator(mode="after")
    def _ordered(self) -> LawsNormsDetails:
        _dates_in_order(self.effective_from, self.expires_on, "effective_from/expires_on")
        _dates_in_order(self.issued_on, self.expires_on, "issued_on/expires_on")
        return self


class LicensingDetails(Strict):
    """2. 区级行政执法部门实施的行政许可、行业管理、行业监督信息."""

    kind: SupervisionKind
    subject_name: Name | None = Field(default=None, description="许可相对人或监管对象")
    document_number: Line | None = Field(default=None, description="许可证号或文书编号")
    decided_on: Day = Field(description="作出日期")
    valid_until: Day | None = Field(default=None, description="有效期至")

    @model_validator(mode="after")
    def _ordered(self) -> LicensingDetails:
        _dates_in_order(self.decided_on, self.valid_until, "decided_on/valid_until")
        return self


class InspectionDetails(Strict):
    """3. 区级行政执法部门实施的执法检查情况."""

    inspected_from: Day = Field(description="检查开始日期")
    inspected_to: Day | None = Field(default=None, description="检查结束日期")
    order_number: Line | None = Field(default=None, description="检查任务工单编号")
    targets: int | None = Field(default=None, ge=0, le=100_000, description="检查对象数")
    problems_found: int | None = Field(default=None, ge=0, le=100_000, description="发现问题数")

    @model_validator(mode="after")
    def _ordered(self) -> InspectionDetails:
        _dates_in_order(self.inspected_from, self.inspected_to, "inspected_from/inspected_to")
        return self


class PenaltyDetails(Strict):
    """4. 作出的与区级行政执法部门密切相关的行政处罚决定及执行情况 (where the department asked)."""

    decision_number: Line = Field(
        description="处罚决定书文号", examples=["涪荔综执罚决〔2024〕12号"]
    )
    case_number: Line | None = Field(default=None, description="立案编号")
    party_name: Name = Field(description="当事人", examples=["某某餐饮有限公司"])
    party_kind: PartyKind
    decided_on: Day
    fine: Annotated[Amount, Field(description="罚款, CNY")] = ZERO
    confiscated_gains: Annotated[Amount, Field(description="没收违法所得, CNY")] = ZERO
    confiscated_property_value: Annotated[Amount, Field(description="没收非法财物价值, CNY")] = ZERO
    execution: ExecutionStatus = Field(description="执行情况")
    execution_note: ShortText | None = None


class StatisticsDetails(Strict):
    """5. 与乡镇(街道)综合行政执法相关的统计分析数据 — published with its table attached."""

    period_from: Day = Field(description="统计期间起")
    period_to: Day = Field(description="统计期间止")
    purpose: StatisticsPurpose

    @model_validator(mode="after")
    def _ordered(self) -> StatisticsDetails:
        _dates_in_order(self.period_from, self.period_to, "period_from/period_to")
        return self


class DiscretionDetails(Strict):
    """6. 自由裁量基准及各类行政执法工作流程."""

    kind: DiscretionKind
    document_number: Line | None = None
    effective_from: Day | None = None


class DynamicDetails(Strict):
    """7. 区级行政执法部门在履职过程中收集、掌握、制作的动态信息."""

    occurred_on: Day | None = Field(default=None, description="发生日期")


class NoDetails(Strict):
    """8. through POST /complaints; 9. other: no fields of their own."""


# ---- items ---------------------------------------------------------------------------------


class ItemFields(Strict):
    """What every item has (the category's own fields are under `details`)."""

    category: str
    details: Strict

    title: Line = Field(examples=["关于印发《涪陵区城市管理行政处罚自由裁量基准》的通知"])
    body: Text = Field(description="the information itself (up to 20,000 characters)")
    matter_codes: MatterCodes = Field(default_factory=list)
    towns: Towns = Field(default_factory=list)
    audience: list[OrgCode] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="null: every coordinating party sees it; a list: only these organisations "
        "(with the publisher and oversight); others get 404",
    )
    classification: ClassificationIn = Classification.NONE
    supersedes: uuid.UUID | None = Field(
        default=None,
        description="the publisher's current item this one replaces as a newer version; the "
        "older one stays readable, marked superseded. Its attachments are carried over.",
    )
    publish: bool = Field(
        default=False, description="publish at once (else a draft, e.g. to attach files first)"
    )


class LawsNormsItem(ItemFields):
    category: Literal["laws-norms"]
    details: LawsNormsDetails


class LicensingItem(ItemFields):
    category: Literal["licensing-supervision"]
    details: LicensingDetails


class InspectionItem(ItemFields):
    category: Literal["inspection-records"]
    details: InspectionDetails


class PenaltyItem(ItemFields):
    category: Literal["penalty-decisions"]
    details: PenaltyDetails


class StatisticsItem(ItemFields):
    category: Literal["statistics"]
    details: StatisticsDetails


class DiscretionItem(ItemFields):
    category: Literal["discretion-workflows"]
    details: DiscretionDetails


class DynamicItem(ItemFields):
    category: Literal["dynamic"]
    details: DynamicDetails = Field(default_factory=DynamicDetails)


class ComplaintsItem(ItemFields):
    """Refused here: complaint records come through POST /complaints (INFO-04)."""

    category: Literal["complaints"]
    details: NoDetails = Field(default_factory=NoDetails)


class OtherItem(ItemFields):
    category: Literal["other"]
    details: NoDetails = Field(default_factory=NoDetails)


ItemIn = Annotated[
    LawsNormsItem
    | LicensingItem
    | InspectionItem
    | PenaltyItem
    | StatisticsItem
    | DiscretionItem
    | DynamicItem
    | ComplaintsItem
    | OtherItem,
    Field(
        discriminator="category",
        description="INFO-01: one of the nine categories, each with its own `details`",
        examples=[
            {
                "category": "discretion-workflows",
                "title": "涪陵区城市管理行政处罚自由裁量基准（2024年版）",
                "body": "为规范城市管理行政处罚自由裁量权……",
                "matter_codes": ["URB-001", "URB-002"],
                "details": {"kind": "benchmark", "document_number": "涪城管发〔2024〕3号"},
                "publish": True,
            }
        ],
    ),
]


def category_of(item: ItemFields) -> Category:
    return Category(item.category)


# ---- complaints (category 8, INFO-04) ---------------------------------------------------------


class ComplaintIn(Strict):
    """A complaint or report record from an intake platform (e.g. the 12345 hotline system),
    posted again whenever its handling status changes: one item per (platform, record_id)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "platform": "12345",
                    "record_id": "GD2024031500123",
                    "kind": "complaint",
                    "title": "反映某小区旁夜间施工噪音扰民",
                    "content": "市民反映荔枝街道某工地夜间22时后仍在施工……",
                    "received_at": "2024-03-15T09:12:00+08:00",
                    "handling_org": "town:lizhi",
                    "place_town": "town:lizhi",
                    "matter_codes": ["URB-001"],
                    "status": "in-progress",
                    "status_at": "2024-03-15T15:00:00+08:00",
                }
            ]
        },
    )

    platform: Code = Field(description="the intake platform", examples=["12345"])
    record_id: RecordId = Field(description="the platform's own record id (工单号)")
    kind: ComplaintKind
    title: Line
    content: Text = Field(description="what was complained of or reported")
    received_at: Timestamp
    handling_org: OrgCode = Field(description="the town or department handling it")
    place_town: OrgCode | None = None
    matter_codes: MatterCodes = Field(default_factory=list)
    status: ComplaintStatus
    status_at: Timestamp = Field(
        description="when the status was reached; an older status than the one on record is "
        "kept in the history but does not overwrite the current one"
    )
    result: ShortText | None = Field(default=None, description="处理结果 (once concluded)")
    audience: list[OrgCode] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="null: every coordinating party; a list: only these organisations",
    )
    classification: ClassificationIn = Classification.NONE


# ---- subscriptions and feedback requests (INFO-03, INFO-01 (4)) ------------------------------


class SubscriptionIn(Strict):
    """INFO-03: what the organisation wants to hear of. Empty lists match everything; all the
    lists given must match (a category AND a town, …)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "城管类规范与基准",
                    "categories": ["laws-norms", "discretion-workflows"],
                    "publishers": ["dept:urban-management"],
                }
            ]
        },
    )

    name: Name | None = None
    categories: list[Category] = Field(default_factory=list, max_length=9)
    matter_codes: list[Code] = Field(default_factory=list, max_length=200)
    towns: list[OrgCode] = Field(default_factory=list, max_length=100)
    publishers: list[OrgCode] = Field(default_factory=list, max_length=100)


class FeedbackRequestIn(Strict):
    """INFO-01 (4): the department asks the towns to feed back penalty decisions (and their
    execution) on a matter it owns; `matter_code` null: on every matter it owns."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"matter_code": "URB-002", "note": "请每月反馈执行情况"}]},
    )

    matter_code: Code | None = None
    note: ShortText | None = None
