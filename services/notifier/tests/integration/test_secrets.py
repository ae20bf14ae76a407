"""Signing secrets (issue 24): sealed at rest with the key from XIETONG_NOTIFIER_SECRETS_KEY
(the tests' own .local key file), shown only at creation and rotation, rotated by the
organisation's admin with an overlap during which deliveries carry both signatures."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from notifier import service as notifier_service
from notifier.domain import EventKind, SecretUnreadable, is_sealed, seal, unseal
from notifier.models import Subscription
from notifier.settings import notifier_settings, secrets_key
from xietong_common.auth import Principal
from xietong_common.tables import audit_log
from xietong_devtools.testing import RunningService

from .conftest import Receiver, admin, breach, deliveries_of, envelope, subscribe

pytestmark = pytest.mark.integration

DINGTALK_SECRET = "SEC" + "3f9a7c2e" * 8


async def _row(svc: RunningService, sid: str) -> Subscription:
    async with svc.ctx.db.session() as session:
        row = await session.get(Subscription, uuid.UUID(sid))
        assert row is not None
        return row


async def _deliver_one(
    svc: RunningService, receiver: Receiver, town: str
) -> tuple[dict[str, str], bytes]:
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
    await notifier_service.deliver_due(svc.ctx)
    (got,) = [(h, b) for h, b in receiver.received if h.get("webhook-id") == str(delivery.id)]
    return got


async def test_issue_24_a_secret_is_sealed_at_rest_and_shown_only_once(
    svc: RunningService, receiver: Receiver, towns: list[str]
) -> None:
    town = towns[0]
    created = await subscribe(svc, town, receiver.url("/sealed"))
    secret = created["secret"]
    row = await _row(svc, created["id"])
    assert is_sealed(row.secret)
    assert secret not in row.secret
    key = secrets_key(notifier_settings(svc.ctx))
    assert unseal(key, row.secret, bound_to=created["id"]) == secret
    # Sealed to its row: the same value under another subscription's id does not open.
    with pytest.raises(SecretUnreadable):
        unseal(key, row.secret, bound_to=str(uuid.uuid4()))
    # No read shows it again.
    one = await svc.client.get(f"/subscriptions/{created['id']}", headers=admin(svc, town))
    listed = await svc.client.get("/subscriptions", headers=admin(svc, town))
    for answer in (one.text, listed.text):
        assert 'secret"' not in answer.replace("secret_rotated_at", "")
        assert secret not in answer
    # Deliveries are signed with the secret as shown.
    headers, body = await _deliver_one(svc, receiver, town)
    Webhook(secret).verify(body, headers)


async def test_issue_24_a_secret_stored_before_sealing_is_sealed_by_the_job(
    svc: RunningService, receiver: Receiver, towns: list[str]
) -> None:
    """A row written before migration 0004 holds its secret as it is: still used, and
    sealed by the delivery job's run."""
    town = towns[1]
    created = await subscribe(svc, town, receiver.url("/legacy"))
    async with svc.ctx.db.session() as session, session.begin():
        await session.execute(
            sa.update(Subscription)
            .where(Subscription.id == uuid.UUID(created["id"]))
            .values(secret=created["secret"])
        )
    headers, body = await _deliver_one(svc, receiver, town)
    Webhook(created["secret"]).verify(body, headers)
    assert await notifier_service.seal_stored_secrets(svc.ctx) >= 1
    row = await _row(svc, created["id"])
    assert is_sealed(row.secret)
    assert await notifier_service.seal_stored_secrets(svc.ctx) == 0


async def test_issue_24_rotation_signs_with_both_secrets_for_the_overlap_then_the_new_one(
    svc: RunningService, receiver: Receiver, towns: list[str]
) -> None:
    town = towns[2]
    created = await subscribe(svc, town, receiver.url("/rotated"))
    old, sid = created["secret"], created["id"]
    url = f"/subscriptions/{sid}/rotate-secret"

    # Only the organisation's admin rotates it.
    assert (await svc.client.post(url, headers=admin(svc, towns[3]))).status_code == 404
    clerk = svc.auth(town, "clerk", user=f"{town}/clerk")
    assert (await svc.client.post(url, headers=clerk)).status_code == 403
    # Only a dingtalk-robot subscription takes a secret.
    r = await svc.client.post(url, json={"secret": DINGTALK_SECRET}, headers=admin(svc, town))
    assert r.status_code == 422, r.text

    r = await svc.client.post(url, headers=admin(svc, town))
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    assert new.startswith("whsec_")
    assert new != old
    overlap_h = notifier_settings(svc.ctx).notifier_secret_overlap_h
    assert overlap_h == 24
    rotated_at = r.json()["secret_rotated_at"]
    assert r.json()["previous_secret_until"] is not None
    got = await svc.client.get(f"/subscriptions/{sid}", headers=admin(svc, town))
    assert got.json()["previous_secret_until"] == r.json()["previous_secret_until"]
    assert "secret" not in got.json()

    row = await _row(svc, sid)
    assert is_sealed(row.secret)
    assert row.previous_secret is not None
    assert is_sealed(row.previous_secret)
    assert row.previous_secret_until is not None
    assert row.secret_rotated_at is not None
    assert row.previous_secret_until - row.secret_rotated_at == timedelta(hours=overlap_h)
    assert rotated_at

    # Within the overlap: two signatures, either secret verifies.
    headers, body = await _deliver_one(svc, receiver, town)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(body, headers)
    Webhook(old).verify(body, headers)

    # After it (the window moved into the past): the new secret's signature alone.
    async with svc.ctx.db.session() as session, session.begin():
        await session.execute(
            sa.update(Subscription)
            .where(Subscription.id == uuid.UUID(sid))
            .values(previous_secret_until=sa.func.now() - timedelta(seconds=1))
        )
    headers, body = await _deliver_one(svc, receiver, town)
    assert len(headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, headers)

    # Audited, without any secret.
    async with svc.ctx.db.session() as session:
        rows = (
            await session.execute(
                sa.select(audit_log.c.action, audit_log.c.detail).where(
                    audit_log.c.subject == f"subscription:{sid}"
                )
            )
        ).all()
    actions = [a for a, _ in rows]
    assert "subscription.secret-rotated" in actions
    dumped = json.dumps([d for _, d in rows])
    for secret in (old, new, old.removeprefix("whsec_"), new.removeprefix("whsec_")):
        assert secret not in dumped


async def test_issue_24_a_dingtalk_robot_takes_its_new_secret_at_once(
    svc: RunningService, receiver: Receiver, towns: list[str]
) -> None:
    """The robot checks one sign: no overlap; its new SEC… secret is required."""
    town = towns[4]
    created = await subscribe(
        svc,
        town,
        receiver.url("/robot/send?access_token=abc123"),
        format="dingtalk-robot",
        secret=DINGTALK_SECRET,
    )
    url = f"/subscriptions/{created['id']}/rotate-secret"
    r = await svc.client.post(url, headers=admin(svc, town))
    assert r.status_code == 422  # the robot's new secret is required
    fresh = "SEC" + "0a1b2c3d" * 8
    r = await svc.client.post(url, json={"secret": fresh}, headers=admin(svc, town))
    assert r.status_code == 200, r.text
    assert r.json()["secret"] == fresh
    assert r.json()["previous_secret_until"] is None
    row = await _row(svc, created["id"])
    key = secrets_key(notifier_settings(svc.ctx))
    assert unseal(key, row.secret, bound_to=created["id"]) == fresh
    assert row.previous_secret is None


def test_issue_24_sealing_round_trip_and_tampering() -> None:
    from notifier.domain.sealing import derive_key

    key = derive_key("k" * 40)
    sealed = seal(key, "whsec_abc", bound_to="row-1")
    assert sealed != seal(key, "whsec_abc", bound_to="row-1")  # a fresh nonce each time
    assert unseal(key, sealed, bound_to="row-1") == "whsec_abc"
    with pytest.raises(SecretUnreadable):
        unseal(derive_key("x" * 40), sealed, bound_to="row-1")
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(SecretUnreadable):
        unseal(key, tampered, bound_to="row-1")
    with pytest.raises(ValueError, match="at least"):
        derive_key("short")
