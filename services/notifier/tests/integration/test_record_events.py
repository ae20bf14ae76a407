"""Subscriptions to other event kinds (issue 24): an organisation subscribes to a referral's
lifecycle events and is told only of the referrals it is a party of — the same visibility
as the REST API. Through Kafka and the inbox, to a real receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from notifier import service as notifier_service
from notifier.domain import EventKind
from notifier.errors import EventNotFromItsOwner
from xietong_common.auth import Principal
from xietong_common.contracts.base import IntegrationEvent
from xietong_common.contracts.referral import CaseFiled, CaseProcedure, CaseReferred
from xietong_common.events.envelope import CloudEvent
from xietong_devtools.testing import RunningService

from .conftest import (
    Receiver,
    admin,
    deliveries_of,
    event_body,
    subscribe,
    wait_for_deliveries,
)

pytestmark = pytest.mark.integration


def referred(sender: str, receiver: str) -> CaseReferred:
    now = datetime.now(UTC)
    return CaseReferred.model_validate(
        {
            "referral_id": uuid.uuid4(),
            "sender": sender,
            "receiver": receiver,
            "matter_code": "ENV-001",
            "place_town": sender,
            "found_at": now,
            "sent_at": now,
            "urgent": False,
            "ongoing": False,
            "facts": "河道旁违规倾倒建筑垃圾",
            "proceeds_transferred": Decimal("0"),
            "materials": 2,
            "send_due_at": now,
            "late": False,
            "source": {"kind": "manual"},
        }
    )


def filed(handler: str, sender: str) -> CaseFiled:
    return CaseFiled(
        referral_id=uuid.uuid4(),
        handler=handler,
        sender=sender,
        case_number="涪环罚立〔2026〕15号",
        procedure=CaseProcedure.ORDINARY,
        filed_at=datetime.now(UTC),
        late=False,
    )


def wrap(event: IntegrationEvent, *, source: str = "/xietong/referral") -> CloudEvent:
    return CloudEvent.wrap(
        event,
        spec=type(event).spec,
        source=source,
        subject=str(getattr(event, "referral_id")),  # noqa: B009
        time=datetime.now(UTC),
    )


async def test_issue_24_another_towns_referral_never_reaches_a_towns_url(
    svc: RunningService,
    receiver: Receiver,
    towns: list[str],
    codes: dict[str, str],
    publish: Callable[..., Any],
) -> None:
    """Three towns and a department subscribe to case.referred; a referral from one town
    to the department reaches those two, signed; the other towns' URLs get nothing, nor
    does a subscription of a party to other kinds only."""
    sender, receiving = towns[13], codes["dept"]
    bystanders = towns[14], towns[15]
    path = f"/{uuid.uuid4().hex}"
    hooks = {
        org: await subscribe(svc, org, receiver.url(f"{path}/{org}"), kinds=["case.referred"])
        for org in (sender, receiving, *bystanders)
    }
    deadlines_only = await subscribe(svc, sender, receiver.url(f"{path}/deadlines-only"))
    assert "case.referred" not in deadlines_only["kinds"]

    env = wrap(referred(sender, receiving))
    await publish(env)
    made = await wait_for_deliveries(svc, env.id, 2)
    assert sorted(d.organisation for d in made) == sorted([sender, receiving])
    await asyncio.sleep(0.5)  # nothing more comes for the others
    assert len(await deliveries_of(svc, env.id)) == 2

    receiver.received.clear()
    receiver.targets.clear()
    await notifier_service.deliver_due(svc.ctx)
    got = dict(zip(receiver.targets, receiver.received, strict=True))
    assert sorted(got) == sorted(f"{path}/{org}" for org in (sender, receiving))
    for org in (sender, receiving):
        headers, body = got[f"{path}/{org}"]
        Webhook(hooks[org]["secret"]).verify(body, headers)
        sent = event_body(body)
        assert sent["type"] == "xietong.case.referred.v1"
        assert sent["source"] == "/xietong/referral"
        assert sent["data"]["sender"] == sender
    for org in bystanders:
        r = await svc.client.get("/deliveries", headers=admin(svc, org))
        assert r.json()["total"] == 0


async def test_issue_24_a_record_event_from_another_service_is_refused(
    svc: RunningService, receiver: Receiver, towns: list[str], codes: dict[str, str]
) -> None:
    """A case.referred is trusted only from the referral service: from another, no
    delivery (refused before any is made)."""
    sender = towns[16]
    await subscribe(svc, sender, receiver.url("/forged"), kinds=["case.referred"])
    event = referred(sender, codes["dept"])
    forged = wrap(event, source="/xietong/assistance")
    with pytest.raises(EventNotFromItsOwner):
        async with svc.ctx.db.uow(actor=Principal.system("notifier")) as uow:
            await notifier_service.fan_out_record_event(
                uow, ctx=svc.ctx, kind=EventKind.CASE_REFERRED, envelope=forged, event=event
            )
    assert await deliveries_of(svc, forged.id) == []


async def test_issue_24_a_robot_is_told_in_chinese_that_a_referred_case_was_filed(
    svc: RunningService, receiver: Receiver, towns: list[str], codes: dict[str, str]
) -> None:
    """case.filed goes to the handler and the sender; a 企业微信 robot's text says what
    happened, between whom, the case number and when, in Chinese."""
    sender, handler = towns[17], codes["dept"]
    path = f"/cgi-bin/webhook/send/{uuid.uuid4().hex}"
    await subscribe(
        svc,
        sender,
        receiver.url(f"{path}?key=robot-17"),
        kinds=["case.filed"],
        format="wecom-robot",
    )
    event = filed(handler, sender)
    env = wrap(event)
    async with svc.ctx.db.uow(actor=Principal.system("notifier")) as uow:
        made = await notifier_service.fan_out_record_event(
            uow, ctx=svc.ctx, kind=EventKind.CASE_FILED, envelope=env, event=event
        )
    assert made == 1
    await notifier_service.deliver_due(svc.ctx)
    (body,) = [
        b
        for t, (_, b) in zip(receiver.targets, receiver.received, strict=True)
        if t.startswith(path)
    ]
    content = event_body(body)["text"]["content"]
    sender_zh = svc.ctx.directory.get(sender).name_zh  # type: ignore[union-attr]
    handler_zh = svc.ctx.directory.get(handler).name_zh  # type: ignore[union-attr]
    assert content.startswith("【协同监管平台】移送案件已立案")
    assert f"案件移送：{sender_zh} → {handler_zh}" in content
    assert f"记录：涪环罚立〔2026〕15号（referral:{event.referral_id}）" in content
    assert "北京时间" in content
