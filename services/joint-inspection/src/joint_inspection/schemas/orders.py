"""Work orders (INSP-03..INSP-06): creation, consultation, people, support, dispatch, notice."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from joint_inspection.domain import (
    ConsultationDecision,
    InspectionMethod,
    InspectorKind,
    NoticePolicy,
)
from joint_inspection.schemas.common import DeadlineOut, OfficerId, StateOut
from joint_inspection.schemas.visits import VisitOut
from xietong_common.documents.schemas import DocumentOut
from xietong_common.schemas import Code, Line, Name, OrgCode, ShortText, Strict, Text, Timestamp


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
                }
            ]
        },
    )

    policy: NoticePolicy
    reason: ShortText | None = Field(default=None, description="required when exempt")
    instructing_authority: Line | None = Field(
        default=None, description="the superior that required no advance notice"
    )


class CancelIn(Strict):
    reason: Text


# ---- responses ----------------------------------------------------------------------------------


class ParticipantOut(BaseModel):
    org: str
    role: StateOut
    instructions: str | None
    joined_at: datetime


class InspectorOut(BaseModel):
    id: uuid.UUID
    kind: StateOut
    officer_id: str
    name: str
    org: str
    certificate_number: str | None
    matter_codes: list[str]
    eligibility: list[dict[str, Any]] | None = Field(
        description="SEC-04: the roster check for each matter, with its reasons"
    )
    assigned_at: datetime


class SupportOut(BaseModel):
    id: uuid.UUID
    department: str
    request: str
    requested_at: datetime
    accepted: bool | None
    answer_reason: str | None
    answered_at: datetime | None


class OrderSummary(BaseModel):
    """A work order as lists show it."""

    id: uuid.UUID
    number: str | None
    title: str
    state: StateOut
    initiating_org: str
    town: str
    method: StateOut
    matter_codes: list[str]
    planned_start: datetime
    planned_end: datetime
    targets: int
    next_due: DeadlineOut | None = None
    overdue: bool = False
    created_at: datetime


class OrderOut(OrderSummary):
    """One work order with everything its participants may see."""

    plan_id: uuid.UUID | None
    selection_id: uuid.UUID | None
    scenario: str | None
    proposal: str | None
    brigade_tasks: str | None
    counter_proposal: str | None
    consulted_at: datetime | None
    notice_policy: StateOut | None
    notice_exemption_reason: str | None
    instructing_authority: str | None
    issued_at: datetime | None
    closed_at: datetime | None
    archive_digest: str | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    merged_into: uuid.UUID | None
    participants: list[ParticipantOut]
    inspectors: list[InspectorOut]
    support_requests: list[SupportOut]
    visits: list[VisitOut]
    deadlines: list[DeadlineOut]
    documents: list[DocumentOut] = Field(
        description="official documents issued on the order and its targets (INSP-03/06/08), "
        "superseded ones too"
    )


class ArchiveOut(BaseModel):
    """INSP-07: the archived record (立卷归档) and its digest."""

    order_id: uuid.UUID
    number: str | None
    closed_at: datetime
    digest: str
    manifest: dict[str, Any]
