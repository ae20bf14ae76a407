"""The closed loop at a target (INSP-06..INSP-08): notice, on-site record, outcome, serious
report, feedback, materials."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from joint_inspection.schemas.common import StateOut
from xietong_common.contracts.inspection import FindingOutcome, SeriousScope
from xietong_common.mechanisms.review_triggers import ProposedDecisionIn
from xietong_common.schemas import Code, Line, ShortText, Strict, Text, Timestamp


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


class FeedbackIn(Strict):
    """INSP-07: the result feedback (结果反馈)."""

    result: Text


# ---- responses ----------------------------------------------------------------------------------


class MaterialOut(BaseModel):
    id: uuid.UUID
    visit_id: uuid.UUID | None
    kind: StateOut
    title: str
    filename: str | None
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by_org: str


class VisitOut(BaseModel):
    """One target of a work order and its closed loop."""

    id: uuid.UUID
    target_id: uuid.UUID
    target_name: str
    credit_code: str | None
    identity_masked: str | None
    origin: str
    state: StateOut
    notified_at: datetime | None
    notice_time: datetime | None
    notice_basis: str | None
    notice_method: str | None
    inspected_at: datetime | None
    inspector_ids: list[str] | None
    onsite_record: str | None
    repeat_of: uuid.UUID | None = Field(
        description="a visit to the same target by another party within the window (flagged)"
    )
    outcome: StateOut | None
    description: str | None
    handling: str | None
    guidance: str | None
    matter_code: str | None
    within_jurisdiction: bool | None
    handling_org: str | None
    review_required: bool | None
    review_triggers: list[dict[str, Any]] | None
    serious_scope: StateOut | None
    competent_authority: str | None
    serious_reported_at: datetime | None
    finding_id: uuid.UUID | None
    feedback: str | None
    fed_back_at: datetime | None
    merged_into: uuid.UUID | None
    materials: list[MaterialOut]


class TargetVisitOut(BaseModel):
    """One inspection of a target, as the target's history shows it."""

    visit_id: uuid.UUID
    order_id: uuid.UUID
    order_number: str | None
    initiating_org: str
    order_state: StateOut
    planned_start: datetime
    state: StateOut
    inspected_at: datetime | None
    outcome: StateOut | None
    repeat_of: uuid.UUID | None
    merged_into: uuid.UUID | None
