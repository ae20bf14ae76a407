"""Periodic jobs inside a service, safe with several replicas."""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable

import sqlalchemy as sa

from xietong_common.auth import Principal
from xietong_common.db import Database
from xietong_common.uow import UnitOfWork

log = logging.getLogger(__name__)

Job = Callable[[UnitOfWork], Awaitable[object]]


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
    while True:
        try:
            await run_job_once(db, name, job)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("periodic job %s failed; will run again", name)
        await asyncio.sleep(every_s)
