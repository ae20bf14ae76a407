"""Database plumbing shared by every service: naming, backbone tables, engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

if TYPE_CHECKING:
    from xietong_common.auth import Actor
    from xietong_common.clock import Clock
    from xietong_common.uow import UnitOfWork

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Tables every service database holds beside its own: the transactional outbox,
# the inbox of handled events, and the hash-chained audit log.
backbone_metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

outbox = sa.Table(
    "outbox",
    backbone_metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("envelope", JSONB, nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
    sa.Column("published_at", sa.DateTime(timezone=True)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_outbox_unpublished", "id", postgresql_where=sa.text("published_at IS NULL")),
    sa.Index(
        "ix_outbox_key_unpublished", "key", "id", postgresql_where=sa.text("published_at IS NULL")
    ),
)

inbox = sa.Table(
    "inbox",
    backbone_metadata,
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("partition", sa.Integer, nullable=False),
    sa.Column("offset", sa.BigInteger, nullable=False),
    sa.Column(
        "handled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)

audit_log = sa.Table(
    "audit_log",
    backbone_metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("org", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("rule", sa.Text),
    sa.Column("detail", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("prev_hash", sa.Text, nullable=False),
    sa.Column("hash", sa.Text, nullable=False, unique=True),
    sa.Index("ix_audit_log_subject", "subject"),
)

# Statutory deadlines every mechanism tracks (REF-03, REF-07, REV-05, ASSIST-04 …):
# one row per (subject, action) owed by an organisation, closed when the action happens.
deadlines = sa.Table(
    "deadlines",
    backbone_metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("organisation", sa.Text, nullable=False),
    sa.Column("unit", sa.Text, nullable=False),  # "working_days" | "hours"
    sa.Column("amount", sa.Integer, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("provisional", sa.Boolean, nullable=False),
    sa.Column("satisfied_at", sa.DateTime(timezone=True)),
    sa.Column("cancelled_at", sa.DateTime(timezone=True)),
    sa.Column("breached_at", sa.DateTime(timezone=True)),
    sa.Column("breach_kind", sa.Text),
    sa.Index("ix_deadlines_subject", "subject"),
    sa.Index(
        "ix_deadlines_open_due",
        "due_at",
        postgresql_where=sa.text("satisfied_at IS NULL AND cancelled_at IS NULL"),
    ),
    sa.Index(
        "uq_deadlines_open_subject_action",
        "subject",
        "action",
        unique=True,
        postgresql_where=sa.text("satisfied_at IS NULL AND cancelled_at IS NULL"),
    ),
)

# The audit log is append-only even for the service's own role: an edit has to
# disable the trigger first, and then `xietong audit verify` still sees the edit.
AUDIT_APPEND_ONLY_STATEMENTS = (
    """
    CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
    """,
)


def create_backbone_schema(bind: Connection) -> None:
    """Create the backbone tables (first migration of every service; tests)."""
    backbone_metadata.create_all(bind)
    for statement in AUDIT_APPEND_ONLY_STATEMENTS:
        bind.exec_driver_sql(statement)


def drop_backbone_schema(bind: Connection) -> None:
    backbone_metadata.drop_all(bind)
    bind.exec_driver_sql("DROP FUNCTION IF EXISTS audit_log_append_only() CASCADE")


OUTBOX_CHANNEL = "xietong_outbox"


def async_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and use the asyncpg driver."""
    for prefix in (
        "postgresql+asyncpg://",
        "postgresql+psycopg://",
        "postgresql://",
        "postgres://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def plain_url(url: str) -> str:
    """The same URL in the form asyncpg.connect() accepts."""
    return "postgresql://" + async_url(url)[len("postgresql+asyncpg://") :]


class Database:
    """The service's engine and session factory; opens units of work."""

    def __init__(
        self, url: str, *, clock: Clock, service_name: str = "xietong", pool_size: int = 10
    ) -> None:
        self.url = async_url(url)
        self.clock = clock
        self.service_name = service_name
        self.engine: AsyncEngine = create_async_engine(
            self.url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    def uow(self, actor: Actor | None = None) -> UnitOfWork:
        from xietong_common.uow import UnitOfWork

        return UnitOfWork(self, actor=actor)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A read-only session (queries); writes go through a unit of work."""
        async with self.sessions() as session:
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
