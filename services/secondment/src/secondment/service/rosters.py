"""A department imports its roster sheet (SEC-02, attachments 1–11): every row checked, all or
nothing, a new roster version with an effective date, the teams it changes published whole.

The sheet is read and its rows validated in a worker process (`read_roster`: never on the
event loop, within the limits of `xietong_common.files`); `import_roster` then checks the
rows against the department's teams and officers and stores the version. A large sheet is an
import job (`xietong_common.import_jobs`) running the same two steps."""

from __future__ import annotations

import re
import uuid
import zlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from secondment.domain import roster as roster_rules
from secondment.domain import teams as team_rules
from secondment.domain.roster import ImportOutcome, RowProblem, SheetRow
from secondment.domain.teams import TeamSnapshot, VersionKind
from secondment.models import Officer, RosterHead, RosterVersion, Team, TeamMember, TeamVersion
from secondment.schemas import ROSTER_COLUMNS, ImportResult, RosterRow
from secondment.service.common import (
    MECHANISM,
    ROSTER_ROLES,
    TEAM,
    department_lookup,
    latest_snapshots,
    load_snapshots,
    lock_head,
    new_roster_version,
    publish_teams,
    require_department,
    store_versions,
    today,
    town_lookup,
)
from secondment.settings import secondment_settings
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.files.limits import MiB, WorkerBudget
from xietong_common.spreadsheets import (
    CellError,
    Table,
    TableRead,
    column_of,
    load_table,
    refuse,
)
from xietong_common.uow import UnitOfWork

IMPORT_SCOPE = "secondment.roster.import"
IMPORT_LOCK = zlib.crc32(b"secondment:roster-import")
_TOWN_SEPARATORS = re.compile(r"[、，,；;/／\s]+")


def _ignored(table: Table) -> list[str]:
    known = {"".join(k.split()).lower() for k in ROSTER_COLUMNS}
    return [h for h in table.header if h and "".join(h.split()).lower() not in known]


def _cell_errors(table: Table, problems: list[RowProblem]) -> list[CellError]:
    errors = []
    for p in problems:
        where = column_of(table, ROSTER_COLUMNS, p.field) if p.field else None
        errors.append(
            CellError(p.row, where[0] if where else None, where[1] if where else None, p.zh, p.en)
        )
    return errors


async def _certificates_elsewhere(
    session: AsyncSession, department: str, certificates: list[str]
) -> dict[str, str]:
    """Certificates on the latest roster of another department's team in force: one officer
    belongs to one department's list."""
    if not certificates:
        return {}
    rows = await session.execute(
        sa.select(TeamMember.certificate_number, Team.department)
        .join(
            Team, sa.and_(Team.id == TeamMember.team_id, Team.latest_version == TeamMember.version)
        )
        .join(
            TeamVersion,
            sa.and_(
                TeamVersion.team_id == TeamMember.team_id, TeamVersion.version == TeamMember.version
            ),
        )
        .where(
            Team.department != department,
            TeamVersion.dissolved.is_(False),
            TeamMember.certificate_number
            == sa.any_(sa.bindparam("certificates", certificates, type_=ARRAY(sa.Text))),
        )
    )
    return {r[0]: r[1] for r in rows}


def _reused_staff_number(
    number: int, r: RosterRow, officer: Any, by_certificate: dict[str, Any]
) -> RowProblem | None:
    """SEC-02: a staff number names one officer. A row that carries it with another person's
    certificate, or with both another name and another certificate, would silently turn that
    officer (his history, assessments, work notes, inspections) into someone else: refused.
    A renewed certificate or a corrected name alone keeps him."""
    holder = by_certificate.get(r.certificate_number)
    if holder is not None and holder.id != officer.id:
        return RowProblem(
            number,
            "staff_number",
            f"人员编号 {r.staff_number} 属于 {officer.name}，执法证号 {r.certificate_number} "
            f"却属于 {holder.name}：一个编号、一个证号只能对应同一人",
            f"staff number {r.staff_number} is {officer.name}'s but certificate "
            f"{r.certificate_number} is {holder.name}'s: one number and one certificate are one "
            "officer",
        )
    if officer.name != r.name and officer.certificate_number != r.certificate_number:
        return RowProblem(
            number,
            "staff_number",
            f"人员编号 {r.staff_number} 属于 {officer.name}（执法证号 {officer.certificate_number}），"
            f"本行姓名（{r.name}）和执法证号都不同：同一编号不能换成另一人。"
            "新人员请另编人员编号，或不填人员编号",
            f"staff number {r.staff_number} belongs to {officer.name} (certificate "
            f"{officer.certificate_number}); this row has another name ({r.name}) and another "
            "certificate: a staff number is not passed to another person. Give the new "
            "officer his own staff number, or leave it empty",
        )
    return None


async def _resolve(
    uow: UnitOfWork,
    ctx: ServiceContext,
    department: str,
    parsed: list[tuple[int, RosterRow]],
) -> tuple[list[SheetRow], list[RowProblem], dict[str, Any]]:
    """Rows with their towns and departments read from the directory and each officer
    matched: by his staff number where the sheet gives one, else by his certificate number.
    Returns the rows, the problems, and the department's officers by id."""
    officers = (
        await uow.session.execute(
            sa.select(
                Officer.id, Officer.name, Officer.certificate_number, Officer.staff_number
            ).where(Officer.department == department)
        )
    ).all()
    by_staff = {o.staff_number: o for o in officers if o.staff_number}
    by_certificate = {o.certificate_number: o for o in officers}
    elsewhere = await _certificates_elsewhere(
        uow.session, department, sorted({r.certificate_number for _, r in parsed})
    )
    towns = town_lookup(ctx)
    departments = department_lookup(ctx)
    rows: list[SheetRow] = []
    problems: list[RowProblem] = []
    for number, r in parsed:
        if r.department is not None and departments.get(r.department.strip()) != department:
            problems.append(
                RowProblem(
                    number,
                    "department",
                    f"「{r.department}」不是本部门（{department}）：只能导入本部门的名单",
                    f"{r.department!r} is not the importing department ({department})",
                )
            )
        served: tuple[str, ...] | None = None
        if r.towns:
            names = [n for n in _TOWN_SEPARATORS.split(r.towns) if n]
            unknown = [n for n in names if n not in towns]
            if unknown:
                problems.append(
                    RowProblem(
                        number,
                        "towns",
                        f"未知的乡镇（街道）：{'、'.join(unknown)}",
                        f"unknown towns: {', '.join(unknown)}",
                    )
                )
            served = tuple(towns[n] for n in names if n in towns) or None
        if r.certificate_number in elsewhere:
            problems.append(
                RowProblem(
                    number,
                    "certificate_number",
                    "该执法证号已在其他部门的下沉人员名单中",
                    "this certificate number is on another department's roster",
                )
            )
        officer = by_staff.get(r.staff_number) if r.staff_number else None
        if officer is not None:
            reused = _reused_staff_number(number, r, officer, by_certificate)
            if reused is not None:
                problems.append(reused)
        if officer is None:
            officer = by_certificate.get(r.certificate_number)
            if (
                officer is not None
                and r.staff_number
                and officer.staff_number
                and officer.staff_number != r.staff_number
            ):
                problems.append(
                    RowProblem(
                        number,
                        "staff_number",
                        f"执法证号 {r.certificate_number} 属于人员编号为 {officer.staff_number} 的人员",
                        f"certificate {r.certificate_number} belongs to staff number "
                        f"{officer.staff_number}",
                    )
                )
        rows.append(
            SheetRow(
                row=number,
                officer_id=str(officer.id if officer else uuid.uuid4()),
                team_name=r.team,
                name=r.name,
                certificate_number=r.certificate_number,
                certificate_valid_from=r.certificate_valid_from,
                certificate_valid_until=r.certificate_valid_until,
                towns=served,
                position=r.position,
                staff_number=r.staff_number,
            )
        )
    return rows, problems, {str(o.id): o for o in officers}


async def _save_officers(
    uow: UnitOfWork, department: str, rows: list[SheetRow], known: dict[str, Any]
) -> None:
    """New officers get their stable id; known ones take the sheet's name, certificate and
    staff number (their history stays in the versions)."""
    new = [r for r in rows if r.officer_id not in known]
    if new:
        await uow.session.execute(
            sa.insert(Officer),
            [
                {
                    "id": uuid.UUID(r.officer_id),
                    "department": department,
                    "name": r.name,
                    "certificate_number": r.certificate_number,
                    "staff_number": r.staff_number,
                    "created_at": uow.now,
                    "updated_at": uow.now,
                }
                for r in new
            ],
        )
    changed = []
    for r in rows:
        officer = known.get(r.officer_id)
        if officer is None:
            continue
        staff = r.staff_number or officer.staff_number
        if (officer.name, officer.certificate_number, officer.staff_number) != (
            r.name,
            r.certificate_number,
            staff,
        ):
            changed.append(
                {
                    "id": officer.id,
                    "name": r.name,
                    "certificate_number": r.certificate_number,
                    "staff_number": staff,
                    "updated_at": uow.now,
                }
            )
    if changed:
        await uow.session.execute(sa.update(Officer), changed)


async def read_roster(
    ctx: ServiceContext,
    source: Path | bytes,
    *,
    filename: str | None,
    progress: Callable[[dict[str, int]], None] | None = None,
) -> TableRead[RosterRow]:
    """SEC-02: the sheet read and each row validated, in a worker process."""
    return await load_table(
        ctx.files,
        source,
        filename=filename,
        max_rows=secondment_settings(ctx).secondment_roster_max_rows,
        model=RosterRow,
        columns=ROSTER_COLUMNS,
        header_names=ROSTER_COLUMNS.keys(),
        budget=WorkerBudget(
            seconds=ctx.settings.import_worker_seconds,
            memory_bytes=ctx.settings.file_worker_memory_mb * MiB,
        ),
        progress=progress,
    )


async def import_roster(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    read: TableRead[RosterRow],
    sha256: str,
    size: int,
    filename: str | None,
    effective_from: date | None,
    note: str | None,
    dry_run: bool = False,
    idempotency_key: str | None = None,
) -> ImportResult:
    """SEC-02: the department's whole roster from its sheet. Every row is checked (columns,
    teams, towns, officers listed once, certificates not on another department's list) and
    one bad row refuses the sheet with every problem by row and column. The teams whose
    rosters change get a new version from `effective_from`; the same content again is
    `unchanged` (no version, no event); `dry_run` shows what would change and stores nothing."""
    department = require_department(ctx, actor, *ROSTER_ROLES)
    settings = secondment_settings(ctx)
    request = {
        "sha256": sha256,
        "effective_from": effective_from.isoformat() if effective_from else None,
        "note": note,
    }
    if not dry_run:
        replay = await idempotency.claim(
            uow, scope=IMPORT_SCOPE, org=department, key=idempotency_key, request=request
        )
        if replay is not None:
            return await _replayed(uow.session, replay)
    table, parsed, invalid = read.table, read.parsed, read.errors
    if dry_run:
        head = await uow.session.get(RosterHead, department)
    else:
        # Imports of all departments one at a time: "one officer on one department's list"
        # is then checked against lists that cannot change under it. Imports are rare.
        await uow.session.execute(sa.select(sa.func.pg_advisory_xact_lock(IMPORT_LOCK)))
        head = await lock_head(uow, department)
    teams = await latest_snapshots(uow.session, department)
    rows, problems, known = await _resolve(uow, ctx, department, parsed)
    placed, placing = roster_rules.place_rows(teams, rows)
    problems += placing
    if problems or invalid:
        errors = sorted([*invalid, *_cell_errors(table, problems)], key=lambda e: e.row)
        raise refuse(errors, len(table.rows))
    effective = effective_from or today(uow)
    changed = roster_rules.plan_import(teams, placed, effective_from=effective)
    if changed:
        changed_ids = {c.team_id for c in changed}
        earlier = [t.effective_from for t in teams if t.team_id in changed_ids]
        if head is not None and head.last_import_effective_from is not None:
            earlier.append(head.last_import_effective_from)
        team_rules.check_effective(
            effective,
            today=today(uow),
            max_backdate_days=settings.secondment_max_backdate_days,
            not_before=max(earlier, default=None),
            what_en="the imported roster",
            what_zh="导入的名单",
        )
    after = {t.team_id: t for t in teams} | {c.team_id: c for c in changed}
    changes = roster_rules.diff(
        roster_rules.placements(teams), roster_rules.placements(after.values())
    )
    counts = roster_rules.counts(changes)
    warnings = roster_rules.certificate_warnings(
        rows, effective_from=effective, warning_days=settings.secondment_certificate_warning_days
    )
    ignored = _ignored(table)
    if dry_run:
        return ImportResult(
            ImportOutcome.PREVIEW, None, len(rows), changed, counts, warnings, ignored
        )
    assert head is not None
    if not changed:
        latest = (
            await uow.session.execute(
                sa.select(RosterVersion).where(
                    RosterVersion.department == department, RosterVersion.number == head.number
                )
            )
        ).scalar_one_or_none()
        await idempotency.remember(
            uow,
            scope=IMPORT_SCOPE,
            org=department,
            key=idempotency_key,
            resource_id=f"unchanged:{latest.id if latest else ''}",
        )
        uow.audit(  # a subject that is no record: the department's roster
            action=f"{MECHANISM}.roster.import-unchanged",
            subject=f"roster:{department}",
            rule="SEC-02",
            detail={"file_sha256": sha256, "rows": len(rows), "latest_version": head.number},
        )
        return ImportResult(
            ImportOutcome.UNCHANGED, latest, len(rows), [], counts, warnings, ignored
        )
    await _save_officers(uow, department, rows, known)
    version = new_roster_version(
        uow,
        head,
        kind=VersionKind.IMPORTED,
        effective_from=effective,
        actor=actor,
        teams_changed=len(changed),
        counts=counts,
        filename=filename,
        file_sha256=sha256,
        file_size=size,
        rows=len(rows),
        note=note,
    )
    head.last_import_effective_from = effective
    await uow.session.flush()
    await store_versions(
        uow, changed, roster_id=version.id, rows_of={r.officer_id: r.row for r in rows}
    )
    await publish_teams(uow, [uuid.UUID(c.team_id) for c in changed])
    await idempotency.remember(
        uow,
        scope=IMPORT_SCOPE,
        org=department,
        key=idempotency_key,
        resource_id=f"created:{version.id}",
    )
    uow.audit(
        action=f"{MECHANISM}.roster.imported",
        subject=f"roster:{department}",
        rule="SEC-02",
        detail={
            "roster_version": version.number,
            "effective_from": effective.isoformat(),
            "file_sha256": sha256,
            "rows": len(rows),
            "teams_changed": len(changed),
            "counts": counts,
        },
    )
    for c in changed:  # the teams as snapshots: audited under each team's subject
        uow.audit(
            action=f"{MECHANISM}.team.roster-imported",
            subject=TEAM.subject_of(c.team_id),
            rule="SEC-02",
            detail={
                "version": c.version,
                "roster_version": version.number,
                "officers": len(c.members),
            },
        )
    return ImportResult(
        ImportOutcome.CREATED, version, len(rows), changed, counts, warnings, ignored
    )


async def _replayed(session: AsyncSession, replay: str) -> ImportResult:
    """The first answer to a retried import (same Idempotency-Key, same file)."""
    outcome, _, version_id = replay.partition(":")
    version = await session.get(RosterVersion, uuid.UUID(version_id)) if version_id else None
    changed: list[TeamSnapshot] = []
    if version is not None and outcome == ImportOutcome.CREATED.value:
        keys = (
            await session.execute(
                sa.select(TeamVersion.team_id, TeamVersion.version).where(
                    TeamVersion.roster_id == version.id
                )
            )
        ).all()
        changed = list((await load_snapshots(session, [(k[0], k[1]) for k in keys])).values())
    return ImportResult(
        ImportOutcome(outcome),
        version,
        (version.rows or 0) if version else 0,
        changed,
        dict(version.counts) if version else {},
    )
