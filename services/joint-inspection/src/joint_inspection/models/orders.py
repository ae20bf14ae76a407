"""INSP-03..INSP-08: work orders, who takes part, inspectors, and the closed loop per target.

A closed order is archived: a database trigger refuses any change to it or its rows
(migration 0005), beside the service's own refusal.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from joint_inspection.models.base import TEXTS, TZ, Base
from xietong_common.contracts.inspection import FindingOutcome
from xietong_common.materials import MaterialColumns


class Visit(Base):
    """INSP-06/07/08: one target of a work order and its closed loop: advance notice, on-site
    record, outcome and handling, serious report, result feedback."""

    __tablename__ = "visits"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "target_id", name="uq_visits_order_target"),
        sa.Index("ix_visits_target_state", "target_id", "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("work_orders.id", ondelete="CASCADE"))
    target_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("targets.id"))
    origin: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.Text)
    added_at: Mapped[datetime] = mapped_column(TZ)
    notified_at: Mapped[datetime | None] = mapped_column(TZ)
    notice_time: Mapped[datetime | None] = mapped_column(TZ)
    notice_basis: Mapped[str | None] = mapped_column(sa.Text)
    notice_method: Mapped[str | None] = mapped_column(sa.Text)
    notice_channel: Mapped[str | None] = mapped_column(sa.Text)
    notice_by: Mapped[str | None] = mapped_column(sa.Text)
    inspected_at: Mapped[datetime | None] = mapped_column(TZ)
    inspected_by_org: Mapped[str | None] = mapped_column(sa.Text)
    inspector_ids: Mapped[list[str] | None] = mapped_column(TEXTS)
    onsite_record: Mapped[str | None] = mapped_column(sa.Text)
    matters_checked: Mapped[list[str] | None] = mapped_column(TEXTS)
    checklist: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSONB, doc="INSP-01: the scenario's checklist as answered at the visit"
    )
    repeat_of: Mapped[uuid.UUID | None]
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)
    handling: Mapped[str | None] = mapped_column(sa.Text)
    guidance: Mapped[str | None] = mapped_column(sa.Text)
    matter_code: Mapped[str | None] = mapped_column(sa.Text)
    within_jurisdiction: Mapped[bool | None]
    handling_org: Mapped[str | None] = mapped_column(sa.Text)
    proposed_decision: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    review_required: Mapped[bool | None]
    review_triggers: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    serious_scope: Mapped[str | None] = mapped_column(sa.Text)
    competent_authority: Mapped[str | None] = mapped_column(sa.Text)
    authority_notified_at: Mapped[datetime | None] = mapped_column(TZ)
    serious_report: Mapped[str | None] = mapped_column(sa.Text)
    serious_reported_at: Mapped[datetime | None] = mapped_column(TZ)
    finding_id: Mapped[uuid.UUID | None]
    outcome_at: Mapped[datetime | None] = mapped_column(TZ)
    outcome_by: Mapped[str | None] = mapped_column(sa.Text)
    feedback: Mapped[str | None] = mapped_column(sa.Text)
    fed_back_at: Mapped[datetime | None] = mapped_column(TZ)
    fed_back_by: Mapped[str | None] = mapped_column(sa.Text)
    merged_into: Mapped[uuid.UUID | None]
    merged_at: Mapped[datetime | None] = mapped_column(TZ)
    target_snapshot: Mapped[dict[str, Any] | None] = mapped_column(
        JSONB, doc="INSP-07: who was inspected, as the register said at the visit"
    )
    feedback_to: Mapped[list[str] | None] = mapped_column(
        TEXTS, doc="INSP-07: the organisations the result feedback was delivered to"
    )
    awaits: Mapped[str | None] = mapped_column(
        sa.Text, doc="INSP-07: the referral or review the finding started, until it returns"
    )
    referral_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    loop_result: Mapped[str | None] = mapped_column(sa.Text)
    loop_returned_at: Mapped[datetime | None] = mapped_column(TZ)
    serious_acknowledged_at: Mapped[datetime | None] = mapped_column(
        TZ, doc="INSP-08: the district government acknowledged the serious report"
    )
    serious_acknowledged_by: Mapped[str | None] = mapped_column(sa.Text)
    serious_ack_response: Mapped[str | None] = mapped_column(sa.Text)
    authority_acknowledged_at: Mapped[datetime | None] = mapped_column(
        TZ, doc="INSP-08: the competent authority acknowledged the notice"
    )
    authority_acknowledged_by: Mapped[str | None] = mapped_column(sa.Text)
    authority_ack_response: Mapped[str | None] = mapped_column(sa.Text)


class WorkOrder(Base):
    """检查任务工单: targets, number, method and inspectors of one joint inspection."""

    __tablename__ = "work_orders"
    __table_args__ = (
        sa.Index("ix_work_orders_town_state", "town", "state"),
        sa.Index("ix_work_orders_initiator_state", "initiating_org", "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(sa.Text, unique=True)
    initiating_org: Mapped[str] = mapped_column(sa.Text)
    town: Mapped[str] = mapped_column(sa.Text)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("plans.id"))
    selection_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("selections.id"))
    title: Mapped[str] = mapped_column(sa.Text)
    scenario: Mapped[str | None] = mapped_column(sa.Text)
    method: Mapped[str] = mapped_column(sa.Text)
    matter_codes: Mapped[list[str]] = mapped_column(TEXTS)
    agreed_matters: Mapped[list[str] | None] = mapped_column(
        TEXTS, doc="INSP-04: the matters the town agreed (None: not yet, or all, if issued before)"
    )
    planned_start: Mapped[datetime] = mapped_column(TZ)
    planned_end: Mapped[datetime] = mapped_column(TZ)
    state: Mapped[str] = mapped_column(sa.Text)
    proposal: Mapped[str | None] = mapped_column(sa.Text)
    brigade_tasks: Mapped[str | None] = mapped_column(sa.Text)
    counter_proposal: Mapped[str | None] = mapped_column(sa.Text)
    consulted_at: Mapped[datetime | None] = mapped_column(TZ)
    consulted_by: Mapped[str | None] = mapped_column(sa.Text)
    notice_policy: Mapped[str | None] = mapped_column(sa.Text)
    notice_exemption_reason: Mapped[str | None] = mapped_column(sa.Text)
    instructing_authority: Mapped[str | None] = mapped_column(sa.Text)
    notice_legal_basis: Mapped[str | None] = mapped_column(sa.Text)
    notice_instructing_document: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(TZ)
    created_by: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    issued_at: Mapped[datetime | None] = mapped_column(TZ)
    issued_by: Mapped[str | None] = mapped_column(sa.Text)
    closed_at: Mapped[datetime | None] = mapped_column(TZ)
    closed_by: Mapped[str | None] = mapped_column(sa.Text)
    archive_digest: Mapped[str | None] = mapped_column(sa.Text)
    archive_manifest: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    cancelled_at: Mapped[datetime | None] = mapped_column(TZ)
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    merged_into: Mapped[uuid.UUID | None]
    bureau_decision: Mapped[str | None] = mapped_column(
        sa.Text, doc="INSP-05: the justice bureau's decision of a consent stalemate"
    )
    bureau_decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    bureau_decided_at: Mapped[datetime | None] = mapped_column(TZ)
    bureau_decided_by: Mapped[str | None] = mapped_column(sa.Text)
    serious_found: Mapped[bool] = column_property(
        sa.exists()
        .where(Visit.order_id == id, Visit.outcome == FindingOutcome.SERIOUS.value)
        # its own `visits`, even in a query that already reads visits (a target's visits)
        .correlate_except(Visit)
    )
    """INSP-08: a serious finding was recorded at one of its targets (read with the row: the
    district government sees the order from then on)."""

    # Loaded by the record kit (ORDER.collections) or asked for by the query that needs them.
    participants: Mapped[list[OrderParticipant]] = relationship(
        order_by="OrderParticipant.joined_at", cascade="all, delete-orphan", lazy="raise"
    )
    inspectors: Mapped[list[OrderInspector]] = relationship(
        order_by="OrderInspector.assigned_at", cascade="all, delete-orphan", lazy="raise"
    )
    support_requests: Mapped[list[SupportRequest]] = relationship(
        order_by="SupportRequest.requested_at", cascade="all, delete-orphan", lazy="raise"
    )


class OrderParticipant(Base):
    """An organisation taking part in a work order, and why (lead, brigade, department…)."""

    __tablename__ = "order_participants"

    order_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True
    )
    org: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    role: Mapped[str] = mapped_column(sa.Text)
    instructions: Mapped[str | None] = mapped_column(sa.Text)
    joined_at: Mapped[datetime] = mapped_column(TZ)
    joined_by: Mapped[str] = mapped_column(sa.Text)


class OrderInspector(Base):
    """INSP-03: an inspector of the order; a seconded officer with his SEC-04 check."""

    __tablename__ = "order_inspectors"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "officer_id", name="uq_order_inspectors_officer"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("work_orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.Text)
    officer_id: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str] = mapped_column(sa.Text)
    org: Mapped[str] = mapped_column(sa.Text)
    certificate_number: Mapped[str | None] = mapped_column(sa.Text)
    matter_codes: Mapped[list[str]] = mapped_column(TEXTS)
    eligibility: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    assigned_at: Mapped[datetime] = mapped_column(TZ)
    assigned_by: Mapped[str] = mapped_column(sa.Text)


class InspectorDraw(Base):
    """INSP-02 双随机: the inspectors of an order drawn at random from the pool the town named:
    the pool frozen with the recusals and exclusions (and why), only the seed's hash audited
    until the draw reveals the seed; then the ranked pool and who was drawn."""

    __tablename__ = "inspector_draws"

    order_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int]
    pool: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    excluded: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    seed: Mapped[str] = mapped_column(sa.Text)
    seed_commitment: Mapped[str] = mapped_column(sa.Text)
    pool_digest: Mapped[str] = mapped_column(sa.Text)
    committed_at: Mapped[datetime] = mapped_column(TZ)
    committed_by: Mapped[str] = mapped_column(sa.Text)
    drawn_at: Mapped[datetime | None] = mapped_column(TZ)
    drawn_by: Mapped[str | None] = mapped_column(sa.Text)
    ranked: Mapped[list[str] | None] = mapped_column(TEXTS)


class SupportRequest(Base):
    """INSP-03: another department asked to support; it answers yes or no with a reason."""

    __tablename__ = "support_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("work_orders.id", ondelete="CASCADE"), index=True
    )
    department: Mapped[str] = mapped_column(sa.Text)
    request: Mapped[str] = mapped_column(sa.Text)
    requested_at: Mapped[datetime] = mapped_column(TZ)
    requested_by: Mapped[str] = mapped_column(sa.Text)
    accepted: Mapped[bool | None]
    answer_reason: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime | None] = mapped_column(TZ)
    answered_by: Mapped[str | None] = mapped_column(sa.Text)


class OrderMaterial(MaterialColumns, Base):
    """INSP-07: a record of the inspection (text, photos and video, clues, evidence,
    electronic documents), stored by SHA-256 in the blob store."""

    __tablename__ = "order_materials"

    order_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("work_orders.id", ondelete="CASCADE"), index=True
    )
    visit_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("visits.id"))
    kind: Mapped[str] = mapped_column(sa.Text)
    title: Mapped[str] = mapped_column(sa.Text)
    uploaded_by_org: Mapped[str] = mapped_column(sa.Text)


class OrderCounter(Base):
    """One work order number series per issuing unit and year."""

    __tablename__ = "order_counters"

    org: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int]


class LoopReturn(Base):
    """INSP-07: what a referral (or review) a finding started returned, as its owner published
    it; kept whatever order the events arrive in, and after the order is archived."""

    __tablename__ = "loop_returns"

    ref_kind: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    ref_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    detail: Mapped[str] = mapped_column(sa.Text)
    returned_at: Mapped[datetime] = mapped_column(TZ)
    recorded_at: Mapped[datetime] = mapped_column(TZ)
