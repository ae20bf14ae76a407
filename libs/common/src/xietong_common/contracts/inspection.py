"""Events of the joint-inspection mechanism 综合查一次 (二(五), INSP-01..INSP-09)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from xietong_common.contracts.base import ContractModel, IntegrationEvent, event
from xietong_common.contracts.review import CaseParty
from xietong_common.labels import LabelledEnum


class FindingOutcome(LabelledEnum):
    """INSP-08: what an inspection found at a target."""

    NO_PROBLEM = "no-problem", "未发现问题"
    GUIDANCE = "guidance", "发现问题但不构成违法(行政指导)", "a problem, not a violation (guidance)"
    VIOLATION = "violation", "发现违法行为"
    SERIOUS = (
        "serious",
        "行业性、区域性严重违法或重大隐患",
        "serious industry-wide or regional violation, or major hazard",
    )


@event(
    "inspection.finding", producers=("joint-inspection",), consumers=("referral", "info-sharing")
)
class InspectionFindingRecorded(IntegrationEvent):
    """INSP-07/08: a finding at one target of an inspection task."""

    inspection_id: str
    finding_id: str
    inspecting_org: str = Field(examples=["town:lizhi"])
    outcome: FindingOutcome
    matter_code: str | None = None
    place_town: str = Field(examples=["town:lizhi"])
    found_at: datetime
    description: str
    target: CaseParty | None = None
    within_jurisdiction: bool = Field(
        description="False when the violation is outside the inspecting party's jurisdiction (REF-01)"
    )


class ClosedTarget(ContractModel):
    """INSP-07/08: one inspected target of a closed work order and what came of it."""

    target_id: str
    name: str = Field(examples=["某某餐饮有限公司"])
    credit_code: str | None = Field(
        default=None, description="unified social credit code of an enterprise target"
    )
    town: str = Field(examples=["town:lizhi"])
    outcome: FindingOutcome
    summary: str = Field(description="what was found and how it was handled")


@event("inspection.closed", producers=("joint-inspection",), consumers=("info-sharing",))
class InspectionClosed(IntegrationEvent):
    """INSP-07: a work order closed — every target has an outcome and feedback — and was
    archived (立卷归档). INFO-04: a department's inspection record (category 3)."""

    inspection_id: str
    order_number: str = Field(examples=["涪荔综查〔2024〕7号"])
    initiating_org: str = Field(examples=["dept:urban-management"])
    participants: list[str] = Field(
        description="every organisation that took part (the town's brigade, departments)"
    )
    scenario: str | None = Field(default=None, description="应用场景 of the plan, if any")
    matter_codes: list[str] = Field(default_factory=list)
    towns: list[str] = Field(default_factory=list)
    targets: list[ClosedTarget]
    closed_at: datetime
