"""Deliveries of the organisation's webhooks: their state, and redelivery."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from notifier import service as notifier_service
from notifier.domain import DeliveryState, EventKind
from notifier.schemas import DeliveryAttemptOut, DeliveryOut
from notifier.service.common import ADMIN_ROLES, DELIVERY
from notifier.views import attempt_out, delivery_out
from xietong_common.schemas import Page
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import Paging
from xietong_common.web.problems import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS

router = APIRouter(prefix="/deliveries", tags=["deliveries"])


@router.get(
    "",
    response_model=Page[DeliveryOut],
    summary="The organisation's webhook deliveries",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ADMIN_ROLES, orgs=ANY)],
)
async def list_deliveries(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    state: Annotated[DeliveryState | None, Query(description="pending, delivered or dead")] = None,
    subscription_id: Annotated[uuid.UUID | None, Query()] = None,
    event_type: Annotated[EventKind | None, Query()] = None,
) -> Page[DeliveryOut]:
    """Newest first; only the caller's organisation's."""
    async with ctx.db.session() as session:
        rows, total = await notifier_service.list_deliveries(
            session,
            actor=principal,
            paging=paging,
            state=state,
            subscription_id=subscription_id,
            event_type=event_type,
        )
    return Page[DeliveryOut].of(map(delivery_out, rows), total=total, paging=paging)


@router.get(
    "/{delivery_id:uuid}",
    response_model=DeliveryOut,
    summary="One webhook delivery",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ADMIN_ROLES, orgs=ANY)],
)
async def get(delivery_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> DeliveryOut:
    async with ctx.db.session() as session:
        return delivery_out(await DELIVERY.load_for(session, delivery_id, principal, lock=False))


@router.get(
    "/{delivery_id:uuid}/attempts",
    response_model=Page[DeliveryAttemptOut],
    summary="Every attempt of one webhook delivery",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ADMIN_ROLES, orgs=ANY)],
)
async def list_attempts(
    delivery_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal, paging: Paging
) -> Page[DeliveryAttemptOut]:
    """The latest first, across redeliveries (each attempt's time, duration, status or
    error); only the caller's organisation's deliveries (404 otherwise)."""
    async with ctx.db.session() as session:
        rows, total = await notifier_service.list_attempts(
            session, actor=principal, paging=paging, delivery_id=delivery_id
        )
    return Page[DeliveryAttemptOut].of(map(attempt_out, rows), total=total, paging=paging)


@router.post(
    "/{delivery_id:uuid}/redeliver",
    response_model=DeliveryOut,
    summary="Send a dead or delivered delivery again",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ADMIN_ROLES, orgs=ANY)],
)
async def redeliver(
    delivery_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> DeliveryOut:
    """With a fresh count of attempts and the same `webhook-id`; 409 while it is pending."""
    async with ctx.db.uow(actor=principal) as uow:
        delivery = await notifier_service.redeliver(uow, actor=principal, delivery_id=delivery_id)
        return delivery_out(delivery)
