"""The sender's routes: draft, edit, upload materials, approve, send (REF-01..REF-05, REF-08)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile, status

from referral import service as referral_service
from referral.api.common import PARTIES, detail, onward_attempts_recorded
from referral.domain import MaterialKind
from referral.schemas import (
    ForwardIn,
    MaterialOut,
    ReferralCreate,
    ReferralOut,
    ReferralUpdate,
    WithdrawIn,
)
from referral.service.common import APPROVING_ROLES, SENDING_ROLES
from referral.views import material_out
from xietong_common.schemas import Line
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey
from xietong_common.web.documents import base_url
from xietong_common.web.problems import UPLOAD_ERRORS, WRITE_ERRORS, problem_responses

router = APIRouter(prefix="/referrals", tags=["referrals"])


@router.post(
    "",
    response_model=ReferralOut,
    status_code=status.HTTP_201_CREATED,
    summary="Draft a referral (草稿)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=SENDING_ROLES, orgs=PARTIES, rule="REF-01")],
)
async def create(
    data: ReferralCreate,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> ReferralOut:
    """REF-01/02: a draft; the receiver is proposed unless given (with a reason if it differs).
    A retry with the same Idempotency-Key returns the same draft."""
    async with onward_attempts_recorded(ctx, principal), ctx.db.uow(actor=principal) as uow:
        drafted = await referral_service.create_draft(
            uow, ctx=ctx, sender=principal, data=data, idempotency_key=idempotency_key
        )
        return await detail(
            uow,
            drafted.referral,
            ctx,
            deadlines=drafted.deadlines,
            documents=[] if drafted.new else None,  # none issued yet for a new draft
        )


@router.patch(
    "/{referral_id:uuid}",
    response_model=ReferralOut,
    summary="Edit a draft",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=SENDING_ROLES, orgs=PARTIES)],
)
async def update(
    referral_id: uuid.UUID, changes: ReferralUpdate, ctx: Context, principal: CurrentPrincipal
) -> ReferralOut:
    """Change a draft's fields; routing (REF-02) and REF-04 are checked again."""
    async with (
        onward_attempts_recorded(ctx, principal, referral_id),
        ctx.db.uow(actor=principal) as uow,
    ):
        referral = await referral_service.update_draft(
            uow, ctx=ctx, referral_id=referral_id, actor=principal, changes=changes
        )
        return await detail(uow.session, referral, ctx)


@router.post(
    "/{referral_id:uuid}/materials",
    response_model=MaterialOut,
    status_code=status.HTTP_201_CREATED,
    summary="REF-05: upload a material (multipart)",
    responses=UPLOAD_ERRORS,
    dependencies=[Allowed(roles=SENDING_ROLES, orgs=PARTIES)],
)
async def upload_material(
    referral_id: uuid.UUID,
    ctx: Context,
    principal: CurrentPrincipal,
    kind: Annotated[MaterialKind, Form(description="letter, item-list, disposal-evidence, other")],
    file: Annotated[UploadFile, File(description="the document (PDF, OFD, image, Office…)")],
    title: Annotated[Line | None, Form()] = None,
    idempotency_key: IdempotencyKey = None,
) -> MaterialOut:
    """REF-05: the letter, the item list, the evidence of advance disposal, other materials.
    A retry with the same Idempotency-Key returns the material the first upload added."""
    async with ctx.db.uow(actor=principal) as uow:
        material = await referral_service.add_material(
            uow,
            ctx=ctx,
            referral_id=referral_id,
            actor=principal,
            kind=kind,
            title=title,
            upload=file,
            idempotency_key=idempotency_key,
        )
        return material_out(material)


@router.post(
    "/{referral_id:uuid}/approve",
    response_model=ReferralOut,
    summary="A leader approves sending",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=APPROVING_ROLES, orgs=PARTIES)],
)
async def approve(referral_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> ReferralOut:
    """A leader of the sender approves the referral (where approval is configured)."""
    async with ctx.db.uow(actor=principal) as uow:
        referral = await referral_service.approve(uow, referral_id=referral_id, actor=principal)
        return await detail(uow.session, referral, ctx)


@router.post(
    "/{referral_id:uuid}/send",
    response_model=ReferralOut,
    summary="REF-03: send the referral (已移送)",
    responses=problem_responses(401, 403, 404, 409, 422, 503),
    dependencies=[Allowed(roles=SENDING_ROLES, orgs=PARTIES)],
)
async def send(
    referral_id: uuid.UUID, request: Request, ctx: Context, principal: CurrentPrincipal
) -> ReferralOut:
    """REF-03/REF-05: send with its letter and item list — the sender's uploads, or the
    案件移送函 the platform issues now (503 `document-render-busy` / `document-render-failed`:
    nothing sent, try again); a late send records a breach. REF-08: one resembling a case the
    sender received is refused (the attempt recorded) or, with a reason, held."""
    async with (
        onward_attempts_recorded(ctx, principal, referral_id),
        ctx.db.uow(actor=principal) as uow,
    ):
        referral = await referral_service.send(
            uow, ctx=ctx, referral_id=referral_id, actor=principal, base_url=base_url(request)
        )
        return await detail(uow.session, referral, ctx)


@router.post(
    "/{referral_id:uuid}/withdraw",
    response_model=ReferralOut,
    summary="Withdraw a draft with a reason (已撤回); its REF-03 deadline stops",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=SENDING_ROLES, orgs=PARTIES)],
)
async def withdraw(
    referral_id: uuid.UUID, data: WithdrawIn, ctx: Context, principal: CurrentPrincipal
) -> ReferralOut:
    """A draft the sender will not send is withdrawn with its reason (audited); no REF-03
    breach is recorded for it. A sent referral cannot be withdrawn."""
    async with ctx.db.uow(actor=principal) as uow:
        referral = await referral_service.withdraw(
            uow, referral_id=referral_id, actor=principal, reason=data.reason
        )
        return await detail(uow.session, referral, ctx)


@router.post(
    "/{referral_id:uuid}/forward",
    summary="REF-08: referring a received case on is refused",
    status_code=status.HTTP_409_CONFLICT,
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ANY, orgs=PARTIES)],
)
async def forward(
    referral_id: uuid.UUID, data: ForwardIn, ctx: Context, principal: CurrentPrincipal
) -> None:
    """REF-08: 不得再行移送 — always refused (and recorded); report to the district government."""
    async with ctx.db.uow(actor=principal) as uow:
        refusal = await referral_service.refuse_forward(
            uow, referral_id=referral_id, actor=principal, receiver=data.receiver
        )
    raise refusal
