"""What the notifier API answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from notifier.domain import DeliveryState, EventKind, WebhookFormat


class SubscriptionOut(BaseModel):
    """A webhook subscription (its secret is shown once, when created)."""

    id: uuid.UUID
    organisation: str = Field(examples=["town:lizhi"])
    url: str = Field(examples=["https://oa.lizhi.example.gov.cn/hooks/xietong"])
    kinds: list[EventKind]
    format: WebhookFormat = Field(description="how deliveries are rendered")
    description: str | None = None
    active: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    secret_rotated_at: datetime | None = Field(
        default=None, description="when its secret was last rotated"
    )
    previous_secret_until: datetime | None = Field(
        default=None,
        description="after a rotation: until when deliveries also carry the previous "
        "secret's signature",
    )


class SubscriptionCreated(SubscriptionOut):
    """The subscription with its signing secret, new or just rotated: store it now, it is not
    shown again (a retry of the creation with the same Idempotency-Key answers the same)."""

    secret: str = Field(
        description="the Standard Webhooks signing secret (`whsec_` + base64 key): verify "
        "`webhook-signature` with it (docs/webhooks.md); for a dingtalk-robot subscription, "
        "the robot's own secret as registered",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class DeliveryOut(BaseModel):
    """One event to one subscription, and how its attempts went."""

    id: uuid.UUID = Field(description="also the `webhook-id` header: the same on every retry")
    subscription_id: uuid.UUID
    event_id: str = Field(description="the CloudEvent's id")
    event_type: str = Field(examples=["deadline.breached"])
    subject: str | None = Field(default=None, description="the deadline's id (the event key)")
    state: DeliveryState
    attempts: int = Field(ge=0, description="attempts in the current round")
    round: int = Field(
        default=1, ge=1, description="1, then one more at each redelivery (attempts restart)"
    )
    next_attempt_at: datetime | None = Field(
        default=None, description="when it is tried next (pending only)"
    )
    last_attempt_at: datetime | None = None
    last_status: int | None = Field(default=None, description="the receiver's last HTTP status")
    last_error: str | None = Field(default=None, description="why the last attempt failed")
    delivered_at: datetime | None = None
    created_at: datetime


class DeliveryAttemptOut(BaseModel):
    """One attempt of a delivery: when, how long, what the receiver answered or why it
    failed. Kept for good, across redeliveries."""

    number: int = Field(ge=1, description="1, 2, … over the delivery's whole life")
    round: int = Field(ge=1, description="the delivery's round (1, then +1 per redelivery)")
    attempt: int = Field(ge=1, description="the attempt's number within its round")
    started_at: datetime
    duration_ms: int = Field(ge=0, description="from the request's start to the answer")
    status: int | None = Field(default=None, description="the receiver's HTTP status, if any")
    error: str | None = Field(
        default=None,
        description="why it failed (not 2xx, a robot's errcode, a refused address, a timeout)",
    )
    ok: bool = Field(description="true: the receiver acknowledged it")
