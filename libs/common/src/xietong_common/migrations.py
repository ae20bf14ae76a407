"""Alembic helpers: one migrations/ folder per service, applied on start and by `xietong migrate`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from alembic.operations import Operations
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from xietong_common.backbone import apply_step, revert_step
from xietong_common.db import async_url
from xietong_common.tables import backbone_metadata

# Several replicas may start at once; only one migrates at a time.
_MIGRATION_LOCK_KEY = 0x58494D47  # "XIMG"


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", async_url(database_url).replace("%", "%%"))
    return cfg


def upgrade_to_head(migrations_dir: Path, database_url: str) -> None:
    command.upgrade(alembic_config(migrations_dir, database_url), "head")


async def upgrade_to_head_async(migrations_dir: Path, database_url: str) -> None:
    # Alembic's env.py runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade_to_head, migrations_dir, database_url)


def run_env(target_metadata: sa.MetaData, *shared: sa.MetaData) -> None:
    """The body of every service's migrations/env.py (online mode, asyncpg). `shared`: other
    tables the service keeps from xietong_common (e.g. `roster.roster_metadata`)."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None, "sqlalchemy.url is not set"
    metadata = [target_metadata, backbone_metadata, *shared]

    def do_run(connection: Connection) -> None:
        connection.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
        try:
            context.configure(connection=connection, target_metadata=metadata, compare_type=True)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK_KEY})
            connection.commit()

    async def run_async() -> None:
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())


def upgrade_backbone(op: Operations, step: int) -> None:
    """A service revision that applies one backbone step (`xietong_common.backbone`)."""
    apply_step(op.get_bind(), step)


def downgrade_backbone(op: Operations, step: int) -> None:
    revert_step(op.get_bind(), step)


def create_backbone_tables(op: Operations) -> None:
    """Called by each service's first revision: backbone step 1 (outbox, inbox, audit log,
    deadlines); later steps come with later revisions (`upgrade_backbone`)."""
    upgrade_backbone(op, 1)


def drop_backbone_tables(op: Operations) -> None:
    downgrade_backbone(op, 1)
