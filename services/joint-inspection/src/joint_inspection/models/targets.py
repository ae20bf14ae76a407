"""INSP-02: the register of inspection targets (监管对象), its history and its risk signals."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from joint_inspection.models.base import TZ, Base
from xietong_common.import_jobs import ImportJobColumns


class Target(Base):
    """监管对象: an enterprise or organisation (by credit code) or a person (masked ID only)."""

    __tablename__ = "targets"
    __table_args__ = (
        sa.Index("ix_targets_town_industry", "town", "industry"),
        sa.Index("ix_targets_town_level", "town", "supervision_level"),
        sa.CheckConstraint(
            "(credit_code IS NULL) <> (identity_digest IS NULL)", name="one_identity"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    party_kind: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str] = mapped_column(sa.Text)
    credit_code: Mapped[str | None] = mapped_column(sa.Text, unique=True)
    identity_digest: Mapped[str | None] = mapped_column(sa.Text, unique=True)
    identity_masked: Mapped[str | None] = mapped_column(sa.Text)
    industry: Mapped[str] = mapped_column(sa.Text)
    supervision_level: Mapped[str] = mapped_column(sa.Text)
    town: Mapped[str] = mapped_column(sa.Text)
    address: Mapped[str | None] = mapped_column(sa.Text)
    supervised_since: Mapped[date] = mapped_column(sa.Date)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(TZ)
    created_by: Mapped[str] = mapped_column(sa.Text)
    created_by_org: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    import_batch: Mapped[uuid.UUID | None] = mapped_column(index=True)
    import_row: Mapped[int | None] = mapped_column(doc="the sheet row it was imported from")


class TargetVersion(Base):
    """INSP-02: what the draw reads about a target, as it was at any moment (so a draw can be
    re-run later on the register as it stood)."""

    __tablename__ = "target_versions"
    __table_args__ = (sa.Index("ix_target_versions_town_valid", "town", "valid_from"),)

    target_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("targets.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(primary_key=True)
    valid_from: Mapped[datetime] = mapped_column(TZ)
    valid_to: Mapped[datetime | None] = mapped_column(TZ)
    town: Mapped[str] = mapped_column(sa.Text)
    industry: Mapped[str] = mapped_column(sa.Text)
    supervision_level: Mapped[str] = mapped_column(sa.Text)
    supervised_since: Mapped[date] = mapped_column(sa.Date)
    active: Mapped[bool]


class RiskSignal(Base):
    """INSP-02: a problem-list entry, complaint, media report or past finding on a target,
    with its source, date and weight. Never deleted: a wrong one is withdrawn with a reason."""

    __tablename__ = "risk_signals"
    __table_args__ = (
        sa.Index("ix_risk_signals_target_observed", "target_id", "observed_on"),
        sa.CheckConstraint("weight BETWEEN 1 AND 100", name="weight_range"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    target_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("targets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.Text)
    observed_on: Mapped[date] = mapped_column(sa.Date)
    weight: Mapped[int]
    description: Mapped[str] = mapped_column(sa.Text)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    recorded_at: Mapped[datetime] = mapped_column(TZ)
    recorded_by: Mapped[str] = mapped_column(sa.Text)
    recorded_by_org: Mapped[str] = mapped_column(sa.Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column(TZ)
    withdrawn_by: Mapped[str | None] = mapped_column(sa.Text)
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.Text)


class ImportJob(ImportJobColumns, Base):
    """INSP-02: an import of a large table, run as a job (`xietong_common.import_jobs`)."""

    __tablename__ = "import_jobs"
