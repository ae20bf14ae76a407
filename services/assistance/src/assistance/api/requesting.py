"""The town's routes: draft, submit, withdraw, answer an extension, confirm or return the
result, flag shirking or obstruction (ASSIST-01, ASSIST-02, ASSIST-04)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from assistance import service as assistance_service
from assistance.api.common import TOWN, detail, make_router
from assistance.schemas import (
    AssistanceOut,
    ConfirmIn,
    ExtensionDecisionIn,
    ExtensionOut,
    FlagIn,
    FlagOut,
    RequestCreate,
    RequestUpdate,
    ReturnIn,
    WithdrawIn,
)
from assistance.service.common import ACTING_ROLES
from assistance.views import extension_out, flag_out
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import Allowed
from xietong_common.web.deps import IdempotencyKey
from xietong_common.web.problems import WRITE_ERRORS

router: APIRouter = make_router()


@router.post(
    "",
    response_model=AssistanceOut,
    status_code=status.HTTP_201_CREATED,
    summary="ASSIST-01: draft a request for assistance (草稿)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ACTING_ROLES, orgs=TOWN, rule="ASSIST-01")],
)
async def create(
    data: RequestCreate,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> AssistanceOut:
    """ASSIST-01: a town's draft on one of the four grounds; the department whose powers cover
    the matter is proposed, and a warning given if another is chosen. A retry with the same
    Idempotency-Key returns the same draft."""
    async with ctx.db.uow(actor=principal) as uow:
        drafted = await assistance_service.create_draft(
            uow, ctx=ctx, actor=principal, data=data, idempotency_key=idempotency_key
        )
        if drafted.new:  # nothing started or issued for it yet: nothing to read back
            return await detail(uow, drafted.request, ctx, deadlines=[], documents=[])
        return await detail(uow.session, drafted.request, ctx)


@router.patch(
    "/{request_id:uuid}",
    response_model=AssistanceOut,
    summary="ASSIST-01: edit a draft",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ACTING_ROLES, orgs=TOWN)],
)
async def update(
    request_id: uuid.UUID, changes: RequestUpdate, ctx: Context, principal: CurrentPrincipal
) -> AssistanceOut:
    """Change a draft's fields; the department is proposed again from the matter."""
    async with ctx.db.uow(actor=principal) as uow:
        r = await assistance_service.update_draft(
            uow, ctx=ctx, request_id=request_id, actor=principal, changes=changes
        )
        return await detail(uow.session, r, ctx)


@router.post(
    "/{request_id:uuid}/submit",
    response_model=AssistanceOut,
    summary="ASSIST-01: submit the request (已提出协助请求)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ACTING_ROLES, orgs=TOWN, rule="ASSIST-01")],
)
async def submit(request_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> AssistanceOut:
    """ASSIST-01: the department is asked; its ASSIST-04 response deadline starts."""
    async with ctx.db.uow(actor=principal) as uow:
        r = await assistance_service.submit(uow, ctx=ctx, request_id=request_id, actor=principal)
        return await detail(uow.session, r, ctx)


@router.post(
    "/{request_id:uuid}/withdraw",
    response_model=AssistanceOut,
    summary="ASSIST-01: withdraw the request (已撤回)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ACTING_ROLES, orgs=TOWN)],
)
async def withdraw(
    request_id: uuid.UUID, data: WithdrawIn, ctx: Context, principal: CurrentPrincipal
) -> AssistanceOut:
    """The town no longer needs the help; a deadline the department already missed stays a
    breach."""
    async with ctx.db.uow(actor=principal) as uow:
        r = await assistance_service.withdraw(
            uow, ctx=ctx, request_id=request_id, actor=principal, reason=data.reason
        )
        return await detail(uow.session, r, ctx)


@router.post(
    "/{request_id:uuid}/extensions/{extension_id:uuid}/decision",
    response_model=ExtensionOut,
    summary="ASSIST-04: agree to or decline moving the completion date",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ACTING_ROLES, orgs=TOWN)],
)
async def decide_extension(
    request_id: uuid.UUID,
    extension_id: uuid.UUID,
    data: ExtensionDecisionIn,
    ctx: Context,
    principal: CurrentPrincipal,
) -> ExtensionOut:
    """ASSIST-04: the completion date moves only with the town's agreement, before it passes."""
    async with ctx.db.uow(actor=principal) as uow:
        extension = await assistance_service.decide_extension(
            uow, request_id=request_id, extension_id=extension_id, actor=principal, data=data
        )
        return extension_out(extension)


@router.post(
    "/{request_id:uuid}/confirm",
    response_model=AssistanceOut,
    summary="ASSIST-02: confirm the result (协助已完成)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ACTING_ROLES, orgs=TOWN)],
)
async def confirm(
    request_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal, data: ConfirmIn | None = None
) -> AssistanceOut:
    """ASSIST-02: the town received the result; the assistance is complete."""
    async with ctx.db.uow(actor=principal) as uow:
        r = await assistance_service.confirm(
            uow, request_id=request_id, actor=principal, note=data.note if data else None
        )
        return await detail(uow.session, r, ctx)


@router.post(
    "/{request_id:uuid}/return",
    response_model=AssistanceOut,
    summary="ASSIST-02: return a result that does not answer the request",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ACTING_ROLES, orgs=TOWN)],
)
async def return_result(
    request_id: uuid.UUID, data: ReturnIn, ctx: Context, principal: CurrentPrincipal
) -> AssistanceOut:
    """ASSIST-02: back to the department with the reason; it delivers again (a deadline)."""
    async with ctx.db.uow(actor=principal) as uow:
        r = await assistance_service.return_result(
            uow, ctx=ctx, request_id=request_id, actor=principal, reason=data.reason
        )
        return await detail(uow.session, r, ctx)


@router.post(
    "/{request_id:uuid}/obstruction-flags",
    response_model=FlagOut,
    status_code=status.HTTP_201_CREATED,
    summary="ASSIST-02: flag shirking or obstruction (推诿、刁难) for oversight",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ACTING_ROLES, orgs=TOWN)],
)
async def flag_obstruction(
    request_id: uuid.UUID,
    data: FlagIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> FlagOut:
    """ASSIST-02/三(四): recorded and published (`assistance.obstruction-flagged`); it changes
    nothing else. A retry with the same Idempotency-Key returns the same flag."""
    async with ctx.db.uow(actor=principal) as uow:
        flag = await assistance_service.flag_obstruction(
            uow,
            ctx=ctx,
            request_id=request_id,
            actor=principal,
            data=data,
            idempotency_key=idempotency_key,
        )
        return flag_out(flag)
