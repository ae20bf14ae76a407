"""The department's routes: accept, refuse, ask to move the date, deliver the result
(ASSIST-02, ASSIST-03, ASSIST-04)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from assistance import service as assistance_service
from assistance.api.common import DEPARTMENT, detail, make_router
from assistance.schemas import (
    AcceptIn,
    AssistanceOut,
    DeliverIn,
    ExtensionIn,
    ExtensionOut,
    RefuseIn,
)
from assistance.service.common import ACTING_ROLES
from assistance.views import extension_out
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import Allowed
from xietong_common.web.deps import IdempotencyKey
from xietong_common.web.problems import WRITE_ERRORS

router: APIRouter = make_router()


@router.post(
    "/{request_id:uuid}/accept",
    response_model=AssistanceOut,
    summary="ASSIST-02: accept, naming the officer(s) and the completion date (已接受协助)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ACTING_ROLES, orgs=DEPARTMENT)],
)
async def accept(
    request_id: uuid.UUID, data: AcceptIn, ctx: Context, principal: CurrentPrincipal
) -> AssistanceOut:
    """ASSIST-02: within its powers the department assists. A seconded officer must be
    SEC-04-eligible (roster, certificate, town, matter); the date is at most the longest
    completion period away and is tracked."""
    async with ctx.db.uow(actor=principal) as uow:
        r = await assistance_service.accept(
            uow, ctx=ctx, request_id=request_id, actor=principal, data=data
        )
        return await detail(uow.session, r, ctx)


@router.post(
    "/{request_id:uuid}/refuse",
    response_model=AssistanceOut,
    summary="ASSIST-03: refuse with a legal ground and a written reason (不予协助)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ACTING_ROLES, orgs=DEPARTMENT)],
)
async def refuse(
    request_id: uuid.UUID, data: RefuseIn, ctx: Context, principal: CurrentPrincipal
) -> AssistanceOut:
    """ASSIST-03: forbidden by law (law, article, reason) or outside the department's powers
    (reason; refused for a matter the catalogue puts within them). Published for oversight."""
    async with ctx.db.uow(actor=principal) as uow:
        r = await assistance_service.refuse(
            uow, ctx=ctx, request_id=request_id, actor=principal, data=data
        )
        return await detail(uow.session, r, ctx)


@router.post(
    "/{request_id:uuid}/extensions",
    response_model=ExtensionOut,
    status_code=status.HTTP_201_CREATED,
    summary="ASSIST-04: ask the town to move the completion date",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ACTING_ROLES, orgs=DEPARTMENT)],
)
async def request_extension(
    request_id: uuid.UUID,
    data: ExtensionIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> ExtensionOut:
    """ASSIST-04: before the date passes, one at a time, a bounded number of times, within
    the longest period; the town agrees or declines."""
    async with ctx.db.uow(actor=principal) as uow:
        extension = await assistance_service.request_extension(
            uow,
            ctx=ctx,
            request_id=request_id,
            actor=principal,
            data=data,
            idempotency_key=idempotency_key,
        )
        return extension_out(extension)


@router.post(
    "/{request_id:uuid}/deliver",
    response_model=AssistanceOut,
    summary="ASSIST-02: deliver the result (协助结果已交付)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ACTING_ROLES, orgs=DEPARTMENT)],
)
async def deliver(
    request_id: uuid.UUID, data: DeliverIn, ctx: Context, principal: CurrentPrincipal
) -> AssistanceOut:
    """ASSIST-02: the uploaded result reaches the town, which confirms or returns it."""
    async with ctx.db.uow(actor=principal) as uow:
        r = await assistance_service.deliver(
            uow, ctx=ctx, request_id=request_id, actor=principal, data=data
        )
        return await detail(uow.session, r, ctx)
