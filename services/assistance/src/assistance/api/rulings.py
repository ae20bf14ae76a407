"""ASSIST-03: the justice bureau's queue of refusals to rule on, its ruling, and the requesting
town's contest of a refusal."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query

from assistance import service as assistance_service
from assistance.api.common import TOWN, detail, make_router
from assistance.schemas import AssistanceOut, ContestIn, RefusalQueueItem, RulingIn
from assistance.service import rulings
from assistance.service.common import ACTING_ROLES
from assistance.views import queue_item_of
from xietong_common.reference import OrgKind
from xietong_common.schemas import OrgCode, Page
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import Paging
from xietong_common.web.problems import LIST_ERRORS, WRITE_ERRORS, problem_responses

router: APIRouter = make_router()
BUREAU = (OrgKind.JUSTICE_BUREAU,)
READERS = (OrgKind.JUSTICE_BUREAU, OrgKind.DISTRICT_GOV)
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description='the request\'s ETag as read (`"<version>"`, GET /assistance-requests/{id} '
        "or `version` in the queue): none → 428, no longer current → 412; `*` matches nothing",
    ),
]


@router.get(
    "/owned-refusals",
    response_model=Page[RefusalQueueItem],
    summary="ASSIST-03: refusals for the justice bureau's ruling (owned matters, contested)",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY, orgs=READERS)],
)
async def owned_refusals(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    ruling: Annotated[
        Literal["pending", "upheld", "not-upheld"] | None,
        Query(description="pending (not yet ruled on), upheld or not-upheld"),
    ] = None,
    contested: Annotated[bool | None, Query(description="the town contested it")] = None,
    department: Annotated[OrgCode | None, Query(description="the refusing department")] = None,
    town: Annotated[OrgCode | None, Query(description="the requesting town")] = None,
) -> Page[RefusalQueueItem]:
    """ASSIST-03: every refusal of a matter the catalogue assigns to the refusing department,
    and every refusal a town contested, oldest first, with the contest and the ruling."""
    filters = rulings.QueueFilters(
        ruling=ruling, contested=contested, department=department, town=town
    )
    async with ctx.db.session() as session:
        found, total = await rulings.queue(
            session, principal=principal, filters=filters, paging=paging
        )
        items = [queue_item_of(r) for r in found]
    return Page[RefusalQueueItem].of(items, total=total, paging=paging)


@router.post(
    "/{request_id:uuid}/ruling",
    response_model=AssistanceOut,
    summary="ASSIST-03: the justice bureau rules on a refusal (upheld / not upheld)",
    responses={**WRITE_ERRORS, **problem_responses(412, 428)},
    dependencies=[Allowed(roles=ACTING_ROLES, orgs=BUREAU)],
)
async def rule_on_refusal(
    request_id: uuid.UUID,
    data: RulingIn,
    ctx: Context,
    principal: CurrentPrincipal,
    if_match: IfMatch = None,
) -> AssistanceOut:
    """ASSIST-03: once, on a refusal of an owned matter or a contested one, with a written
    reason and `If-Match` naming the version read (428 without, 412 if the request changed
    meanwhile, e.g. the town contested); audited and published."""
    async with ctx.db.uow(actor=principal) as uow:
        r = await assistance_service.rule_on_refusal(
            uow, ctx=ctx, request_id=request_id, actor=principal, data=data, if_match=if_match
        )
        return await detail(uow.session, r, ctx)


@router.post(
    "/{request_id:uuid}/contest",
    response_model=AssistanceOut,
    summary="ASSIST-03: the requesting town contests a refusal (提出异议)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ACTING_ROLES, orgs=TOWN)],
)
async def contest_refusal(
    request_id: uuid.UUID, data: ContestIn, ctx: Context, principal: CurrentPrincipal
) -> AssistanceOut:
    """ASSIST-03: once, before the ruling, with a written reason; the refusal joins the
    justice bureau's queue. Audited and published."""
    async with ctx.db.uow(actor=principal) as uow:
        r = await assistance_service.contest_refusal(
            uow, ctx=ctx, request_id=request_id, actor=principal, data=data
        )
        return await detail(uow.session, r, ctx)
