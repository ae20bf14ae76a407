"""INSP-09 shortcomings of government services, and merge proposals (one visit, not many)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from joint_inspection.models.base import TEXTS, TZ, Base


class Shortcoming(Base):
    """INSP-09: a shortcoming of government services found on site (政务服务短板和不足)."""

    __tablename__ = "shortcomings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("work_orders.id"), index=True)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("visits.id"))
    reporting_org: Mapped[str] = mapped_column(sa.Text)
    town: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str] = mapped_column(sa.Text)
    suggestion: Mapped[str | None] = mapped_column(sa.Text)
    departments: Mapped[list[str]] = mapped_column(TEXTS)
    reported_at: Mapped[datetime] = mapped_column(TZ)
    reported_by: Mapped[str] = mapped_column(sa.Text)

    acks: Mapped[list[ShortcomingAck]] = relationship(
        order_by="ShortcomingAck.department", cascade="all, delete-orphan", lazy="selectin"
    )


class ShortcomingAck(Base):
    """INSP-09: a department concerned acknowledges the shortcoming, with its response."""

    __tablename__ = "shortcoming_acks"
    __table_args__ = (sa.Index("ix_shortcoming_acks_department", "department"),)

    shortcoming_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("shortcomings.id", ondelete="CASCADE"), primary_key=True
    )
    department: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(TZ)
    acknowledged_by: Mapped[str | None] = mapped_column(sa.Text)
    response: Mapped[str | None] = mapped_column(sa.Text)


class MergeProposal(Base):
    """Two agencies plan the same target within the window: merge into one joint visit."""

    __tablename__ = "merge_proposals"
    __table_args__ = (
        sa.UniqueConstraint("order_a", "order_b", name="uq_merge_proposals_pair"),
        sa.CheckConstraint("order_a < order_b", name="ordered_pair"),
        sa.Index("ix_merge_proposals_town_state", "town", "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    order_a: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("work_orders.id"))
    order_b: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("work_orders.id"))
    org_a: Mapped[str] = mapped_column(sa.Text)
    org_b: Mapped[str] = mapped_column(sa.Text)
    town: Mapped[str] = mapped_column(sa.Text)
    target_ids: Mapped[list[str]] = mapped_column(TEXTS)
    state: Mapped[str] = mapped_column(sa.Text)
    proposed_at: Mapped[datetime] = mapped_column(TZ)
    accepted_by: Mapped[list[str]] = mapped_column(TEXTS)
    declined_by: Mapped[list[str]] = mapped_column(TEXTS)
    reasons: Mapped[list[str]] = mapped_column(TEXTS)
    decided_at: Mapped[datetime | None] = mapped_column(TZ)
    kept_order: Mapped[uuid.UUID | None]
    absorbed_order: Mapped[uuid.UUID | None]
