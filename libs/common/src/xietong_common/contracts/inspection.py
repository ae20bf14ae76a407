"""Events of the joint-inspection mechanism 综合查一次 (二(五), INSP-01..INSP-09)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from xietong_common.contracts.base import IntegrationEvent, event
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
