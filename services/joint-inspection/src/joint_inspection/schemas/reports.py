"""INSP-09 shortcomings; one visit instead of many: merge proposals, figures, re-inspections."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from joint_inspection.domain import MergeChoice
from joint_inspection.schemas.common import DeadlineOut, StateOut
from xietong_common.schemas import OrgCode, ShortText, Strict, Text


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


# ---- responses ----------------------------------------------------------------------------------


class AckOut(BaseModel):
    department: str
    acknowledged_at: datetime | None
    response: str | None


class ShortcomingOut(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    visit_id: uuid.UUID | None
    reporting_org: str
    town: str
    description: str
    suggestion: str | None
    departments: list[str]
    reported_at: datetime
    acknowledgements: list[AckOut]
    deadlines: list[DeadlineOut]


class MergeProposalOut(BaseModel):
    """Two inspections of the same target(s) by different agencies within the window."""

    id: uuid.UUID
    order_a: uuid.UUID
    order_b: uuid.UUID
    org_a: str
    org_b: str
    town: str
    target_ids: list[str]
    state: StateOut
    proposed_at: datetime
    accepted_by: list[str]
    declined_by: list[str]
    reasons: list[str]
    decided_at: datetime | None
    kept_order: uuid.UUID | None
    absorbed_order: uuid.UUID | None


class VisitFigures(BaseModel):
    """One visit instead of many, per town and period."""

    town: str
    period_start: date
    planned: int = Field(description="visits planned by all agencies (each agency's own count)")
    merged: int = Field(description="planned visits merged into another agency's joint visit")
    saved: int = Field(description="doors not knocked twice: planned minus visits that remain")
    merges: int = Field(description="merge proposals accepted")
    joint: int = Field(description="visits made jointly by more than one agency")
    reinspections: int = Field(description="re-inspections by another party within the window")


class ReinspectionOut(BaseModel):
    """A target inspected by one party and again by another within the window."""

    target_id: uuid.UUID
    target_name: str
    town: str
    visit_id: uuid.UUID
    order_id: uuid.UUID
    org: str
    inspected_at: datetime
    earlier_visit_id: uuid.UUID
    earlier_order_id: uuid.UUID
    earlier_org: str
    earlier_inspected_at: datetime
