"""Tables of the 下沉指导 (secondment and guidance) service.

A department's roster (名单, attachments 1–11) is kept as versions: every change — a team
created, edited or dissolved, a sheet imported — is a numbered `RosterVersion` of the
department, and each team it changes gets a new `TeamVersion` with its whole roster
(`TeamMember` rows). Versions are never edited; the version of a team in effect on a day is
the newest whose `effective_from` has come (as in every consumer's projection).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from xietong_common.import_jobs import ImportJobColumns
from xietong_common.materials import MaterialColumns
from xietong_common.tables import NAMING_CONVENTION

TZ = sa.DateTime(timezone=True)
Towns = ARRAY(sa.Text)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class RosterHead(Base):
    """Per department: the last roster version number (locked by every change, so a
    department's versions are numbered and published in order) and its last import."""

    __tablename__ = "roster_heads"

    department: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    number: Mapped[int]
    last_import_effective_from: Mapped[date | None]


class RosterVersion(Base):
    """名单版本: one numbered version of a department's roster and how it came about."""

    __tablename__ = "roster_versions"
    __table_args__ = (
        sa.UniqueConstraint("department", "number", name="uq_roster_versions_number"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    department: Mapped[str] = mapped_column(sa.Text)
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.Text)
    effective_from: Mapped[date]
    filename: Mapped[str | None] = mapped_column(sa.Text)
    file_sha256: Mapped[str | None] = mapped_column(sa.Text)
    file_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    rows: Mapped[int | None]
    teams_changed: Mapped[int]
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(TZ)
    created_by: Mapped[str] = mapped_column(sa.Text)


class Team(Base):
    """指导队伍: a department's team, stationed (派驻) or covering a zone (划片)."""

    __tablename__ = "teams"
    __table_args__ = (sa.Index("ix_teams_department", "department"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    department: Mapped[str] = mapped_column(sa.Text)
    mode: Mapped[str] = mapped_column(sa.Text)
    latest_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(TZ)
    created_by: Mapped[str] = mapped_column(sa.Text)


class TeamVersion(Base):
    """One version of a team, from `effective_from`; its roster is its `members`."""

    __tablename__ = "team_versions"
    __table_args__ = (
        sa.Index("ix_team_versions_roster_id", "roster_id"),
        sa.Index("ix_team_versions_towns", "towns", postgresql_using="gin"),
    )

    team_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(primary_key=True)
    roster_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("roster_versions.id"))
    effective_from: Mapped[date]
    name: Mapped[str] = mapped_column(sa.Text)
    zone_name: Mapped[str | None] = mapped_column(sa.Text)
    towns: Mapped[list[str]] = mapped_column(Towns)
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    leader: Mapped[str | None] = mapped_column(sa.Text)
    contact: Mapped[str | None] = mapped_column(sa.Text)
    dissolved: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    changed_at: Mapped[datetime] = mapped_column(TZ)
    changed_by: Mapped[str] = mapped_column(sa.Text)

    team: Mapped[Team] = relationship(lazy="joined", innerjoin=True)
    members: Mapped[list[TeamMember]] = relationship(
        order_by="TeamMember.name, TeamMember.officer_id", lazy="raise", viewonly=True
    )


class Officer(Base):
    """下沉人员 as his department knows him, across roster versions; SEC-03's establishment
    and identity are the department's records. No ID-card number is kept: the roster needs
    the enforcement certificate, and a department's own staff number at most."""

    __tablename__ = "officers"
    __table_args__ = (
        sa.Index("ix_officers_department", "department"),
        sa.Index("ix_officers_certificate_number", "certificate_number"),
        sa.Index(
            "uq_officers_staff_number",
            "department",
            "staff_number",
            unique=True,
            postgresql_where=sa.text("staff_number IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    department: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str] = mapped_column(sa.Text)
    certificate_number: Mapped[str] = mapped_column(sa.Text)
    staff_number: Mapped[str | None] = mapped_column(sa.Text)
    establishment: Mapped[str | None] = mapped_column(sa.Text)
    identity: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)


class TeamMember(Base):
    """One officer on one version of a team's roster."""

    __tablename__ = "team_members"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["team_id", "version"],
            ["team_versions.team_id", "team_versions.version"],
            ondelete="CASCADE",
            name="fk_team_members_team_versions",
        ),
        sa.Index("ix_team_members_officer_id", "officer_id"),
        sa.Index("ix_team_members_towns", "towns", postgresql_using="gin"),
        sa.Index("ix_team_members_certificate_number", "certificate_number"),
    )

    team_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("officers.id"), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    certificate_number: Mapped[str] = mapped_column(sa.Text)
    certificate_valid_from: Mapped[date | None]
    certificate_valid_until: Mapped[date]
    towns: Mapped[list[str]] = mapped_column(Towns)
    all_team_towns: Mapped[bool]
    position: Mapped[str | None] = mapped_column(sa.Text)
    staff_number: Mapped[str | None] = mapped_column(sa.Text)
    sheet_row: Mapped[int | None]

    team_version: Mapped[TeamVersion] = relationship(lazy="joined", innerjoin=True, viewonly=True)


class Assessment(Base):
    """SEC-03: the department's annual assessment of a seconded officer."""

    __tablename__ = "assessments"
    __table_args__ = (sa.UniqueConstraint("officer_id", "year", name="uq_assessments_year"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    officer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("officers.id"))
    year: Mapped[int]
    grade: Mapped[str] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)
    recorded_at: Mapped[datetime] = mapped_column(TZ)
    recorded_by: Mapped[str] = mapped_column(sa.Text)


class WorkNote(Base):
    """SEC-01 共用共管: a town's note on an officer's daily work under its command."""

    __tablename__ = "work_notes"
    __table_args__ = (sa.Index("ix_work_notes_officer_town", "officer_id", "town"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    officer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("officers.id"))
    town: Mapped[str] = mapped_column(sa.Text)
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(sa.Text)
    text: Mapped[str] = mapped_column(sa.Text)
    recorded_at: Mapped[datetime] = mapped_column(TZ)
    recorded_by: Mapped[str] = mapped_column(sa.Text)


class GuidanceActivity(Base):
    """SEC-05: one guidance activity a department gave the towns."""

    __tablename__ = "guidance_activities"
    __table_args__ = (
        sa.Index("ix_guidance_activities_department_held_on", "department", "held_on"),
        sa.Index("ix_guidance_activities_towns", "towns", postgresql_using="gin"),
        sa.CheckConstraint("attendance IS NULL OR attendance >= 0", name="attendance_non_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    department: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.Text)
    title: Mapped[str] = mapped_column(sa.Text)
    held_on: Mapped[date]
    ended_on: Mapped[date | None]
    towns: Mapped[list[str]] = mapped_column(Towns)
    attendance: Mapped[int | None]
    third_party: Mapped[str | None] = mapped_column(sa.Text)
    document_number: Mapped[str | None] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)
    shared_as: Mapped[str | None] = mapped_column(
        sa.Text, doc="SEC-05 → INFO-04: shared as an information item (category 1 or 6)"
    )
    recorded_at: Mapped[datetime] = mapped_column(TZ)
    recorded_by: Mapped[str] = mapped_column(sa.Text)

    # Loaded by the record kit (GUIDANCE.collections) and by the list that shows them.
    materials: Mapped[list[GuidanceMaterial]] = relationship(
        order_by="GuidanceMaterial.uploaded_at", cascade="all, delete-orphan", lazy="raise"
    )
    confirmations: Mapped[list[GuidanceConfirmation]] = relationship(
        order_by="GuidanceConfirmation.confirmed_at",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class GuidanceConfirmation(Base):
    """SEC-05: a town the activity reached confirms it received the guidance."""

    __tablename__ = "guidance_confirmations"

    activity_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("guidance_activities.id", ondelete="CASCADE"), primary_key=True
    )
    town: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    confirmed_at: Mapped[datetime] = mapped_column(TZ)
    confirmed_by: Mapped[str] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)


class GuidanceMaterial(MaterialColumns, Base):
    """SEC-05: a material of a guidance activity (the document, slides, attendance sheet…),
    stored by SHA-256 in the blob store."""

    __tablename__ = "guidance_materials"

    activity_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("guidance_activities.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.Text)


class ImportJob(ImportJobColumns, Base):
    """SEC-02: an import of a large roster sheet, run as a job (`xietong_common.import_jobs`)."""

    __tablename__ = "import_jobs"
