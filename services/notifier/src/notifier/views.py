"""Rows as the API shows them."""

from __future__ import annotations

from notifier.domain import DeliveryState, EventKind, WebhookFormat
from notifier.models import Delivery, DeliveryAttempt, Subscription
from notifier.schemas import DeliveryAttemptOut, DeliveryOut, SubscriptionCreated, SubscriptionOut


def subscription_out(s: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=s.id,
        organisation=s.organisation,
        url=s.url,
        kinds=[EventKind(k) for k in s.kinds],
        format=WebhookFormat(s.format),
        description=s.description,
        active=s.active,
        created_by=s.created_by,
        created_at=s.created_at,
        updated_at=s.updated_at,
        secret_rotated_at=s.secret_rotated_at,
        previous_secret_until=s.previous_secret_until if s.previous_secret else None,
    )


def subscription_created(s: Subscription, secret: str) -> SubscriptionCreated:
    """With the secret in clear (the stored one is sealed): only in the answer to its
    creation or rotation."""
    return SubscriptionCreated(**subscription_out(s).model_dump(), secret=secret)


def delivery_out(d: Delivery) -> DeliveryOut:
    state = DeliveryState(d.state)
    return DeliveryOut(
        id=d.id,
        subscription_id=d.subscription_id,
        event_id=d.event_id,
        event_type=d.event_type,
        subject=d.subject,
        state=state,
        attempts=d.attempts,
        round=d.round,
        next_attempt_at=d.next_attempt_at if state is DeliveryState.PENDING else None,
        last_attempt_at=d.last_attempt_at,
        last_status=d.last_status,
        last_error=d.last_error,
        delivered_at=d.delivered_at,
        created_at=d.created_at,
    )


def attempt_out(a: DeliveryAttempt) -> DeliveryAttemptOut:
    return DeliveryAttemptOut(
        number=a.number,
        round=a.round,
        attempt=a.attempt,
        started_at=a.started_at,
        duration_ms=a.duration_ms,
        status=a.status,
        error=a.error,
        ok=a.ok,
    )
