"""A department's teams (指导队伍): create, edit, dissolve (SEC-01, SEC-02). Each change is a
new version of the department's roster and of the team, published whole; and every team's
present published again on demand (SEC-04, for a new consumer)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from secondment.domain import teams as team_rules
from secondment.domain.roster import retown
from secondment.domain.teams import TRANSITIONS, TeamSnapshot, TeamStep, VersionKind, sees_all
from secondment.errors import DuplicateTeamName, NotADepartment, OfficersWouldServeNoTown
from secondment.models import Team
from secondment.schemas import TeamCreate, TeamDissolve, TeamUpdate
from secondment.service.common import (
    MECHANISM,
    REPUBLISH_ROLES,
    ROSTER_ROLES,
    TEAM,
    check_own_team,
    check_towns,
    department_mode,
    latest_snapshots,
    load_snapshots,
    lock_head,
    new_roster_version,
    publish_teams,
    require_department,
    store_versions,
    today,
    visible_team,
)
from secondment.settings import secondment_settings
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.reference import is_department
from xietong_common.uow import UnitOfWork

CREATE_SCOPE = "secondment.team.create"


def _check_name(teams: list[TeamSnapshot], name: str, *, team_id: str | None) -> None:
    """Sheets name teams: a department's teams in force have distinct names."""
    key = team_rules.team_key(name)
    if any(
        team_rules.team_key(t.name) == key and not t.dissolved and t.team_id != team_id
        for t in teams
    ):
        raise DuplicateTeamName(
            f"the department already has a team named {name!r}",
            zh=f"本部门已有名为「{name}」的队伍",
            name=name,
        )


async def create_team(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    data: TeamCreate,
    idempotency_key: str | None = None,
) -> TeamSnapshot:
    """SEC-02: a team of the caller's department, in the department's mode (派驻: one town;
    划片: a zone of towns). Version 1 of the team, with nobody on its roster yet."""
    department = require_department(ctx, actor, *ROSTER_ROLES)
    replay = await idempotency.claim(
        uow, scope=CREATE_SCOPE, org=department, key=idempotency_key, request=data
    )
    if replay is not None:
        team = await visible_team(uow, uuid.UUID(replay), actor, lock=False)
        found = await load_snapshots(uow.session, [(team.id, 1)])
        return found[(team.id, 1)]
    settings = secondment_settings(ctx)
    mode = department_mode(ctx, department)
    team_rules.check_mode(department=department, department_mode=mode, asked=data.mode)
    towns = check_towns(ctx, data.towns)
    team_rules.check_towns(mode, towns, zone_min_towns=settings.secondment_zone_min_towns)
    effective_from = data.effective_from or today(uow)
    team_rules.check_effective(
        effective_from,
        today=today(uow),
        max_backdate_days=settings.secondment_max_backdate_days,
        not_before=None,
        what_en="the new team",
        what_zh="新建队伍",
    )
    head = await lock_head(uow, department)
    _check_name(await latest_snapshots(uow.session, department), data.name, team_id=None)
    team = TEAM.new(
        id=uuid.uuid4(),
        department=department,
        mode=mode.value,
        latest_version=0,
        created_at=uow.now,
        created_by=actor.user,
    )
    await TEAM.insert(uow, team)
    roster = new_roster_version(
        uow,
        head,
        kind=VersionKind.TEAM_CREATED,
        effective_from=effective_from,
        actor=actor,
        teams_changed=1,
    )
    await uow.session.flush()
    snapshot = TeamSnapshot(
        team_id=str(team.id),
        version=1,
        department=department,
        mode=mode,
        name=data.name,
        zone_name=data.zone_name,
        towns=towns,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        leader=data.leader,
        contact=data.contact,
        effective_from=effective_from,
        dissolved=False,
        members=(),
    )
    await store_versions(uow, [snapshot], roster_id=roster.id)
    await idempotency.remember(
        uow, scope=CREATE_SCOPE, org=department, key=idempotency_key, resource_id=str(team.id)
    )
    await publish_teams(uow, [team.id])
    TEAM.audit(
        uow,
        team,
        "team.created",
        rule="SEC-02",
        mode=mode.value,
        towns=list(towns),
        roster_version=roster.number,
        effective_from=effective_from.isoformat(),
    )
    return snapshot


async def _change(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    team_id: uuid.UUID,
    actor: Principal,
    step: TeamStep,
    effective_from: Any,
    changes: dict[str, Any],
    reason: str | None,
) -> TeamSnapshot:
    """One new version of one team, after the department's head is locked."""
    actor.require_role(*ROSTER_ROLES)
    # Not locked: the department's roster head is (below), and an import locks the head
    # before it moves the team's latest version; locking the team first could deadlock.
    team = await visible_team(uow, team_id, actor, lock=False)
    check_own_team(team, actor)
    settings = secondment_settings(ctx)
    head = await lock_head(uow, team.department)
    teams = await latest_snapshots(uow.session, team.department)
    latest = next(t for t in teams if t.team_id == str(team.id))
    TRANSITIONS.next(latest.status, step)
    effective = effective_from or max(today(uow), latest.effective_from)
    team_rules.check_effective(
        effective,
        today=today(uow),
        max_backdate_days=settings.secondment_max_backdate_days,
        not_before=latest.effective_from,
        what_en=f"version {latest.version + 1} of the team",
        what_zh=f"队伍第 {latest.version + 1} 版",
    )
    if "name" in changes:
        _check_name(teams, changes["name"], team_id=latest.team_id)
    if "towns" in changes:
        towns = check_towns(ctx, changes["towns"])
        team_rules.check_towns(
            latest.mode, towns, zone_min_towns=settings.secondment_zone_min_towns
        )
        members, stranded = retown(latest.members, towns)
        if stranded:
            raise OfficersWouldServeNoTown(
                "officers on the team's roster would serve none of its towns: "
                + ", ".join(f"{m.name} ({m.certificate_number})" for m in stranded)
                + "; import a roster that places them first",
                zh="队伍名单中下列人员将不服务于任何乡镇（街道）："
                + "、".join(f"{m.name}（{m.certificate_number}）" for m in stranded)
                + "；请先导入调整后的名单",
                officers=[m.officer_id for m in stranded],
            )
        changes = {**changes, "towns": towns, "members": members}
    team_rules.check_validity(
        changes.get("valid_from", latest.valid_from),
        changes.get("valid_until", latest.valid_until),
    )
    candidate = latest.next_version(effective_from=effective, **changes)
    unchanged = candidate == latest.next_version(effective_from=effective)
    if unchanged and step is TeamStep.EDIT:
        return latest
    kind = VersionKind.TEAM_DISSOLVED if step is TeamStep.DISSOLVE else VersionKind.TEAM_EDITED
    roster = new_roster_version(
        uow, head, kind=kind, effective_from=effective, actor=actor, teams_changed=1, note=reason
    )
    await uow.session.flush()
    await store_versions(uow, [candidate], roster_id=roster.id, reason=reason)
    await publish_teams(uow, [team.id])
    TEAM.audit(
        uow,
        team,
        "team.dissolved" if step is TeamStep.DISSOLVE else "team.edited",
        rule="SEC-02",
        version=candidate.version,
        roster_version=roster.number,
        effective_from=effective.isoformat(),
        fields=sorted(k for k in changes if k != "members"),
        reason=reason,
    )
    return candidate


async def edit_team(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    team_id: uuid.UUID,
    actor: Principal,
    data: TeamUpdate,
) -> TeamSnapshot:
    """SEC-02: the department changes its team (towns, validity, leader…) from a day; officers
    serving all its towns follow the new towns. Nothing changed: no new version."""
    given = data.model_fields_set - {"effective_from", "reason"}
    changes = {name: getattr(data, name) for name in given}
    return await _change(
        uow,
        ctx=ctx,
        team_id=team_id,
        actor=actor,
        step=TeamStep.EDIT,
        effective_from=data.effective_from,
        changes=changes,
        reason=data.reason,
    )


async def dissolve_team(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    team_id: uuid.UUID,
    actor: Principal,
    data: TeamDissolve,
) -> TeamSnapshot:
    """SEC-02: the team ends from a day; its roster stays on record, and no officer of it may
    act from that day (SEC-04: the team is dissolved)."""
    return await _change(
        uow,
        ctx=ctx,
        team_id=team_id,
        actor=actor,
        step=TeamStep.DISSOLVE,
        effective_from=data.effective_from,
        changes={"dissolved": True},
        reason=data.reason,
    )


async def republish(
    uow: UnitOfWork, *, ctx: ServiceContext, actor: Principal, department: str | None
) -> tuple[int, int]:
    """Publish every team's present again (its latest version with what precedes it), so a
    consumer brought up from scratch has the roster in effect: a department its own teams,
    oversight any department's or all. Consumers keep each version once, so this is safe."""
    actor.require_role(*REPUBLISH_ROLES)
    if sees_all(actor.org):
        scope = department
    elif is_department(actor.org):
        scope = actor.org
    else:
        raise NotADepartment(
            "only a department (its own teams) or oversight republishes rosters",
            zh="只有区级行政执法部门（本部门队伍）或监督机构可以重新发布名单",
        )
    query = sa.select(Team.id, Team.department).order_by(Team.department, Team.id)
    if scope:
        query = query.where(Team.department == scope)
    teams = (await uow.session.execute(query)).all()
    published = 0
    for dept in sorted({t.department for t in teams}):
        await lock_head(uow, dept)
        published += await publish_teams(uow, [t.id for t in teams if t.department == dept])
    uow.audit(  # a subject that is no record: the department's roster (or all of them)
        action=f"{MECHANISM}.roster.republished",
        subject=f"roster:{scope or 'all'}",
        rule="SEC-04",
        detail={"teams": len(teams)},
    )
    return len(teams), published
