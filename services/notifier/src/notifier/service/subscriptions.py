"""Use cases of webhook subscriptions (订阅): register, change, delete, list — each
scoped to the caller's organisation (others get 404)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.domain import WebhookFormat, format_refusal, is_sealed, new_secret, seal, unseal
from notifier.domain.sealing import SEALED_PREFIX
from notifier.errors import TargetRefused
from notifier.models import Subscription
from notifier.schemas import SecretRotation, SubscriptionCreate, SubscriptionUpdate
from notifier.service.common import ADMIN_ROLES, SUBSCRIPTION
from notifier.service.targets import check_target
from notifier.settings import notifier_settings, secrets_key
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.pagination import PageParams, fetch_page
from xietong_common.uow import UnitOfWork

SCOPE = "subscriptions.create"


@dataclass(frozen=True)
class Created:
    """A subscription and its secret in clear, for the one answer that shows it."""

    subscription: Subscription
    replayed: bool
    secret: str


async def create_subscription(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    data: SubscriptionCreate,
    idempotency_key: str | None,
) -> Created:
    """A new subscription with a fresh secret; the URL must be an allowed target. A retry
    with the same Idempotency-Key returns the first one (with its secret: the caller that
    lost the answer still learns it)."""
    actor.require_role(*ADMIN_ROLES)
    earlier = await idempotency.claim(
        uow, scope=SCOPE, org=actor.org, key=idempotency_key, request=data
    )
    settings = notifier_settings(ctx)
    key = secrets_key(settings)
    if earlier is not None:
        first = await SUBSCRIPTION.load_for(uow, uuid.UUID(earlier), actor)
        return Created(first, True, unseal(key, first.secret, bound_to=str(first.id)))
    url = await check_target(data.url, settings)
    _check_format(data.format, url, data.secret)
    secret = data.secret or new_secret()
    sid = uuid.uuid4()
    subscription = SUBSCRIPTION.new(
        id=sid,
        organisation=actor.org,
        url=url,
        kinds=[k.value for k in data.kinds],
        format=data.format.value,
        description=data.description,
        secret=seal(key, secret, bound_to=str(sid)),
        active=data.active,
        created_by=actor.user,
        created_at=uow.now,
        updated_at=uow.now,
    )
    await SUBSCRIPTION.insert(uow, subscription)
    SUBSCRIPTION.audit(
        uow,
        subscription,
        "created",
        rule=None,
        url=without_query(url),
        kinds=subscription.kinds,
        format=subscription.format,
    )
    await idempotency.remember(
        uow, scope=SCOPE, org=actor.org, key=idempotency_key, resource_id=str(subscription.id)
    )
    return Created(subscription, False, secret)


async def update_subscription(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    subscription_id: uuid.UUID,
    changes: SubscriptionUpdate,
) -> Subscription:
    actor.require_role(*ADMIN_ROLES)
    subscription = await SUBSCRIPTION.load_for(uow, subscription_id, actor)
    changed = changes.model_dump(exclude_unset=True, exclude_none=True, mode="json")
    if "url" in changed:
        changed["url"] = await check_target(changed["url"], notifier_settings(ctx))
        secret = None
        if subscription.format == WebhookFormat.DINGTALK_ROBOT.value:
            key = secrets_key(notifier_settings(ctx))
            secret = unseal(key, subscription.secret, bound_to=str(subscription.id))
        _check_format(WebhookFormat(subscription.format), changed["url"], secret)
    for name, value in changed.items():
        setattr(subscription, name, value)
    subscription.updated_at = uow.now
    audited = {**changed, **({"url": without_query(changed["url"])} if "url" in changed else {})}
    SUBSCRIPTION.audit(uow, subscription, "changed", rule=None, changes=audited)
    return subscription


def without_query(url: str) -> str:
    """The URL as the audit log keeps it: a robot's key or access_token (its query) is a
    credential, left out."""
    parts = urlsplit(url)
    return parts._replace(query="…").geturl() if parts.query else url


def _check_format(fmt: WebhookFormat, url: str, secret: str | None) -> None:
    why = format_refusal(fmt, url, secret)
    if why is not None:
        raise TargetRefused(
            why,
            zh="回调地址或密钥与推送格式不符：钉钉机器人须提供加签密钥（SEC…）及含 access_token "
            "的地址，企业微信/政务微信机器人的地址须含 key，其他格式不接受 secret",
            reason="format",
        )


async def delete_subscription(
    uow: UnitOfWork, *, actor: Principal, subscription_id: uuid.UUID
) -> None:
    """Hidden and never delivered to again; the row and its deliveries stay for the audit."""
    actor.require_role(*ADMIN_ROLES)
    subscription = await SUBSCRIPTION.load_for(uow, subscription_id, actor)
    subscription.deleted_at = uow.now
    subscription.active = False
    subscription.updated_at = uow.now
    SUBSCRIPTION.audit(uow, subscription, "deleted", rule=None)


async def list_subscriptions(
    session: AsyncSession, *, actor: Principal, paging: PageParams, active: bool | None
) -> tuple[Sequence[Subscription], int]:
    query = sa.select(Subscription).where(
        Subscription.organisation == actor.org, Subscription.deleted_at.is_(None)
    )
    if active is not None:
        query = query.where(Subscription.active.is_(active))
    query = query.order_by(Subscription.created_at.desc(), Subscription.id)
    return await fetch_page(session, query, paging, changed=Subscription.updated_at)


async def rotate_secret(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    subscription_id: uuid.UUID,
    data: SecretRotation,
) -> Created:
    """A new signing secret, shown in this answer only. For XIETONG_NOTIFIER_SECRET_OVERLAP_H
    (24 h) deliveries carry the new and the previous secret's signatures, then the new one's
    only; a second rotation within the window drops the oldest. A 钉钉 robot takes the new
    SEC… secret set in the robot (`secret`, required) and uses it at once: the robot checks
    one signature. Audited without any secret."""
    actor.require_role(*ADMIN_ROLES)
    subscription = await SUBSCRIPTION.load_for(uow, subscription_id, actor)
    settings = notifier_settings(ctx)
    key = secrets_key(settings)
    fmt = WebhookFormat(subscription.format)
    _check_format(fmt, subscription.url, data.secret)
    secret = data.secret or new_secret()
    overlap = timedelta(hours=settings.notifier_secret_overlap_h)
    if fmt is WebhookFormat.DINGTALK_ROBOT or not overlap:
        subscription.previous_secret = None
        subscription.previous_secret_until = None
    else:
        subscription.previous_secret = subscription.secret  # sealed to the same row
        subscription.previous_secret_until = uow.now + overlap
    subscription.secret = seal(key, secret, bound_to=str(subscription.id))
    subscription.secret_rotated_at = uow.now
    subscription.updated_at = uow.now
    until = subscription.previous_secret_until
    SUBSCRIPTION.audit(
        uow,
        subscription,
        "secret-rotated",
        rule=None,
        format=subscription.format,
        previous_signs_until=None if until is None else until.isoformat(),
    )
    return Created(subscription, False, secret)


async def seal_stored_secrets(ctx: ServiceContext, *, batch: int = 500) -> int:
    """Seal the secrets stored before sealing (migration 0004 could not: it has no key).
    Returns how many; a no-op once all are sealed."""
    key = secrets_key(notifier_settings(ctx))
    async with ctx.db.uow(actor=Principal.system(ctx.settings.service_name)) as uow:
        rows = (
            await uow.session.execute(
                sa.select(Subscription)
                .where(
                    sa.or_(
                        sa.not_(Subscription.secret.startswith(SEALED_PREFIX)),
                        sa.not_(Subscription.previous_secret.startswith(SEALED_PREFIX)),
                    )
                )
                .limit(batch)
                .with_for_update()
            )
        ).scalars()
        sealed = 0
        for subscription in rows:
            bound = str(subscription.id)
            if not is_sealed(subscription.secret):
                subscription.secret = seal(key, subscription.secret, bound_to=bound)
            previous = subscription.previous_secret
            if previous is not None and not is_sealed(previous):
                subscription.previous_secret = seal(key, previous, bound_to=bound)
            sealed += 1
        return sealed
