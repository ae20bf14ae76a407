"""INFO-03 and INFO-01 (4): subscriptions, feedback requests, the read receipt, and the job
that reports items still unread past the setting (及时, a setting with a default)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from info_sharing import events
from info_sharing.domain.inbox import DeliveryReason, overdue_before, read_due
from info_sharing.domain.items import ItemState
from info_sharing.errors import (
    InfoInvalidInput,
    NotOwnMatter,
    TooManySubscriptions,
)
from info_sharing.models import Delivery, FeedbackRequest, Item, Subscription
from info_sharing.schemas.requests import FeedbackRequestIn, SubscriptionIn
from info_sharing.service.common import (
    ITEM,
    readable,
)
from info_sharing.settings import info_settings
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.errors import NotFound
from xietong_common.reference import OrgKind
from xietong_common.uow import UnitOfWork

SUBSCRIBE_SCOPE = "info.subscription.create"
FEEDBACK_SCOPE = "info.feedback-request.create"
REPORT_BATCH = 500


# ---- subscriptions -------------------------------------------------------------------------


async def subscribe(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    data: SubscriptionIn,
    idempotency_key: str | None = None,
) -> Subscription:
    """INFO-03: the organisation's inbox gets every new item these filters match."""
    matters = sorted(ctx.catalogue.require_all(data.matter_codes))
    towns = sorted(ctx.directory.require_all(data.towns, OrgKind.TOWN))
    publishers = sorted(ctx.directory.require_all(data.publishers))
    replay = await idempotency.claim(
        uow, scope=SUBSCRIBE_SCOPE, org=actor.org, key=idempotency_key, request=data
    )
    if replay is not None:
        found = await uow.session.get(Subscription, uuid.UUID(replay))
        assert found is not None
        return found
    # One organisation's subscriptions are counted under a lock on the organisation, so
    # two concurrent requests cannot both take the last place.
    await uow.session.execute(
        sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"subscriptions:{actor.org}")))
    )
    held = (
        await uow.session.execute(
            sa.select(sa.func.count()).where(
                Subscription.org == actor.org, Subscription.cancelled_at.is_(None)
            )
        )
    ).scalar_one()
    limit = info_settings(ctx).info_max_subscriptions_per_org
    if held >= limit:
        raise TooManySubscriptions(
            f"{actor.org} holds {held} subscriptions, the limit; cancel one or widen one",
            zh=f"本机构已有 {held} 个订阅，已达上限；请取消或合并订阅",
            limit=limit,
        )
    subscription = Subscription(
        id=uuid.uuid4(),
        org=actor.org,
        name=data.name,
        categories=sorted({c.value for c in data.categories}),
        matter_codes=matters,
        towns=towns,
        publishers=publishers,
        created_at=uow.now,
        created_by=actor.user,
    )
    uow.session.add(subscription)
    await uow.session.flush()
    await idempotency.remember(
        uow,
        scope=SUBSCRIBE_SCOPE,
        org=actor.org,
        key=idempotency_key,
        resource_id=str(subscription.id),
    )
    uow.audit(
        action="info.subscribed",
        subject=f"subscription:{subscription.id}",
        rule="INFO-03",
        detail={
            "categories": subscription.categories,
            "matter_codes": matters,
            "towns": towns,
            "publishers": publishers,
        },
    )
    return subscription


async def unsubscribe(uow: UnitOfWork, *, subscription_id: uuid.UUID, actor: Principal) -> None:
    subscription = await uow.session.get(Subscription, subscription_id, with_for_update=True)
    if subscription is None or subscription.org != actor.org or subscription.cancelled_at:
        raise NotFound("no such subscription", zh="未找到该订阅")
    subscription.cancelled_at, subscription.cancelled_by = uow.now, actor.user
    uow.audit(action="info.unsubscribed", subject=f"subscription:{subscription.id}", rule="INFO-03")


# ---- feedback requests (INFO-01 (4)) ----------------------------------------------------------


async def request_feedback(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    data: FeedbackRequestIn,
    idempotency_key: str | None = None,
) -> FeedbackRequest:
    """A department asks the towns to feed back penalty decisions on a matter it owns (or on
    all of them); asking again returns the standing request."""
    if not ctx.directory.is_department(actor.org):
        raise NotOwnMatter(
            "only a district department asks for feedback on penalty decisions (二(一) 4.)",
            zh="只有区级行政执法部门可以要求反馈行政处罚决定",
            rule="INFO-01",
        )
    if data.matter_code is not None:
        owner = ctx.catalogue.require(data.matter_code).owner
        if owner != actor.org:
            raise NotOwnMatter(
                f"{data.matter_code} is owned by {owner}; the department concerned asks",
                zh=f"事项 {data.matter_code} 属于 {owner}，应由其要求反馈",
                matter_code=data.matter_code,
                owner=owner,
                rule="INFO-01",
            )
    replay = await idempotency.claim(
        uow, scope=FEEDBACK_SCOPE, org=actor.org, key=idempotency_key, request=data
    )
    if replay is not None:
        found = await uow.session.get(FeedbackRequest, uuid.UUID(replay))
        assert found is not None
        return found
    new_id = uuid.uuid4()
    inserted = (
        await uow.session.execute(
            pg_insert(FeedbackRequest)
            .values(
                id=new_id,
                department=actor.org,
                matter_code=data.matter_code,
                note=data.note,
                created_at=uow.now,
                created_by=actor.user,
            )
            .on_conflict_do_nothing(
                index_elements=[
                    FeedbackRequest.department,
                    # The literal as the index has it: a bound "*" matches the index only
                    # while PostgreSQL plans the statement for its values; once the prepared
                    # statement goes generic (the sixth call) the insert fails.
                    sa.func.coalesce(FeedbackRequest.matter_code, sa.literal_column("'*'")),
                ],
                index_where=FeedbackRequest.withdrawn_at.is_(None),
            )
            .returning(FeedbackRequest.id)
        )
    ).scalar_one_or_none()
    standing = (
        await uow.session.execute(
            sa.select(FeedbackRequest).where(
                FeedbackRequest.department == actor.org,
                FeedbackRequest.withdrawn_at.is_(None),
                FeedbackRequest.matter_code.is_(None)
                if data.matter_code is None
                else FeedbackRequest.matter_code == data.matter_code,
            )
        )
    ).scalar_one()
    await idempotency.remember(
        uow, scope=FEEDBACK_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(standing.id)
    )
    if inserted is not None:
        uow.audit(
            action="info.feedback-requested",
            subject=f"feedback-request:{standing.id}",
            rule="INFO-01",
            detail={"matter_code": data.matter_code},
        )
    return standing


async def withdraw_feedback(
    uow: UnitOfWork, *, request_id: uuid.UUID, actor: Principal
) -> FeedbackRequest:
    request = await uow.session.get(FeedbackRequest, request_id, with_for_update=True)
    if request is None or request.department != actor.org:
        raise NotFound("no such feedback request", zh="未找到该反馈要求")
    if request.withdrawn_at is None:
        request.withdrawn_at, request.withdrawn_by = uow.now, actor.user
        uow.audit(
            action="info.feedback-withdrawn",
            subject=f"feedback-request:{request.id}",
            rule="INFO-01",
            detail={"matter_code": request.matter_code},
        )
    return request


# ---- read receipts (INFO-03) ------------------------------------------------------------------


async def mark_read(
    uow: UnitOfWork, *, ctx: ServiceContext, item_id: uuid.UUID, actor: Principal
) -> Delivery:
    """The caller's organisation has seen the item: the first read is the receipt the
    publisher sees (and `info.read`); reading again changes nothing."""
    item = await readable(uow, item_id, actor, lock=False)
    if item.state == ItemState.DRAFT.value:
        raise ITEM.missing()
    if actor.org == item.publisher:
        raise InfoInvalidInput(
            "the publisher does not sign for its own item",
            zh="发布机构无需对本机构发布的信息签收",
        )
    row = (
        await uow.session.execute(
            pg_insert(Delivery)
            .values(
                org=actor.org,
                item_id=item.id,
                reason=DeliveryReason.OPENED.value,
                delivered_at=None,
                read_at=uow.now,
                read_by=actor.user,
            )
            .on_conflict_do_update(
                index_elements=[Delivery.org, Delivery.item_id],
                set_={"read_at": uow.now, "read_by": actor.user},
                where=Delivery.read_at.is_(None),
            )
            .returning(Delivery.org)
        )
    ).first()
    delivery = (
        await uow.session.execute(
            sa.select(Delivery)
            .where(Delivery.org == actor.org, Delivery.item_id == item.id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if row is not None:  # the first read
        settings = info_settings(ctx)
        late = bool(
            delivery.delivered_at
            and read_due(
                ctx.calendar, delivery.delivered_at, settings.info_read_working_days
            ).is_breached(uow.now)
        )
        uow.publish(events.read(item, delivery, late=late), key=str(item.id))
        ITEM.audit(
            uow,
            item,
            "read",
            rule="INFO-03",
            reader_org=actor.org,
            reason=delivery.reason,
            late=late,
        )
    return delivery


# ---- unread past the setting (INFO-03, SUP-01) ------------------------------------------------


async def report_unread_overdue(uow: UnitOfWork, *, ctx: ServiceContext) -> int:
    """Publish `info.unread-overdue` once for each delivery unread past the setting (final
    working-day dates only); safe with several replicas (rows claimed with SKIP LOCKED)."""
    days = info_settings(ctx).info_read_working_days
    cutoff = overdue_before(ctx.calendar, uow.now, days)
    if cutoff is None:
        return 0
    rows = (
        await uow.session.execute(
            sa.select(Delivery, Item)
            .join(Item, Item.id == Delivery.item_id)
            .where(
                Delivery.read_at.is_(None),
                Delivery.overdue_reported_at.is_(None),
                Delivery.delivered_at < cutoff,
            )
            .order_by(Delivery.delivered_at)
            .limit(REPORT_BATCH)
            .with_for_update(of=Delivery, skip_locked=True)
        )
    ).all()
    for delivery, item in rows:
        assert delivery.delivered_at is not None
        due = read_due(ctx.calendar, delivery.delivered_at, days)
        uow.publish(
            events.unread_overdue(
                item,
                org=delivery.org,
                delivered_at=delivery.delivered_at,
                due_at=due.due_at,
                working_days=days,
            ),
            key=str(item.id),
        )
        delivery.overdue_reported_at = uow.now
    if rows:
        uow.audit(
            action="info.unread-overdue-reported",
            subject="inbox",
            rule="INFO-03",
            detail={"deliveries": len(rows), "working_days": days, "cutoff": cutoff.isoformat()},
        )
    return len(rows)
