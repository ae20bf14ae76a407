"""Teams (指导队伍): create, list, read, edit, dissolve (SEC-01, SEC-02)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from secondment import service as secondment_service
from secondment.api.common import DEPARTMENT, OnDay, day_or_today, team_detail
from secondment.schemas import (
    TeamCreate,
    TeamDissolve,
    TeamOut,
    TeamSummary,
    TeamUpdate,
    TimelineEntry,
)
from secondment.service import queries
from secondment.service.common import ROSTER_ROLES
from secondment.service.queries import TeamFilters
from secondment.views import team_summary
from xietong_common.reference import SecondmentMode
from xietong_common.schemas import OrgCode, Page
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey, Paging
from xietong_common.web.problems import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS

router = APIRouter(prefix="/teams", tags=["teams"])


async def _read(
    ctx: Context, principal: CurrentPrincipal, team_id: uuid.UUID, version: int
) -> TeamOut:
    async with ctx.db.session() as session:
        found, members = await queries.get_team(
            session, principal=principal, team_id=team_id, version=version
        )
        return await team_detail(session, ctx, found, members)


@router.post(
    "",
    response_model=TeamOut,
    status_code=status.HTTP_201_CREATED,
    summary="SEC-02: create a team of the caller's department (指导队伍)",
    responses=CREATE_ERRORS,
    dependencies=[Allowed(roles=ROSTER_ROLES, orgs=DEPARTMENT, rule="SEC-02")],
)
async def create(
    data: TeamCreate,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> TeamOut:
    """SEC-02: a stationed (派驻, one town) or zone (划片, a zone of towns) team, in the mode the
    notice's attachment fixes for the department; a team of the other mode is refused."""
    async with ctx.db.uow(actor=principal) as uow:
        snapshot = await secondment_service.create_team(
            uow, ctx=ctx, actor=principal, data=data, idempotency_key=idempotency_key
        )
    return await _read(ctx, principal, uuid.UUID(snapshot.team_id), snapshot.version)


@router.get(
    "",
    response_model=Page[TeamSummary],
    summary="SEC-01: the teams the caller may see, as in effect on a day",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_teams(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    on: OnDay = None,
    department: Annotated[OrgCode | None, Query(description="dept:<slug>")] = None,
    town: Annotated[OrgCode | None, Query(description="teams serving this town")] = None,
    mode: SecondmentMode | None = None,
    include_dissolved: bool = False,
    latest: Annotated[
        bool, Query(description="each team's latest version (future ones too) instead of `on`")
    ] = False,
) -> Page[TeamSummary]:
    """A department's own teams, the teams serving a town, every team for oversight; each in
    the version in effect on `on` (default today), or its latest with `latest=true`."""
    filters = TeamFilters(
        department=department,
        town=town,
        mode=mode,
        on=None if latest else day_or_today(ctx, on),
        include_dissolved=include_dissolved,
    )
    async with ctx.db.session() as session:
        rows, total, counts = await queries.list_teams(
            session, principal=principal, filters=filters, paging=paging
        )
        numbers = await queries.roster_numbers(session, [v.roster_id for v in rows])
    return Page[TeamSummary].of(
        [
            team_summary(
                ctx,
                v,
                roster_number=numbers.get(v.roster_id, 0),
                officer_count=counts.get((v.team_id, v.version), 0),
            )
            for v in rows
        ],
        total=total,
        paging=paging,
    )


@router.get(
    "/{team_id:uuid}",
    response_model=TeamOut,
    summary="One team with its whole roster",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_team(
    team_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal, on: OnDay = None
) -> TeamOut:
    """The team's latest version, or with `on` the version in effect that day."""
    async with ctx.db.session() as session:
        found, members = await queries.get_team(
            session, principal=principal, team_id=team_id, on=on
        )
        return await team_detail(session, ctx, found, members)


@router.get(
    "/{team_id:uuid}/versions",
    response_model=Page[TeamSummary],
    summary="Every version of a team, newest first",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def list_versions(
    team_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal, paging: Paging
) -> Page[TeamSummary]:
    """Earlier versions stay readable: each with its effective date and roster size."""
    async with ctx.db.session() as session:
        rows, total, counts = await queries.list_team_versions(
            session, principal=principal, team_id=team_id, paging=paging
        )
        numbers = await queries.roster_numbers(session, [v.roster_id for v in rows])
    return Page[TeamSummary].of(
        [
            team_summary(
                ctx,
                v,
                roster_number=numbers.get(v.roster_id, 0),
                officer_count=counts.get((v.team_id, v.version), 0),
            )
            for v in rows
        ],
        total=total,
        paging=paging,
    )


@router.get(
    "/{team_id:uuid}/versions/{version}",
    response_model=TeamOut,
    summary="One version of a team with its roster",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def get_version(
    team_id: uuid.UUID,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    ctx: Context,
    principal: CurrentPrincipal,
) -> TeamOut:
    """A numbered version of the team, as it was recorded."""
    return await _read(ctx, principal, team_id, version)


@router.get(
    "/{team_id:uuid}/timeline",
    response_model=list[TimelineEntry],
    summary="Every recorded change of the team, with its rule",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def timeline(
    team_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> list[TimelineEntry]:
    """The team's audited history: created, rosters imported, edited, dissolved."""
    async with ctx.db.session() as session:
        return await queries.team_timeline(session, principal=principal, team_id=team_id)


@router.patch(
    "/{team_id:uuid}",
    response_model=TeamOut,
    summary="SEC-02: change a team from a day (a new version)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ROSTER_ROLES, orgs=DEPARTMENT, rule="SEC-02")],
)
async def edit(
    team_id: uuid.UUID, data: TeamUpdate, ctx: Context, principal: CurrentPrincipal
) -> TeamOut:
    """Towns, validity, leader, contact or name, from `effective_from`; the department's own
    teams only. Officers serving all the team's towns follow the new towns."""
    async with ctx.db.uow(actor=principal) as uow:
        snapshot = await secondment_service.edit_team(
            uow, ctx=ctx, team_id=team_id, actor=principal, data=data
        )
    return await _read(ctx, principal, team_id, snapshot.version)


@router.post(
    "/{team_id:uuid}/dissolve",
    response_model=TeamOut,
    summary="SEC-02: dissolve a team from a day (已撤销)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ROSTER_ROLES, orgs=DEPARTMENT, rule="SEC-02")],
)
async def dissolve(
    team_id: uuid.UUID, data: TeamDissolve, ctx: Context, principal: CurrentPrincipal
) -> TeamOut:
    """The team ends; its roster stays on record and its officers may no longer act (SEC-04)."""
    async with ctx.db.uow(actor=principal) as uow:
        snapshot = await secondment_service.dissolve_team(
            uow, ctx=ctx, team_id=team_id, actor=principal, data=data
        )
    return await _read(ctx, principal, team_id, snapshot.version)
