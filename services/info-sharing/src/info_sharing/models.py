"""Tables of the 信息互享 (information sharing) service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from xietong_common.contracts.info import InfoCategory
from xietong_common.materials import MaterialColumns
from xietong_common.tables import NAMING_CONVENTION

TZ = sa.DateTime(timezone=True)
Texts = ARRAY(sa.Text)


def _quoted(values: type[InfoCategory]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Item(Base):
    """信息: one version of one piece of shared enforcement information (INFO-01)."""

    __tablename__ = "items"
    __table_args__ = (
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint(f"category IN ({_quoted(InfoCategory)})", name="nine_categories"),
        sa.CheckConstraint("state IN ('draft', 'published', 'superseded')", name="state_known"),
        sa.Index("ix_items_search", "search", postgresql_using="gin"),
        sa.Index("ix_items_matter_codes", "matter_codes", postgresql_using="gin"),
        sa.Index("ix_items_towns", "towns", postgresql_using="gin"),
        sa.Index("ix_items_state_published", "state", sa.text("published_at DESC")),
        sa.Index("ix_items_category_published", "category", sa.text("published_at DESC")),
        sa.Index("ix_items_publisher_published", "publisher", sa.text("published_at DESC")),
        sa.Index("ix_items_series", "series_id", "version"),
        sa.Index(
            "uq_items_source",
            "source_kind",
            "source_id",
            unique=True,
            postgresql_where=sa.text("source_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    series_id: Mapped[uuid.UUID]
    version: Mapped[int]
    supersedes: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("items.id"))
    superseded_by: Mapped[uuid.UUID | None]
    superseded_at: Mapped[datetime | None] = mapped_column(TZ)
    state: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.Text)
    publisher: Mapped[str] = mapped_column(sa.Text)
    title: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    matter_codes: Mapped[list[str]] = mapped_column(Texts, default=list)
    towns: Mapped[list[str]] = mapped_column(Texts, default=list)
    restricted: Mapped[bool] = mapped_column(default=False)
    audience: Mapped[list[str]] = mapped_column(Texts, default=list)
    source_kind: Mapped[str] = mapped_column(sa.Text, default="manual")
    source_id: Mapped[str | None] = mapped_column(sa.Text)
    search: Mapped[Any | None] = mapped_column(TSVECTOR, deferred=True)
    created_at: Mapped[datetime] = mapped_column(TZ)
    created_by: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    published_at: Mapped[datetime | None] = mapped_column(TZ)
    published_by: Mapped[str | None] = mapped_column(sa.Text)

    # Loaded by the record kit (ITEM.collections) or asked for by the query that needs them.
    attachments: Mapped[list[Attachment]] = relationship(
        order_by="Attachment.uploaded_at", cascade="all, delete-orphan", lazy="raise"
    )
    updates: Mapped[list[ItemUpdate]] = relationship(
        order_by="ItemUpdate.at", cascade="all, delete-orphan", lazy="raise"
    )


class Attachment(MaterialColumns, Base):
    """附件: a file of an item, stored by SHA-256 in the blob store."""

    __tablename__ = "attachments"

    item_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("items.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.Text)
    # INFO-02: whether the file's text was read whole and screened; if not (a scan, an image,
    # an encrypted file), the uploader's declaration for this file (`none`).
    text_screened: Mapped[bool] = mapped_column(server_default=sa.false())
    classification_declared: Mapped[str | None] = mapped_column(sa.Text)


class ItemUpdate(Base):
    """INFO-04: a change an item's source made to it (a complaint's status, an inspection's
    finding or closing), once per source reference."""

    __tablename__ = "item_updates"
    __table_args__ = (
        sa.UniqueConstraint("item_id", "change", "source_ref", name="uq_item_updates_source"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    item_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("items.id", ondelete="CASCADE"), index=True
    )
    change: Mapped[str] = mapped_column(sa.Text)
    source_ref: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str | None] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)
    source_at: Mapped[datetime | None] = mapped_column(TZ)
    at: Mapped[datetime] = mapped_column(TZ)


class Subscription(Base):
    """订阅 (INFO-03): an organisation's interest in categories, matters, towns, publishers."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        sa.Index(
            "ix_subscriptions_active_org", "org", postgresql_where=sa.text("cancelled_at IS NULL")
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    org: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str | None] = mapped_column(sa.Text)
    categories: Mapped[list[str]] = mapped_column(Texts, default=list)
    matter_codes: Mapped[list[str]] = mapped_column(Texts, default=list)
    towns: Mapped[list[str]] = mapped_column(Texts, default=list)
    publishers: Mapped[list[str]] = mapped_column(Texts, default=list)
    created_at: Mapped[datetime] = mapped_column(TZ)
    created_by: Mapped[str] = mapped_column(sa.Text)
    cancelled_at: Mapped[datetime | None] = mapped_column(TZ)
    cancelled_by: Mapped[str | None] = mapped_column(sa.Text)


class Delivery(Base):
    """An item in an organisation's inbox (INFO-03): delivered once, read once (the receipt)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        sa.Index("ix_deliveries_org_delivered", "org", sa.text("delivered_at DESC")),
        sa.Index(
            "ix_deliveries_unread",
            "delivered_at",
            postgresql_where=sa.text("read_at IS NULL"),
        ),
        sa.Index("ix_deliveries_item", "item_id"),
    )

    org: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(sa.Text)
    delivered_at: Mapped[datetime | None] = mapped_column(TZ)
    read_at: Mapped[datetime | None] = mapped_column(TZ)
    read_by: Mapped[str | None] = mapped_column(sa.Text)
    overdue_reported_at: Mapped[datetime | None] = mapped_column(TZ)


class FeedbackRequest(Base):
    """INFO-01 (4): a department asks the towns for feedback on penalty decisions about a
    matter it owns (`matter_code` null: every matter it owns)."""

    __tablename__ = "feedback_requests"
    __table_args__ = (
        sa.Index(
            "uq_feedback_requests_active",
            "department",
            sa.text("coalesce(matter_code, '*')"),
            unique=True,
            postgresql_where=sa.text("withdrawn_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    department: Mapped[str] = mapped_column(sa.Text)
    matter_code: Mapped[str | None] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(TZ)
    created_by: Mapped[str] = mapped_column(sa.Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column(TZ)
    withdrawn_by: Mapped[str | None] = mapped_column(sa.Text)
