"""Items (nine categories, versions, Chinese search vector), attachments, source updates,
subscriptions, inboxes with read receipts, feedback requests.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
TEXTS = ARRAY(sa.Text)
EMPTY = sa.text("'{}'::text[]")


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("series_id", UUID(as_uuid=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("supersedes", UUID(as_uuid=True), sa.ForeignKey("items.id", name="fk_items_supersedes_items")),
        sa.Column("superseded_by", UUID(as_uuid=True)),
        sa.Column("superseded_at", TZ),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("publisher", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("matter_codes", TEXTS, nullable=False, server_default=EMPTY),
        sa.Column("towns", TEXTS, nullable=False, server_default=EMPTY),
        sa.Column("restricted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("audience", TEXTS, nullable=False, server_default=EMPTY),
        sa.Column("source_kind", sa.Text, nullable=False, server_default="manual"),
        sa.Column("source_id", sa.Text),
        sa.Column("search", TSVECTOR),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("published_at", TZ),
        sa.Column("published_by", sa.Text),
        sa.CheckConstraint("version >= 1", name="ck_items_version_positive"),
        sa.CheckConstraint(
            "category IN ('laws-norms', 'licensing-supervision', 'inspection-records', "
            "'penalty-decisions', 'statistics', 'discretion-workflows', 'dynamic', "
            "'complaints', 'other')",
            name="ck_items_nine_categories",
        ),
        sa.CheckConstraint(
            "state IN ('draft', 'published', 'superseded')", name="ck_items_state_known"
        ),
    )
    op.create_index("ix_items_search", "items", ["search"], postgresql_using="gin")
    op.create_index("ix_items_matter_codes", "items", ["matter_codes"], postgresql_using="gin")
    op.create_index("ix_items_towns", "items", ["towns"], postgresql_using="gin")
    op.create_index("ix_items_state_published", "items", ["state", sa.text("published_at DESC")])
    op.create_index(
        "ix_items_category_published", "items", ["category", sa.text("published_at DESC")]
    )
    op.create_index(
        "ix_items_publisher_published", "items", ["publisher", sa.text("published_at DESC")]
    )
    op.create_index("ix_items_series", "items", ["series_id", "version"])
    op.create_index(
        "uq_items_source",
        "items",
        ["source_kind", "source_id"],
        unique=True,
        postgresql_where=sa.text("source_id IS NOT NULL"),
    )

    op.create_table(
        "attachments",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "item_id",
            UUID(as_uuid=True),
            sa.ForeignKey("items.id", ondelete="CASCADE", name="fk_attachments_item_id_items"),
            nullable=False,
        ),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("uploaded_at", TZ, nullable=False),
        sa.Column("uploaded_by", sa.Text, nullable=False),
    )
    op.create_index("ix_attachments_item_id", "attachments", ["item_id"])

    op.create_table(
        "item_updates",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "item_id",
            UUID(as_uuid=True),
            sa.ForeignKey("items.id", ondelete="CASCADE", name="fk_item_updates_item_id_items"),
            nullable=False,
        ),
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("source_ref", sa.Text, nullable=False),
        sa.Column("status", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("source_at", TZ),
        sa.Column("at", TZ, nullable=False),
        sa.UniqueConstraint("item_id", "change", "source_ref", name="uq_item_updates_source"),
    )
    op.create_index("ix_item_updates_item_id", "item_updates", ["item_id"])

    op.create_table(
        "subscriptions",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("org", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("categories", TEXTS, nullable=False, server_default=EMPTY),
        sa.Column("matter_codes", TEXTS, nullable=False, server_default=EMPTY),
        sa.Column("towns", TEXTS, nullable=False, server_default=EMPTY),
        sa.Column("publishers", TEXTS, nullable=False, server_default=EMPTY),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("cancelled_at", TZ),
        sa.Column("cancelled_by", sa.Text),
    )
    op.create_index(
        "ix_subscriptions_active_org",
        "subscriptions",
        ["org"],
        postgresql_where=sa.text("cancelled_at IS NULL"),
    )

    op.create_table(
        "deliveries",
        sa.Column("org", sa.Text, primary_key=True),
        sa.Column(
            "item_id",
            UUID(as_uuid=True),
            sa.ForeignKey("items.id", ondelete="CASCADE", name="fk_deliveries_item_id_items"),
            primary_key=True,
        ),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("delivered_at", TZ),
        sa.Column("read_at", TZ),
        sa.Column("read_by", sa.Text),
        sa.Column("overdue_reported_at", TZ),
    )
    op.create_index("ix_deliveries_org_delivered", "deliveries", ["org", sa.text("delivered_at DESC")])
    op.create_index(
        "ix_deliveries_unread",
        "deliveries",
        ["delivered_at"],
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_index("ix_deliveries_item", "deliveries", ["item_id"])

    op.create_table(
        "feedback_requests",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("matter_code", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("withdrawn_at", TZ),
        sa.Column("withdrawn_by", sa.Text),
    )
    op.create_index(
        "uq_feedback_requests_active",
        "feedback_requests",
        ["department", sa.text("coalesce(matter_code, '*')")],
        unique=True,
        postgresql_where=sa.text("withdrawn_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("feedback_requests")
    op.drop_table("deliveries")
    op.drop_table("subscriptions")
    op.drop_table("item_updates")
    op.drop_table("attachments")
    op.drop_table("items")
