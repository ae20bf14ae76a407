"""Deliveries (推送): deadline events consumed through the inbox become signed webhooks to
the organisations told of them, retried, dead after the last attempt, redeliverable."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from notifier import service as notifier_service
from notifier.domain import EventKind
from notifier.models import Subscription
from xietong_common.auth import Principal
from xietong_devtools.testing import RunningService

from .conftest import (
    Receiver,
    admin,
    approaching,
    breach,
    deliveries_of,
    envelope,
    event_body,
    serving,
    subscribe,
    wait_for_deliveries,
)

pytestmark = pytest.mark.integration


async def deliver_all(svc: RunningService) -> int:
    return await notifier_service.deliver_due(svc.ctx)


async def test_sup_02_a_breach_reaches_both_parties_signed_and_no_other_town(
    svc: RunningService,
    receiver: Receiver,
    towns: list[str],
    codes: dict[str, str],
    publish: Callable[..., Any],
) -> None:
    """Through Kafka and the inbox: the organisation that owed the action and the one kept
    waiting each get one delivery their secret verifies (Standard Webhooks' own library);
    a third town subscribed to the same kinds gets nothing."""
    owed, waiting, bystander = codes["dept"], towns[0], towns[1]
    path = f"/{uuid.uuid4().hex}"
    hooks = {
        org: await subscribe(svc, org, receiver.url(f"{path}/{org}"))
        for org in (owed, waiting, bystander)
    }
    env = envelope(breach(owed, waiting), source="/xietong/referral")
    await publish(env)
    made = await wait_for_deliveries(svc, env.id, 2)
    assert sorted(d.organisation for d in made) == sorted([owed, waiting])

    receiver.received.clear()
    assert await deliver_all(svc) >= 2
    got = {h.get("webhook-id"): (h, b) for h, b in receiver.received}
    for delivery in made:
        headers, body = got[str(delivery.id)]
        assert headers["content-type"].startswith("application/cloudevents+json")
        secret = hooks[delivery.organisation]["secret"]
        Webhook(secret).verify(body, headers)  # raises unless the signature verifies
        with pytest.raises(Exception, match="signature"):
            Webhook(hooks[bystander]["secret"]).verify(body, headers)
        sent = event_body(body)
        assert sent["type"] == "xietong.deadline.breached.v1"
        assert sent["id"] == env.id
        assert sent["source"] == "/xietong/referral"
        assert "traceparent" not in sent
        assert sent["data"]["organisation"] == owed
    r = await svc.client.get("/deliveries?state=delivered", headers=admin(svc, waiting))
    assert r.status_code == 200
    assert [d["event_id"] for d in r.json()["items"]] == [env.id]
    assert r.json()["items"][0]["attempts"] == 1
    r = await svc.client.get("/deliveries", headers=admin(svc, bystander))
    assert r.json()["total"] == 0


async def test_forged_and_replayed_deadline_events_deliver_nothing_more(
    svc: RunningService,
    receiver: Receiver,
    towns: list[str],
    publish: Callable[..., Any],
) -> None:
    """A deadline of referral published by another mechanism is refused (dead-lettered);
    one from outside the mechanisms is refused by the inbox; the same event published twice
    makes one delivery. The genuine event published last, on the same key, proves the
    forged ones before it were consumed and refused."""
    town = towns[2]
    await subscribe(svc, town, receiver.url())
    event = approaching(town, None)
    forged = envelope(event, source="/xietong/assistance")  # names referral, comes from assistance
    stranger = envelope(event, source="/xietong/evil")
    genuine = envelope(event, source="/xietong/referral")
    for env in (forged, stranger, genuine, genuine):
        await publish(env)
    made = await wait_for_deliveries(svc, genuine.id, 1)
    assert len(made) == 1
    assert await deliveries_of(svc, forged.id) == []
    assert await deliveries_of(svc, stranger.id) == []
    # The same event through the use case again (a re-publication the inbox would not
    # catch): still one delivery per (event, subscription).
    async with svc.ctx.db.uow(actor=Principal.system("notifier")) as uow:
        again = await notifier_service.fan_out(
            uow,
            ctx=svc.ctx,
            kind=EventKind.DEADLINE_APPROACHING,
            envelope=genuine,
            mechanism="referral",
            organisation=town,
            counterparty=None,
        )
    assert again == 0
    assert len(await deliveries_of(svc, genuine.id)) == 1


async def test_a_failing_receiver_is_retried_then_dead_then_redelivered(
    svc: RunningService, receiver: Receiver, towns: list[str]
) -> None:
    town = towns[3]
    sid = (await subscribe(svc, town, receiver.url("/failing")))["id"]
    env = envelope(breach(town, None), source="/xietong/referral")
    async with svc.ctx.db.uow(actor=Principal.system("notifier")) as uow:
        await notifier_service.fan_out(
            uow,
            ctx=svc.ctx,
            kind=EventKind.DEADLINE_BREACHED,
            envelope=env,
            mechanism="referral",
            organisation=town,
            counterparty=None,
        )
    (delivery,) = await deliveries_of(svc, env.id)
    receiver.status = 500
    try:
        for attempt in (1, 2, 3):  # XIETONG_NOTIFIER_MAX_ATTEMPTS=3, no backoff in the test
            await deliver_all(svc)
            r = await svc.client.get(f"/deliveries/{delivery.id}", headers=admin(svc, town))
            assert r.json()["attempts"] == attempt
            assert r.json()["last_status"] == 500
        assert r.json()["state"] == "dead"
        assert r.json()["next_attempt_at"] is None
        mine = [h for h, _ in receiver.received if h["webhook-id"] == str(delivery.id)]
        assert len(mine) == 3
        await deliver_all(svc)  # dead: never sent again by itself
        assert len([h for h, _ in receiver.received if h["webhook-id"] == str(delivery.id)]) == 3

        # Another organisation cannot see or redeliver it.
        other = admin(svc, towns[4])
        assert (
            await svc.client.get(f"/deliveries/{delivery.id}", headers=other)
        ).status_code == 404
        r = await svc.client.post(f"/deliveries/{delivery.id}/redeliver", headers=other)
        assert r.status_code == 404
    finally:
        receiver.status = 200
    r = await svc.client.post(f"/deliveries/{delivery.id}/redeliver", headers=admin(svc, town))
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "pending"
    assert r.json()["attempts"] == 0
    r = await svc.client.post(f"/deliveries/{delivery.id}/redeliver", headers=admin(svc, town))
    assert r.status_code == 409  # already pending
    await deliver_all(svc)
    r = await svc.client.get(
        f"/deliveries?subscription_id={sid}&state=delivered", headers=admin(svc, town)
    )
    assert [d["id"] for d in r.json()["items"]] == [str(delivery.id)]


async def test_a_target_that_now_resolves_to_loopback_is_refused_at_delivery(
    svc: RunningService, receiver: Receiver, towns: list[str]
) -> None:
    """DNS rebinding: a URL accepted when registered whose name now resolves to a loopback
    address (here `localhost`, written to the row as if its DNS changed) is refused at the
    connection; the receiver listening there gets nothing."""
    town = towns[5]
    sid = (await subscribe(svc, town, receiver.url("/rebound")))["id"]
    async with svc.ctx.db.session() as session, session.begin():
        await session.execute(
            sa.update(Subscription)
            .where(Subscription.id == uuid.UUID(sid))
            .values(url=f"http://localhost:{receiver.port}/rebound")
        )
    env = envelope(breach(town, None), source="/xietong/referral")
    async with svc.ctx.db.uow(actor=Principal.system("notifier")) as uow:
        await notifier_service.fan_out(
            uow,
            ctx=svc.ctx,
            kind=EventKind.DEADLINE_BREACHED,
            envelope=env,
            mechanism="referral",
            organisation=town,
            counterparty=None,
        )
    before = len(receiver.received)
    await deliver_all(svc)
    (delivery,) = await deliveries_of(svc, env.id)
    assert delivery.state == "pending"
    assert delivery.attempts == 1
    assert "loopback" in (delivery.last_error or "")
    assert len(receiver.received) == before


async def test_issue_24_every_attempt_is_a_row_kept_across_a_redelivery(
    svc: RunningService, receiver: Receiver, towns: list[str]
) -> None:
    """Each attempt is recorded with its time, duration, status or error and its number;
    the list is the organisation admin's only, paginated, and a redelivery adds its attempts
    after the earlier ones (numbered on, in a new round) without removing any."""
    town = towns[6]
    await subscribe(svc, town, receiver.url("/attempts"))
    env = envelope(breach(town, None), source="/xietong/referral")
    async with svc.ctx.db.uow(actor=Principal.system("notifier")) as uow:
        await notifier_service.fan_out(
            uow,
            ctx=svc.ctx,
            kind=EventKind.DEADLINE_BREACHED,
            envelope=env,
            mechanism="referral",
            organisation=town,
            counterparty=None,
        )
    (delivery,) = await deliveries_of(svc, env.id)
    mine = admin(svc, town)
    receiver.status = 503
    try:
        for _ in range(3):  # three failures: dead (XIETONG_NOTIFIER_MAX_ATTEMPTS=3)
            await deliver_all(svc)
    finally:
        receiver.status = 200
    r = await svc.client.post(f"/deliveries/{delivery.id}/redeliver", headers=mine)
    assert r.status_code == 200, r.text
    assert r.json()["round"] == 2
    await deliver_all(svc)

    url = f"/deliveries/{delivery.id}/attempts"
    r = await svc.client.get(url, headers=mine)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 4
    rows = page["items"]
    assert [(a["number"], a["round"], a["attempt"]) for a in rows] == [
        (4, 2, 1),
        (3, 1, 3),
        (2, 1, 2),
        (1, 1, 1),
    ]
    assert rows[0]["ok"] is True
    assert rows[0]["status"] == 200
    assert rows[0]["error"] is None
    for failed in rows[1:]:
        assert failed["ok"] is False
        assert failed["status"] == 503
        assert failed["error"].startswith("HTTP 503")
    for a in rows:
        assert a["duration_ms"] >= 0
        assert a["started_at"]
    assert rows[0]["started_at"] > rows[1]["started_at"]

    r = await svc.client.get(f"{url}?page=2&page_size=3", headers=mine)
    assert r.json()["total"] == 4
    assert [a["number"] for a in r.json()["items"]] == [1]

    # Another organisation's admin, or a non-admin of the same one: not theirs to read.
    r = await svc.client.get(url, headers=admin(svc, towns[7]))
    assert r.status_code == 404
    r = await svc.client.get(url, headers=svc.auth(town, "clerk", user=f"{town}/clerk"))
    assert r.status_code == 403


async def test_issue_24_a_refused_connection_is_an_attempt_with_its_error(
    svc: RunningService, towns: list[str]
) -> None:
    """No status, the connection's error, and the attempt still counted with its duration."""
    town = towns[8]
    async with serving(Receiver()) as port:
        closed = f"http://127.0.0.1:{port}/gone"
    await subscribe(svc, town, closed)
    env = envelope(breach(town, None), source="/xietong/referral")
    async with svc.ctx.db.uow(actor=Principal.system("notifier")) as uow:
        await notifier_service.fan_out(
            uow,
            ctx=svc.ctx,
            kind=EventKind.DEADLINE_BREACHED,
            envelope=env,
            mechanism="referral",
            organisation=town,
            counterparty=None,
        )
    (delivery,) = await deliveries_of(svc, env.id)
    await deliver_all(svc)
    r = await svc.client.get(f"/deliveries/{delivery.id}/attempts", headers=admin(svc, town))
    (only,) = r.json()["items"]
    assert only["status"] is None
    assert only["ok"] is False
    assert "Connect" in only["error"]
