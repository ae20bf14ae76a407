"""Reads of 执法协助: the proposed department, inbox and outbox, one request, its timeline,
its files, and the figures oversight reads per organisation and period."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

from assistance import domain
from assistance.api.common import detail, make_router
from assistance.domain import AssistanceState, PeriodUnit
from assistance.schemas import (
    AssistanceOut,
    AssistanceSummary,
    OversightRow,
    ProposalOut,
    TimelineEntry,
    WarningOut,
)
from assistance.service import oversight, queries
from assistance.service.common import REQUEST, china_day, matter_powers
from assistance.service.queries import RequestFilters, SortKey
from assistance.service.rulings import etag
from assistance.views import summary_of
from xietong_common.contracts.assistance import AssistanceGround
from xietong_common.errors import InvalidInput
from xietong_common.listing import Box
from xietong_common.reference import OrgKind
from xietong_common.schemas import Code, DayBound, OrgCode, Page, TimeBound
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import PageNumbers, Paging
from xietong_common.web.materials import DOWNLOAD_RESPONSES, stream_material
from xietong_common.web.problems import LIST_ERRORS, READ_ERRORS, problem_responses

router: APIRouter = make_router()
MAX_YEARS = 10


@router.get(
    "/proposal",
    response_model=ProposalOut,
    summary="ASSIST-01: the department whose powers cover a matter",
    responses=problem_responses(401, 422),
    dependencies=[Allowed(roles=ANY)],
)
async def propose(
    ctx: Context,
    principal: CurrentPrincipal,
    matter_code: Code,
    department: Annotated[OrgCode | None, Query(description="the department in mind")] = None,
) -> ProposalOut:
    """ASSIST-01: propose the department from the matter catalogue; warn about another."""
    matter = matter_powers(ctx, matter_code)
    if department is not None:
        ctx.directory.require(department, OrgKind.DEPARTMENT, rule="ASSIST-01")
    addressing = domain.address(matter=matter, chosen=department, name=ctx.directory.label)
    return ProposalOut(
        matter_code=matter.code,
        matter_name_zh=ctx.catalogue.require(matter.code).name_zh,
        town_level=matter.town_level,
        proposed_department=addressing.proposed,
        department=addressing.department,
        within_powers=addressing.within_powers,
        warnings=[
            WarningOut(code=w.code, rule=w.rule, zh=w.zh, en=w.en) for w in addressing.warnings
        ],
    )


@router.get(
    "/oversight",
    response_model=Page[OversightRow],
    summary="三(四): figures per organisation and period (refusals, missed deadlines, flags)",
    responses=problem_responses(401, 403, 422),
    dependencies=[Allowed(roles=ANY)],
)
async def performance(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: PageNumbers,
    period: Annotated[PeriodUnit, Query(description="month, quarter or year")] = PeriodUnit.MONTH,
    since: Annotated[
        DayBound | None, Query(alias="from", description="first day (China time)")
    ] = None,
    until: Annotated[DayBound | None, Query(alias="to", description="last day, inclusive")] = None,
    organisation: Annotated[OrgCode | None, Query(description="one organisation")] = None,
) -> Page[OversightRow]:
    """How each organisation performed in each period: what towns asked and flagged, what
    departments received, accepted, refused (by ground), delivered, and the ASSIST-04
    deadlines they missed. The justice bureau and the district government read every
    organisation; a town or a department its own."""
    only = oversight.readable_organisations(principal, organisation)
    last = until or china_day(ctx.clock.now())
    first = since or date(last.year, 1, 1)
    if first > last or last - first > timedelta(days=366 * MAX_YEARS):
        raise InvalidInput(
            f"the period runs from `from` to `to` (at most {MAX_YEARS} years)",
            zh=f"统计期间应自 from 至 to，且不超过 {MAX_YEARS} 年",
        )
    window = oversight.Window(start=first, end=last, unit=period)
    async with ctx.db.session() as session:
        figures = await oversight.performance(session, window=window, organisation=only)
    rows = [
        OversightRow(
            organisation=org,
            organisation_name=_name(ctx, org),
            period=oversight.period_label(start, period),
            period_start=max(start, first),
            period_end=min(oversight.period_end(start, period), last),
            **found.counts,
        )
        for org, start, found in oversight.ordered(figures)
    ]
    return Page[OversightRow].of(
        rows[paging.offset : paging.offset + paging.page_size], total=len(rows), paging=paging
    )


def _name(ctx: Context, org: str) -> str:
    found = ctx.directory.get(org)
    return found.name_zh if found else org


async def _filters(
    state: Annotated[
        list[AssistanceState] | None, Query(description="one or more states", max_length=10)
    ] = None,
    matter_code: Annotated[Code | None, Query(description="a matter of the catalogue")] = None,
    counterparty: Annotated[OrgCode | None, Query(description="the other party's org code")] = None,
    ground: Annotated[AssistanceGround | None, Query(description="ASSIST-01 ground")] = None,
    due_before: Annotated[TimeBound | None, Query(description="an open deadline before")] = None,
    overdue: Annotated[bool | None, Query(description="an open deadline has passed")] = None,
    urgent: bool | None = None,
    flagged: Annotated[bool | None, Query(description="推诿、刁难 was flagged")] = None,
    sort: SortKey = SortKey.CREATED_AT_DESC,
) -> RequestFilters:
    return RequestFilters(
        states=state or (),
        matter_code=matter_code,
        counterparty=counterparty,
        ground=ground,
        due_before=due_before,
        overdue=overdue,
        urgent=urgent,
        flagged=flagged,
        sort=sort,
    )


Filters = Annotated[RequestFilters, Depends(_filters)]


async def _list(
    ctx: Context, principal: CurrentPrincipal, box: Box, filters: RequestFilters, paging: Paging
) -> Page[AssistanceSummary]:
    async with ctx.db.session() as session:
        listed, total = await queries.list_requests(
            session,
            principal=principal,
            box=box,
            filters=filters,
            paging=paging,
            now=ctx.clock.now(),
        )
    return Page[AssistanceSummary].of(
        [summary_of(x.record, next_due=x.next_due, overdue=x.overdue) for x in listed],
        total=total,
        paging=paging,
    )


@router.get(
    "",
    response_model=Page[AssistanceSummary],
    summary="Every request the caller may see",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_all(
    ctx: Context, principal: CurrentPrincipal, filters: Filters, paging: Paging
) -> Page[AssistanceSummary]:
    """A town's requests and a department's received ones; the justice bureau sees all."""
    return await _list(ctx, principal, Box.ALL, filters, paging)


@router.get(
    "/inbox",
    response_model=Page[AssistanceSummary],
    summary="Requests addressed to the caller (收件箱)",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def inbox(
    ctx: Context, principal: CurrentPrincipal, filters: Filters, paging: Paging
) -> Page[AssistanceSummary]:
    """A department's received requests (`overdue=true`: what it has let pass)."""
    return await _list(ctx, principal, Box.INBOX, filters, paging)


@router.get(
    "/outbox",
    response_model=Page[AssistanceSummary],
    summary="Requests the caller drafted or submitted (发件箱)",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def outbox(
    ctx: Context, principal: CurrentPrincipal, filters: Filters, paging: Paging
) -> Page[AssistanceSummary]:
    """A town's drafts and submitted requests."""
    return await _list(ctx, principal, Box.OUTBOX, filters, paging)


@router.get(
    "/{request_id:uuid}",
    response_model=AssistanceOut,
    summary="One request",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_one(
    request_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal, response: Response
) -> AssistanceOut:
    """One request with its officers, files, extensions, flags and deadlines. `ETag` is its
    version, which the justice bureau's ruling names in `If-Match` (ASSIST-03)."""
    async with ctx.db.session() as session:
        r = await REQUEST.load_for(session, request_id, principal, lock=False)
        out = await detail(session, r, ctx)
    response.headers["ETag"] = etag(out.version)
    return out


@router.get(
    "/{request_id:uuid}/timeline",
    response_model=list[TimelineEntry],
    summary="The request's timeline: steps and deadlines",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def timeline(
    request_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> list[TimelineEntry]:
    """Every audited step with its rule, and every deadline started, met or missed."""
    async with ctx.db.session() as session:
        await REQUEST.load_for(session, request_id, principal, lock=False)
        return await REQUEST.timeline(session, request_id)


@router.get(
    "/{request_id:uuid}/materials/{material_id:uuid}/content",
    response_class=StreamingResponse,
    summary="Download a file (an attachment or the result)",
    responses={**DOWNLOAD_RESPONSES, **READ_ERRORS},
    dependencies=[Allowed(roles=ANY)],
)
async def download_material(
    request_id: uuid.UUID, material_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> StreamingResponse:
    """ASSIST-02: the result reaches the town here; the town's attachments reach the department."""
    async with ctx.db.session() as session:
        r = await REQUEST.load_for(session, request_id, principal, lock=False)
        material = await queries.material(session, r, material_id)
    return await stream_material(ctx, material)
