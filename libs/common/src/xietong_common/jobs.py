"""Periodic jobs inside a service, safe with several replicas, each given the context."""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from xietong_common import deadlines
from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ, missing_next_year
from xietong_common.cancellation import raise_if_cancelled
from xietong_common.context import ServiceContext
from xietong_common.db import Database
from xietong_common.deadlines import reminders
from xietong_common.metrics import (
    CALENDAR_LAST_KNOWN_YEAR,
    CALENDAR_NEXT_YEAR_MISSING,
    DEADLINES_PROVISIONAL,
    JOB_FAILURES,
    JOB_LAST_SUCCESS,
)
from xietong_common.settings import ServiceSettings
from xietong_common.tables import idempotency_keys, inbox, outbox
from xietong_common.uow import UnitOfWork

log = logging.getLogger(__name__)

Job = Callable[[UnitOfWork], Awaitable[object]]


@dataclass(frozen=True)
class PeriodicJob:
    """A job the service runs every `interval(settings)` seconds; `job(ctx)` makes the
    runnable. The interval is read from the running service's settings, so an operator (or a
    test) sets it with an environment variable."""

    name: str
    interval: Callable[[ServiceSettings], float]
    job: Callable[[ServiceContext], Job]


async def run_job_once(db: Database, name: str, job: Job) -> bool:
    """Run `job` in one unit of work if no other replica is running it now."""
    key = zlib.crc32(f"{db.service_name}:{name}".encode())
    async with db.uow(actor=Principal.system(db.service_name)) as uow:
        got = (
            await uow.session.execute(sa.select(sa.func.pg_try_advisory_xact_lock(key)))
        ).scalar_one()
        if not got:
            return False
        await job(uow)
    return True


async def run_periodically(db: Database, name: str, job: Job, *, every_s: float) -> None:
    """Run `job` every `every_s` seconds for good. A failed run is logged and counted
    (`xietong_job_failures_total`) and tried again at the next interval, never at once; each
    run this replica finished sets `xietong_job_last_success_timestamp_seconds` (with several
    replicas, one runs each turn: alert on the `max` over them)."""
    while True:
        raise_if_cancelled()
        try:
            if await run_job_once(db, name, job):
                JOB_LAST_SUCCESS.labels(db.service_name, name).set(time.time())
        except asyncio.CancelledError:
            raise
        except Exception:
            JOB_FAILURES.labels(db.service_name, name).inc()
            log.exception("periodic job %s failed; will run again", name)
        await asyncio.sleep(every_s)


def deadline_sweep_job(mechanism: str) -> PeriodicJob:
    """SUP-02 and issue 24 for any mechanism: pick up newly installed holiday schedules, give
    provisional deadlines their final date, flag deadlines that passed with nothing done,
    publish the facts of deadlines tracked before facts were published, and send the due-soon
    reminders whose moment has come (planned again whenever the calendar changes, and when
    the service starts). A failing row is skipped, not fatal: each step goes row by row, but
    the reminders, worked out row by row and written in one statement (row by row where that
    fails)."""

    def make(ctx: ServiceContext) -> Job:
        policy = reminders.ReminderPolicy.of(ctx.settings)
        planned = False

        async def run(uow: UnitOfWork) -> None:
            nonlocal planned
            changed = ctx.calendar.reload_if_changed()
            watch_calendar(ctx)
            # Alert XietongNextYearHolidaysMissing: in December, next year must be known.
            CALENDAR_LAST_KNOWN_YEAR.labels(mechanism).set(max(ctx.calendar.known_years()))
            await deadlines.recompute_provisional(uow, calendar=ctx.calendar, mechanism=mechanism)
            await deadlines.sweep(uow, now=uow.now, mechanism=mechanism)
            await deadlines.announce_earlier(uow, mechanism=mechanism)
            if changed or not planned:
                await reminders.replan(uow)
                planned = True
            await reminders.remind(uow, calendar=ctx.calendar, policy=policy, mechanism=mechanism)
            DEADLINES_PROVISIONAL.labels(ctx.settings.service_name).set(
                await deadlines.count_provisional(uow)
            )

        return run

    return PeriodicJob(name="deadline-sweep", interval=lambda s: s.deadline_sweep_every_s, job=make)


def watch_calendar(ctx: ServiceContext) -> int | None:
    """Calendar watch (SUP-02, RULES.md "Working days"): next year, if its holiday schedule is
    missing and today (China time) is past XIETONG_CALENDAR_WATCH_FROM; sets
    `xietong_calendar_next_year_missing`. /readyz warns while it is not None."""
    today = ctx.clock.now().astimezone(CHINA_TZ).date()
    missing = missing_next_year(ctx.calendar, today, ctx.settings.calendar_watch_from)
    CALENDAR_NEXT_YEAR_MISSING.labels(ctx.settings.service_name).set(0 if missing is None else 1)
    return missing


def housekeeping_job() -> PeriodicJob:
    """Delete published outbox rows, old inbox ids and old Idempotency-Keys past their
    retention."""

    def make(ctx: ServiceContext) -> Job:
        async def run(uow: UnitOfWork) -> None:
            settings = ctx.settings
            await uow.session.execute(
                sa.delete(outbox).where(
                    outbox.c.published_at < uow.now - timedelta(days=settings.outbox_retention_days)
                )
            )
            await uow.session.execute(
                sa.delete(inbox).where(
                    inbox.c.handled_at < uow.now - timedelta(days=settings.inbox_retention_days)
                )
            )
            await uow.session.execute(
                sa.delete(idempotency_keys).where(
                    idempotency_keys.c.created_at
                    < uow.now - timedelta(days=settings.idempotency_retention_days)
                )
            )

        return run

    return PeriodicJob(name="housekeeping", interval=lambda s: s.housekeeping_every_s, job=make)
