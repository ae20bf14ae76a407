"""Reads: teams and their versions, the department's roster versions and their differences,
who serves a town on a day (SEC-01), an officer, SEC-04 eligibility, guidance and its counts.

Every read is filtered by who asks: a department its own, a town what serves or reached it,
the justice bureau and the district government everything; anything else is 404 or absent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, contains_eager

from secondment.domain import roster as roster_rules
from secondment.domain.roster import ChangeKind, RosterDiff
from secondment.domain.teams import TeamSnapshot, sees_all
from secondment.errors import UnknownVersion
from secondment.models import (
    RosterVersion,
    Team,
    TeamMember,
    TeamVersion,
)
from secondment.service.common import TEAM, load_snapshots, visible_team
from xietong_common.auth import Principal
from xietong_common.errors import NotFound
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.reference import SecondmentMode, is_department, is_town
from xietong_common.timeline import TimelineEntry

# ---- which team versions: in effect on a day, or as a roster version left them ------------------


def in_effect_on(day: date) -> Any:
    """Per team, the version in effect on `day`: the newest whose effective date has come."""
    return (
        sa.select(TeamVersion.team_id, sa.func.max(TeamVersion.version).label("version"))
        .where(TeamVersion.effective_from <= day)
        .group_by(TeamVersion.team_id)
        .subquery("in_effect")
    )


def latest_versions() -> Any:
    return sa.select(Team.id.label("team_id"), Team.latest_version.label("version")).subquery(
        "latest"
    )


def as_of_number(department: str, number: int) -> Any:
    """Per team of the department, its version as the department's roster version `number`
    left it."""
    return (
        sa.select(TeamVersion.team_id, sa.func.max(TeamVersion.version).label("version"))
        .join(RosterVersion, RosterVersion.id == TeamVersion.roster_id)
        .where(RosterVersion.department == department, RosterVersion.number <= number)
        .group_by(TeamVersion.team_id)
        .subquery("as_of")
    )


def serving_on(day: date) -> list[sa.ColumnElement[bool]]:
    """The team version is not dissolved and within its period of validity on `day`."""
    return [
        TeamVersion.dissolved.is_(False),
        TeamVersion.valid_from <= day,
        sa.or_(TeamVersion.valid_until.is_(None), TeamVersion.valid_until >= day),
    ]


def member_query(chosen: Any) -> sa.Select[Any]:
    return (
        sa.select(TeamMember)
        .join(
            chosen,
            sa.and_(TeamMember.team_id == chosen.c.team_id, TeamMember.version == chosen.c.version),
        )
        .join(
            TeamVersion,
            sa.and_(
                TeamVersion.team_id == TeamMember.team_id, TeamVersion.version == TeamMember.version
            ),
        )
        .join(Team, Team.id == TeamMember.team_id)
        .options(contains_eager(TeamMember.team_version).contains_eager(TeamVersion.team))
    )


async def officer_counts(
    session: AsyncSession, versions: Sequence[TeamVersion]
) -> dict[tuple[uuid.UUID, int], int]:
    keys = [(v.team_id, v.version) for v in versions]
    if not keys:
        return {}
    rows = await session.execute(
        sa.select(TeamMember.team_id, TeamMember.version, sa.func.count())
        .where(sa.tuple_(TeamMember.team_id, TeamMember.version).in_(keys))
        .group_by(TeamMember.team_id, TeamMember.version)
    )
    return {(r[0], r[1]): int(r[2]) for r in rows}


# ---- teams -------------------------------------------------------------------------------------


def _teams_visible(org: str) -> sa.ColumnElement[bool]:
    if sees_all(org):
        return sa.true()
    if is_department(org):
        return Team.department == org
    if is_town(org):
        served = aliased(TeamVersion)
        return Team.id.in_(sa.select(served.team_id).where(served.towns.contains([org])))
    return sa.false()


@dataclass(frozen=True)
class TeamFilters:
    department: str | None = None
    town: str | None = None
    mode: SecondmentMode | None = None
    on: date | None = None
    include_dissolved: bool = False


async def list_teams(
    session: AsyncSession, *, principal: Principal, filters: TeamFilters, paging: PageParams
) -> tuple[Sequence[TeamVersion], int, dict[tuple[uuid.UUID, int], int]]:
    """SEC-01: the teams in effect on a day (or their latest versions), as the caller may see."""
    chosen = in_effect_on(filters.on) if filters.on else latest_versions()
    query = (
        sa.select(TeamVersion)
        .join(
            chosen,
            sa.and_(
                TeamVersion.team_id == chosen.c.team_id, TeamVersion.version == chosen.c.version
            ),
        )
        .join(Team, Team.id == TeamVersion.team_id)
        .options(contains_eager(TeamVersion.team))
        .where(_teams_visible(principal.org))
        .order_by(Team.department, TeamVersion.name, Team.id)
    )
    if not filters.include_dissolved:
        query = query.where(TeamVersion.dissolved.is_(False))
    if filters.department:
        query = query.where(Team.department == filters.department)
    if filters.town:
        query = query.where(TeamVersion.towns.contains([filters.town]))
    if filters.mode:
        query = query.where(Team.mode == filters.mode.value)
    rows, total = await fetch_page(session, query, paging, changed=TeamVersion.changed_at)
    return rows, total, await officer_counts(session, rows)


async def get_team(
    session: AsyncSession,
    *,
    principal: Principal,
    team_id: uuid.UUID,
    on: date | None = None,
    version: int | None = None,
) -> tuple[TeamVersion, list[TeamMember]]:
    """One version of a team with its roster: the latest, the one in effect on a day, or a
    numbered one."""
    team = await visible_team(session, team_id, principal, lock=False)
    if version is None and on is not None:
        version = (
            await session.execute(
                sa.select(sa.func.max(TeamVersion.version)).where(
                    TeamVersion.team_id == team.id, TeamVersion.effective_from <= on
                )
            )
        ).scalar_one_or_none()
        if version is None:
            raise NotFound(
                f"the team has no version in effect on {on}",
                zh=f"该队伍在 {on} 尚无生效的版本",
            )
    number = version or team.latest_version
    found = (
        await session.execute(
            sa.select(TeamVersion).where(
                TeamVersion.team_id == team.id, TeamVersion.version == number
            )
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("no such version of the team", zh="该队伍没有此版本")
    members = (
        (
            await session.execute(
                sa.select(TeamMember)
                .where(TeamMember.team_id == team.id, TeamMember.version == number)
                .order_by(TeamMember.name, TeamMember.officer_id)
            )
        )
        .scalars()
        .all()
    )
    return found, list(members)


async def list_team_versions(
    session: AsyncSession, *, principal: Principal, team_id: uuid.UUID, paging: PageParams
) -> tuple[Sequence[TeamVersion], int, dict[tuple[uuid.UUID, int], int]]:
    team = await visible_team(session, team_id, principal, lock=False)
    query = (
        sa.select(TeamVersion)
        .where(TeamVersion.team_id == team.id)
        .order_by(TeamVersion.version.desc())
    )
    rows, total = await fetch_page(session, query, paging, changed=TeamVersion.changed_at)
    return rows, total, await officer_counts(session, rows)


async def team_timeline(
    session: AsyncSession, *, principal: Principal, team_id: uuid.UUID
) -> list[TimelineEntry]:
    """Every audited change of the team, with its rule."""
    team = await visible_team(session, team_id, principal, lock=False)
    return await TEAM.timeline(session, team.id)


async def roster_numbers(
    session: AsyncSession, version_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not version_ids:
        return {}
    rows = await session.execute(
        sa.select(RosterVersion.id, RosterVersion.number).where(RosterVersion.id.in_(version_ids))
    )
    return {r[0]: r[1] for r in rows}


# ---- the department's roster versions ----------------------------------------------------------


def sees_roster(org: str, department: str) -> bool:
    return sees_all(org) or org == department


async def list_roster_versions(
    session: AsyncSession,
    *,
    principal: Principal,
    department: str | None,
    paging: PageParams,
) -> tuple[Sequence[RosterVersion], int]:
    """A department's roster versions (its own; oversight any), newest first."""
    query = sa.select(RosterVersion).order_by(RosterVersion.department, RosterVersion.number.desc())
    if not sees_all(principal.org):
        query = query.where(RosterVersion.department == principal.org)
    if department:
        query = query.where(RosterVersion.department == department)
    # A roster version never changes once made.
    return await fetch_page(session, query, paging, changed=RosterVersion.created_at)


async def get_roster_version(
    session: AsyncSession, *, principal: Principal, version_id: uuid.UUID
) -> RosterVersion:
    version = await session.get(RosterVersion, version_id)
    if version is None or not sees_roster(principal.org, version.department):
        raise NotFound("no such roster version", zh="未找到该名单版本")
    return version


async def roster_entries(
    session: AsyncSession, *, principal: Principal, version_id: uuid.UUID, paging: PageParams
) -> tuple[RosterVersion, Sequence[TeamMember], int]:
    """Every officer on the department's roster as a version left it, by team."""
    version = await get_roster_version(session, principal=principal, version_id=version_id)
    chosen = as_of_number(version.department, version.number)
    query = (
        member_query(chosen)
        .where(TeamVersion.dissolved.is_(False))
        .order_by(TeamVersion.name, TeamMember.name, TeamMember.officer_id)
    )
    # An officer's entry changes with the team version that put it there.
    rows, total = await fetch_page(session, query, paging, changed=TeamVersion.changed_at)
    return version, rows, total


async def _state(session: AsyncSession, department: str, number: int) -> dict[str, TeamSnapshot]:
    chosen = as_of_number(department, number)
    keys = (await session.execute(sa.select(chosen.c.team_id, chosen.c.version))).all()
    found = await load_snapshots(session, [(k[0], k[1]) for k in keys])
    return {s.team_id: s for s in found.values()}


async def roster_diff(
    session: AsyncSession,
    *,
    principal: Principal,
    department: str,
    base: int,
    target: int,
    change: ChangeKind | None,
    paging: PageParams,
) -> RosterDiff:
    """SEC-02: two versions of a department's roster compared: who joined, left, moved team
    or towns, had the certificate changed; which teams were added, dissolved, changed."""
    if not sees_roster(principal.org, department):
        raise NotFound("no such roster", zh="未找到该名单")
    last = (
        await session.execute(
            sa.select(sa.func.max(RosterVersion.number)).where(
                RosterVersion.department == department
            )
        )
    ).scalar_one_or_none() or 0
    wrong = [n for n in (base, target) if not 0 <= n <= last]
    if wrong:
        raise UnknownVersion(
            f"{department} has roster versions 0..{last} (0: before the first); not {wrong[0]}",
            zh=f"{department} 的名单版本为 0 至 {last}（0 表示第一版之前），没有第 {wrong[0]} 版",
            latest=last,
        )
    before, after = (
        await _state(session, department, base),
        await _state(session, department, target),
    )
    changes = roster_rules.diff(
        roster_rules.placements(before.values()), roster_rules.placements(after.values())
    )
    counts = roster_rules.counts(changes)
    if change is not None:
        changes = [c for c in changes if change in c.kinds]
    start = paging.offset
    return RosterDiff(
        department=department,
        base=base,
        target=target,
        counts=counts,
        teams=roster_rules.team_diff(before, after),
        officers=changes[start : start + paging.page_size],
        total=len(changes),
    )
