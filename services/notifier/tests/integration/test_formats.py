"""Delivery formats (issue 24's message adapters): a subscription's deliveries go out as the
CloudEvents webhook (the default), a 企业微信/政务微信 or 钉钉 group robot's message, or the SMS
gateway's JSON — each to the organisation's own URL, registered and checked like any webhook
URL; each checked here as the receiving platform would check it, with Chinese text and never
a personal ID number."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from notifier import service as notifier_service
from notifier.domain import EventKind
from notifier.settings import notifier_settings
from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ
from xietong_common.contracts.base import IntegrationEvent
from xietong_devtools.testing import RunningService

from .conftest import (
    Receiver,
    admin,
    approaching,
    breach,
    deliveries_of,
    envelope,
    serving,
    subscribe,
)
from .fake_sms import FakeSmsGateway

pytestmark = pytest.mark.integration

REFUSED = "urn:xietong:problem:notifier-target-refused"
INVALID = "urn:xietong:problem:invalid-input"
DINGTALK_SECRET = "SEC" + "3f9a7c2e" * 8
# A resident identity number (GB 11643-1999, valid check digit) that a record's reference or
# assignee might carry: it must never reach a message.
ID_NUMBER = "11010519491231002X"
MASKED = "110105********002X"


@pytest.fixture(scope="module")
async def sms_gateway() -> AsyncIterator[FakeSmsGateway]:
    app = FakeSmsGateway()
    async with serving(app) as port:
        app.port = port
        yield app


def name(svc: RunningService, code: str) -> str:
    org = svc.ctx.directory.get(code)
    assert org is not None
    return org.name_zh


def china(moment: datetime) -> str:
    local = moment.astimezone(CHINA_TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


async def fan_out(
    svc: RunningService, event: IntegrationEvent, *, kind: EventKind, counterparty: str | None
) -> str:
    env = envelope(event, source="/xietong/referral")
    async with svc.ctx.db.uow(actor=Principal.system("notifier")) as uow:
        await notifier_service.fan_out(
            uow,
            ctx=svc.ctx,
            kind=kind,
            envelope=env,
            mechanism="referral",
            organisation=str(getattr(event, "organisation")),  # noqa: B009
            counterparty=counterparty,
        )
    return env.id


def sent_to(receiver: Receiver, path: str) -> list[tuple[str, dict[str, str], bytes]]:
    return [
        (target, headers, body)
        for target, (headers, body) in zip(receiver.targets, receiver.received, strict=True)
        if urlsplit(target).path == path
    ]


async def test_sup_02_a_breach_reaches_a_dingtalk_robot_signed_as_dingtalk_verifies(
    svc: RunningService, receiver: Receiver, towns: list[str], codes: dict[str, str]
) -> None:
    """钉钉 加签: the robot's URL gets `timestamp` (ms) and `sign` = url-encoded base64 of
    HMAC-SHA256(secret, "timestamp\\nsecret"), recomputed here as DingTalk's server does;
    the body is msgtype markdown with the Chinese breach message."""
    owed, waiting = codes["dept"], towns[6]
    path = f"/robot/send/{uuid.uuid4().hex}"
    created = await subscribe(
        svc,
        waiting,
        receiver.url(f"{path}?access_token=robot-token-1"),
        format="dingtalk-robot",
        secret=DINGTALK_SECRET,
        kinds=["deadline.breached"],
    )
    assert created["format"] == "dingtalk-robot"
    event = breach(owed, waiting)
    event_id = await fan_out(svc, event, kind=EventKind.DEADLINE_BREACHED, counterparty=waiting)
    await notifier_service.deliver_due(svc.ctx)

    ((target, headers, body),) = sent_to(receiver, path)
    assert headers["content-type"].startswith("application/json")
    query = parse_qs(urlsplit(target).query, strict_parsing=True)
    assert query["access_token"] == ["robot-token-1"]
    (timestamp,) = query["timestamp"]
    (given,) = query["sign"]  # parse_qs url-decodes it, as DingTalk does
    assert abs(int(timestamp) - time.time() * 1000) < 3600 * 1000  # DingTalk's one hour
    expected = base64.b64encode(
        hmac.new(
            DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
        ).digest()
    ).decode()
    assert hmac.compare_digest(given, expected)

    message = json.loads(body)
    assert message["msgtype"] == "markdown"
    title, text = message["markdown"]["title"], message["markdown"]["text"]
    assert title == "逾期提醒：案件移送 REF-07"
    assert "逾期未办" in text
    assert f"{china(event.due_at)}（北京时间）" in text
    assert f"应办单位：{name(svc, owed)}；等待单位：{name(svc, waiting)}" in text
    assert event.subject in text
    (delivery,) = [d for d in await deliveries_of(svc, event_id) if d.organisation == waiting]
    assert delivery.state == "delivered"
    assert delivery.attempts == 1


@pytest.mark.parametrize("fmt", ["wecom-robot", "wecom-robot-markdown"])
async def test_sup_02_a_reminder_reaches_a_wecom_robot_in_chinese(
    svc: RunningService, receiver: Receiver, towns: list[str], fmt: str
) -> None:
    """企业微信/政务微信 group robot: `{"msgtype": "text", "text": {"content": …}}` or msgtype
    markdown, to the robot's own URL with its key; the reminder says which deadline, which
    record, due when in China time and the working days left."""
    town = towns[7]
    path = f"/cgi-bin/webhook/send/{uuid.uuid4().hex}"
    created = await subscribe(svc, town, receiver.url(f"{path}?key=robot-key-7"), format=fmt)
    assert created["format"] == fmt
    assert created["secret"].startswith("whsec_")
    event = approaching(town, None)
    await fan_out(svc, event, kind=EventKind.DEADLINE_APPROACHING, counterparty=None)
    await notifier_service.deliver_due(svc.ctx)

    ((target, headers, body),) = sent_to(receiver, path)
    assert parse_qs(urlsplit(target).query) == {"key": ["robot-key-7"]}
    assert headers["content-type"].startswith("application/json")
    assert "webhook-signature" not in headers  # the robot's key is its authentication
    message = json.loads(body)
    if fmt == "wecom-robot":
        assert set(message) == {"msgtype", "text"}
        assert message["msgtype"] == "text"
        content = message["text"]["content"]
        assert len(content.encode()) <= 2048
    else:
        assert set(message) == {"msgtype", "markdown"}
        assert message["msgtype"] == "markdown"
        content = message["markdown"]["content"]
        assert content.startswith("### 【协同监管平台】期限临近提醒")
        assert len(content.encode()) <= 4096
    assert f"{name(svc, town)}：案件移送事项「书面答复是否受理」（REF-07）" in content
    assert f"将于 {china(event.due_at)}（北京时间）到期" in content
    assert f"记录：{event.subject}" in content
    assert "剩余工作日：2 个（提前 2 个工作日提醒）" in content


async def test_sup_02_the_sms_gateway_gets_a_signed_short_message_its_fake_accepts(
    svc: RunningService, sms_gateway: FakeSmsGateway, towns: list[str], codes: dict[str, str]
) -> None:
    """The SMS gateway format: the documented JSON (`id`, `organisation`, `kind`, `rule`,
    `text`, `created_at`), signed per Standard Webhooks; the local fake gateway verifies the
    signature and the shape and keeps the text it would send."""
    town = towns[8]
    path = f"/sms/{uuid.uuid4().hex}"
    created = await subscribe(svc, town, sms_gateway.url(path), format="sms-gateway")
    sms_gateway.secrets[path] = created["secret"]
    event = breach(codes["dept"], town)
    await fan_out(svc, event, kind=EventKind.DEADLINE_BREACHED, counterparty=town)
    await notifier_service.deliver_due(svc.ctx)

    assert sms_gateway.refused == []
    (sent,) = [m for m in sms_gateway.sent if m["organisation"] == town]
    assert sent["kind"] == "deadline.breached"
    assert sent["rule"] == "REF-07"
    assert sent["text"].startswith("【协同监管平台】案件移送「书面答复是否受理」（REF-07）")
    assert f"已于 {china(event.due_at)} 到期，逾期未办" in sent["text"]
    assert f"应办单位 {name(svc, codes['dept'])}" in sent["text"]
    r = await svc.client.get(
        f"/deliveries?subscription_id={created['id']}", headers=admin(svc, town)
    )
    assert [(d["state"], d["last_status"]) for d in r.json()["items"]] == [("delivered", 200)]

    # A gateway that cannot verify the signature refuses it: the attempt failed, retried.
    sms_gateway.secrets[path] = "whsec_" + base64.b64encode(b"k" * 32).decode()
    await fan_out(svc, breach(town, None), kind=EventKind.DEADLINE_BREACHED, counterparty=None)
    await notifier_service.deliver_due(svc.ctx)
    assert sms_gateway.refused[-1][0] == 401
    r = await svc.client.get(
        f"/deliveries?subscription_id={created['id']}&state=pending", headers=admin(svc, town)
    )
    assert [d["last_status"] for d in r.json()["items"]] == [401]


async def test_sup_02_no_personal_id_number_reaches_any_message(
    svc: RunningService,
    receiver: Receiver,
    sms_gateway: FakeSmsGateway,
    towns: list[str],
) -> None:
    """A record whose reference (or named assignee) carries a resident identity number: the
    robots' and the SMS gateway's messages show it masked (first 6, last 4), never whole."""
    town = towns[9]
    base = f"/pii/{uuid.uuid4().hex}"
    for fmt in ("wecom-robot", "wecom-robot-markdown"):
        await subscribe(svc, town, receiver.url(f"{base}/{fmt}?key=k"), format=fmt)
    await subscribe(
        svc,
        town,
        receiver.url(f"{base}/dingtalk-robot?access_token=t"),
        format="dingtalk-robot",
        secret=DINGTALK_SECRET,
    )
    sms = await subscribe(svc, town, sms_gateway.url(f"{base}/sms"), format="sms-gateway")
    sms_gateway.secrets[f"{base}/sms"] = sms["secret"]
    event = approaching(town, None).model_copy(
        update={"reference": f"涪移回〔2026〕7号（当事人{ID_NUMBER}）", "assignee": ID_NUMBER}
    )
    await fan_out(svc, event, kind=EventKind.DEADLINE_APPROACHING, counterparty=None)
    await notifier_service.deliver_due(svc.ctx)

    robots = [b.decode() for t, h, b in sent_to_prefix(receiver, base)]
    texts = [json.dumps(json.loads(b), ensure_ascii=False) for b in robots]
    texts += [m["text"] for m in sms_gateway.sent if m["organisation"] == town]
    assert len(texts) == 4
    for text in texts:
        assert ID_NUMBER not in text
        assert ID_NUMBER.lower() not in text.lower()
        assert MASKED in text
        assert "涪移回〔2026〕7号" in text


def sent_to_prefix(receiver: Receiver, prefix: str) -> list[tuple[str, dict[str, str], bytes]]:
    return [
        (target, headers, body)
        for target, (headers, body) in zip(receiver.targets, receiver.received, strict=True)
        if target.startswith(prefix)
    ]


async def test_sup_02_a_robot_that_answers_an_errcode_is_a_failed_attempt(
    svc: RunningService, receiver: Receiver, towns: list[str]
) -> None:
    """钉钉 and 企业微信 robots answer their refusals with HTTP 200 and an errcode (a wrong
    sign: 310000): that attempt failed and is tried again; errcode 0 is delivered."""
    town = towns[10]
    path = f"/robot/refusing/{uuid.uuid4().hex}"
    sid = (
        await subscribe(
            svc,
            town,
            receiver.url(f"{path}?access_token=t"),
            format="dingtalk-robot",
            secret=DINGTALK_SECRET,
        )
    )["id"]
    await fan_out(svc, breach(town, None), kind=EventKind.DEADLINE_BREACHED, counterparty=None)
    receiver.answer = b'{"errcode":310000,"errmsg":"sign not match"}'
    try:
        await notifier_service.deliver_due(svc.ctx)
    finally:
        receiver.answer = b"{}"
    r = await svc.client.get(f"/deliveries?subscription_id={sid}", headers=admin(svc, town))
    (delivery,) = r.json()["items"]
    assert delivery["state"] == "pending"
    assert delivery["last_status"] == 200
    assert "errcode 310000" in delivery["last_error"]
    receiver.answer = b'{"errcode":0,"errmsg":"ok"}'
    try:
        await notifier_service.deliver_due(svc.ctx)
    finally:
        receiver.answer = b"{}"
    r = await svc.client.get(f"/deliveries/{delivery['id']}", headers=admin(svc, town))
    assert r.json()["state"] == "delivered"
    assert r.json()["attempts"] == 2


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"format": "telegram"}, INVALID),  # not a format
        ({"format": "dingtalk-robot"}, REFUSED),  # 加签 needs the robot's secret
        ({"format": "dingtalk-robot", "secret": "not-a-dingtalk-secret"}, REFUSED),
        ({"format": "wecom-robot", "secret": DINGTALK_SECRET}, REFUSED),  # a secret of its own
        ({"format": "cloudevents", "secret": DINGTALK_SECRET}, REFUSED),
        ({"format": "wecom-robot", "path": "/cgi-bin/webhook/send"}, REFUSED),  # no key
        ({"format": "dingtalk-robot", "secret": DINGTALK_SECRET, "path": "/robot"}, REFUSED),
    ],
)
async def test_a_bad_format_or_one_its_url_and_secret_do_not_fit_is_refused_422(
    svc: RunningService,
    receiver: Receiver,
    towns: list[str],
    body: dict[str, Any],
    problem: str,
) -> None:
    path = body.pop("path", "/robot/send?access_token=t&key=k")
    r = await svc.client.post(
        "/subscriptions",
        json={"url": receiver.url(path), "kinds": ["deadline.breached"], **body},
        headers=admin(svc, towns[11]),
    )
    assert r.status_code == 422, r.text
    assert r.json()["type"] == problem


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/robot/send?access_token=t",  # cloud metadata
        "https://10.0.0.8/robot/send?access_token=t",  # private
        "http://localhost:8080/robot/send?access_token=t",  # a name for loopback
        "https://[::ffff:127.0.0.1]/robot/send?access_token=t",
    ],
)
async def test_a_robots_url_is_checked_like_any_webhook_url(
    svc: RunningService, towns: list[str], url: str
) -> None:
    """Every format's endpoint goes through the same SSRF rules."""
    for fmt, extra in (
        ("dingtalk-robot", {"secret": DINGTALK_SECRET}),
        ("wecom-robot", {}),
        ("sms-gateway", {}),
    ):
        r = await svc.client.post(
            "/subscriptions",
            json={
                "url": url + "&key=k",
                "kinds": ["deadline.breached"],
                "format": fmt,
                **extra,
            },
            headers=admin(svc, towns[11]),
        )
        assert r.status_code == 422, (fmt, r.text)
        assert r.json()["type"] == REFUSED


async def test_the_format_is_fixed_once_registered(
    svc: RunningService, receiver: Receiver, towns: list[str]
) -> None:
    """A PATCH cannot change the format (register anew); a robot's new URL is checked for
    its key as a new one is; the default is the CloudEvents webhook."""
    town = towns[11]
    plain = await subscribe(svc, town, receiver.url("/plain"))
    assert plain["format"] == "cloudevents"
    robot = await subscribe(svc, town, receiver.url("/r?key=k"), format="wecom-robot")
    r = await svc.client.patch(
        f"/subscriptions/{plain['id']}", json={"format": "sms-gateway"}, headers=admin(svc, town)
    )
    assert r.status_code == 422
    r = await svc.client.patch(
        f"/subscriptions/{robot['id']}", json={"url": receiver.url("/r2")}, headers=admin(svc, town)
    )
    assert r.status_code == 422
    assert r.json()["type"] == REFUSED
    r = await svc.client.patch(
        f"/subscriptions/{robot['id']}",
        json={"url": receiver.url("/r2?key=k2")},
        headers=admin(svc, town),
    )
    assert r.status_code == 200, r.text
    assert r.json()["format"] == "wecom-robot"


async def test_issue_24_a_robot_message_links_to_the_record_in_the_workbench(
    svc: RunningService,
    receiver: Receiver,
    towns: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With XIETONG_WORKBENCH_PUBLIC_URL set, the message names the owed action in Chinese
    and links to the record's page in the workbench; with it empty, no link."""
    town = towns[12]
    path = f"/cgi-bin/webhook/send/{uuid.uuid4().hex}"
    await subscribe(svc, town, receiver.url(f"{path}?key=robot-key-12"), format="wecom-robot")
    settings = notifier_settings(svc.ctx)
    monkeypatch.setattr(settings, "workbench_public_url", "https://gzt.fuling.example.gov.cn")
    event = approaching(town, None)
    await fan_out(svc, event, kind=EventKind.DEADLINE_APPROACHING, counterparty=None)
    await notifier_service.deliver_due(svc.ctx)
    monkeypatch.setattr(settings, "workbench_public_url", "")
    unlinked = approaching(town, None)
    await fan_out(svc, unlinked, kind=EventKind.DEADLINE_APPROACHING, counterparty=None)
    await notifier_service.deliver_due(svc.ctx)

    (linked_body, bare_body) = [body for _, _, body in sent_to(receiver, path)]
    content = json.loads(linked_body)["text"]["content"]
    record_id = event.subject.partition(":")[2]
    assert "「书面答复是否受理」" in content
    assert content.endswith(f"查看：https://gzt.fuling.example.gov.cn/referrals/{record_id}")
    assert "http" not in json.loads(bare_body)["text"]["content"]
