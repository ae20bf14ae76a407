"""Events of the secondment and guidance mechanism 下沉指导 (二(六), SEC-01..SEC-05)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from xietong_common.contracts.base import ContractModel, IntegrationEvent, event
from xietong_common.labels import LabelledEnum
from xietong_common.reference import SecondmentMode


class RosterOfficer(ContractModel):
    """下沉人员: one seconded officer as his team's roster lists him (SEC-02)."""

    officer_id: str = Field(description="stable id of the officer in the secondment service")
    name: str = Field(examples=["张三"])
    certificate_number: str = Field(description="执法证号", examples=["50010220240001"])
    certificate_valid_from: date | None = Field(default=None)
    certificate_valid_until: date = Field(
        description="the last day the enforcement certificate is valid (to 24:00 China time)"
    )
    towns: list[str] = Field(
        description="the towns he serves (within his team's towns)", examples=[["town:lizhi"]]
    )


class RosterVersion(ContractModel):
    """One earlier version of a team's roster, carried by a `RosterChanged` whose own version
    is not in effect yet (the fields of that event that change between versions)."""

    version: int = Field(ge=1)
    name: str
    towns: list[str]
    valid_from: date
    valid_until: date | None = None
    effective_from: date
    dissolved: bool = False
    officers: list[RosterOfficer]
    changed_at: datetime


@event(
    "secondment.roster-changed",
    producers=("secondment",),
    consumers=("joint-inspection", "assistance"),
    compacted=True,
)
class RosterChanged(IntegrationEvent):
    """SEC-02/SEC-04: one team's whole roster as it stands from `effective_from`.

    The whole team, not a change list (key = team id; the topic is compacted, so it holds
    every team's present). Consumers keep it with `xietong_common.mechanisms.roster` and check
    officers against it (SEC-04).

    A version may be published before it takes effect (a roster imported on Monday for next
    month). Compaction keeps only the last event of a team, so such an event also carries, in
    `preceding`, the version in effect when it was published and any between: the last event
    of a team always holds the roster in effect today, for a consumer that starts later."""

    team_id: str
    version: int = Field(ge=1, description="increases with every roster version of the team")
    department: str = Field(description="the team's department", examples=["dept:water"])
    mode: SecondmentMode = Field(description="SEC-02: 派驻 stationed or 划片 zone")
    name: str = Field(examples=["区水利局第一片区指导队"])
    towns: list[str] = Field(description="the towns the team serves", examples=[["town:lizhi"]])
    valid_from: date = Field(description="the team's period of validity starts")
    valid_until: date | None = Field(default=None, description="…and ends (inclusive)")
    effective_from: date = Field(description="this roster version applies from this day")
    dissolved: bool = Field(default=False, description="the team no longer exists")
    officers: list[RosterOfficer]
    changed_at: datetime
    preceding: list[RosterVersion] = Field(
        default_factory=list,
        description="earlier versions still needed when this one is not in effect yet: the one "
        "in effect at publication and any between, oldest first (empty when this version is "
        "already in effect). Added in a backward-compatible way: a consumer that ignores it "
        "learns a future version on publication and keeps the earlier one it already has.",
    )


class GuidanceKind(LabelledEnum):
    """SEC-05: how a department guides the towns' comprehensive enforcement (二(六) 第三段)."""

    GUIDANCE_DOCUMENT = "guidance-document", "印发指导性文件", "guidance document issued"
    SEMINAR = "seminar", "组织研讨交流", "seminar or exchange"
    TYPICAL_PRACTICE = "typical-practice", "通报典型经验做法", "bulletin of typical practice"
    JOINT_DRILL = "joint-drill", "联合开展执法演练", "joint enforcement drill"
    TRAINING = "training", "组织业务知识培训", "training"
    THIRD_PARTY = "third-party", "聘请第三方协助开展业务指导", "third party engaged to guide"


class GuidanceSharedAs(LabelledEnum):
    """SEC-05 → INFO-04: how a guidance document is shared as an information item (INFO-01),
    so nobody types it again: a normative document (category 1) or a discretion benchmark
    or an enforcement workflow (category 6)."""

    NORMATIVE_DOCUMENT = "normative-document", "规范性文件（第1类）", "normative document (1)"
    BENCHMARK = "benchmark", "自由裁量基准（第6类）", "discretion benchmark (6)"
    WORKFLOW = "workflow", "行政执法工作流程（第6类）", "enforcement workflow (6)"


@event(
    "secondment.guidance-recorded",
    producers=("secondment",),
    consumers=("oversight (SUP-01/02)", "info-sharing"),
    accountability=True,
)
class GuidanceRecorded(IntegrationEvent):
    """SEC-05: a department recorded a guidance activity it gave towns.

    Kind, day, towns reached and attendance: what oversight counts per department, town,
    kind and period."""

    activity_id: str
    department: str = Field(examples=["dept:water"])
    kind: GuidanceKind
    title: str = Field(examples=["河道管理执法业务培训"])
    held_on: date = Field(description="the day it was held or issued (China time)")
    ended_on: date | None = Field(default=None, description="the last day, if it ran longer")
    towns: list[str] = Field(description="the towns reached", examples=[["town:lizhi"]])
    attendance: int | None = Field(
        default=None, ge=0, description="people who took part (seminars, drills, training)"
    )
    third_party: str | None = Field(default=None, description="the third party engaged, if any")
    document_number: str | None = Field(default=None, description="文号 of a guidance document")
    description: str | None = Field(default=None, description="what the guidance says, in words")
    shared_as: GuidanceSharedAs | None = Field(
        default=None,
        description="a guidance document to be shared as an information item (category 1 or "
        "6); the information sharing service makes it from this event (INFO-04)",
    )
    recorded_at: datetime
