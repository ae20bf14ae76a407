"""Tables of the legal-review (法制审核) service."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from xietong_common.materials import MaterialColumns
from xietong_common.tables import NAMING_CONVENTION

Money = sa.Numeric(14, 2)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Review(Base):
    """法制审核: one case's review by the town's review body, over one or more rounds."""

    __tablename__ = "reviews"
    # A retried submission (same Idempotency-Key from the same town) is the same review.

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    town: Mapped[str] = mapped_column(sa.Text, index=True)
    case_number: Mapped[str | None] = mapped_column(sa.Text)
    matter_code: Mapped[str] = mapped_column(sa.Text)
    place_town: Mapped[str] = mapped_column(sa.Text)
    found_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    facts: Mapped[str] = mapped_column(sa.Text)
    party: Mapped[dict[str, Any]] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(sa.Text, index=True)
    round: Mapped[int] = mapped_column(sa.Integer, default=1)
    handler: Mapped[str] = mapped_column(sa.Text)
    reviewer: Mapped[str | None] = mapped_column(sa.Text)
    decider: Mapped[str | None] = mapped_column(sa.Text)
    joint_mode: Mapped[str] = mapped_column(sa.Text, default="none")
    joint_departments: Mapped[list[str]] = mapped_column(JSONB, default=list)
    # REV-09: the 司法所 serving the town (directory, at submission): it sees the review.
    town_justice_office: Mapped[str | None] = mapped_column(sa.Text, index=True)
    # REV-09: set once the town adds its 司法所 to coordinate legal advisers on this review.
    justice_office: Mapped[str | None] = mapped_column(sa.Text)
    decision_outcome: Mapped[str | None] = mapped_column(sa.Text)
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    against_opinion: Mapped[bool | None] = mapped_column(sa.Boolean)
    decision_number: Mapped[str | None] = mapped_column(sa.Text)
    execution: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # INSP-08: the joint inspection's finding whose review request this review fulfils.
    finding_id: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ReviewRequest(Base):
    """INSP-08/REV-01: a joint inspection's finding whose proposed decision needs legal review
    (`inspection.review-requested`), kept until the town's brigade submits the review naming
    it (one review per request) and the head decides."""

    __tablename__ = "review_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    finding_id: Mapped[str] = mapped_column(sa.Text, unique=True)
    inspection_id: Mapped[str] = mapped_column(sa.Text)
    order_number: Mapped[str | None] = mapped_column(sa.Text)
    visit_id: Mapped[str] = mapped_column(sa.Text)
    target_id: Mapped[str] = mapped_column(sa.Text)
    town: Mapped[str] = mapped_column(sa.Text, index=True)
    # REV-09: the 司法所 serving the town (directory, when the request arrived): it sees it.
    town_justice_office: Mapped[str | None] = mapped_column(sa.Text, index=True)
    place_town: Mapped[str] = mapped_column(sa.Text)
    matter_code: Mapped[str] = mapped_column(sa.Text)
    matters_checked: Mapped[list[str]] = mapped_column(JSONB, default=list)
    found_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    facts: Mapped[str] = mapped_column(sa.Text)
    handling: Mapped[str | None] = mapped_column(sa.Text)
    party: Mapped[dict[str, Any]] = mapped_column(JSONB)
    triggers: Mapped[list[dict[str, str]]] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(sa.Text, index=True)
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    review_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("reviews.id"), unique=True)
    submitted_by: Mapped[str | None] = mapped_column(sa.Text)
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The town withdrew it, with its reason, before any review fulfilled it (no penalty
    # decision will be pursued): the inspection's loop takes that as its return.
    withdrawn_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    withdrawn_by: Mapped[str | None] = mapped_column(sa.Text)
    withdrawal_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ReviewRound(Base):
    """One submission of the proposed decision and what the review made of it."""

    __tablename__ = "review_rounds"
    __table_args__ = (
        sa.UniqueConstraint("review_id", "number"),
        sa.CheckConstraint(
            "fine >= 0 AND confiscated_gains >= 0 AND confiscated_property_value >= 0",
            name="amounts_not_negative",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    review_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("reviews.id"), index=True)
    number: Mapped[int] = mapped_column(sa.Integer)
    party_kind: Mapped[str] = mapped_column(sa.Text)
    fine: Mapped[Decimal] = mapped_column(Money)
    confiscated_gains: Mapped[Decimal] = mapped_column(Money)
    confiscated_property_value: Mapped[Decimal] = mapped_column(Money)
    adjustment: Mapped[str] = mapped_column(sa.Text)
    hearing: Mapped[bool] = mapped_column(sa.Boolean)
    assessed: Mapped[bool] = mapped_column(sa.Boolean)
    judgements: Mapped[dict[str, str]] = mapped_column(JSONB)
    triggers: Mapped[list[dict[str, str]]] = mapped_column(JSONB)
    voluntary: Mapped[bool] = mapped_column(sa.Boolean)
    proposal: Mapped[str] = mapped_column(sa.Text)
    correction_note: Mapped[str | None] = mapped_column(sa.Text)
    submitted_by: Mapped[str] = mapped_column(sa.Text)
    submitted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    notice_missing: Mapped[list[str] | None] = mapped_column(JSONB)
    notice_items: Mapped[list[str] | None] = mapped_column(JSONB)
    notice_by: Mapped[str | None] = mapped_column(sa.Text)
    notice_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    supplied_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    findings: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSONB, default=dict)
    opinion: Mapped[str | None] = mapped_column(sa.Text)
    opinion_reasons: Mapped[str | None] = mapped_column(sa.Text)
    flaws: Mapped[list[str]] = mapped_column(JSONB, default=list)
    transfer_to: Mapped[str | None] = mapped_column(sa.Text)
    judicial_organ: Mapped[str | None] = mapped_column(sa.Text)
    opinion_by: Mapped[str | None] = mapped_column(sa.Text)
    opinion_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class ReviewMaterial(MaterialColumns, Base):
    """REV-04: a submitted file, stored by SHA-256, to a round of the review."""

    __tablename__ = "review_materials"

    review_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("reviews.id"), index=True)
    round: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.Text)


class JointOpinion(Base):
    """REV-03: a department's parallel opinion (一案双审) or a joint meeting's (联合会审)."""

    __tablename__ = "review_joint_opinions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    review_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("reviews.id"), index=True)
    round: Mapped[int] = mapped_column(sa.Integer)
    mode: Mapped[str] = mapped_column(sa.Text)
    org: Mapped[str] = mapped_column(sa.Text)
    person: Mapped[str] = mapped_column(sa.Text)
    opinion: Mapped[str] = mapped_column(sa.Text)
    reasons: Mapped[str] = mapped_column(sa.Text)
    participants: Mapped[list[str]] = mapped_column(JSONB, default=list)
    minutes: Mapped[str | None] = mapped_column(sa.Text)
    given_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class JusticeOfficeAdvice(Base):
    """REV-09: the 司法所 coordinating the town's legal advisers on a review."""

    __tablename__ = "review_advice"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    review_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("reviews.id"), index=True)
    org: Mapped[str] = mapped_column(sa.Text)
    person: Mapped[str] = mapped_column(sa.Text)
    advisers: Mapped[list[str]] = mapped_column(JSONB, default=list)
    note: Mapped[str] = mapped_column(sa.Text)
    given_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
