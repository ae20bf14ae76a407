"""Oversight's alarms: the calendar watch's (SUP-02) and the list of every alarm raised
(the outsider's, SUP-01, are raised in `outsider`).

The calendar watch: from `XIETONG_CALENDAR_WATCH_FROM` (MM-DD, default 12-01) while next
year's holiday schedule is not installed, every deadline reaching into that year is
provisional and counted in no breach (RULES.md "Working days"), so the assessment of that
year would be silently incomplete. Every service's /readyz warns (and sets
`xietong_calendar_next_year_missing`); oversight, which answers for the figures, also
raises an alarm: `oversight.calendar-alarm`, `xietong_oversight_calendar_alarms_total`, kept
in `oversight_alarms`, at most once per China day (the alarm's key is the year and the day),
from a periodic job that one replica runs at a time (advisory lock).
"""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from oversight.models import Alarm, WatchedHead
from oversight.service.common import sees_everyone
from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ
from xietong_common.context import ServiceContext
from xietong_common.contracts.oversight import OversightCalendarAlarm
from xietong_common.errors import Forbidden
from xietong_common.jobs import Job, PeriodicJob, watch_calendar
from xietong_common.metrics import OVERSIGHT_CALENDAR_ALARMS
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.uow import UnitOfWork

log = logging.getLogger(__name__)

CALENDAR_RULE = "SUP-02"
CALENDAR_KIND = "holiday-schedule-missing"


async def calendar_alarm(uow: UnitOfWork, *, year: int, day: date, watch_from: str) -> Alarm | None:
    """The calendar watch's alarm for `day` (a China date), unless raised already that day."""
    detail = (
        f"the holiday schedule of {year} is not installed (watched from {watch_from}): "
        f"deadlines reaching into {year} are provisional and count in no breach until it is; "
        f"install it (xietong calendar) as soon as the State Council publishes it"
    )
    zh = (
        f"{year}年节假日安排尚未导入：跨入{year}年的期限均为暂定，导入前不计超期；"
        "国务院办公厅公布后请立即导入"
    )
    inserted = (
        await uow.session.execute(
            insert(Alarm)
            .values(
                alarm_key=f"calendar:{year}:{day.isoformat()}",
                source="calendar",
                kind=CALENDAR_KIND,
                detail=detail,
                detail_zh=zh,
                facts={"year": year, "day": day.isoformat(), "watch_from": watch_from},
                raised_at=uow.now,
            )
            .on_conflict_do_nothing(index_elements=["alarm_key"])
            .returning(Alarm.id)
        )
    ).scalar_one_or_none()
    if inserted is None:
        return None  # raised today already
    alarm = (await uow.session.execute(sa.select(Alarm).where(Alarm.id == inserted))).scalar_one()
    uow.audit(
        action="calendar-alarm",
        subject=f"oversight-alarm:{alarm.id}",
        rule=CALENDAR_RULE,
        detail={"year": year, "day": day.isoformat(), "watch_from": watch_from},
    )
    uow.publish(
        OversightCalendarAlarm(
            alarm_id=str(alarm.id),
            year=year,
            day=day,
            watch_from=watch_from,
            detail=detail,
            detail_zh=zh,
            raised_at=uow.now,
        ),
        key=str(year),
    )
    uow.after_commit(OVERSIGHT_CALENDAR_ALARMS.labels(str(year)).inc)
    log.error("oversight: calendar alarm: %s", detail)
    return alarm


def calendar_watch_job() -> PeriodicJob:
    """SUP-02: every `oversight_calendar_watch_every_s`, pick up newly installed schedules
    and raise the day's alarm while next year's is missing past the watch's date."""

    def make(ctx: ServiceContext) -> Job:
        async def run(uow: UnitOfWork) -> None:
            ctx.calendar.reload_if_changed()
            year = watch_calendar(ctx)
            if year is None:
                return
            await calendar_alarm(
                uow,
                year=year,
                day=uow.now.astimezone(CHINA_TZ).date(),
                watch_from=ctx.settings.calendar_watch_from,
            )

        return run

    return PeriodicJob(
        name="calendar-watch",
        interval=lambda s: float(getattr(s, "oversight_calendar_watch_every_s", 3600.0)),
        job=make,
    )


def _overseer(principal: Principal) -> None:
    if not sees_everyone(principal):
        raise Forbidden(
            "only the district justice bureau and the district government see the alarms",
            zh="仅区司法局和区政府可查看督察告警",
            rule="SUP-01",
        )


async def alarms(
    session: AsyncSession,
    *,
    principal: Principal,
    source: str | None,
    service: str | None,
    kind: str | None,
    paging: PageParams,
) -> tuple[list[Alarm], int]:
    """The alarms raised, latest first (the overseers only)."""
    _overseer(principal)
    where: list[sa.ColumnElement[bool]] = []
    if source is not None:
        where.append(Alarm.source == source)
    if service is not None:
        where.append(Alarm.service == service)
    if kind is not None:
        where.append(Alarm.kind == kind)
    rows, total = await fetch_page(
        session,
        sa.select(Alarm).where(*where).order_by(Alarm.raised_at.desc(), Alarm.id),
        paging,
        changed=Alarm.raised_at,  # an alarm is never changed once raised
    )
    return list(rows), total


async def watched_chains(session: AsyncSession, *, principal: Principal) -> list[WatchedHead]:
    """SUP-01: the newest trusted checkpoint of each service's chain the outsider follows."""
    _overseer(principal)
    rows = await session.execute(
        sa.select(WatchedHead).where(WatchedHead.checkpoints > 0).order_by(WatchedHead.service)
    )
    return list(rows.scalars())
