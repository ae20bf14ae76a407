"""The backbone steps, applied in order to an empty database, build exactly the tables that
`xietong_common.tables` describes (so queries and migrations never disagree)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from xietong_common.audit.chain import AuditEntry, append, row_hash, verify_chain
from xietong_common.backbone import GENESIS, LATEST, STEPS, apply_step, revert_step
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


async def test_step_4_keeps_existing_chains_valid_and_refuses_to_drop_sm3_rows(
    servers: Servers,
) -> None:
    """A chain written before the hash function was recorded verifies as SHA-256 after step
    4 (and gets a chain id); going back below step 4 is refused once SM3 rows exist."""
    engine = create_async_engine(await create_database(servers, "backbone4"))
    try:
        async with engine.begin() as conn:
            for step in (1, 2, 3):
                await conn.run_sync(apply_step, step)
            # A row as the code before step 4 wrote it: no hash function recorded.
            at = datetime(2026, 1, 5, 1, 2, 3, tzinfo=UTC)
            digest = row_hash(
                prev_hash=GENESIS,
                at=at,
                actor="a",
                org="town:lizhi",
                action="x",
                subject="s",
                rule="REF-03",
                detail={},
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO audit_log (at, actor, org, action, subject, rule, detail,"
                    " prev_hash, hash) VALUES (:at, 'a', 'town:lizhi', 'x', 's', 'REF-03',"
                    " '{}', :prev, :hash)"
                ),
                {"at": at, "prev": GENESIS, "hash": digest},
            )
            await conn.execute(
                sa.text("UPDATE audit_head SET last_seq = 1, hash = :h"), {"h": digest}
            )
            await conn.run_sync(apply_step, 4)
        async with engine.connect() as conn:
            report = await verify_chain(conn)
            assert report.ok, report.problems
            assert report.algorithms == {"sha256": 1}
            chain_id = (await conn.execute(sa.text("SELECT chain_id FROM audit_head"))).scalar()
            assert chain_id is not None
        async with AsyncSession(engine) as session, session.begin():
            entry = AuditEntry.of(
                at=at, actor="a", org="town:lizhi", action="y", subject="s", rule=None, detail={}
            )
            await append(session, [entry], algorithm="sm3")
        async with engine.begin() as conn:
            with pytest.raises(DBAPIError, match="cannot go below step 4"):
                await conn.run_sync(revert_step, 4)
    finally:
        await engine.dispose()
