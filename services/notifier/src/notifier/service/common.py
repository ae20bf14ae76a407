"""The notifier's kinds of record, declared once with the record kit."""

from __future__ import annotations

from notifier.domain import TRANSITIONS, DeliveryState, Step
from notifier.errors import DeliveryNotFound, SubscriptionNotFound
from notifier.models import Delivery, Subscription
from xietong_common.records import RecordKind

MECHANISM = "notifier"
ADMIN_ROLES = ("admin",)  # an organisation's administrator registers and reads its webhooks

# Only the organisation itself sees its webhooks (no oversight reader: a URL and its
# delivery log are the organisation's own configuration, not a case).
SUBSCRIPTION: RecordKind[Subscription, DeliveryState, Step] = RecordKind(
    model=Subscription,
    subject="subscription",
    mechanism=MECHANISM,
    name="webhook subscription",
    name_zh="订阅",
    parties=lambda s: () if s.deleted_at is not None else (s.organisation,),
    readers=(),
    not_found=SubscriptionNotFound,
    audit_detail=lambda s: {"organisation": s.organisation},
)
DELIVERY: RecordKind[Delivery, DeliveryState, Step] = RecordKind(
    model=Delivery,
    subject="delivery",
    mechanism=MECHANISM,
    name="webhook delivery",
    name_zh="推送记录",
    parties=lambda d: (d.organisation,),
    readers=(),
    transitions=TRANSITIONS,
    not_found=DeliveryNotFound,
)
