"""INFO-04, shared steps of the items that write themselves from what another mechanism
already knows, so nobody types a fact twice — idempotent per source record (a unique source
key), whatever event id or retry brings it.

- category 4 from `review.decided` (REV-08): `decisions.py`;
- category 3 from a department's `inspection.finding` / `inspection.closed`: `inspections.py`;
- category 8 from complaint records intake platforms post: `complaints.py`.

INFO-02 applies here too: content that carries a secrecy marking makes no item and is not
dead-lettered; that it was withheld is audited, without the content.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import selectinload

from info_sharing import events
from info_sharing.domain.items import ItemState
from info_sharing.domain.secrecy import flatten
from info_sharing.models import Item, ItemUpdate
from info_sharing.service.common import (
    ITEM,
    markings_in,
    record_refused,
    refresh_search,
    refusal,
)
from xietong_common.calendar import CHINA_TZ
from xietong_common.context import ServiceContext
from xietong_common.uow import UnitOfWork

REVIEW_DECIDED = "review-decided"
INSPECTION = "inspection"
COMPLAINT = "complaint"
SYSTEM = "system:info-sharing"


def withheld(
    uow: UnitOfWork,
    payload: BaseModel,
    *,
    via: str,
    source_kind: str,
    source_id: str,
    event_id: str | None,
) -> bool:
    """INFO-02 on a whole event payload: True (and audited, without the content) when it is
    marked secret, so the caller makes nothing of it — and nothing is retried or
    dead-lettered with it."""
    found = markings_in(flatten(payload.model_dump(mode="json")))
    if not found:
        return False
    record_refused(
        uow,
        refusal(found),
        via=via,
        source_kind=source_kind,
        source_id=source_id,
        event_id=event_id,
    )
    return True


# An item with its files and source updates (an item read outside the record kit).
WHOLE = (selectinload(Item.attachments), selectinload(Item.updates))


def china_day(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).date().isoformat()


def china_time(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


async def find_source(uow: UnitOfWork, kind: str, source_id: str) -> Item | None:
    return (
        await uow.session.execute(
            sa.select(Item)
            .where(Item.source_kind == kind, Item.source_id == source_id)
            .options(*WHOLE)
            .with_for_update()
        )
    ).scalar_one_or_none()


async def insert_sourced(
    uow: UnitOfWork, *, source_kind: str, source_id: str, created_by: str, **values: Any
) -> Item | None:
    """A new item for this source, or None if the source already made one (its unique key)."""
    new_id = uuid.uuid4()
    inserted = (
        await uow.session.execute(
            pg_insert(Item)
            .values(
                id=new_id,
                series_id=new_id,
                version=1,
                state=ItemState.DRAFT.value,
                source_kind=source_kind,
                source_id=source_id,
                created_at=uow.now,
                created_by=created_by,
                updated_at=uow.now,
                **values,
            )
            .on_conflict_do_nothing(
                index_elements=[Item.source_kind, Item.source_id],
                index_where=Item.source_id.is_not(None),
            )
            .returning(Item.id)
        )
    ).scalar_one_or_none()
    if inserted is None:
        return None
    return (
        await uow.session.execute(
            sa.select(Item).where(Item.id == new_id).options(*WHOLE).with_for_update()
        )
    ).scalar_one()


async def record_update(
    uow: UnitOfWork,
    item: Item,
    *,
    change: str,
    source_ref: str,
    status: str | None = None,
    note: str | None = None,
    source_at: datetime | None = None,
) -> bool:
    """Note a change from the source once per source reference; False if it was seen."""
    inserted = (
        await uow.session.execute(
            pg_insert(ItemUpdate)
            .values(
                id=uuid.uuid4(),
                item_id=item.id,
                change=change,
                source_ref=source_ref,
                status=status,
                note=note,
                source_at=source_at,
                at=uow.now,
            )
            .on_conflict_do_nothing(constraint="uq_item_updates_source")
            .returning(ItemUpdate.id)
        )
    ).scalar_one_or_none()
    if inserted is not None:
        await uow.session.refresh(item, ["updates"])
    return inserted is not None


async def updated(
    uow: UnitOfWork,
    ctx: ServiceContext,
    item: Item,
    *,
    change: str,
    status: str | None = None,
    **detail: Any,
) -> None:
    await uow.session.flush()
    await refresh_search(uow, ctx, item)
    uow.publish(events.updated(item, change=change, status=status), key=str(item.id))
    ITEM.audit(uow, item, change, rule="INFO-04", status=status, **detail)
