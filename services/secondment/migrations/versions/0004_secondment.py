"""Rosters and their versions, teams, officers (SEC-01..SEC-04), guidance activities (SEC-05).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
TOWNS = ARRAY(sa.Text)


def upgrade() -> None:
    op.create_table(
        "roster_heads",
        sa.Column("department", sa.Text, primary_key=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("last_import_effective_from", sa.Date),
    )
    op.create_table(
        "roster_versions",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("filename", sa.Text),
        sa.Column("file_sha256", sa.Text),
        sa.Column("file_size", sa.BigInteger),
        sa.Column("rows", sa.Integer),
        sa.Column("teams_changed", sa.Integer, nullable=False),
        sa.Column("counts", JSONB, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.UniqueConstraint("department", "number", name="uq_roster_versions_number"),
    )
    op.create_table(
        "teams",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("mode", sa.Text, nullable=False),
        sa.Column("latest_version", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
    )
    op.create_index("ix_teams_department", "teams", ["department"])
    op.create_table(
        "team_versions",
        sa.Column(
            "team_id",
            UUID(as_uuid=True),
            sa.ForeignKey("teams.id", ondelete="CASCADE", name="fk_team_versions_team_id_teams"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column(
            "roster_id",
            UUID(as_uuid=True),
            sa.ForeignKey("roster_versions.id", name="fk_team_versions_roster_id_roster_versions"),
            nullable=False,
        ),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("zone_name", sa.Text),
        sa.Column("towns", TOWNS, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date),
        sa.Column("leader", sa.Text),
        sa.Column("contact", sa.Text),
        sa.Column("dissolved", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("changed_at", TZ, nullable=False),
        sa.Column("changed_by", sa.Text, nullable=False),
    )
    op.create_index("ix_team_versions_roster_id", "team_versions", ["roster_id"])
    op.create_index("ix_team_versions_towns", "team_versions", ["towns"], postgresql_using="gin")
    op.create_table(
        "officers",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("certificate_number", sa.Text, nullable=False),
        sa.Column("staff_number", sa.Text),
        sa.Column("establishment", sa.Text),
        sa.Column("identity", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_officers_department", "officers", ["department"])
    op.create_index("ix_officers_certificate_number", "officers", ["certificate_number"])
    op.create_index(
        "uq_officers_staff_number",
        "officers",
        ["department", "staff_number"],
        unique=True,
        postgresql_where=sa.text("staff_number IS NOT NULL"),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column(
            "officer_id",
            UUID(as_uuid=True),
            sa.ForeignKey("officers.id", name="fk_team_members_officer_id_officers"),
            primary_key=True,
        ),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("certificate_number", sa.Text, nullable=False),
        sa.Column("certificate_valid_from", sa.Date),
        sa.Column("certificate_valid_until", sa.Date, nullable=False),
        sa.Column("towns", TOWNS, nullable=False),
        sa.Column("all_team_towns", sa.Boolean, nullable=False),
        sa.Column("position", sa.Text),
        sa.Column("staff_number", sa.Text),
        sa.Column("sheet_row", sa.Integer),
        sa.ForeignKeyConstraint(
            ["team_id", "version"],
            ["team_versions.team_id", "team_versions.version"],
            ondelete="CASCADE",
            name="fk_team_members_team_versions",
        ),
    )
    op.create_index("ix_team_members_officer_id", "team_members", ["officer_id"])
    op.create_index("ix_team_members_towns", "team_members", ["towns"], postgresql_using="gin")
    op.create_index(
        "ix_team_members_certificate_number", "team_members", ["certificate_number"]
    )
    op.create_table(
        "assessments",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "officer_id",
            UUID(as_uuid=True),
            sa.ForeignKey("officers.id", name="fk_assessments_officer_id_officers"),
            nullable=False,
        ),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("grade", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.UniqueConstraint("officer_id", "year", name="uq_assessments_year"),
    )
    op.create_table(
        "work_notes",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "officer_id",
            UUID(as_uuid=True),
            sa.ForeignKey("officers.id", name="fk_work_notes_officer_id_officers"),
            nullable=False,
        ),
        sa.Column("town", sa.Text, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
    )
    op.create_index("ix_work_notes_officer_town", "work_notes", ["officer_id", "town"])
    op.create_table(
        "guidance_activities",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date),
        sa.Column("towns", TOWNS, nullable=False),
        sa.Column("attendance", sa.Integer),
        sa.Column("third_party", sa.Text),
        sa.Column("document_number", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.CheckConstraint(
            "attendance IS NULL OR attendance >= 0",
            name="ck_guidance_activities_attendance_non_negative",
        ),
    )
    op.create_index(
        "ix_guidance_activities_department_held_on",
        "guidance_activities",
        ["department", "held_on"],
    )
    op.create_index(
        "ix_guidance_activities_towns", "guidance_activities", ["towns"], postgresql_using="gin"
    )
    op.create_table(
        "guidance_materials",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "activity_id",
            UUID(as_uuid=True),
            sa.ForeignKey(
                "guidance_activities.id",
                ondelete="CASCADE",
                name="fk_guidance_materials_activity_id_guidance_activities",
            ),
            nullable=False,
        ),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("filename", sa.Text),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("uploaded_at", TZ, nullable=False),
        sa.Column("uploaded_by", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_guidance_materials_activity_id", "guidance_materials", ["activity_id"]
    )


def downgrade() -> None:
    for table in (
        "guidance_materials",
        "guidance_activities",
        "work_notes",
        "assessments",
        "team_members",
        "officers",
        "team_versions",
        "teams",
        "roster_versions",
        "roster_heads",
    ):
        op.drop_table(table)
