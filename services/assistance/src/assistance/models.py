"""Tables of the 执法协助 (enforcement assistance) service."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from xietong_common.materials import MaterialColumns
from xietong_common.tables import NAMING_CONVENTION

TZ = sa.DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AssistanceRequest(Base):
    """执法协助请求: a town asks a district department for help (ASSIST-01..04)."""

    __tablename__ = "assistance_requests"
    __table_args__ = (
        sa.Index("ix_assistance_requests_town_state", "town", "state"),
        sa.Index("ix_assistance_requests_department_state", "department", "state"),
        sa.Index("ix_assistance_requests_matter_code", "matter_code"),
        sa.CheckConstraint("extensions_agreed >= 0", name="extensions_non_negative"),
        sa.CheckConstraint("returns >= 0", name="returns_non_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Raised by every change of the row (the ORM's version counter): the request's ETag, which
    # the justice bureau's ruling names in If-Match (ASSIST-03).
    version: Mapped[int] = mapped_column(server_default="1")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy's own form)
    state: Mapped[str] = mapped_column(sa.Text)
    town: Mapped[str] = mapped_column(sa.Text)
    department: Mapped[str] = mapped_column(sa.Text)
    proposed_department: Mapped[str] = mapped_column(sa.Text)
    within_powers: Mapped[bool]
    matter_code: Mapped[str] = mapped_column(sa.Text)
    ground: Mapped[str] = mapped_column(sa.Text)
    ground_description: Mapped[str | None] = mapped_column(sa.Text)
    needed: Mapped[str] = mapped_column(sa.Text)
    # ASSIST-02, ground 2: the agency that holds the materials (an organisation code).
    materials_holder: Mapped[str | None] = mapped_column(sa.Text)
    case_kind: Mapped[str | None] = mapped_column(sa.Text)
    case_id: Mapped[str | None] = mapped_column(sa.Text)
    urgent: Mapped[bool] = mapped_column(default=False)
    needed_by: Mapped[date | None] = mapped_column(sa.Date)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)

    created_at: Mapped[datetime] = mapped_column(TZ)
    created_by: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    submitted_at: Mapped[datetime | None] = mapped_column(TZ)
    submitted_by: Mapped[str | None] = mapped_column(sa.Text)

    accepted_at: Mapped[datetime | None] = mapped_column(TZ)
    accepted_by: Mapped[str | None] = mapped_column(sa.Text)
    agreed_completion_date: Mapped[date | None] = mapped_column(sa.Date)
    acceptance_note: Mapped[str | None] = mapped_column(sa.Text)
    extensions_agreed: Mapped[int] = mapped_column(default=0)

    refused_at: Mapped[datetime | None] = mapped_column(TZ)
    refused_by: Mapped[str | None] = mapped_column(sa.Text)
    refusal_ground: Mapped[str | None] = mapped_column(sa.Text)
    refusal_law: Mapped[str | None] = mapped_column(sa.Text)
    refusal_article: Mapped[str | None] = mapped_column(sa.Text)
    refusal_reason: Mapped[str | None] = mapped_column(sa.Text)
    refused_after_acceptance: Mapped[bool] = mapped_column(default=False)
    # ASSIST-03: a refusal of a matter the catalogue assigns to the department, for the justice
    # bureau's ruling; the town may contest any refusal.
    refused_owned_matter: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    ruling_decision: Mapped[str | None] = mapped_column(sa.Text)
    ruling_reason: Mapped[str | None] = mapped_column(sa.Text)
    ruled_at: Mapped[datetime | None] = mapped_column(TZ)
    ruled_by: Mapped[str | None] = mapped_column(sa.Text)
    contest_reason: Mapped[str | None] = mapped_column(sa.Text)
    contested_at: Mapped[datetime | None] = mapped_column(TZ)
    contested_by: Mapped[str | None] = mapped_column(sa.Text)

    delivered_at: Mapped[datetime | None] = mapped_column(TZ)
    delivered_by: Mapped[str | None] = mapped_column(sa.Text)
    result_kind: Mapped[str | None] = mapped_column(sa.Text)
    result_summary: Mapped[str | None] = mapped_column(sa.Text)
    returns: Mapped[int] = mapped_column(default=0)
    last_return_reason: Mapped[str | None] = mapped_column(sa.Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(TZ)
    confirmed_by: Mapped[str | None] = mapped_column(sa.Text)
    confirmation_note: Mapped[str | None] = mapped_column(sa.Text)

    withdrawn_at: Mapped[datetime | None] = mapped_column(TZ)
    withdrawn_by: Mapped[str | None] = mapped_column(sa.Text)
    withdrawal_reason: Mapped[str | None] = mapped_column(sa.Text)

    officers: Mapped[list[AssignedOfficer]] = relationship(
        order_by="AssignedOfficer.position", cascade="all, delete-orphan", lazy="selectin"
    )
    materials: Mapped[list[AssistanceMaterial]] = relationship(
        order_by="AssistanceMaterial.uploaded_at", cascade="all, delete-orphan", lazy="selectin"
    )
    extensions: Mapped[list[ExtensionRequest]] = relationship(
        order_by="ExtensionRequest.requested_at", cascade="all, delete-orphan", lazy="selectin"
    )
    flags: Mapped[list[ObstructionFlag]] = relationship(
        order_by="ObstructionFlag.flagged_at", cascade="all, delete-orphan", lazy="selectin"
    )


class AssignedOfficer(Base):
    """ASSIST-02: an officer the department named on accepting (SEC-04 for a seconded one)."""

    __tablename__ = "assistance_officers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("assistance_requests.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.Text)
    certificate_number: Mapped[str] = mapped_column(sa.Text)
    seconded: Mapped[bool]
    officer_id: Mapped[str | None] = mapped_column(sa.Text)
    team_id: Mapped[str | None] = mapped_column(sa.Text)
    eligibility: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class AssistanceMaterial(MaterialColumns, Base):
    """ASSIST-01/02: a file the town attached to its request, or the department's result."""

    __tablename__ = "assistance_materials"

    request_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("assistance_requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.Text)
    title: Mapped[str] = mapped_column(sa.Text)
    uploaded_org: Mapped[str] = mapped_column(sa.Text)


class ExtensionRequest(Base):
    """ASSIST-04: the department asks to move the agreed completion date; the town answers."""

    __tablename__ = "assistance_extensions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("assistance_requests.id", ondelete="CASCADE"), index=True
    )
    requested_at: Mapped[datetime] = mapped_column(TZ)
    requested_by: Mapped[str] = mapped_column(sa.Text)
    previous_date: Mapped[date] = mapped_column(sa.Date)
    proposed_date: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.Text)
    decision: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[datetime | None] = mapped_column(TZ)
    decided_by: Mapped[str | None] = mapped_column(sa.Text)
    decision_note: Mapped[str | None] = mapped_column(sa.Text)


class ObstructionFlag(Base):
    """ASSIST-02: the town reports shirking or obstruction (推诿、刁难), for oversight."""

    __tablename__ = "assistance_obstruction_flags"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("assistance_requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.Text)
    town: Mapped[str] = mapped_column(sa.Text)
    department: Mapped[str] = mapped_column(sa.Text)
    flagged_at: Mapped[datetime] = mapped_column(TZ)
    flagged_by: Mapped[str] = mapped_column(sa.Text)
