"""The events the information sharing service publishes: builders of its contracts (module
`xietong_common.contracts.info`), published through the outbox (`uow.publish`), keyed by the
item id so one item's events stay in order."""

from __future__ import annotations

from datetime import datetime

from info_sharing.models import Delivery, Item
from xietong_common.contracts.info import (
    InfoCategory,
    InfoPublished,
    InfoRead,
    InfoUnreadOverdue,
    InfoUpdated,
    ItemSource,
)


def source_of(item: Item) -> ItemSource:
    return ItemSource(kind=item.source_kind, id=item.source_id)


def published(item: Item, recipients: list[str]) -> InfoPublished:
    """INFO-01/03: the item went out and these inboxes got it."""
    assert item.published_at is not None
    return InfoPublished(
        item_id=str(item.id),
        series_id=str(item.series_id),
        version=item.version,
        supersedes=str(item.supersedes) if item.supersedes else None,
        category=InfoCategory(item.category),
        title=item.title,
        publisher=item.publisher,
        matter_codes=list(item.matter_codes),
        towns=list(item.towns),
        restricted=item.restricted,
        audience=list(item.audience),
        recipients=recipients,
        source=source_of(item),
        published_at=item.published_at,
    )


def updated(item: Item, *, change: str, status: str | None = None) -> InfoUpdated:
    """INFO-04: the item's source changed it."""
    return InfoUpdated(
        item_id=str(item.id),
        category=InfoCategory(item.category),
        publisher=item.publisher,
        change=change,
        status=status,
        source=source_of(item),
        updated_at=item.updated_at,
    )


def read(item: Item, delivery: Delivery, *, late: bool) -> InfoRead:
    """INFO-03: the read receipt."""
    assert delivery.read_at is not None
    assert delivery.read_by is not None
    return InfoRead(
        item_id=str(item.id),
        publisher=item.publisher,
        reader_org=delivery.org,
        reader=delivery.read_by,
        delivered_at=delivery.delivered_at,
        read_at=delivery.read_at,
        late=late,
    )


def unread_overdue(
    item: Item, *, org: str, delivered_at: datetime, due_at: datetime, working_days: int
) -> InfoUnreadOverdue:
    """INFO-03/SUP-01: still unread past the setting."""
    return InfoUnreadOverdue(
        item_id=str(item.id),
        category=InfoCategory(item.category),
        publisher=item.publisher,
        organisation=org,
        delivered_at=delivered_at,
        due_at=due_at,
        working_days=working_days,
    )
