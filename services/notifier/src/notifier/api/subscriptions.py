"""An organisation's webhook subscriptions (订阅): register, read, change, delete."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from notifier import service as notifier_service
from notifier.schemas import (
    SecretRotation,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionOut,
    SubscriptionUpdate,
)
from notifier.service.common import ADMIN_ROLES, SUBSCRIPTION
from notifier.views import subscription_created, subscription_out
from xietong_common.schemas import Page
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey, Paging
from xietong_common.web.problems import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])


@router.get(
    "",
    response_model=Page[SubscriptionOut],
    summary="The organisation's webhook subscriptions",
    responses=LIST_ERRORS,
    dependencies=[Allowed(roles=ADMIN_ROLES, orgs=ANY)],
)
async def list_subscriptions(
    ctx: Context,
    principal: CurrentPrincipal,
    paging: Paging,
    active: Annotated[bool | None, Query(description="only enabled (true) or disabled")] = None,
) -> Page[SubscriptionOut]:
    """Newest first; only the caller's organisation's."""
    async with ctx.db.session() as session:
        rows, total = await notifier_service.list_subscriptions(
            session, actor=principal, paging=paging, active=active
        )
    return Page[SubscriptionOut].of(map(subscription_out, rows), total=total, paging=paging)


@router.post(
    "",
    response_model=SubscriptionCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Register a webhook endpoint (its secret is shown once)",
    responses=CREATE_ERRORS,
    dependencies=[Allowed(roles=ADMIN_ROLES, orgs=ANY)],
)
async def create(
    data: SubscriptionCreate,
    ctx: Context,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> SubscriptionCreated:
    """The URL must be https:// and resolve to public addresses only (422
    `notifier-target-refused` otherwise). The answer carries the signing secret: keep it, it
    is not shown again. A retry with the same Idempotency-Key answers the same."""
    async with ctx.db.uow(actor=principal) as uow:
        created = await notifier_service.create_subscription(
            uow, ctx=ctx, actor=principal, data=data, idempotency_key=idempotency_key
        )
        return subscription_created(created.subscription, created.secret)


@router.post(
    "/{subscription_id:uuid}/rotate-secret",
    response_model=SubscriptionCreated,
    summary="Rotate a webhook subscription's signing secret (the new one is shown once)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ADMIN_ROLES, orgs=ANY)],
)
async def rotate_secret(
    subscription_id: uuid.UUID,
    ctx: Context,
    principal: CurrentPrincipal,
    data: SecretRotation | None = None,
) -> SubscriptionCreated:
    """A fresh secret, in this answer only. For XIETONG_NOTIFIER_SECRET_OVERLAP_H (24 h)
    deliveries carry both the new and the previous secret's signatures, then the new one's
    only. A dingtalk-robot subscription takes the robot's new SEC… secret as `secret` and
    uses it at once."""
    async with ctx.db.uow(actor=principal) as uow:
        rotated = await notifier_service.rotate_secret(
            uow,
            ctx=ctx,
            actor=principal,
            subscription_id=subscription_id,
            data=data or SecretRotation(),
        )
        return subscription_created(rotated.subscription, rotated.secret)


@router.get(
    "/{subscription_id:uuid}",
    response_model=SubscriptionOut,
    summary="One webhook subscription",
    responses=READ_ERRORS,
    dependencies=[Allowed(roles=ADMIN_ROLES, orgs=ANY)],
)
async def get(
    subscription_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> SubscriptionOut:
    async with ctx.db.session() as session:
        subscription = await SUBSCRIPTION.load_for(session, subscription_id, principal, lock=False)
        return subscription_out(subscription)


@router.patch(
    "/{subscription_id:uuid}",
    response_model=SubscriptionOut,
    summary="Change a webhook subscription",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ADMIN_ROLES, orgs=ANY)],
)
async def update(
    subscription_id: uuid.UUID,
    changes: SubscriptionUpdate,
    ctx: Context,
    principal: CurrentPrincipal,
) -> SubscriptionOut:
    """A new URL is checked as a new subscription's is."""
    async with ctx.db.uow(actor=principal) as uow:
        subscription = await notifier_service.update_subscription(
            uow, ctx=ctx, actor=principal, subscription_id=subscription_id, changes=changes
        )
        return subscription_out(subscription)


@router.delete(
    "/{subscription_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a webhook subscription",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ADMIN_ROLES, orgs=ANY)],
)
async def delete(subscription_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> Response:
    """Nothing more is delivered to it; its delivery log stays readable to the audit."""
    async with ctx.db.uow(actor=principal) as uow:
        await notifier_service.delete_subscription(
            uow, actor=principal, subscription_id=subscription_id
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
