"""Tables of the 案件移送 (case referral) service."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from xietong_common.materials import MaterialColumns
from xietong_common.tables import NAMING_CONVENTION

Money = sa.Numeric(14, 2)
TZ = sa.DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Referral(Base):
    """One case moving from the party that found it to the party with jurisdiction."""

    __tablename__ = "referrals"
    __table_args__ = (
        sa.UniqueConstraint("source_kind", "source_id", name="uq_referrals_source"),
        sa.CheckConstraint("proceeds_transferred >= 0", name="proceeds_non_negative"),
        sa.Index("ix_referrals_sender_state", "sender", "state"),
        sa.Index("ix_referrals_receiver_state", "receiver", "state"),
        sa.Index("ix_referrals_assignee", "assignee"),
        sa.Index("ix_referrals_matter_code", "matter_code"),
        sa.Index("ix_referrals_holder_state", sa.text("coalesce(assignee, receiver)"), "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    state: Mapped[str] = mapped_column(sa.Text)
    sender: Mapped[str] = mapped_column(sa.Text)
    receiver: Mapped[str | None] = mapped_column(sa.Text)
    proposed_receiver: Mapped[str | None] = mapped_column(sa.Text)
    jurisdiction_override_reason: Mapped[str | None] = mapped_column(sa.Text)
    assignee: Mapped[str | None] = mapped_column(sa.Text)

    matter_code: Mapped[str | None] = mapped_column(sa.Text)
    place_town: Mapped[str | None] = mapped_column(sa.Text)
    found_at: Mapped[datetime] = mapped_column(TZ)
    facts: Mapped[str] = mapped_column(sa.Text, default="")
    party: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    urgent: Mapped[bool] = mapped_column(default=False)
    ongoing: Mapped[bool] = mapped_column(default=False)
    stop_measure: Mapped[str | None] = mapped_column(sa.Text)
    stop_measure_at: Mapped[datetime | None] = mapped_column(TZ)
    proceeds_transferred: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))

    source_kind: Mapped[str] = mapped_column(sa.Text, default="manual")
    source_id: Mapped[str | None] = mapped_column(sa.Text)

    created_at: Mapped[datetime] = mapped_column(TZ)
    created_by: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    approved_at: Mapped[datetime | None] = mapped_column(TZ)
    approved_by: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None] = mapped_column(TZ)
    sent_by: Mapped[str | None] = mapped_column(sa.Text)
    received_at: Mapped[datetime | None] = mapped_column(TZ)
    receipt_number: Mapped[str | None] = mapped_column(sa.Text, unique=True)
    receipt_signed_by: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime | None] = mapped_column(TZ)
    answer_decision: Mapped[str | None] = mapped_column(sa.Text)
    answer_reasons: Mapped[str | None] = mapped_column(sa.Text)
    assigned_at: Mapped[datetime | None] = mapped_column(TZ)
    assigned_by: Mapped[str | None] = mapped_column(sa.Text)
    assignment_reasons: Mapped[str | None] = mapped_column(sa.Text)
    filed_at: Mapped[datetime | None] = mapped_column(TZ)
    case_number: Mapped[str | None] = mapped_column(sa.Text)
    procedure: Mapped[str | None] = mapped_column(sa.Text)
    concluded_at: Mapped[datetime | None] = mapped_column(TZ)
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    outcome_kind: Mapped[str | None] = mapped_column(sa.Text)  # REF-09: ConclusionOutcome
    # REF-09: a filing that stops the conclusion clock (summary; other without a limit).
    procedure_flag: Mapped[str | None] = mapped_column(sa.Text)
    decision_number: Mapped[str | None] = mapped_column(sa.Text)
    no_time_limit_reason: Mapped[str | None] = mapped_column(sa.Text)

    # REF-03: the earliest finding a draft ever stated; its sending clock runs from here, so
    # moving found_at later restarts nothing (NULL on rows older than the column: found_at).
    first_found_at: Mapped[datetime | None] = mapped_column(TZ)
    # A draft abandoned with a reason (its REF-03 clock stopped, no breach).
    withdrawn_at: Mapped[datetime | None] = mapped_column(TZ)
    withdrawn_by: Mapped[str | None] = mapped_column(sa.Text)
    withdrawal_reason: Mapped[str | None] = mapped_column(sa.Text)
    # REF-08: the received, unfinished cases this referral resembles, and the sender's
    # statement of why it is a different case (shown to oversight).
    distinct_case_reason: Mapped[str | None] = mapped_column(sa.Text)
    possible_onward_of: Mapped[list[str] | None] = mapped_column(JSONB(none_as_null=True))
    # REF-08: sent while resembling one: held for the district government, and its decision
    # ({"decision": "release" | "bar", "reason", "by", "at"}).
    held_at: Mapped[datetime | None] = mapped_column(TZ)
    onward_decision: Mapped[dict[str, str] | None] = mapped_column(JSONB(none_as_null=True))
    # REF-08, on a received case: the referrals of its receiver that resemble it and were held
    # or refused ({"referral_id", "at", "grounds", "held"}), so that its sender is told.
    onward_suspicions: Mapped[list[dict[str, object]] | None] = mapped_column(
        JSONB(none_as_null=True)
    )
    # REF-04: whom the ongoing violation was reported to, and when.
    ongoing_notified_to: Mapped[str | None] = mapped_column(sa.Text)
    ongoing_notified_at: Mapped[datetime | None] = mapped_column(TZ)
    # ... and when (and by whom) it acknowledged the notice (its read receipt).
    ongoing_acknowledged_at: Mapped[datetime | None] = mapped_column(TZ)
    ongoing_acknowledged_by: Mapped[str | None] = mapped_column(sa.Text)
    # REF-09: the conclusion period suspended since (None: running), the suspension's bound
    # ({"latest_resume": date, "days_left": int}), and every suspension, resumption and
    # extension ({"kind", "at", "by", "org", "reason", "law", "article", "days", "due_before",
    # "due_at"}), shown to both parties.
    suspended_at: Mapped[datetime | None] = mapped_column(TZ)
    suspension: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    conclusion_period_changes: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSONB(none_as_null=True)
    )

    items: Mapped[list[ReferralItem]] = relationship(
        order_by="ReferralItem.position", cascade="all, delete-orphan", lazy="selectin"
    )
    materials: Mapped[list[ReferralMaterial]] = relationship(
        order_by="ReferralMaterial.uploaded_at", cascade="all, delete-orphan", lazy="selectin"
    )
    cooperation_requests: Mapped[list[CooperationRequest]] = relationship(
        order_by="CooperationRequest.requested_at", cascade="all, delete-orphan", lazy="selectin"
    )


class ReferralItem(Base):
    """REF-05: an item involved in the case, listed truthfully (如实列出清单)."""

    __tablename__ = "referral_items"
    __table_args__ = (
        sa.CheckConstraint("quantity >= 0", name="quantity_non_negative"),
        sa.CheckConstraint("proceeds IS NULL OR proceeds >= 0", name="proceeds_non_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    referral_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.Text)
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(14, 3))
    unit: Mapped[str | None] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)
    disposed_in_advance: Mapped[bool] = mapped_column(default=False)
    disposal_method: Mapped[str | None] = mapped_column(sa.Text)
    proceeds: Mapped[Decimal | None] = mapped_column(Money)


class ReferralMaterial(MaterialColumns, Base):
    """REF-05: an uploaded material, stored by SHA-256 in the blob store."""

    __tablename__ = "referral_materials"

    referral_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.Text)
    title: Mapped[str] = mapped_column(sa.Text)


class CooperationRequest(Base):
    """REF-10: the handling party asks the sender to cooperate; the sender's answer."""

    __tablename__ = "cooperation_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    referral_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    requesting_org: Mapped[str] = mapped_column(sa.Text)
    requested_org: Mapped[str] = mapped_column(sa.Text)
    request: Mapped[str] = mapped_column(sa.Text)
    requested_at: Mapped[datetime] = mapped_column(TZ)
    requested_by: Mapped[str] = mapped_column(sa.Text)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime | None] = mapped_column(TZ)
    answered_by: Mapped[str | None] = mapped_column(sa.Text)
    # REF-10: the handling party recorded that the sender did not cooperate (once).
    not_given_at: Mapped[datetime | None] = mapped_column(TZ)
    not_given_reason: Mapped[str | None] = mapped_column(sa.Text)
    not_given_by: Mapped[str | None] = mapped_column(sa.Text)


class ReceiptCounter(Base):
    """REF-06: one 送达回证 number series per receiver and year."""

    __tablename__ = "receipt_counters"

    org: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int]
