"""The secondment roster as other mechanisms keep it: a local projection of
`secondment.roster-changed`, and the SEC-04 eligibility check against it.

Joint inspection (INSP-03) and assistance (ASSIST-02) let a seconded officer act only where
the roster says he may, without calling the secondment service inside a request:

- their migrations create the projection tables (`create_roster_projection(op)`, and
  `run_env(Base.metadata, roster_metadata)` in migrations/env.py);
- their `ServiceSpec.handlers` map `RosterChanged` to `on_roster_changed`;
- a use case asks `await eligibility(session, catalogue=ctx.catalogue, officer_id=...,
  matter_code=..., town=..., at=uow.now)` and refuses with the reason when it says no.

Events may arrive twice or out of order: each roster version is kept once (team, version),
and the version in effect on a day is the newest one whose `effective_from` has come. An
event published before its version takes effect carries the versions it supersedes
(`preceding`), so a consumer reading the compacted topic later still has today's roster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from xietong_common.calendar import CHINA_TZ
from xietong_common.context import ServiceContext
from xietong_common.contracts.secondment import RosterChanged, RosterVersion
from xietong_common.events.envelope import CloudEvent
from xietong_common.reference import MatterCatalogue
from xietong_common.tables import NAMING_CONVENTION
from xietong_common.uow import UnitOfWork

roster_metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

roster_versions = sa.Table(
    "roster_versions",
    roster_metadata,
    sa.Column("team_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("department", sa.Text, nullable=False),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("towns", ARRAY(sa.Text), nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("dissolved", sa.Boolean, nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)

roster_officers = sa.Table(
    "roster_officers",
    roster_metadata,
    sa.Column("team_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("officer_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("certificate_number", sa.Text, nullable=False),
    sa.Column("certificate_valid_from", sa.Date),
    sa.Column("certificate_valid_until", sa.Date, nullable=False),
    sa.Column("towns", ARRAY(sa.Text), nullable=False),
    sa.Index("ix_roster_officers_officer_id", "officer_id"),
)

_DDL = (
    """
    CREATE TABLE roster_versions (
        team_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        department TEXT NOT NULL,
        mode TEXT NOT NULL,
        name TEXT NOT NULL,
        towns TEXT[] NOT NULL,
        valid_from DATE NOT NULL,
        valid_until DATE,
        effective_from DATE NOT NULL,
        dissolved BOOLEAN NOT NULL,
        changed_at TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT pk_roster_versions PRIMARY KEY (team_id, version)
    )
    """,
    """
    CREATE TABLE roster_officers (
        team_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        officer_id TEXT NOT NULL,
        name TEXT NOT NULL,
        certificate_number TEXT NOT NULL,
        certificate_valid_from DATE,
        certificate_valid_until DATE NOT NULL,
        towns TEXT[] NOT NULL,
        CONSTRAINT pk_roster_officers PRIMARY KEY (team_id, version, officer_id)
    )
    """,
    "CREATE INDEX ix_roster_officers_officer_id ON roster_officers (officer_id)",
)


def create_roster_projection(op: Operations) -> None:
    """A consumer's migration: the projection tables (frozen here, as released)."""
    for statement in _DDL:
        op.get_bind().exec_driver_sql(statement)


def drop_roster_projection(op: Operations) -> None:
    op.get_bind().exec_driver_sql("DROP TABLE IF EXISTS roster_officers")
    op.get_bind().exec_driver_sql("DROP TABLE IF EXISTS roster_versions")


async def apply_roster(uow: UnitOfWork, event: RosterChanged) -> bool:
    """Keep the event's roster version and the earlier ones it carries (`preceding`); False
    if all were already there (a redelivery)."""
    kept = False
    snapshots: list[RosterChanged | RosterVersion] = [*event.preceding, event]
    for snapshot in snapshots:
        kept = await _keep_version(uow, event, snapshot) or kept
    return kept


async def _keep_version(
    uow: UnitOfWork, event: RosterChanged, snapshot: RosterChanged | RosterVersion
) -> bool:
    kept = (
        await uow.session.execute(
            insert(roster_versions)
            .values(
                team_id=event.team_id,
                version=snapshot.version,
                department=event.department,
                mode=event.mode.value,
                name=snapshot.name,
                towns=list(snapshot.towns),
                valid_from=snapshot.valid_from,
                valid_until=snapshot.valid_until,
                effective_from=snapshot.effective_from,
                dissolved=snapshot.dissolved,
                changed_at=snapshot.changed_at,
            )
            .on_conflict_do_nothing(index_elements=["team_id", "version"])
            .returning(roster_versions.c.version)
        )
    ).first()
    if kept is None:
        return False
    if snapshot.officers:
        await uow.session.execute(
            insert(roster_officers),
            [
                {
                    "team_id": event.team_id,
                    "version": snapshot.version,
                    "officer_id": o.officer_id,
                    "name": o.name,
                    "certificate_number": o.certificate_number,
                    "certificate_valid_from": o.certificate_valid_from,
                    "certificate_valid_until": o.certificate_valid_until,
                    "towns": list(o.towns),
                }
                for o in snapshot.officers
            ],
        )
    return True


async def on_roster_changed(
    uow: UnitOfWork, event: RosterChanged, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """The handler consumers register for `secondment.roster-changed`."""
    await apply_roster(uow, event)


@dataclass(frozen=True)
class Eligibility:
    """SEC-04: may this officer act on this matter in this town on this day, and why."""

    eligible: bool
    officer_id: str
    reasons_zh: list[str] = field(default_factory=list)
    reasons_en: list[str] = field(default_factory=list)
    team_id: str | None = None
    department: str | None = None
    name: str | None = None
    certificate_number: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "officer_id": self.officer_id,
            "team_id": self.team_id,
            "department": self.department,
            "reasons_zh": self.reasons_zh,
            "reasons_en": self.reasons_en,
        }


def china_day(at: datetime) -> date:
    """The day in China time (a certificate valid until a day is valid to 24:00 CST)."""
    return at.astimezone(CHINA_TZ).date()


def _within(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


def judge(
    row: dict[str, Any] | None,
    *,
    officer_id: str,
    matter_code: str,
    town: str,
    day: date,
    catalogue: MatterCatalogue,
) -> Eligibility:
    """SEC-04 on one officer's roster entry in effect that day (None: not on any roster).
    Pure: the same answer wherever the check is made."""
    if row is None:
        return Eligibility(
            False,
            officer_id,
            [f"{day.isoformat()} 不在任何下沉指导队伍的名单中"],
            [f"not on the roster of any secondment team on {day.isoformat()}"],
        )
    zh: list[str] = []
    en: list[str] = []
    department = str(row["department"])
    matter = catalogue.get(matter_code)
    if row["dissolved"]:
        zh.append("所在队伍已撤销")
        en.append("his team has been dissolved")
    if not _within(day, row["valid_from"], row["valid_until"]):
        zh.append("所在队伍不在有效期内")
        en.append("his team is not within its period of validity")
    if not _within(day, row["certificate_valid_from"], row["certificate_valid_until"]):
        zh.append(f"执法证不在有效期内（有效期至 {row['certificate_valid_until']}）")
        en.append(
            f"his enforcement certificate is not valid (until {row['certificate_valid_until']})"
        )
    if town not in row["towns"] or town not in row["team_towns"]:
        zh.append(f"不服务于 {town}")
        en.append(f"he does not serve {town}")
    if matter is None:
        zh.append(f"事项 {matter_code} 不在赋权事项目录中")
        en.append(f"the matter {matter_code} is not in the catalogue")
    elif matter.owner != department:
        zh.append(f"事项 {matter_code} 不属于本部门（{department}）")
        en.append(f"the matter {matter_code} is not his department's ({department})")
    elif not matter.town_level:
        zh.append(f"事项 {matter_code} 不是赋权乡镇（街道）的事项")
        en.append(f"the matter {matter_code} is not one delegated to towns")
    return Eligibility(
        eligible=not zh,
        officer_id=officer_id,
        reasons_zh=zh or ["符合下沉人员执法条件"],
        reasons_en=en or ["on the roster for this town, matter and day"],
        team_id=str(row["team_id"]),
        department=department,
        name=str(row["name"]),
        certificate_number=str(row["certificate_number"]),
    )


def _in_effect(day: date) -> Any:
    """Per team, the newest version whose effective date has come."""
    later = roster_versions.alias("later")
    return sa.not_(
        sa.exists().where(
            later.c.team_id == roster_versions.c.team_id,
            later.c.effective_from <= day,
            later.c.version > roster_versions.c.version,
        )
    )


async def officer_entries(
    session: AsyncSession, officer_id: str, day: date
) -> list[dict[str, Any]]:
    """The officer's entries in the roster versions in effect on `day` (normally one)."""
    o, v = roster_officers.c, roster_versions.c
    rows = (
        await session.execute(
            sa.select(
                o.team_id,
                o.name,
                o.certificate_number,
                o.certificate_valid_from,
                o.certificate_valid_until,
                o.towns,
                v.department,
                v.valid_from,
                v.valid_until,
                v.dissolved,
                v.towns.label("team_towns"),
            )
            .join(roster_versions, sa.and_(v.team_id == o.team_id, v.version == o.version))
            .where(o.officer_id == officer_id, v.effective_from <= day, _in_effect(day))
        )
    ).mappings()
    return [dict(r) for r in rows]


async def officers_with_certificate(
    session: AsyncSession, certificate_number: str, day: date
) -> list[str]:
    """The roster officer ids carrying this enforcement certificate (执法证号) in the roster
    versions in effect on `day`: how a consumer tells a seconded officer from a department's
    own staff when only the certificate is given."""
    o, v = roster_officers.c, roster_versions.c
    rows = await session.execute(
        sa.select(o.officer_id)
        .distinct()
        .join(roster_versions, sa.and_(v.team_id == o.team_id, v.version == o.version))
        .where(
            o.certificate_number == certificate_number,
            v.effective_from <= day,
            _in_effect(day),
        )
        .order_by(o.officer_id)
    )
    return [str(r) for r in rows.scalars()]


def decide(
    entries: Sequence[Mapping[str, Any]],
    *,
    officer_id: str,
    matter_code: str,
    town: str,
    day: date,
    catalogue: MatterCatalogue,
) -> Eligibility:
    """SEC-04 on the officer's entries in effect that day (normally one; none: not on any
    roster): eligible if one entry allows it, else the first entry's reasons. Pure, and the
    one decision both the secondment service and every projection make."""
    answers = [
        judge(
            dict(e),
            officer_id=officer_id,
            matter_code=matter_code,
            town=town,
            day=day,
            catalogue=catalogue,
        )
        for e in entries
    ] or [
        judge(
            None,
            officer_id=officer_id,
            matter_code=matter_code,
            town=town,
            day=day,
            catalogue=catalogue,
        )
    ]
    return next((a for a in answers if a.eligible), answers[0])


async def eligibility(
    session: AsyncSession,
    *,
    catalogue: MatterCatalogue,
    officer_id: str,
    matter_code: str,
    town: str,
    at: datetime,
) -> Eligibility:
    """SEC-04: the answer, with the reason, from the local projection of the roster."""
    day = china_day(at)
    entries = await officer_entries(session, officer_id, day)
    return decide(
        entries,
        officer_id=officer_id,
        matter_code=matter_code,
        town=town,
        day=day,
        catalogue=catalogue,
    )
