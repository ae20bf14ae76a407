"""Reads of 案件移送: routing proposals, inbox and outbox, one case, its timeline, files."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from referral import domain
from referral.api.common import detail
from referral.domain import ReferralState
from referral.models import Referral
from referral.schemas import (
    OngoingNoticeOut,
    ReferralOut,
    ReferralSummary,
    RoutingOut,
    TimelineEntry,
)
from referral.service import informing, queries
from referral.service.common import REFERRAL, matter_jurisdiction
from referral.service.queries import ReferralFilters, SortKey
from referral.views import summary_of
from xietong_common.errors import NotFound
from xietong_common.listing import Box
from xietong_common.reference import OrgKind
from xietong_common.schemas import Code, OrgCode, Page, TimeBound
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import Paging
from xietong_common.web.materials import DOWNLOAD_RESPONSES, stream_material
from xietong_common.web.problems import LIST_ERRORS, READ_ERRORS, problem_responses

router = APIRouter(prefix="/referrals", tags=["referrals"])


@router.get(
    "/routing",
    response_model=RoutingOut,
    summary="REF-02: propose the receiver for a matter and a place",
    responses=problem_responses(401, 422),
    dependencies=[Allowed(roles=ANY)],
)
async def propose(
    ctx: Context, principal: CurrentPrincipal, matter_code: Code, place_town: OrgCode
) -> RoutingOut:
    """REF-02: the party with jurisdiction, from the matter catalogue and the place."""
    matter = matter_jurisdiction(ctx, matter_code)
    ctx.directory.require(place_town, OrgKind.TOWN)
    return RoutingOut(
        matter_code=matter.code,
        place_town=place_town,
        town_level=matter.town_level,
        proposed_receiver=domain.propose_receiver(matter=matter, place_town=place_town),
    )


async def _filters(
    state: Annotated[list[ReferralState] | None, Query(description="one or more states")] = None,
    matter_code: Annotated[Code | None, Query(description="a matter of the catalogue")] = None,
    counterparty: Annotated[OrgCode | None, Query(description="the other party's org code")] = None,
    due_before: Annotated[TimeBound | None, Query(description="an open deadline before")] = None,
    overdue: bool | None = None,
    urgent: bool | None = None,
    possible_onward: Annotated[
        bool | None,
        Query(description="REF-08: resembles a case referred to its sender"),
    ] = None,
    procedure_flagged: Annotated[
        bool | None,
        Query(description="REF-09: filed under the summary procedure or without a time limit"),
    ] = None,
    sort: SortKey = SortKey.CREATED_AT_DESC,
) -> ReferralFilters:
    return ReferralFilters(
        states=state or (),
        matter_code=matter_code,
        counterparty=counterparty,
        due_before=due_before,
        overdue=overdue,
        urgent=urgent,
        possible_onward=possible_onward,
        procedure_flagged=procedure_flagged,
        sort=sort,
    )


async def _list(
    ctx: Context, principal: CurrentPrincipal, box: Box, filters: ReferralFilters, paging: Paging
) -> Page[ReferralSummary]:
    async with ctx.db.session() as session:
        listed, total = await queries.list_referrals(
            session,
            principal=principal,
            box=box,
            filters=filters,
            paging=paging,
            now=ctx.clock.now(),
        )
    return Page[ReferralSummary].of(
        [summary_of(x.record, next_due=x.next_due, overdue=x.overdue) for x in listed],
        total=total,
        paging=paging,
    )


Filters = Annotated[ReferralFilters, Depends(_filters)]


@router.get(
    "",
    response_model=Page[ReferralSummary],
    summary="Every referral the caller may see",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_all(
    ctx: Context, principal: CurrentPrincipal, filters: Filters, paging: Paging
) -> Page[ReferralSummary]:
    """All referrals the caller is party to; the justice bureau (oversight) sees all."""
    return await _list(ctx, principal, Box.ALL, filters, paging)


@router.get(
    "/ongoing-notices",
    response_model=Page[OngoingNoticeOut],
    summary="REF-04: notices of ongoing violations addressed to the caller",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY, rule="REF-04")],
)
async def ongoing_notices(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    acknowledged: Annotated[
        bool | None, Query(description="read (true) or not yet (false); both if absent")
    ] = None,
) -> Page[OngoingNoticeOut]:
    """REF-04: what the party with jurisdiction was told at once of an ongoing violation,
    before the referral reaches it; newest first."""
    async with ctx.db.session() as session:
        listed, total = await informing.list_notices(
            session,
            actor=principal,
            acknowledged=acknowledged,
            paging=paging,
            now=ctx.clock.now(),
        )
    return Page[OngoingNoticeOut].of(
        [OngoingNoticeOut.of(x.record) for x in listed], total=total, paging=paging
    )


@router.get(
    "/{referral_id:uuid}/ongoing-notice",
    response_model=OngoingNoticeOut,
    summary="REF-04: one notice of an ongoing violation",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY, rule="REF-04")],
)
async def ongoing_notice(
    referral_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> OngoingNoticeOut:
    """REF-04: the notice, for the party informed, the sender and oversight (404 otherwise)."""
    async with ctx.db.session() as session:
        referral = await informing.read_notice(session, referral_id=referral_id, actor=principal)
        return OngoingNoticeOut.of(referral)


@router.get(
    "/inbox",
    response_model=Page[ReferralSummary],
    summary="Referrals sent to the caller (收件箱)",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def inbox(
    ctx: Context, principal: CurrentPrincipal, filters: Filters, paging: Paging
) -> Page[ReferralSummary]:
    """Cases referred to, assigned to or (district government) reported to the caller."""
    return await _list(ctx, principal, Box.INBOX, filters, paging)


@router.get(
    "/outbox",
    response_model=Page[ReferralSummary],
    summary="Referrals the caller drafted or sent (发件箱)",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def outbox(
    ctx: Context, principal: CurrentPrincipal, filters: Filters, paging: Paging
) -> Page[ReferralSummary]:
    """The caller's drafts and the cases it referred."""
    return await _list(ctx, principal, Box.OUTBOX, filters, paging)


@router.get(
    "/{referral_id:uuid}",
    response_model=ReferralOut,
    summary="One referral",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_one(referral_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> ReferralOut:
    """One referral with its items, materials, deadlines and cooperation requests."""
    async with ctx.db.session() as session:
        referral = await REFERRAL.load_for(session, referral_id, principal, lock=False)
        return await detail(session, referral, ctx)


@router.get(
    "/{referral_id:uuid}/timeline",
    response_model=list[TimelineEntry],
    summary="The case's timeline: actions and deadlines",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def timeline(
    referral_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> list[TimelineEntry]:
    """Every audited action with its rule, and every deadline started, met or missed."""
    async with ctx.db.session() as session:
        await REFERRAL.load_for(session, referral_id, principal, lock=False, collections=False)
        return await REFERRAL.timeline(session, referral_id)


@router.get(
    "/{referral_id:uuid}/materials/{material_id:uuid}/content",
    response_class=StreamingResponse,
    summary="Download a material",
    responses={**DOWNLOAD_RESPONSES, **READ_ERRORS},
    dependencies=[Allowed(roles=ANY)],
)
async def download_material(
    referral_id: uuid.UUID, material_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> StreamingResponse:
    """The stored file, for the referral's parties."""
    async with ctx.db.session() as session:
        referral = await REFERRAL.load_for(
            session, referral_id, principal, lock=False, collections=[Referral.materials]
        )
        material = next((m for m in referral.materials if m.id == material_id), None)
    if material is None:
        raise NotFound("no such material", zh="未找到该材料")
    return await stream_material(ctx, material)
