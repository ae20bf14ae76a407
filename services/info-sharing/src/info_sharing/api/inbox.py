"""INFO-03: subscriptions, the inbox with unread counts, unread items for oversight; INFO-01
(4): the departments' requests for feedback on penalty decisions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from info_sharing import service as info_service
from info_sharing.api.common import DEPARTMENT, OVERSIGHT, SCREENED, cutoff
from info_sharing.domain.categories import Category
from info_sharing.domain.inbox import read_due
from info_sharing.schemas import (
    FeedbackRequestIn,
    FeedbackRequestOut,
    InboxEntry,
    InboxSummary,
    OverdueCount,
    OverdueOut,
    SubscriptionIn,
    SubscriptionOut,
)
from info_sharing.service import queries
from info_sharing.service.queries import InboxFilters, OverdueFilters
from info_sharing.settings import info_settings
from info_sharing.views import (
    due_out,
    feedback_request_out,
    inbox_entry,
    name_of,
    subscription_out,
    summary_of,
)
from xietong_common.schemas import Code, OrgCode, Page
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey, Paging
from xietong_common.web.problems import LIST_ERRORS, WRITE_ERRORS, problem_responses

router = APIRouter(dependencies=[SCREENED])

Categories = Annotated[list[Category] | None, Query(description="one or more categories")]


# ---- inbox ---------------------------------------------------------------------------------


@router.get(
    "/inbox",
    response_model=Page[InboxEntry],
    tags=["inbox"],
    summary="INFO-03: the items delivered to the caller's organisation",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def inbox(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    unread: bool | None = None,
    overdue: Annotated[bool | None, Query(description="unread past the setting")] = None,
    category: Categories = None,
) -> Page[InboxEntry]:
    """Newest first, each with when it is to be read by (INFO-03 setting)."""
    days = info_settings(ctx).info_read_working_days
    now = ctx.clock.now()
    async with ctx.db.session() as session:
        rows, total = await queries.inbox(
            session,
            principal=principal,
            filters=InboxFilters(unread=unread, overdue=overdue, categories=category or ()),
            cutoff=cutoff(ctx),
            paging=paging,
        )
    return Page[InboxEntry].of(
        [
            inbox_entry(
                d,
                i,
                ctx.directory,
                due=read_due(ctx.calendar, d.delivered_at, days) if d.delivered_at else None,
                now=now,
            )
            for d, i in rows
        ],
        total=total,
        paging=paging,
    )


@router.get(
    "/inbox/summary",
    response_model=InboxSummary,
    tags=["inbox"],
    summary="INFO-03: unread counts of the caller's inbox",
    responses=problem_responses(401),
    dependencies=[Allowed(roles=ANY)],
)
async def inbox_summary(ctx: Context, principal: CurrentPrincipal) -> InboxSummary:
    """Unread items by category and how many are past the setting."""
    async with ctx.db.session() as session:
        by_category, overdue = await queries.inbox_summary(
            session, principal=principal, cutoff=cutoff(ctx)
        )
    return InboxSummary(
        unread=sum(by_category.values()),
        unread_overdue=overdue,
        unread_by_category=by_category,
        read_working_days=info_settings(ctx).info_read_working_days,
    )


# ---- subscriptions -------------------------------------------------------------------------


@router.post(
    "/subscriptions",
    response_model=SubscriptionOut,
    status_code=status.HTTP_201_CREATED,
    tags=["inbox"],
    summary="INFO-03: subscribe to categories, matters, towns or publishers",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def subscribe(
    data: SubscriptionIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> SubscriptionOut:
    """Each new item these filters match reaches the organisation's inbox — once, however
    many of its subscriptions match."""
    async with ctx.db.uow(actor=principal) as uow:
        subscription = await info_service.subscribe(
            uow, ctx=ctx, actor=principal, data=data, idempotency_key=idempotency_key
        )
        return subscription_out(subscription)


@router.get(
    "/subscriptions",
    response_model=Page[SubscriptionOut],
    tags=["inbox"],
    summary="The caller's organisation's subscriptions",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def subscriptions(
    ctx: Context, principal: CurrentPrincipal, paging: Paging
) -> Page[SubscriptionOut]:
    """Active subscriptions, oldest first."""
    async with ctx.db.session() as session:
        rows, total = await queries.subscriptions(session, principal=principal, paging=paging)
    return Page[SubscriptionOut].of(
        [subscription_out(s) for s in rows],
        total=total,
        paging=paging,
    )


@router.delete(
    "/subscriptions/{subscription_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["inbox"],
    summary="Cancel a subscription",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def unsubscribe(
    subscription_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> Response:
    """Items already delivered stay in the inbox."""
    async with ctx.db.uow(actor=principal) as uow:
        await info_service.unsubscribe(uow, subscription_id=subscription_id, actor=principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---- feedback requests (INFO-01 (4)) -----------------------------------------------------------


def _matter_name(ctx: Context, code: str | None) -> str | None:
    matter = ctx.catalogue.get(code) if code else None
    return matter.name_zh if matter else None


@router.post(
    "/feedback-requests",
    response_model=FeedbackRequestOut,
    status_code=status.HTTP_201_CREATED,
    tags=["feedback-requests"],
    summary="INFO-01 (4): a department asks for feedback on penalty decisions",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ANY, orgs=DEPARTMENT, rule="INFO-01")],
)
async def request_feedback(
    data: FeedbackRequestIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> FeedbackRequestOut:
    """The towns' penalty decisions on this matter (null: on every matter the department
    owns) are shared with the department — typed in, or made from `review.decided`."""
    async with ctx.db.uow(actor=principal) as uow:
        request = await info_service.request_feedback(
            uow, ctx=ctx, actor=principal, data=data, idempotency_key=idempotency_key
        )
        return feedback_request_out(request, ctx.directory, _matter_name(ctx, request.matter_code))


@router.get(
    "/feedback-requests",
    response_model=Page[FeedbackRequestOut],
    tags=["feedback-requests"],
    summary="The departments' requests for feedback (what the towns feed back)",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def feedback_requests(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    department: OrgCode | None = None,
    matter_code: Code | None = None,
    active: Annotated[bool | None, Query(description="default: standing requests only")] = True,
) -> Page[FeedbackRequestOut]:
    """Visible to every coordinating party; `matter_code` lists the requests covering it."""
    matter = None
    if matter_code is not None:
        matter = (matter_code, ctx.catalogue.require(matter_code).owner)
    async with ctx.db.session() as session:
        rows, total = await queries.feedback_requests(
            session, department=department, matter=matter, active=active, paging=paging
        )
    return Page[FeedbackRequestOut].of(
        [feedback_request_out(r, ctx.directory, _matter_name(ctx, r.matter_code)) for r in rows],
        total=total,
        paging=paging,
    )


@router.delete(
    "/feedback-requests/{request_id:uuid}",
    response_model=FeedbackRequestOut,
    tags=["feedback-requests"],
    summary="Withdraw a request for feedback",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ANY, orgs=DEPARTMENT, rule="INFO-01")],
)
async def withdraw_feedback(
    request_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> FeedbackRequestOut:
    """Decisions made afterwards are no longer shared as category 4."""
    async with ctx.db.uow(actor=principal) as uow:
        request = await info_service.withdraw_feedback(uow, request_id=request_id, actor=principal)
        return feedback_request_out(request, ctx.directory, _matter_name(ctx, request.matter_code))


# ---- oversight (INFO-03, SUP-01) ----------------------------------------------------------------


@router.get(
    "/oversight/unread",
    response_model=Page[OverdueOut],
    tags=["oversight"],
    summary="INFO-03/SUP-01: items still unread past the setting, for oversight",
    responses=problem_responses(401, 403, 422),
    dependencies=[Allowed(roles=ANY, orgs=OVERSIGHT, rule="INFO-03")],
)
async def unread_overdue(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    org: Annotated[OrgCode | None, Query(description="the organisation that has not read")] = None,
    publisher: OrgCode | None = None,
    category: Categories = None,
) -> Page[OverdueOut]:
    """For the justice bureau and the district government: oldest first."""
    days = info_settings(ctx).info_read_working_days
    async with ctx.db.session() as session:
        rows, total = await queries.overdue(
            session,
            cutoff=cutoff(ctx),
            filters=OverdueFilters(org=org, publisher=publisher, categories=category or ()),
            paging=paging,
        )
    items = []
    for d, i in rows:
        assert d.delivered_at is not None
        items.append(
            OverdueOut(
                org=d.org,
                org_name=name_of(ctx.directory, d.org),
                item=summary_of(i, ctx.directory),
                delivered_at=d.delivered_at,
                due=due_out(read_due(ctx.calendar, d.delivered_at, days)),
            )
        )
    return Page[OverdueOut].of(items, total=total, paging=paging)


@router.get(
    "/oversight/unread/by-organisation",
    response_model=list[OverdueCount],
    tags=["oversight"],
    summary="INFO-03/SUP-01: unread items past the setting, counted per organisation",
    responses=problem_responses(401, 403, 422),
    dependencies=[Allowed(roles=ANY, orgs=OVERSIGHT, rule="INFO-03")],
)
async def unread_overdue_by_org(
    ctx: Context,
    principal: CurrentPrincipal,
    publisher: OrgCode | None = None,
    category: Categories = None,
) -> list[OverdueCount]:
    """Most first; for the justice bureau and the district government."""
    async with ctx.db.session() as session:
        rows = await queries.overdue_by_org(
            session,
            cutoff=cutoff(ctx),
            filters=OverdueFilters(publisher=publisher, categories=category or ()),
        )
    return [
        OverdueCount(org=o, org_name=name_of(ctx.directory, o), unread_overdue=n) for o, n in rows
    ]
