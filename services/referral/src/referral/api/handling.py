"""The receiver's and the district government's routes (REF-06..REF-10)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from referral import service as referral_service
from referral.api.common import DISTRICT_GOVERNMENT, PARTIES, detail
from referral.schemas import (
    AnswerIn,
    AssignIn,
    ConcludeIn,
    CooperationAnswerIn,
    CooperationIn,
    CooperationNotGivenIn,
    CooperationOut,
    ExtendIn,
    FileIn,
    OngoingNoticeOut,
    OnwardDecisionIn,
    ReceiveIn,
    ReferralOut,
    ResumeIn,
    SuspendIn,
)
from referral.service import informing
from referral.service.common import HANDLING_ROLES, INFORMED_ROLES, RECEIVING_ROLES
from referral.views import cooperation_out
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import Allowed
from xietong_common.web.deps import IdempotencyKey
from xietong_common.web.problems import WRITE_ERRORS

router = APIRouter(prefix="/referrals", tags=["referrals"])


@router.post(
    "/{referral_id:uuid}/receive",
    response_model=ReferralOut,
    summary="REF-06: sign the service receipt 送达回证 (已签收)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=RECEIVING_ROLES, orgs=PARTIES)],
)
async def receive(
    referral_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal, data: ReceiveIn | None = None
) -> ReferralOut:
    """REF-06: the receiving clerk signs the numbered receipt; REF-07's 5 working days start."""
    async with ctx.db.uow(actor=principal) as uow:
        referral = await referral_service.receive(
            uow,
            ctx=ctx,
            referral_id=referral_id,
            actor=principal,
            signer_name=data.signer_name if data else None,
        )
        return await detail(uow.session, referral, ctx)


@router.post(
    "/{referral_id:uuid}/answer",
    response_model=ReferralOut,
    summary="REF-07/08: answer in writing: accept, or report to the district government",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HANDLING_ROLES, orgs=PARTIES)],
)
async def answer(
    referral_id: uuid.UUID, data: AnswerIn, ctx: Context, principal: CurrentPrincipal
) -> ReferralOut:
    """REF-07: accept (已受理) or, REF-08, report the dispute to the district government."""
    async with ctx.db.uow(actor=principal) as uow:
        referral = await referral_service.answer(
            uow, ctx=ctx, referral_id=referral_id, actor=principal, data=data
        )
        return await detail(uow.session, referral, ctx)


@router.post(
    "/{referral_id:uuid}/assign",
    response_model=ReferralOut,
    summary="REF-08: the district government assigns the case (指定管辖)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HANDLING_ROLES, orgs=DISTRICT_GOVERNMENT)],
)
async def assign(
    referral_id: uuid.UUID, data: AssignIn, ctx: Context, principal: CurrentPrincipal
) -> ReferralOut:
    """REF-08: the district government decides who handles a disputed case."""
    async with ctx.db.uow(actor=principal) as uow:
        referral = await referral_service.assign(
            uow, ctx=ctx, referral_id=referral_id, actor=principal, data=data
        )
        return await detail(uow.session, referral, ctx)


@router.post(
    "/{referral_id:uuid}/onward-decision",
    response_model=ReferralOut,
    summary="REF-08: the district government releases or bars a held referral",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HANDLING_ROLES, orgs=DISTRICT_GOVERNMENT, rule="REF-08")],
)
async def onward_decision(
    referral_id: uuid.UUID, data: OnwardDecisionIn, ctx: Context, principal: CurrentPrincipal
) -> ReferralOut:
    """REF-08: a referral that resembles a case its sender received waits here (state
    `held`); `release` delivers it to its receiver, `bar` ends it as an onward referral.
    The reason is recorded and shown to the parties and oversight."""
    async with ctx.db.uow(actor=principal) as uow:
        referral = await referral_service.decide_onward(
            uow,
            ctx=ctx,
            referral_id=referral_id,
            actor=principal,
            release=data.decision == "release",
            reason=data.reason,
        )
        return await detail(uow.session, referral, ctx)


@router.post(
    "/{referral_id:uuid}/ongoing-notice/acknowledge",
    response_model=OngoingNoticeOut,
    summary="REF-04: the party informed of an ongoing violation acknowledges the notice",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=INFORMED_ROLES, orgs=PARTIES, rule="REF-04")],
)
async def acknowledge_ongoing_notice(
    referral_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> OngoingNoticeOut:
    """REF-04: a read receipt, recorded once with who read it and when."""
    async with ctx.db.uow(actor=principal) as uow:
        referral = await informing.acknowledge_notice(uow, referral_id=referral_id, actor=principal)
        return OngoingNoticeOut.of(referral)


@router.post(
    "/{referral_id:uuid}/file",
    response_model=ReferralOut,
    summary="REF-09: file the case (已立案)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HANDLING_ROLES, orgs=PARTIES)],
)
async def file_case(
    referral_id: uuid.UUID, data: FileIn, ctx: Context, principal: CurrentPrincipal
) -> ReferralOut:
    """REF-09: record the case number and procedure; the procedure's time limit starts."""
    async with ctx.db.uow(actor=principal) as uow:
        referral = await referral_service.file(
            uow, ctx=ctx, referral_id=referral_id, actor=principal, data=data
        )
        return await detail(uow.session, referral, ctx)


@router.post(
    "/{referral_id:uuid}/conclude",
    response_model=ReferralOut,
    summary="REF-09: conclude the case (已办结)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HANDLING_ROLES, orgs=PARTIES)],
)
async def conclude(
    referral_id: uuid.UUID, data: ConcludeIn, ctx: Context, principal: CurrentPrincipal
) -> ReferralOut:
    """REF-09: record how the case ended."""
    async with ctx.db.uow(actor=principal) as uow:
        referral = await referral_service.conclude(
            uow, referral_id=referral_id, actor=principal, data=data
        )
        return await detail(uow.session, referral, ctx)


@router.post(
    "/{referral_id:uuid}/suspend",
    response_model=ReferralOut,
    summary="REF-09: suspend (中止) the conclusion period, with a reason and its legal basis",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HANDLING_ROLES, orgs=PARTIES, rule="REF-09")],
)
async def suspend_period(
    referral_id: uuid.UUID, data: SuspendIn, ctx: Context, principal: CurrentPrincipal
) -> ReferralOut:
    """REF-09: the party handling a filed case stops its conclusion clock, stating why and the
    law and article that allow it. The clock stands still up to the working days the settings
    allow (XIETONG_REFERRAL_SUSPENSION_MAX_WORKING_DAYS, in all) and a case is suspended at
    most XIETONG_REFERRAL_SUSPENSION_MAX_COUNT times; never once the period ran out. The
    sender sees it; oversight is told (`case.conclusion-period-changed`)."""
    async with ctx.db.uow(actor=principal) as uow:
        referral = await referral_service.suspend(
            uow, ctx=ctx, referral_id=referral_id, actor=principal, data=data
        )
        return await detail(uow.session, referral, ctx)


@router.post(
    "/{referral_id:uuid}/resume",
    response_model=ReferralOut,
    summary="REF-09: resume the suspended conclusion period with the days that were left",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HANDLING_ROLES, orgs=PARTIES, rule="REF-09")],
)
async def resume_period(
    referral_id: uuid.UUID, data: ResumeIn, ctx: Context, principal: CurrentPrincipal
) -> ReferralOut:
    """REF-09: the cause of the suspension is gone (a reason): the clock restarts with the
    calendar days that were left when it was suspended."""
    async with ctx.db.uow(actor=principal) as uow:
        referral = await referral_service.resume(
            uow, ctx=ctx, referral_id=referral_id, actor=principal, data=data
        )
        return await detail(uow.session, referral, ctx)


@router.post(
    "/{referral_id:uuid}/extend",
    response_model=ReferralOut,
    summary="REF-09: extend (延长) the conclusion period, with a reason and its legal basis",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HANDLING_ROLES, orgs=PARTIES, rule="REF-09")],
)
async def extend_period(
    referral_id: uuid.UUID, data: ExtendIn, ctx: Context, principal: CurrentPrincipal
) -> ReferralOut:
    """REF-09: before the period runs out, the party handling the case adds at most
    XIETONG_REFERRAL_EXTENSION_MAX_DAYS calendar days, at most
    XIETONG_REFERRAL_EXTENSION_MAX_COUNT times, stating why and the law and article that
    allow it. The sender sees it; oversight is told."""
    async with ctx.db.uow(actor=principal) as uow:
        referral = await referral_service.extend(
            uow, ctx=ctx, referral_id=referral_id, actor=principal, data=data
        )
        return await detail(uow.session, referral, ctx)


@router.post(
    "/{referral_id:uuid}/cooperation-requests",
    response_model=CooperationOut,
    status_code=status.HTTP_201_CREATED,
    summary="REF-10: ask the sender to cooperate",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HANDLING_ROLES, orgs=PARTIES)],
)
async def request_cooperation(
    referral_id: uuid.UUID,
    data: CooperationIn,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> CooperationOut:
    """REF-10: the handling party asks the sender for help with the case. A retry with the
    same Idempotency-Key returns the request the first one made."""
    async with ctx.db.uow(actor=principal) as uow:
        item = await referral_service.request_cooperation(
            uow,
            referral_id=referral_id,
            actor=principal,
            data=data,
            idempotency_key=idempotency_key,
        )
        return cooperation_out(item)


@router.post(
    "/{referral_id:uuid}/cooperation-requests/{request_id:uuid}/answer",
    response_model=CooperationOut,
    summary="REF-10: the sender answers a cooperation request",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HANDLING_ROLES, orgs=PARTIES)],
)
async def answer_cooperation(
    referral_id: uuid.UUID,
    request_id: uuid.UUID,
    data: CooperationAnswerIn,
    ctx: Context,
    principal: CurrentPrincipal,
) -> CooperationOut:
    """REF-10: the sender records how it assisted."""
    async with ctx.db.uow(actor=principal) as uow:
        item = await referral_service.answer_cooperation(
            uow,
            referral_id=referral_id,
            request_id=request_id,
            actor=principal,
            answer_text=data.answer,
        )
        return cooperation_out(item)


@router.post(
    "/{referral_id:uuid}/cooperation-requests/{request_id:uuid}/not-given",
    response_model=CooperationOut,
    summary="REF-10: the handling party records that the sender did not cooperate",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=HANDLING_ROLES, orgs=PARTIES)],
)
async def cooperation_not_given(
    referral_id: uuid.UUID,
    request_id: uuid.UUID,
    data: CooperationNotGivenIn,
    ctx: Context,
    principal: CurrentPrincipal,
) -> CooperationOut:
    """REF-10: the sender must assist; where it did not, the handling party records so, with
    its reason, once per request (not after an answer). Oversight counts it against the
    sender (SUP-01)."""
    async with ctx.db.uow(actor=principal) as uow:
        item = await referral_service.cooperation_not_given(
            uow,
            referral_id=referral_id,
            request_id=request_id,
            actor=principal,
            reason=data.reason,
        )
        return cooperation_out(item)
