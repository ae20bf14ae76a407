"""Unit of work: one transaction holding a state change, its outbox rows and its audit rows."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from xietong_common import audit as audit_log
from xietong_common.db import OUTBOX_CHANNEL, outbox
from xietong_common.events.envelope import CloudEvent, current_trace_context
from xietong_common.events.registry import registry

if TYPE_CHECKING:
    from xietong_common.auth import Actor
    from xietong_common.contracts.base import IntegrationEvent
    from xietong_common.db import Database


class UnitOfWork:
    """`async with db.uow(actor) as uow:` commits on success, rolls back on error.

    Use cases take the unit of work and never commit themselves.
    """

    def __init__(self, db: Database, *, actor: Actor | None = None) -> None:
        self._db = db
        self.actor = actor
        self._session: AsyncSession | None = None
        self._pending_events: list[dict[str, Any]] = []
        self.published: list[CloudEvent] = []
        self.now: datetime = db.clock.now()

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use `async with`")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._db.sessions()
        await self._session.begin()
        self.now = self._db.clock.now()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if exc_type is None:
                await self._flush_outbox()
                await session.commit()
            else:
                await session.rollback()
        finally:
            await session.close()
            self._session = None

    def publish(
        self, event: IntegrationEvent, *, key: str, subject: str | None = None
    ) -> CloudEvent:
        """Queue an event; it is written to the outbox in this transaction."""
        spec = registry.spec_for(type(event))
        envelope = CloudEvent.wrap(
            event,
            spec=spec,
            source=f"/xietong/{self._db.service_name}",
            subject=subject or key,
            time=self.now,
            trace=current_trace_context(),
        )
        self._pending_events.append(
            {
                "event_id": envelope.id,
                "topic": spec.topic,
                "key": key,
                "envelope": envelope.model_dump(mode="json", by_alias=True, exclude_none=True),
            }
        )
        self.published.append(envelope)
        return envelope

    async def audit(
        self,
        *,
        action: str,
        subject: str,
        rule: str | None = None,
        detail: dict[str, Any] | None = None,
        actor: Actor | None = None,
    ) -> None:
        """Append a hash-chained audit row in this transaction."""
        who = actor or self.actor
        if who is None:
            raise RuntimeError("an audited change needs an actor")
        await audit_log.append(
            self.session,
            at=self.now,
            actor=who.user,
            org=who.org,
            action=action,
            subject=subject,
            rule=rule,
            detail=detail or {},
        )

    async def _flush_outbox(self) -> None:
        if not self._pending_events:
            return
        await self.session.execute(sa.insert(outbox), self._pending_events)
        # Delivered at commit only, so the relay never wakes for rolled-back rows.
        await self.session.execute(sa.select(sa.func.pg_notify(OUTBOX_CHANNEL, "")))
        self._pending_events.clear()
