"""The secondment records (`TEAM`, `OFFICER`, `GUIDANCE`), and the steps the secondment use
cases share: reference data, the department's roster head, loading team versions as
snapshots, publishing a team's roster."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from secondment import events
from secondment.domain.teams import OVERSIGHT, Member, TeamSnapshot, VersionKind
from secondment.errors import NotADepartment
from secondment.models import (
    GuidanceActivity,
    Officer,
    RosterHead,
    RosterVersion,
    Team,
    TeamMember,
    TeamVersion,
)
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.errors import Forbidden
from xietong_common.mechanisms.roster import china_day
from xietong_common.records import RecordKind
from xietong_common.reference import OrgKind, SecondmentMode
from xietong_common.uow import UnitOfWork

MECHANISM = "secondment"
ROSTER_ROLES = ("admin", "leader")  # a department's roster and teams (SEC-02)
PERSONNEL_ROLES = ("admin", "leader")  # establishment, identity, assessment (SEC-03)
GUIDANCE_ROLES = ("handler", "leader", "admin")  # guidance records (SEC-05)
NOTE_ROLES = ("handler", "leader")  # a town's notes on daily work (SEC-01)
REPUBLISH_ROLES = ("admin",)  # publish the rosters again for a new consumer (SEC-04)


def today(uow: UnitOfWork) -> date:
    """Today in China time: a roster version takes effect on a China day."""
    return china_day(uow.now)


# ---- reference data ------------------------------------------------------------------------------


def department_mode(ctx: ServiceContext, department: str) -> SecondmentMode:
    """SEC-02: the mode the notice's attachment fixes for the department."""
    org = ctx.directory.get(department)
    if org is None or org.secondment_mode is None:
        raise NotADepartment(
            f"{department} is not a district enforcement department",
            zh=f"{department} 不是区级行政执法部门",
            rule="SEC-02",
        )
    return org.secondment_mode


def require_department(ctx: ServiceContext, actor: Principal, *roles: str) -> str:
    """The caller acts for a department (SEC-02/SEC-05: the department keeps its list and
    records its guidance), with one of `roles`."""
    department_mode(ctx, actor.org)
    actor.require_role(*roles)
    return actor.org


def check_towns(ctx: ServiceContext, towns: Iterable[str]) -> tuple[str, ...]:
    """Every town is a town of the directory; returned as a set in one order."""
    return tuple(sorted(ctx.directory.require_all(towns, OrgKind.TOWN)))


def town_lookup(ctx: ServiceContext) -> dict[str, str]:
    """A town by its code, its Chinese name, or its name without 街道/镇/乡 (荔枝 → town:lizhi)."""
    names: dict[str, str] = {}
    for town in ctx.directory.towns():
        names[town.code] = town.code
        names[town.name_zh] = town.code
        for suffix in ("街道", "镇", "乡"):
            if town.name_zh.endswith(suffix) and len(town.name_zh) > len(suffix):
                names.setdefault(town.name_zh[: -len(suffix)], town.code)
    return names


def department_lookup(ctx: ServiceContext) -> dict[str, str]:
    return {
        key: d.code for d in ctx.directory.departments() for key in (d.code, d.name_zh, d.name_en)
    }


# ---- the department's roster head and versions ------------------------------------------------


async def lock_head(uow: UnitOfWork, department: str) -> RosterHead:
    """The department's roster head, locked until commit: its changes are numbered and their
    events published in order."""
    await uow.session.execute(
        insert(RosterHead)
        .values(department=department, number=0, last_import_effective_from=None)
        .on_conflict_do_nothing(index_elements=[RosterHead.department])
    )
    return (
        await uow.session.execute(
            sa.select(RosterHead).where(RosterHead.department == department).with_for_update()
        )
    ).scalar_one()


def new_roster_version(
    uow: UnitOfWork,
    head: RosterHead,
    *,
    kind: VersionKind,
    effective_from: date,
    actor: Principal,
    teams_changed: int,
    counts: dict[str, int] | None = None,
    **fields: Any,
) -> RosterVersion:
    head.number += 1
    version = RosterVersion(
        id=uuid.uuid4(),
        department=head.department,
        number=head.number,
        kind=kind.value,
        effective_from=effective_from,
        teams_changed=teams_changed,
        counts=counts or {},
        created_at=uow.now,
        created_by=actor.user,
        **fields,
    )
    uow.session.add(version)
    return version


# ---- team versions as snapshots ----------------------------------------------------------------


def member_of(m: TeamMember | sa.Row[Any]) -> Member:
    return Member(
        officer_id=str(m.officer_id),
        name=m.name,
        certificate_number=m.certificate_number,
        certificate_valid_from=m.certificate_valid_from,
        certificate_valid_until=m.certificate_valid_until,
        towns=tuple(m.towns),
        all_team_towns=m.all_team_towns,
        position=m.position,
        staff_number=m.staff_number,
    )


def snapshot_of(v: TeamVersion, members: Iterable[Member]) -> TeamSnapshot:
    return TeamSnapshot(
        team_id=str(v.team_id),
        version=v.version,
        department=v.team.department,
        mode=SecondmentMode(v.team.mode),
        name=v.name,
        zone_name=v.zone_name,
        towns=tuple(v.towns),
        valid_from=v.valid_from,
        valid_until=v.valid_until,
        leader=v.leader,
        contact=v.contact,
        effective_from=v.effective_from,
        dissolved=v.dissolved,
        members=tuple(sorted(members)),
        changed_at=v.changed_at,
    )


async def load_snapshots(
    session: AsyncSession, keys: Collection[tuple[uuid.UUID, int]]
) -> dict[tuple[uuid.UUID, int], TeamSnapshot]:
    """Team versions with their whole rosters, by (team id, version)."""
    if not keys:
        return {}
    pair = sa.tuple_(TeamVersion.team_id, TeamVersion.version)
    versions = (
        (await session.execute(sa.select(TeamVersion).where(pair.in_(list(keys))))).scalars().all()
    )
    members: dict[tuple[uuid.UUID, int], list[Member]] = {}
    table = TeamMember.__table__
    rows = await session.execute(
        sa.select(table).where(sa.tuple_(table.c.team_id, table.c.version).in_(list(keys)))
    )
    for m in rows:  # plain rows: a department's whole roster, without ORM identity overhead
        members.setdefault((m.team_id, m.version), []).append(member_of(m))
    return {
        (v.team_id, v.version): snapshot_of(v, members.get((v.team_id, v.version), []))
        for v in versions
    }


async def latest_snapshots(session: AsyncSession, department: str) -> list[TeamSnapshot]:
    """Every team of the department as its latest version stands (dissolved ones too)."""
    keys = (
        await session.execute(
            sa.select(Team.id, Team.latest_version).where(Team.department == department)
        )
    ).all()
    found = await load_snapshots(session, [(k[0], k[1]) for k in keys])
    return sorted(found.values(), key=lambda s: (s.name, s.team_id))


async def pending_versions(
    session: AsyncSession, team_ids: Collection[uuid.UUID], day: date
) -> dict[uuid.UUID, list[TeamSnapshot]]:
    """Per team, its versions from the one in effect on `day` (or its first, if none is yet)
    to its latest, oldest first: what a `secondment.roster-changed` must carry."""
    if not team_ids:
        return {}
    tv = TeamVersion
    current = (
        sa.select(tv.team_id, sa.func.max(tv.version).label("version"))
        .where(tv.team_id.in_(team_ids), tv.effective_from <= day)
        .group_by(tv.team_id)
        .subquery()
    )
    keys = (
        await session.execute(
            sa.select(tv.team_id, tv.version)
            .outerjoin(current, current.c.team_id == tv.team_id)
            .where(tv.team_id.in_(team_ids), tv.version >= sa.func.coalesce(current.c.version, 1))
        )
    ).all()
    found = await load_snapshots(session, [(k[0], k[1]) for k in keys])
    out: dict[uuid.UUID, list[TeamSnapshot]] = {}
    for (team_id, _), snap in sorted(found.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        out.setdefault(team_id, []).append(snap)
    return out


async def publish_teams(uow: UnitOfWork, team_ids: Sequence[uuid.UUID]) -> int:
    """SEC-02/SEC-04: publish each team's roster (key = team id) with the versions it needs."""
    pending = await pending_versions(uow.session, team_ids, today(uow))
    for team_id in team_ids:
        snapshots = pending.get(team_id)
        if not snapshots:
            continue
        *preceding, latest = snapshots
        uow.publish(
            events.roster_changed(latest, preceding),
            key=str(team_id),
        )
    return len(pending)


def version_rows(
    snapshot: TeamSnapshot, *, roster_id: uuid.UUID, uow: UnitOfWork, reason: str | None
) -> dict[str, Any]:
    """The `team_versions` row of a snapshot."""
    return {
        "team_id": uuid.UUID(snapshot.team_id),
        "version": snapshot.version,
        "roster_id": roster_id,
        "effective_from": snapshot.effective_from,
        "name": snapshot.name,
        "zone_name": snapshot.zone_name,
        "towns": list(snapshot.towns),
        "valid_from": snapshot.valid_from,
        "valid_until": snapshot.valid_until,
        "leader": snapshot.leader,
        "contact": snapshot.contact,
        "dissolved": snapshot.dissolved,
        "reason": reason,
        "changed_at": uow.now,
        "changed_by": uow.actor.user if uow.actor else "system",
    }


def member_rows(
    snapshot: TeamSnapshot, rows_of: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """The `team_members` rows of a snapshot."""
    return [
        {
            "team_id": uuid.UUID(snapshot.team_id),
            "version": snapshot.version,
            "officer_id": uuid.UUID(m.officer_id),
            "name": m.name,
            "certificate_number": m.certificate_number,
            "certificate_valid_from": m.certificate_valid_from,
            "certificate_valid_until": m.certificate_valid_until,
            "towns": list(m.towns),
            "all_team_towns": m.all_team_towns,
            "position": m.position,
            "staff_number": m.staff_number,
            "sheet_row": (rows_of or {}).get(m.officer_id),
        }
        for m in snapshot.members
    ]


async def store_versions(
    uow: UnitOfWork,
    snapshots: Sequence[TeamSnapshot],
    *,
    roster_id: uuid.UUID,
    reason: str | None = None,
    rows_of: dict[str, int] | None = None,
) -> None:
    """Write new team versions with their rosters, and move each team's latest version."""
    if not snapshots:
        return
    await uow.session.execute(
        sa.insert(TeamVersion),
        [version_rows(s, roster_id=roster_id, uow=uow, reason=reason) for s in snapshots],
    )
    members = [row for s in snapshots for row in member_rows(s, rows_of)]
    if members:
        await uow.session.execute(sa.insert(TeamMember), members)
    for s in snapshots:
        await uow.session.execute(
            sa.update(Team).where(Team.id == uuid.UUID(s.team_id)).values(latest_version=s.version)
        )


# ---- the records ----------------------------------------------------------------------------------
#
# A team and an officer are seen by their department, by oversight (SEC-01: "see all"), and by
# every town a version of the team served or a roster placed the officer in — which takes a
# query, so `visible_team`/`visible_officer` get the record and then ask it (the kit's
# `parties` says the department; the towns are added by the query).

TEAM: RecordKind[Team, Any, Any] = RecordKind(
    model=Team,
    subject="team",
    mechanism=MECHANISM,
    name="team",
    name_zh="队伍",
    parties=lambda team: (team.department,),
    readers=OVERSIGHT,
    actions=MECHANISM,
)
"""指导队伍: a department's team; its versions and rosters are `TeamVersion`/`TeamMember`."""

OFFICER: RecordKind[Officer, Any, Any] = RecordKind(
    model=Officer,
    subject="officer",
    mechanism=MECHANISM,
    name="officer",
    name_zh="下沉人员",
    parties=lambda officer: (officer.department,),
    readers=OVERSIGHT,
    actions=MECHANISM,
)
"""下沉人员 as his department knows him (SEC-03's records are the department's)."""

GUIDANCE: RecordKind[GuidanceActivity, Any, Any] = RecordKind(
    model=GuidanceActivity,
    subject="guidance",
    mechanism=MECHANISM,
    name="guidance activity",
    name_zh="业务指导活动",
    parties=lambda activity: (activity.department, *activity.towns),
    readers=OVERSIGHT,
    actions=MECHANISM,
    collections=(GuidanceActivity.materials,),
)
"""SEC-05 业务指导: seen by its department, the towns it reached, and oversight."""


def _session(db: AsyncSession | UnitOfWork) -> AsyncSession:
    return db.session if isinstance(db, UnitOfWork) else db


async def towns_ever(session: AsyncSession, team_id: uuid.UUID) -> set[str]:
    """Every town any version of the team served."""
    rows = await session.execute(
        sa.select(sa.func.unnest(TeamVersion.towns))
        .where(TeamVersion.team_id == team_id)
        .distinct()
    )
    return set(rows.scalars())


async def visible_team(
    db: AsyncSession | UnitOfWork, team_id: uuid.UUID, actor: Principal, *, lock: bool = True
) -> Team:
    """`TEAM.load_for`, with the towns the team ever served among its parties: a department
    its own teams, a town the teams that serve or served it, oversight all; else 404."""
    team = await TEAM.get(db, team_id, lock=lock)
    if not TEAM.visible_to(team, actor.org) and actor.org not in await towns_ever(
        _session(db), team.id
    ):
        raise TEAM.missing()
    return team


def check_own_team(team: Team, actor: Principal) -> None:
    """SEC-02: only the team's department changes it (a town or oversight that sees it: 403)."""
    if actor.org != team.department:
        raise Forbidden(
            "only the team's department changes its team and roster",
            zh="只有队伍所属部门可以修改其队伍和名单",
            rule="SEC-02",
        )


async def officer_towns_ever(session: AsyncSession, officer_id: uuid.UUID) -> set[str]:
    rows = await session.execute(
        sa.select(sa.func.unnest(TeamMember.towns))
        .where(TeamMember.officer_id == officer_id)
        .distinct()
    )
    return set(rows.scalars())


async def visible_officer(
    db: AsyncSession | UnitOfWork, officer_id: uuid.UUID, actor: Principal, *, lock: bool = True
) -> Officer:
    """`OFFICER.load_for`, with the towns he serves or served among its parties: his
    department, oversight, a town a roster placed him in. Anyone else gets 404."""
    officer = await OFFICER.get(db, officer_id, lock=lock)
    if not OFFICER.visible_to(officer, actor.org) and actor.org not in await officer_towns_ever(
        _session(db), officer.id
    ):
        raise OFFICER.missing()
    return officer
