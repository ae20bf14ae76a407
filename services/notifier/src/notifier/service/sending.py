"""The delivery job: claims the deliveries that are due, POSTs each to its subscription's URL
as its format's adapter renders it (the CloudEvent signed as Standard Webhooks says, a group
robot's message, the SMS gateway's JSON: service/adapters.py), and records how it went
(delivered, retried after a backoff, or dead after the last attempt). A 2xx whose body the
adapter reads as a refusal (a robot's non-zero errcode) is a failed attempt.

Survives restarts: a delivery is a row; claiming it only moves its `next_attempt_at` past the
time one attempt can take (a lease), so a replica that dies mid-attempt leaves it due again
soon after. At most one delivery per subscription is in flight per run, so a slow or dead
receiver holds back only its own; every attempt is bounded by the delivery timeout.
A receiver that acknowledged (2xx) is never sent the delivery again unless an admin asks;
if the service dies between the 2xx and recording it, the receiver gets it once more with
the same `webhook-id` and dedupes (docs/webhooks.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on

from notifier.domain import DeliveryState, Step, backoff_s, unseal
from notifier.models import Delivery, DeliveryAttempt, Subscription
from notifier.service.adapters import ADAPTERS, DEFAULT_ADAPTER, MessageAdapter, Outgoing
from notifier.service.common import DELIVERY
from notifier.service.subscriptions import seal_stored_secrets
from notifier.service.targets import webhook_client
from notifier.settings import NotifierSettings, notifier_settings, secrets_key
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.jobs import Job, PeriodicJob
from xietong_common.record_pages import workbench_link
from xietong_common.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    url: str
    secret: str
    also: tuple[str, ...]  # the previous secret within a rotation's overlap
    format: str
    organisation: str
    event: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str | None
    started_at: datetime | None = None
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.error is None


async def _claim(ctx: ServiceContext, settings: NotifierSettings, now: datetime) -> list[Claimed]:
    lease = now + timedelta(seconds=settings.notifier_delivery_timeout_s * 3 + 30)
    due = (
        sa.select(Delivery.id)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(
            Delivery.state == DeliveryState.PENDING.value,
            Delivery.next_attempt_at <= now,
            Subscription.active.is_(True),
            Subscription.deleted_at.is_(None),
        )
        .ext(distinct_on(Delivery.subscription_id))
        .order_by(Delivery.subscription_id, Delivery.next_attempt_at)
        .subquery()
    )
    oldest_first = (
        sa.select(due.c.id)
        .join(Delivery, Delivery.id == due.c.id)
        .order_by(Delivery.next_attempt_at)
        .limit(settings.notifier_delivery_batch)
    )
    async with ctx.db.uow(actor=Principal.system(ctx.settings.service_name)) as uow:
        # Re-checked under each row's lock: two replicas never claim one delivery.
        claimed = await uow.session.execute(
            sa.update(Delivery)
            .where(
                Delivery.id.in_(oldest_first),
                Delivery.state == DeliveryState.PENDING.value,
                Delivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=lease)
            .returning(Delivery.id, Delivery.subscription_id, Delivery.event)
        )
        rows = claimed.all()
        if not rows:
            return []
        subscriptions = {
            s.id: s
            for s in (
                await uow.session.execute(
                    sa.select(Subscription).where(
                        Subscription.id.in_({r.subscription_id for r in rows})
                    )
                )
            ).scalars()
        }
    key = secrets_key(settings)
    return [
        _claimed(r.id, r.event, subscriptions[r.subscription_id], key=key, now=now) for r in rows
    ]


def _claimed(
    delivery_id: uuid.UUID,
    event: dict[str, Any],
    subscription: Subscription,
    *,
    key: bytes,
    now: datetime,
) -> Claimed:
    bound = str(subscription.id)
    also: tuple[str, ...] = ()
    until = subscription.previous_secret_until
    if subscription.previous_secret is not None and until is not None and now < until:
        also = (unseal(key, subscription.previous_secret, bound_to=bound),)
    return Claimed(
        id=delivery_id,
        url=subscription.url,
        secret=unseal(key, subscription.secret, bound_to=bound),
        also=also,
        format=subscription.format,
        organisation=subscription.organisation,
        event=event,
    )


async def _attempt(
    client: httpx.AsyncClient,
    claimed: Claimed,
    *,
    adapter: MessageAdapter,
    now: datetime,
    keep_bytes: int,
    name: Callable[[str], str],
    link: Callable[[str], str | None],
) -> Outcome:
    outgoing = adapter.render(
        delivery_id=str(claimed.id),
        event=claimed.event,
        secret=claimed.secret,
        also=claimed.also,
        now=now,
        name=name,
        link=link,
        recipient=claimed.organisation,
    )
    started = time.monotonic()
    outcome = await _post(client, claimed, outgoing, adapter=adapter, keep_bytes=keep_bytes)
    return replace(outcome, started_at=now, duration_ms=round((time.monotonic() - started) * 1000))


async def _post(
    client: httpx.AsyncClient,
    claimed: Claimed,
    outgoing: Outgoing,
    *,
    adapter: MessageAdapter,
    keep_bytes: int,
) -> Outcome:
    url = claimed.url
    if outgoing.query:
        url += ("&" if urlsplit(url).query else "?") + outgoing.query
    try:
        async with client.stream("POST", url, content=outgoing.body, headers=outgoing.headers) as r:
            kept = b""
            async for chunk in r.aiter_raw():
                kept += chunk
                if len(kept) >= keep_bytes:
                    break
            if 200 <= r.status_code < 300:
                # A robot answers its refusals with 200 and an errcode.
                return Outcome(r.status_code, adapter.refusal(kept))
            text = kept[:keep_bytes].decode("utf-8", "replace")
            reason = "a redirect (never followed)" if r.is_redirect else "not 2xx"
            return Outcome(r.status_code, f"HTTP {r.status_code}, {reason}: {text}".strip())
    except httpx.HTTPError as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:1000])


async def _keep_attempt(uow: UnitOfWork, delivery: Delivery, outcome: Outcome) -> None:
    """The attempt's own row (number over the delivery's life, round, attempt in the round)."""
    number = (
        await uow.session.execute(
            sa.select(sa.func.coalesce(sa.func.max(DeliveryAttempt.number), 0)).where(
                DeliveryAttempt.delivery_id == delivery.id
            )
        )
    ).scalar_one() + 1
    uow.session.add(
        DeliveryAttempt(
            id=uuid.uuid4(),
            delivery_id=delivery.id,
            organisation=delivery.organisation,
            number=number,
            round=delivery.round,
            attempt=delivery.attempts,
            started_at=outcome.started_at or uow.now,
            duration_ms=outcome.duration_ms,
            status=outcome.status,
            error=outcome.error,
            ok=outcome.ok,
            recorded_at=uow.now,
        )
    )


async def _record(
    ctx: ServiceContext, settings: NotifierSettings, outcomes: list[tuple[uuid.UUID, Outcome]]
) -> None:
    """The outcomes at hand, in one transaction (one commit, one turn of the audit chain's
    lock, however many receivers answered meanwhile)."""
    async with ctx.db.uow(actor=Principal.system(ctx.settings.service_name)) as uow:
        for delivery_id, outcome in sorted(outcomes, key=lambda o: o[0]):  # one lock order
            await _record_one(uow, settings, delivery_id, outcome)


async def _recorder(
    ctx: ServiceContext,
    settings: NotifierSettings,
    queue: asyncio.Queue[tuple[uuid.UUID, Outcome] | None],
) -> None:
    """Records outcomes as they come: each at once when the answers are few, those that
    arrived during the previous commit together when many, so a 2xx is recorded promptly
    and the commits do not queue behind the audit chain's lock one by one."""
    done = False
    while not done:
        item = await queue.get()
        batch = [] if item is None else [item]
        done = item is None
        while not done and not queue.empty():
            more = queue.get_nowait()
            if more is None:
                done = True
            else:
                batch.append(more)
        if batch:
            await _record(ctx, settings, batch)


async def _record_one(
    uow: UnitOfWork, settings: NotifierSettings, delivery_id: uuid.UUID, outcome: Outcome
) -> None:
    delivery = await DELIVERY.get(uow, delivery_id)
    if DELIVERY.state_of(delivery) is not DeliveryState.PENDING:
        return  # changed while in flight (it cannot be: only pending ones are claimed)
    delivery.attempts += 1
    delivery.last_attempt_at = uow.now
    await _keep_attempt(uow, delivery, outcome)
    delivery.last_status = outcome.status
    delivery.last_error = outcome.error
    if outcome.ok:
        DELIVERY.transition(delivery, Step.SUCCEED, uow.now)
        delivery.delivered_at = uow.now
        DELIVERY.audit(uow, delivery, "delivered", rule=None, attempts=delivery.attempts)
    elif delivery.attempts >= settings.notifier_max_attempts:
        DELIVERY.transition(delivery, Step.GIVE_UP, uow.now)
        DELIVERY.audit(
            uow, delivery, "dead", rule=None, attempts=delivery.attempts, error=outcome.error
        )
    else:
        DELIVERY.transition(delivery, Step.FAIL, uow.now)
        wait = backoff_s(
            delivery.attempts,
            initial_s=settings.notifier_backoff_initial_s,
            max_s=settings.notifier_backoff_max_s,
        )
        delivery.next_attempt_at = uow.now + timedelta(seconds=wait)


async def deliver_due(ctx: ServiceContext) -> int:
    """One run: send what is due now, record each outcome. Returns how many were sent."""
    settings = notifier_settings(ctx)
    claimed = await _claim(ctx, settings, ctx.clock.now())
    if not claimed:
        return 0
    queue: asyncio.Queue[tuple[uuid.UUID, Outcome] | None] = asyncio.Queue()
    recording = asyncio.create_task(_recorder(ctx, settings, queue))
    async with webhook_client(settings) as client:

        def name(code: str) -> str:
            org = ctx.directory.get(code)
            return code if org is None else org.name_zh

        async def one(item: Claimed) -> None:
            outcome = await _attempt(
                client,
                item,
                adapter=ADAPTERS.get(item.format, ADAPTERS[DEFAULT_ADAPTER]),
                now=ctx.clock.now(),
                keep_bytes=settings.notifier_max_response_bytes,
                name=name,
                link=partial(workbench_link, settings.workbench_public_url),
            )
            queue.put_nowait((item.id, outcome))

        try:
            await asyncio.gather(*(one(item) for item in claimed))
        finally:
            queue.put_nowait(None)
            await recording
    return len(claimed)


def delivery_job() -> PeriodicJob:
    """The delivery job (every XIETONG_NOTIFIER_DELIVERY_EVERY_S); one replica at a time."""

    def make(ctx: ServiceContext) -> Job:
        sealed = False  # secrets stored before sealing: sealed by the first runs, then no more

        async def run(uow: UnitOfWork) -> None:
            nonlocal sealed
            # The job's own unit of work only holds the job's lock; the claim and the
            # outcomes (as they arrive: _recorder) commit on their own, so nothing waits on
            # the HTTP calls.
            if not sealed:
                sealed = await seal_stored_secrets(ctx) == 0
            await deliver_due(ctx)

        return run

    return PeriodicJob(
        name="webhook-delivery",
        interval=lambda s: s.notifier_delivery_every_s if isinstance(s, NotifierSettings) else 2.0,
        job=make,
    )
