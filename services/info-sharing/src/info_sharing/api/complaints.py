"""Complaint and report records from intake platforms (category 8, INFO-04)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from info_sharing import service as info_service
from info_sharing.api.common import SCREENED, detail, unit_of_work
from info_sharing.schemas import ComplaintIn, ComplaintOut
from info_sharing.service.common import PLATFORM_ROLES
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import Allowed
from xietong_common.web.deps import IdempotencyKey
from xietong_common.web.problems import WRITE_ERRORS

router = APIRouter(prefix="/complaints", tags=["complaints"], dependencies=[SCREENED])


@router.post(
    "",
    response_model=ComplaintOut,
    status_code=status.HTTP_201_CREATED,
    summary="INFO-04: post a complaint record or its new handling status (idempotent per record)",
    responses={200: {"description": "an existing record, brought up to date"}, **WRITE_ERRORS},
    dependencies=[Allowed(roles=PLATFORM_ROLES)],
)
async def post(
    data: ComplaintIn,
    response: Response,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> ComplaintOut:
    """A platform (the 12345 hotline system, a window's register) posts each record when it
    is received and whenever its handling status changes: the first post makes the item and
    notifies the subscribers (201); a later one with a newer `status_at` updates it (200); an
    older status is kept in the history only. Needs the role `platform` (or a clerk's)."""
    async with unit_of_work(ctx, principal, via="POST /complaints") as uow:
        item, created, applied = await info_service.post_complaint(
            uow, ctx=ctx, actor=principal, data=data, idempotency_key=idempotency_key
        )
        if not created:
            response.status_code = status.HTTP_200_OK
        return ComplaintOut(
            created=created,
            status_applied=applied,
            item=await detail(uow.session, item, ctx, principal),
        )
