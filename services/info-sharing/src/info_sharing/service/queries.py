"""Reads: one item and its versions, lists and Chinese full-text search with filters, the
inbox and its unread counts, read receipts, unread items for oversight, subscriptions and
feedback requests. Every read sees only what the caller's organisation may see."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload, selectinload

from info_sharing.domain import search as search_words
from info_sharing.domain.categories import Category
from info_sharing.domain.items import ItemState
from info_sharing.errors import InfoInvalidInput, ItemNotFound
from info_sharing.models import Delivery, FeedbackRequest, Item, Subscription
from xietong_common.auth import Principal
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.reference import DISTRICT_GOV, OVERSIGHT_ORG

OVERSIGHT_READERS = (OVERSIGHT_ORG, DISTRICT_GOV)
# weights of {D, C, B, A}: title (A) counts most, then attachment names (B), body (C)
RANK_WEIGHTS: sa.ColumnElement[Any] = sa.literal_column("'{0.05, 0.2, 0.4, 1.0}'::float4[]")


# Lists show summaries: an item's files and source updates are not loaded for them.
SUMMARY_ONLY = (raiseload(Item.attachments), raiseload(Item.updates))


class SortKey(StrEnum):
    RELEVANCE = "relevance"
    NEWEST = "-published_at"
    OLDEST = "published_at"


@dataclass(frozen=True)
class ItemFilters:
    """Filters shared by the list and the search."""

    categories: Sequence[Category] = ()
    matter_code: str | None = None
    town: str | None = None
    publisher: str | None = None
    published_from: datetime | None = None
    published_to: datetime | None = None
    states: Sequence[ItemState] = (ItemState.PUBLISHED,)
    source_kind: str | None = None


def visible_to(org: str) -> sa.ColumnElement[bool]:
    """What an organisation may read: its own items; others' published ones that are shared
    with every party or name it; oversight reads every published item."""
    own = Item.publisher == org
    out = Item.state != ItemState.DRAFT.value
    if org == OVERSIGHT_ORG:
        return sa.or_(own, out)
    return sa.or_(
        own, sa.and_(out, sa.or_(Item.restricted.is_(False), Item.audience.contains([org])))
    )


DELIVERY_CHANGED = sa.func.greatest(
    Delivery.delivered_at, Delivery.read_at, Delivery.overdue_reported_at
)
"""A delivery's last change (`updated_since`): delivered, read, or reported unread."""
ENTRY_CHANGED = sa.func.greatest(DELIVERY_CHANGED, Item.updated_at)
"""An inbox entry's: its delivery's, or its item's."""


def _where(principal: Principal, filters: ItemFilters) -> list[sa.ColumnElement[bool]]:
    where = [visible_to(principal.org)]
    if filters.states:
        where.append(Item.state.in_([s.value for s in filters.states]))
    if filters.categories:
        where.append(Item.category.in_([c.value for c in filters.categories]))
    if filters.matter_code:
        where.append(Item.matter_codes.contains([filters.matter_code]))
    if filters.town:
        where.append(Item.towns.contains([filters.town]))
    if filters.publisher:
        where.append(Item.publisher == filters.publisher)
    if filters.published_from:
        where.append(Item.published_at >= filters.published_from)
    if filters.published_to:
        where.append(Item.published_at < filters.published_to)
    if filters.source_kind:
        where.append(Item.source_kind == filters.source_kind)
    return where


def _order(sort: SortKey) -> list[Any]:
    if sort is SortKey.OLDEST:
        return [Item.published_at.asc().nulls_last(), Item.id]
    return [Item.published_at.desc().nulls_last(), Item.id]


async def list_items(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: ItemFilters,
    sort: SortKey,
    paging: PageParams,
) -> tuple[Sequence[Item], int]:
    query = (
        sa.select(Item)
        .options(*SUMMARY_ONLY)
        .where(*_where(principal, filters))
        .order_by(*_order(sort))
    )
    return await fetch_page(session, query, paging, changed=Item.updated_at)


@dataclass(frozen=True)
class Hit:
    item: Item
    rank: float


@dataclass(frozen=True)
class SearchLimits:
    """How much of a very common word's matches a search ranks and counts (settings)."""

    rank_window: int = 2000
    count_limit: int = 10_000


async def search(
    session: AsyncSession,
    *,
    principal: Principal,
    text: str,
    filters: ItemFilters,
    sort: SortKey,
    paging: PageParams,
    limits: SearchLimits = SearchLimits(),
) -> tuple[list[Hit], int, bool, list[str]]:
    """Full text over title, attachment names, body and fields: every word of the query
    (Chinese words as the tokenizer cuts them) must occur. By relevance, the newest
    `rank_window` matches are ranked by ts_rank_cd (a word in nearly every item would
    otherwise rank the whole table); the total is exact up to `count_limit`.
    Returns (hits, total, total is exact, query words)."""
    terms = search_words.query_terms(text)
    if not terms:
        raise InfoInvalidInput(
            "the search text has no words to look for", zh="检索内容中没有可检索的词语"
        )
    query_vector = sa.func.plainto_tsquery("simple", " ".join(terms))
    where = [
        *_where(principal, filters),
        *paging.changed_since(Item.updated_at),
        Item.search.op("@@")(query_vector),
    ]
    counted = (
        await session.execute(
            sa.select(sa.func.count()).select_from(
                sa.select(Item.id).where(*where).limit(limits.count_limit + 1).subquery()
            )
        )
    ).scalar_one()
    exact = counted <= limits.count_limit
    if sort is SortKey.RELEVANCE:
        newest = (
            sa.select(Item.id, Item.search, Item.published_at)
            .where(*where)
            .order_by(Item.published_at.desc().nulls_last())
            .limit(limits.rank_window)
            .subquery()
        )
        rank = sa.func.ts_rank_cd(RANK_WEIGHTS, newest.c.search, query_vector)
        query = (
            sa.select(Item, rank.label("rank"))
            .join(newest, newest.c.id == Item.id)
            .order_by(rank.desc(), newest.c.published_at.desc().nulls_last(), Item.id)
        )
    else:
        rank = sa.func.ts_rank_cd(RANK_WEIGHTS, Item.search, query_vector)
        query = sa.select(Item, rank.label("rank")).where(*where).order_by(*_order(sort))
    rows = await session.execute(
        query.options(selectinload(Item.attachments))  # a hit's snippet may quote their names
        .limit(paging.page_size)
        .offset(paging.offset)
    )
    hits = [Hit(item=i, rank=float(r)) for i, r in rows.all()]
    return hits, min(int(counted), limits.count_limit), exact, terms


async def versions(session: AsyncSession, *, item: Item, principal: Principal) -> list[Item]:
    """Every version of the item's series the caller may see, oldest first."""
    rows = await session.execute(
        sa.select(Item)
        .where(Item.series_id == item.series_id, visible_to(principal.org))
        .options(selectinload(Item.attachments), selectinload(Item.updates))
        .order_by(Item.version)
    )
    return list(rows.scalars())


# ---- receipts and the inbox (INFO-03) ---------------------------------------------------------


def may_see_receipts(item: Item, principal: Principal) -> bool:
    return principal.org in (item.publisher, OVERSIGHT_ORG)


async def receipt_counts(
    session: AsyncSession, *, item_id: uuid.UUID, cutoff: datetime | None
) -> tuple[int, int, int]:
    d = Delivery
    overdue = sa.and_(d.read_at.is_(None), d.delivered_at < cutoff) if cutoff else sa.false()
    row = (
        await session.execute(
            sa.select(
                sa.func.count().filter(d.delivered_at.is_not(None)),
                sa.func.count().filter(d.read_at.is_not(None)),
                sa.func.count().filter(overdue),
            ).where(d.item_id == item_id)
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


async def receipts(
    session: AsyncSession,
    *,
    item: Item,
    principal: Principal,
    read: bool | None,
    paging: PageParams,
) -> tuple[Sequence[Delivery], int]:
    """Who got the item and who has read it: for its publisher and oversight."""
    if not may_see_receipts(item, principal):
        raise ItemNotFound("no such item", zh="未找到该信息")
    query = sa.select(Delivery).where(Delivery.item_id == item.id)
    if read is not None:
        query = query.where(Delivery.read_at.is_not(None) if read else Delivery.read_at.is_(None))
    query = query.order_by(Delivery.read_at.desc().nulls_last(), Delivery.org)
    return await fetch_page(session, query, paging, changed=DELIVERY_CHANGED)


@dataclass(frozen=True)
class InboxFilters:
    unread: bool | None = None
    overdue: bool | None = None
    categories: Sequence[Category] = ()


async def inbox(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: InboxFilters,
    cutoff: datetime | None,
    paging: PageParams,
) -> tuple[list[tuple[Delivery, Item]], int]:
    """The items delivered to the caller's organisation, newest first."""
    where = [
        Delivery.org == principal.org,
        Delivery.delivered_at.is_not(None),
        *paging.changed_since(ENTRY_CHANGED),
    ]
    if filters.unread is not None:
        where.append(
            Delivery.read_at.is_(None) if filters.unread else Delivery.read_at.is_not(None)
        )
    if filters.overdue is not None:
        late = (
            sa.and_(Delivery.read_at.is_(None), Delivery.delivered_at < cutoff)
            if cutoff
            else sa.false()
        )
        where.append(late if filters.overdue else sa.not_(late))
    if filters.categories:
        where.append(Item.category.in_([c.value for c in filters.categories]))
    base = (
        sa.select(Delivery, Item)
        .options(*SUMMARY_ONLY)
        .join(Item, Item.id == Delivery.item_id)
        .where(*where)
    )
    total = (
        await session.execute(sa.select(sa.func.count()).select_from(base.subquery()))
    ).scalar_one()
    rows = await session.execute(
        base.order_by(Delivery.delivered_at.desc(), Delivery.item_id)
        .limit(paging.page_size)
        .offset(paging.offset)
    )
    return [(d, i) for d, i in rows.all()], int(total)


async def inbox_summary(
    session: AsyncSession, *, principal: Principal, cutoff: datetime | None
) -> tuple[dict[str, int], int]:
    """Unread counts by category, and how many are past the setting."""
    unread = sa.and_(
        Delivery.org == principal.org,
        Delivery.delivered_at.is_not(None),
        Delivery.read_at.is_(None),
    )
    rows = await session.execute(
        sa.select(Item.category, sa.func.count())
        .select_from(Delivery)
        .join(Item, Item.id == Delivery.item_id)
        .where(unread)
        .group_by(Item.category)
    )
    by_category = {str(c): int(n) for c, n in rows.all()}
    overdue = 0
    if cutoff is not None:
        overdue = (
            await session.execute(
                sa.select(sa.func.count()).where(unread, Delivery.delivered_at < cutoff)
            )
        ).scalar_one()
    return by_category, int(overdue)


# ---- oversight (INFO-03, SUP-01) ------------------------------------------------------------


@dataclass(frozen=True)
class OverdueFilters:
    org: str | None = None
    publisher: str | None = None
    categories: Sequence[Category] = ()


def _overdue_where(cutoff: datetime, filters: OverdueFilters) -> list[sa.ColumnElement[bool]]:
    where = [Delivery.read_at.is_(None), Delivery.delivered_at < cutoff]
    if filters.org:
        where.append(Delivery.org == filters.org)
    if filters.publisher:
        where.append(Item.publisher == filters.publisher)
    if filters.categories:
        where.append(Item.category.in_([c.value for c in filters.categories]))
    return where


async def overdue(
    session: AsyncSession, *, cutoff: datetime | None, filters: OverdueFilters, paging: PageParams
) -> tuple[list[tuple[Delivery, Item]], int]:
    """Deliveries still unread past the setting, oldest first."""
    if cutoff is None:
        return [], 0
    base = (
        sa.select(Delivery, Item)
        .options(*SUMMARY_ONLY)
        .join(Item, Item.id == Delivery.item_id)
        .where(*_overdue_where(cutoff, filters), *paging.changed_since(ENTRY_CHANGED))
    )
    total = (
        await session.execute(sa.select(sa.func.count()).select_from(base.subquery()))
    ).scalar_one()
    rows = await session.execute(
        base.order_by(Delivery.delivered_at, Delivery.org, Delivery.item_id)
        .limit(paging.page_size)
        .offset(paging.offset)
    )
    return [(d, i) for d, i in rows.all()], int(total)


async def overdue_by_org(
    session: AsyncSession, *, cutoff: datetime | None, filters: OverdueFilters
) -> list[tuple[str, int]]:
    if cutoff is None:
        return []
    rows = await session.execute(
        sa.select(Delivery.org, sa.func.count())
        .join(Item, Item.id == Delivery.item_id)
        .where(*_overdue_where(cutoff, filters))
        .group_by(Delivery.org)
        .order_by(sa.func.count().desc(), Delivery.org)
    )
    return [(str(o), int(n)) for o, n in rows.all()]


# ---- subscriptions and feedback requests ---------------------------------------------------------


async def subscriptions(
    session: AsyncSession, *, principal: Principal, paging: PageParams
) -> tuple[Sequence[Subscription], int]:
    query = (
        sa.select(Subscription)
        .where(Subscription.org == principal.org, Subscription.cancelled_at.is_(None))
        .order_by(Subscription.created_at, Subscription.id)
    )
    changed = sa.func.greatest(Subscription.created_at, Subscription.cancelled_at)
    return await fetch_page(session, query, paging, changed=changed)


async def feedback_requests(
    session: AsyncSession,
    *,
    department: str | None,
    matter: tuple[str, str] | None,
    active: bool | None,
    paging: PageParams,
) -> tuple[Sequence[FeedbackRequest], int]:
    """Every department's standing requests: the towns read what to feed back. `matter`
    (code, owner): the requests that cover it — for it, or for all its owner's matters."""
    query = sa.select(FeedbackRequest)
    if department:
        query = query.where(FeedbackRequest.department == department)
    if matter:
        code, owner = matter
        query = query.where(
            sa.or_(
                FeedbackRequest.matter_code == code,
                sa.and_(FeedbackRequest.matter_code.is_(None), FeedbackRequest.department == owner),
            )
        )
    if active is not None:
        query = query.where(
            FeedbackRequest.withdrawn_at.is_(None)
            if active
            else FeedbackRequest.withdrawn_at.is_not(None)
        )
    query = query.order_by(
        FeedbackRequest.department, FeedbackRequest.created_at, FeedbackRequest.id
    )
    changed = sa.func.greatest(FeedbackRequest.created_at, FeedbackRequest.withdrawn_at)
    return await fetch_page(session, query, paging, changed=changed)
