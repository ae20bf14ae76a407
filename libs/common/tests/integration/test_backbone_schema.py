"""The backbone steps, applied in order to an empty database, build exactly the tables that
`xietong_common.tables` describes (so queries and migrations never disagree)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from xietong_common.backbone import LATEST, STEPS, apply_step, revert_step
from xietong_common.tables import backbone_metadata
from xietong_devtools.testing import Servers, create_database

pytestmark = pytest.mark.integration


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, backbone_metadata))


async def test_every_step_in_order_builds_the_described_tables(servers: Servers) -> None:
    engine = create_async_engine(await create_database(servers, "backbone"))
    try:
        async with engine.begin() as conn:
            for step in sorted(STEPS):
                await conn.run_sync(apply_step, step)
            assert await conn.run_sync(_differences) == []
            head = (await conn.exec_driver_sql("SELECT last_seq, hash FROM audit_head")).all()
            assert head == [(0, "0" * 64)]
        async with engine.begin() as conn:
            for step in sorted(STEPS, reverse=True):
                await conn.run_sync(revert_step, step)
            tables = (
                await conn.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            ).all()
            assert tables == []
    finally:
        await engine.dispose()
    assert max(STEPS) == LATEST
