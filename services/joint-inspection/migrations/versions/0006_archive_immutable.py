"""INSP-07: a closed work order is archived (立卷归档) and immutable — the database itself
refuses any change to it or to its rows (visits, participants, inspectors, materials,
support requests), beside the service's own refusal.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHILDREN = ("visits", "order_participants", "order_inspectors", "order_materials", "support_requests")


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION refuse_archived_order() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.state = 'closed' THEN
                RAISE EXCEPTION 'work order % is closed and archived; it cannot change', OLD.id
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER work_orders_archived BEFORE UPDATE OR DELETE ON work_orders
        FOR EACH ROW EXECUTE FUNCTION refuse_archived_order()
        """
    )
    op.execute(
        """
        CREATE FUNCTION refuse_archived_order_rows() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            parent uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.order_id ELSE NEW.order_id END;
        BEGIN
            IF EXISTS (SELECT 1 FROM work_orders WHERE id = parent AND state = 'closed')
               OR (TG_OP = 'UPDATE' AND EXISTS (
                   SELECT 1 FROM work_orders WHERE id = OLD.order_id AND state = 'closed')) THEN
                RAISE EXCEPTION 'work order % is closed and archived; its records cannot change',
                    parent USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$
        """
    )
    for table in CHILDREN:
        op.execute(
            f"""
            CREATE TRIGGER {table}_archived BEFORE INSERT OR UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION refuse_archived_order_rows()
            """
        )


def downgrade() -> None:
    for table in CHILDREN:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_archived ON {table}")
    op.execute("DROP TRIGGER IF EXISTS work_orders_archived ON work_orders")
    op.execute("DROP FUNCTION IF EXISTS refuse_archived_order_rows()")
    op.execute("DROP FUNCTION IF EXISTS refuse_archived_order()")
