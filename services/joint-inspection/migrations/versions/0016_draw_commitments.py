"""INSP-02: commit, then reveal. A round's register is frozen (snapshot_entries, its digest)
and only the SHA-256 of its seed published before the draw (draw_commitments); a draw names
the commitment it revealed; an order's inspectors are drawn the same way (inspector_draws). A past-finding signal can never be withdrawn, changed or deleted:
the database refuses it beside the service. INSP-01: a plan made for a catalogue scenario keeps
the scenario's code, target industries and checklist.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("plans", sa.Column("scenario_code", sa.Text(), nullable=True))
    op.add_column("plans", sa.Column("scenario_industries", postgresql.ARRAY(sa.Text()), nullable=True))
    op.add_column(
        "plans", sa.Column("checklist", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column(
        "visits", sa.Column("checklist", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.create_table(
        "draw_commitments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Text(), nullable=False),
        sa.Column("seed_commitment", sa.Text(), nullable=False),
        sa.Column("snapshot_header", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("snapshot_digest", sa.Text(), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("committed_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_draw_commitments_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draw_commitments")),
        sa.UniqueConstraint("plan_id", "round", name="uq_draw_commitments_plan_round"),
    )
    op.create_table(
        "snapshot_entries",
        sa.Column("commitment_id", sa.Uuid(), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("industry", sa.Text(), nullable=False),
        sa.Column("supervision_level", sa.Text(), nullable=False),
        sa.Column("watched_since", sa.Date(), nullable=False),
        sa.Column("risk", sa.BigInteger(), nullable=False),
        sa.Column("recent", sa.Boolean(), nullable=False),
        sa.Column("clean", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["draw_commitments.id"],
            name=op.f("fk_snapshot_entries_commitment_id_draw_commitments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("commitment_id", "target_id", name=op.f("pk_snapshot_entries")),
    )
    op.add_column("selections", sa.Column("commitment_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_selections_commitment_id_draw_commitments"),
        "selections",
        "draw_commitments",
        ["commitment_id"],
        ["id"],
    )
    op.create_unique_constraint(
        op.f("uq_selections_commitment_id"), "selections", ["commitment_id"]
    )
    op.create_table(
        "inspector_draws",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("pool", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("excluded", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("seed", sa.Text(), nullable=False),
        sa.Column("seed_commitment", sa.Text(), nullable=False),
        sa.Column("pool_digest", sa.Text(), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("committed_by", sa.Text(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("drawn_by", sa.Text(), nullable=True),
        sa.Column("ranked", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["work_orders.id"],
            name=op.f("fk_inspector_draws_order_id_work_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_inspector_draws")),
    )
    op.execute(
        """
        CREATE FUNCTION refuse_past_finding_withdrawal() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.kind = 'past-finding' AND (
                TG_OP = 'DELETE'
                OR NEW.kind IS DISTINCT FROM OLD.kind
                OR NEW.withdrawn_at IS DISTINCT FROM OLD.withdrawn_at
                OR NEW.weight IS DISTINCT FROM OLD.weight
                OR NEW.observed_on IS DISTINCT FROM OLD.observed_on
                OR NEW.target_id IS DISTINCT FROM OLD.target_id) THEN
                RAISE EXCEPTION 'INSP-02: past-finding signal % can never be withdrawn or changed',
                    OLD.id USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER risk_signals_past_finding BEFORE UPDATE OR DELETE ON risk_signals
        FOR EACH ROW EXECUTE FUNCTION refuse_past_finding_withdrawal()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS risk_signals_past_finding ON risk_signals")
    op.execute("DROP FUNCTION IF EXISTS refuse_past_finding_withdrawal()")
    op.drop_constraint(op.f("uq_selections_commitment_id"), "selections", type_="unique")
    op.drop_constraint(
        op.f("fk_selections_commitment_id_draw_commitments"), "selections", type_="foreignkey"
    )
    op.drop_column("selections", "commitment_id")
    op.drop_table("inspector_draws")
    op.drop_table("snapshot_entries")
    op.drop_table("draw_commitments")
    op.drop_column("plans", "checklist")
    op.drop_column("visits", "checklist")
    op.drop_column("plans", "scenario_industries")
    op.drop_column("plans", "scenario_code")
