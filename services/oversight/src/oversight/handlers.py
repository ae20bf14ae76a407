"""Handlers of consumed events: each translates an accountability fact of another service
into the ledger's use case.

The inbox trusts an event type only from the services its contract names as producers, and
records the event id in the handler's transaction (a redelivery is a no-op). Deadline facts
may come from any of the six services, so the use case checks further that each reports its
own deadlines only (the `mechanism` it names, and a rule of its family); a fact that fails
is refused like a request (`refused_like_a_request`) and goes to the dead-letter topic with
the reason. A fact the ledger holds already (the same breach on `deadline.breached` and on
`deadline.lifecycle`, a replayed fact with a new event id) is recorded once.
"""

from __future__ import annotations

from oversight import service
from oversight.service import outsider
from oversight.service.ledger import Fact, source_service
from xietong_common.context import ServiceContext
from xietong_common.contracts.assistance import AssistanceObstructionFlagged, AssistanceRefused
from xietong_common.contracts.audit import AuditCheckpointSigned
from xietong_common.contracts.deadlines import DeadlineBreached, DeadlineLifecycle
from xietong_common.contracts.info import InfoUnreadOverdue
from xietong_common.events.envelope import CloudEvent
from xietong_common.messaging.inbox import refused_like_a_request
from xietong_common.uow import UnitOfWork


async def on_deadline_lifecycle(
    uow: UnitOfWork, event: DeadlineLifecycle, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """SUP-02: a deadline started, was met, breached, cancelled, closed or made final."""
    with refused_like_a_request():
        await service.record_deadline_fact(
            uow, event, source=source_service(envelope.source), event_id=envelope.id
        )


async def on_deadline_breached(
    uow: UnitOfWork, event: DeadlineBreached, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """SUP-02: the breach alert — the same breach as the lifecycle's, counted once."""
    with refused_like_a_request():
        await service.record_deadline_fact(
            uow, event, source=source_service(envelope.source), event_id=envelope.id
        )


async def on_assistance_refused(
    uow: UnitOfWork, event: AssistanceRefused, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """ASSIST-03/SUP-01: a department refused assistance, with its legal ground."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"{event.request_id}:refused",
            kind="assistance.refused",
            rule="ASSIST-03",
            organisation=event.department,
            counterparty=event.town,
            subject=f"assistance:{event.request_id}",
            occurred_at=event.refused_at,
            detail=event.model_dump(
                mode="json", include={"ground", "law", "article", "after_acceptance", "late"}
            ),
        ),
        event_id=envelope.id,
    )


async def on_obstruction_flagged(
    uow: UnitOfWork,
    event: AssistanceObstructionFlagged,
    envelope: CloudEvent,
    *,
    ctx: ServiceContext,
) -> None:
    """ASSIST-02/SUP-01: a town flagged a department for 推诿 or 刁难."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"flag:{event.flag_id}",
            kind="assistance.obstruction-flagged",
            rule="ASSIST-02",
            organisation=event.department,
            counterparty=event.town,
            subject=f"assistance:{event.request_id}",
            occurred_at=event.flagged_at,
            detail=event.model_dump(mode="json", include={"kind", "state"}),
        ),
        event_id=envelope.id,
    )


async def on_unread_overdue(
    uow: UnitOfWork, event: InfoUnreadOverdue, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """INFO-03/SUP-01: an organisation left a shared item unread past the setting."""
    await service.record_fact(
        uow,
        Fact(
            source=source_service(envelope.source),
            fact_key=f"{event.item_id}:{event.organisation}:unread-overdue",
            kind="info.unread-overdue",
            rule="INFO-03",
            organisation=event.organisation,
            counterparty=event.publisher,
            subject=f"info:{event.item_id}",
            occurred_at=event.due_at,
            detail=event.model_dump(mode="json", include={"category", "working_days"}),
        ),
        event_id=envelope.id,
    )


async def on_audit_checkpoint(
    uow: UnitOfWork, event: AuditCheckpointSigned, envelope: CloudEvent, *, ctx: ServiceContext
) -> None:
    """SUP-01, the outsider: a service signed its audit chain head; judge it (signature,
    continuity) and raise an alarm on one that cannot be trusted. A service's checkpoint of
    another's chain is refused (DLQ)."""
    with refused_like_a_request():
        await outsider.watch_checkpoint(
            uow,
            event,
            source=source_service(envelope.source),
            event_id=envelope.id,
            ctx=ctx,
        )
