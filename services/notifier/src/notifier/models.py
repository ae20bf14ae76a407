"""Tables of the notifier service: subscriptions (订阅) and their deliveries (推送)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from xietong_common.tables import NAMING_CONVENTION

TZ = sa.DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Subscription(Base):
    """An organisation's webhook endpoint (回调地址) and the event kinds it wants."""

    __tablename__ = "subscriptions"
    __table_args__ = (sa.Index("ix_subscriptions_organisation", "organisation", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organisation: Mapped[str] = mapped_column(sa.Text)
    url: Mapped[str] = mapped_column(sa.Text)
    kinds: Mapped[list[str]] = mapped_column(ARRAY(sa.Text))
    # How deliveries are rendered (WebhookFormat): the CloudEvents webhook, a group robot, the
    # SMS gateway.
    format: Mapped[str] = mapped_column(sa.Text, server_default="cloudevents")
    description: Mapped[str | None] = mapped_column(sa.Text)
    # The signing key (whsec_…; a 钉钉 robot's own SEC… secret for dingtalk-robot): shown
    # once when created or rotated; kept because every delivery is signed with it, sealed
    # (AES-GCM, domain/sealing.py) with the key from XIETONG_NOTIFIER_SECRETS_KEY.
    secret: Mapped[str] = mapped_column(sa.Text)
    # After a rotation: the secret before it, sealed, and until when deliveries are signed
    # with it too (both signatures in webhook-signature).
    previous_secret: Mapped[str | None] = mapped_column(sa.Text)
    previous_secret_until: Mapped[datetime | None] = mapped_column(TZ)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(TZ)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_by: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    # Deleted subscriptions are kept (their deliveries stay readable to the audit), hidden.
    deleted_at: Mapped[datetime | None] = mapped_column(TZ)


class Delivery(Base):
    """One event to one subscription: sent until acknowledged (2xx), retried with backoff,
    dead after the last attempt. Unique per (event, subscription): a redelivered or replayed
    event makes no second delivery."""

    __tablename__ = "deliveries"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "subscription_id", name="uq_deliveries_event_subscription"),
        # The delivery job's query: what is due, oldest first.
        sa.Index(
            "ix_deliveries_due",
            "next_attempt_at",
            postgresql_where=sa.text("state = 'pending'"),
        ),
        sa.Index("ix_deliveries_organisation", "organisation", "created_at"),
        sa.Index("ix_deliveries_subscription", "subscription_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("subscriptions.id", ondelete="RESTRICT")
    )
    organisation: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.Text)
    event_id: Mapped[str] = mapped_column(sa.Text)
    event_type: Mapped[str] = mapped_column(sa.Text)
    subject: Mapped[str | None] = mapped_column(sa.Text)
    # The CloudEvent as sent (HTTP binding, structured mode).
    event: Mapped[dict[str, Any]] = mapped_column(JSONB)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    # 1, then one more at each redelivery (whose attempts count from 1 again).
    round: Mapped[int] = mapped_column(sa.Integer, server_default="1", default=1)
    next_attempt_at: Mapped[datetime] = mapped_column(TZ)
    last_attempt_at: Mapped[datetime | None] = mapped_column(TZ)
    last_status: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    delivered_at: Mapped[datetime | None] = mapped_column(TZ)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)


class DeliveryAttempt(Base):
    """One attempt of a delivery (投递记录): when, how long, the receiver's status or the
    error. Never changed or deleted: a redelivery adds its attempts after the earlier ones."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (
        sa.UniqueConstraint("delivery_id", "number", name="uq_delivery_attempts_number"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("deliveries.id", ondelete="RESTRICT")
    )
    organisation: Mapped[str] = mapped_column(sa.Text)
    # 1, 2, … over the delivery's whole life; `round` and `attempt` (within the round) say
    # which redelivery it belongs to.
    number: Mapped[int] = mapped_column(sa.Integer)
    round: Mapped[int] = mapped_column(sa.Integer)
    attempt: Mapped[int] = mapped_column(sa.Integer)
    started_at: Mapped[datetime] = mapped_column(TZ)
    duration_ms: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[int | None] = mapped_column(sa.Integer)
    error: Mapped[str | None] = mapped_column(sa.Text)
    ok: Mapped[bool] = mapped_column(sa.Boolean)
    recorded_at: Mapped[datetime] = mapped_column(TZ)
