"""INSP-01/02: plans, their rules and adjustments, and the recorded draws."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from joint_inspection.models.base import PERCENT, TEXTS, TZ, Base


class Plan(Base):
    """INSP-01: a town's inspection plan for one application scenario and period."""

    __tablename__ = "plans"
    __table_args__ = (
        sa.Index("ix_plans_town_state", "town", "state"),
        sa.CheckConstraint("clean_proportion BETWEEN 0 AND 100", name="clean_proportion_range"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    town: Mapped[str] = mapped_column(sa.Text)
    title: Mapped[str] = mapped_column(sa.Text)
    scenario: Mapped[str] = mapped_column(sa.Text)
    scenario_code: Mapped[str | None] = mapped_column(
        sa.Text, doc="INSP-01: the catalogue scenario (its pool, matters and checklist)"
    )
    scenario_industries: Mapped[list[str] | None] = mapped_column(
        TEXTS, doc="INSP-01: the industries of the scenario's targets, copied when drafted"
    )
    checklist: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    basis: Mapped[str] = mapped_column(sa.Text)
    clean_proportion: Mapped[Decimal] = mapped_column(PERCENT)
    targeting_threshold: Mapped[int | None]
    matter_codes: Mapped[list[str]] = mapped_column(TEXTS)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(TZ)
    created_by: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    adopted_at: Mapped[datetime | None] = mapped_column(TZ)
    adopted_by: Mapped[str | None] = mapped_column(sa.Text)

    rules: Mapped[list[PlanRule]] = relationship(
        order_by="PlanRule.position", cascade="all, delete-orphan", lazy="selectin"
    )


class PlanRule(Base):
    """INSP-01: frequency and proportion for one industry or level (value NULL: the rest)."""

    __tablename__ = "plan_rules"
    __table_args__ = (
        sa.CheckConstraint("frequency BETWEEN 1 AND 366", name="frequency_range"),
        sa.CheckConstraint("proportion BETWEEN 0 AND 100", name="proportion_range"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str | None] = mapped_column(sa.Text)
    frequency: Mapped[int]
    proportion: Mapped[Decimal] = mapped_column(PERCENT)


class PlanAdjustment(Base):
    """INSP-02: a signal adjusted the plan (a target added, a rule changed), with the reason."""

    __tablename__ = "plan_adjustments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("plans.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.Text)
    signal_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("risk_signals.id"))
    target_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("targets.id"))
    rule_position: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    reason: Mapped[str] = mapped_column(sa.Text)
    made_at: Mapped[datetime] = mapped_column(TZ)
    made_by: Mapped[str] = mapped_column(sa.Text)


class DrawCommitment(Base):
    """INSP-02: a round committed before it is drawn: the register frozen (its digest), the
    seed made and only its SHA-256 published. The seed stays here, unread by any API, until
    the round's draw reveals it."""

    __tablename__ = "draw_commitments"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "round", name="uq_draw_commitments_plan_round"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"))
    round: Mapped[int]
    seed: Mapped[str] = mapped_column(sa.Text)
    seed_commitment: Mapped[str] = mapped_column(sa.Text)
    snapshot_header: Mapped[dict[str, Any]] = mapped_column(JSONB)
    snapshot_digest: Mapped[str] = mapped_column(sa.Text)
    candidates: Mapped[int]
    committed_at: Mapped[datetime] = mapped_column(TZ)
    committed_by: Mapped[str] = mapped_column(sa.Text)


class FrozenTarget(Base):
    """INSP-02: one target of the register as frozen when its round was committed: its class
    and its risk inputs (`domain.selection.SnapshotEntry`)."""

    __tablename__ = "snapshot_entries"

    commitment_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("draw_commitments.id", ondelete="CASCADE"), primary_key=True
    )
    target_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    industry: Mapped[str] = mapped_column(sa.Text)
    supervision_level: Mapped[str] = mapped_column(sa.Text)
    watched_since: Mapped[date] = mapped_column(sa.Date)
    risk: Mapped[int] = mapped_column(sa.BigInteger)
    recent: Mapped[bool]
    clean: Mapped[bool]


class Selection(Base):
    """INSP-02: one recorded draw of a plan round: the seed, the inputs and the ranked list."""

    __tablename__ = "selections"
    __table_args__ = (sa.UniqueConstraint("plan_id", "round", name="uq_selections_plan_round"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"))
    round: Mapped[int]
    seed: Mapped[str] = mapped_column(sa.Text)
    algorithm: Mapped[str] = mapped_column(sa.Text)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB)
    drawn_at: Mapped[datetime] = mapped_column(TZ)
    drawn_by: Mapped[str] = mapped_column(sa.Text)
    candidates: Mapped[int]
    drawn: Mapped[int]
    digest: Mapped[str] = mapped_column(sa.Text)
    commitment_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("draw_commitments.id"), unique=True
    )

    plan: Mapped[Plan] = relationship(lazy="selectin")

    @property
    def register_changes(self) -> dict[str, Any] | None:
        """INSP-02: targets added, removed or re-levelled between the snapshot and the draw."""
        changes = self.parameters.get("register_changes")
        return dict(changes) if changes is not None else None

    @property
    def seed_commitment(self) -> str | None:
        found = self.parameters.get("seed_commitment")
        return str(found) if found is not None else None


class SelectionEntry(Base):
    """INSP-02: one candidate of a draw: its group, risk, clean flag, key, rank, and whether
    it was drawn (and into which work order it went)."""

    __tablename__ = "selection_entries"
    __table_args__ = (
        sa.Index("ix_selection_entries_ranked", "selection_id", "drawn", "rule_position", "rank"),
    )

    selection_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("selections.id", ondelete="CASCADE"), primary_key=True
    )
    target_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    rule_position: Mapped[int]
    risk: Mapped[int] = mapped_column(sa.BigInteger)
    clean: Mapped[bool]
    tier: Mapped[int] = mapped_column(sa.SmallInteger)
    draw_key: Mapped[int] = mapped_column(sa.BigInteger)
    rank: Mapped[int]
    drawn: Mapped[bool]
    order_id: Mapped[uuid.UUID | None]
    dropped_reason: Mapped[str | None] = mapped_column(sa.Text)
    dropped_at: Mapped[datetime | None] = mapped_column(TZ)
