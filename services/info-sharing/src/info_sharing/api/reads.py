"""Reads of 信息互享: the nine categories, lists and Chinese search, one item, its versions,
its read receipts, its files."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from info_sharing.api.common import SCREENED, cutoff, detail
from info_sharing.domain.categories import Category
from info_sharing.domain.items import ItemState
from info_sharing.errors import AttachmentNotFound
from info_sharing.schemas import (
    CategoryInfo,
    ItemOut,
    ItemSummary,
    ReceiptOut,
    SearchPage,
    VersionOut,
)
from info_sharing.service import queries
from info_sharing.service.common import readable
from info_sharing.service.queries import ItemFilters, SearchLimits, SortKey
from info_sharing.settings import info_settings
from info_sharing.views import category_info, hit_of, receipt_out, summary_of, version_out
from xietong_common.schemas import Code, OrgCode, Page, TimeBound
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import Paging
from xietong_common.web.materials import DOWNLOAD_RESPONSES, stream_material
from xietong_common.web.problems import LIST_ERRORS, READ_ERRORS, problem_responses

router = APIRouter(tags=["information"], dependencies=[SCREENED])

SearchText = Annotated[
    str,
    Query(
        min_length=1,
        max_length=200,
        description="words to find (Chinese is segmented into words: 餐饮 finds 餐饮店, "
        "not 快餐饮料)",
        examples=["餐饮 油烟"],
    ),
]


@router.get(
    "/categories",
    response_model=list[CategoryInfo],
    summary="INFO-01: the nine categories of shareable information",
    responses=problem_responses(401),
    dependencies=[Allowed(roles=ANY)],
)
async def categories(principal: CurrentPrincipal) -> list[CategoryInfo]:
    """Exactly the nine of 二(一): their names, numbers and who publishes each."""
    return [category_info(c) for c in Category]


async def _filters(
    category: Annotated[
        list[Category] | None, Query(description="one or more of the nine categories")
    ] = None,
    matter_code: Annotated[Code | None, Query(description="a matter of the catalogue")] = None,
    town: Annotated[OrgCode | None, Query(description="a town the item concerns")] = None,
    publisher: Annotated[OrgCode | None, Query(description="the publishing organisation")] = None,
    published_from: Annotated[TimeBound | None, Query(description="published at or after")] = None,
    published_to: Annotated[TimeBound | None, Query(description="published before")] = None,
    state: Annotated[
        list[ItemState] | None,
        Query(
            description="default: published (current) only; add superseded for old versions; "
            "draft lists the caller's own drafts"
        ),
    ] = None,
    source: Annotated[
        str | None,
        Query(
            max_length=32,
            pattern=r"^[a-z-]+$",
            description="manual, review-decided, inspection or complaint",
        ),
    ] = None,
) -> ItemFilters:
    return ItemFilters(
        categories=category or (),
        matter_code=matter_code,
        town=town,
        publisher=publisher,
        published_from=published_from,
        published_to=published_to,
        states=state or (ItemState.PUBLISHED,),
        source_kind=source,
    )


Filters = Annotated[ItemFilters, Depends(_filters)]


@router.get(
    "/items",
    response_model=Page[ItemSummary],
    summary="Items the caller may see, newest first, with filters",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_items(
    ctx: Context,
    principal: CurrentPrincipal,
    filters: Filters,
    paging: Paging,
    sort: Annotated[SortKey, Query()] = SortKey.NEWEST,
) -> Page[ItemSummary]:
    """Published items shared with every party or addressed to the caller, and its own."""
    async with ctx.db.session() as session:
        rows, total = await queries.list_items(
            session, principal=principal, filters=filters, sort=sort, paging=paging
        )
        return Page[ItemSummary].of(
            [summary_of(i, ctx.directory) for i in rows],
            total=total,
            paging=paging,
        )


@router.get(
    "/items/search",
    response_model=SearchPage,
    summary="Full-text search in Chinese, ranked, with highlighted snippets",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def search(
    q: SearchText,
    ctx: Context,
    principal: CurrentPrincipal,
    filters: Filters,
    paging: Paging,
    sort: Annotated[SortKey, Query()] = SortKey.RELEVANCE,
) -> SearchPage:
    """Every word of `q` must occur in the title, an attachment's name, the body or the
    fields. Results are ranked (title first; by relevance, the newest
    XIETONG_INFO_SEARCH_RANK_WINDOW matches are ranked) and the matching words marked."""
    settings = info_settings(ctx)
    limits = SearchLimits(
        rank_window=settings.info_search_rank_window,
        count_limit=settings.info_search_count_limit,
    )
    async with ctx.db.session() as session:
        hits, total, exact, terms = await queries.search(
            session,
            principal=principal,
            text=q,
            filters=filters,
            sort=sort,
            paging=paging,
            limits=limits,
        )
        return SearchPage(
            items=[hit_of(h.item, ctx.directory, rank=h.rank, terms=terms) for h in hits],
            total=total,
            total_exact=exact,
            page=paging.page,
            page_size=paging.page_size,
        )


@router.get(
    "/items/{item_id:uuid}",
    response_model=ItemOut,
    summary="One item (a superseded version stays readable, marked so)",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_one(item_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> ItemOut:
    """The item with its fields, files and source updates; its publisher also sees the
    receipt counts."""
    async with ctx.db.session() as session:
        item = await readable(session, item_id, principal, lock=False)
        return await detail(session, item, ctx, principal)


@router.get(
    "/items/{item_id:uuid}/versions",
    response_model=list[VersionOut],
    summary="Every version of the item",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def versions(
    item_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> list[VersionOut]:
    """Oldest first; each superseded one points at its successor."""
    async with ctx.db.session() as session:
        item = await readable(session, item_id, principal, lock=False)
        return [
            version_out(v) for v in await queries.versions(session, item=item, principal=principal)
        ]


@router.get(
    "/items/{item_id:uuid}/receipts",
    response_model=Page[ReceiptOut],
    summary="INFO-03: read receipts — who got the item and who has seen it",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def receipts(
    item_id: uuid.UUID,
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    read: Annotated[bool | None, Query(description="only read (true) or unread (false)")] = None,
) -> Page[ReceiptOut]:
    """For the publisher (and oversight): each organisation, when its inbox got the item,
    when it read it and who; `overdue` when still unread past the setting."""
    before = cutoff(ctx)
    async with ctx.db.session() as session:
        item = await readable(session, item_id, principal, lock=False)
        rows, total = await queries.receipts(
            session, item=item, principal=principal, read=read, paging=paging
        )
    return Page[ReceiptOut].of(
        [
            receipt_out(
                d,
                ctx.directory,
                overdue=bool(
                    before and d.read_at is None and d.delivered_at and d.delivered_at < before
                ),
            )
            for d in rows
        ],
        total=total,
        paging=paging,
    )


@router.get(
    "/items/{item_id:uuid}/attachments/{attachment_id:uuid}/content",
    response_class=StreamingResponse,
    summary="Download an attachment",
    responses={**DOWNLOAD_RESPONSES, **READ_ERRORS},
    dependencies=[Allowed(roles=ANY)],
)
async def download_attachment(
    item_id: uuid.UUID, attachment_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> StreamingResponse:
    """The stored file, for whoever may read the item."""
    async with ctx.db.session() as session:
        item = await readable(session, item_id, principal, lock=False)
        attachment = next((a for a in item.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise AttachmentNotFound("no such attachment", zh="未找到该附件")
    return await stream_material(ctx, attachment)
