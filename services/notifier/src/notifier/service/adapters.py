"""Message adapters: how one delivery becomes one HTTP request to a receiver.

An adapter takes the event (the CloudEvent as stored on the delivery), the delivery's id,
the subscription's secret (and, within a rotation's overlap, the previous one: `also`; the
Standard Webhooks formats sign with both, a 钉钉 robot knows only its current one), the moment of the attempt, how to name an organisation and the
organisation the delivery is for (the subscription's), and
returns the body, headers and any signed query parameters to POST; the delivery job does
the sending, the SSRF guard, the retries and the bookkeeping for every adapter alike. Which
adapter a delivery takes is its subscription's `format` (docs/webhooks.md, "Formats"):

- `cloudevents` (the default): the structured-mode CloudEvent signed per Standard Webhooks;
- `wecom-robot`, `wecom-robot-markdown`: a 企业微信/政务微信 group robot (msgtype text or
  markdown; the robot's key is in its URL);
- `dingtalk-robot`: a 钉钉/浙政钉 group robot (msgtype markdown) with its 加签 signing:
  `timestamp` (ms) and `sign` = url-encoded base64 HMAC-SHA256 of "timestamp\\nsecret";
- `sms-gateway`: the district's SMS gateway, a small JSON message signed per Standard
  Webhooks.

The robots and the SMS gateway get Chinese text from the templates in
`notifier.domain.messages`, with any personal ID number masked. Their endpoints are the
receiving organisation's own, registered as any webhook URL is and checked the same way;
none is built in, and nothing is fetched from the internet.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote_plus

from notifier.domain import WebhookFormat, compose, dingtalk_sign, signature_headers
from notifier.domain.messages import kind_of

CLOUDEVENTS_JSON = "application/cloudevents+json; charset=utf-8"
JSON = "application/json; charset=utf-8"
# The robots' documented limits of one message's content, in UTF-8 bytes.
WECOM_TEXT_MAX = 2048
WECOM_MARKDOWN_MAX = 4096
DINGTALK_MAX = 20000


@dataclass(frozen=True)
class Outgoing:
    """One request's body and headers, and query parameters (already url-encoded) to add to
    the subscription's URL."""

    body: bytes
    headers: dict[str, str]
    query: str = ""


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _clip(text: str, limit: int) -> str:
    """The text cut to `limit` UTF-8 bytes at a character boundary."""
    raw = text.encode()
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", "ignore")


def _name_as_is(code: str) -> str:
    return code


def _no_link(subject: str) -> str | None:
    return None


class MessageAdapter(Protocol):
    """Renders a delivery for one kind of receiver."""

    name: str

    def render(
        self,
        *,
        delivery_id: str,
        event: dict[str, Any],
        secret: str,
        also: tuple[str, ...] = (),
        now: datetime,
        name: Callable[[str], str] = _name_as_is,
        link: Callable[[str], str | None] = _no_link,
        recipient: str = "",
    ) -> Outgoing: ...

    def refusal(self, answer: bytes) -> str | None:
        """Why a 2xx answer still refuses the message (a robot answers errors with 200 and
        an `errcode`); None: accepted."""
        ...


class CloudEventsWebhook:
    """The CloudEvent (HTTP binding, structured mode), signed as Standard Webhooks says:
    `webhook-id` the delivery's id (the same on every retry), `webhook-timestamp` the
    attempt's moment, `webhook-signature` v1 HMAC-SHA256 over id, timestamp and body."""

    name = WebhookFormat.CLOUDEVENTS.value

    def render(
        self,
        *,
        delivery_id: str,
        event: dict[str, Any],
        secret: str,
        also: tuple[str, ...] = (),
        now: datetime,
        name: Callable[[str], str] = _name_as_is,
        link: Callable[[str], str | None] = _no_link,
        recipient: str = "",
    ) -> Outgoing:
        body = _dumps(event)
        signed = signature_headers(
            secret, msg_id=delivery_id, timestamp=int(now.timestamp()), body=body, also=also
        )
        return Outgoing(body=body, headers={"content-type": CLOUDEVENTS_JSON, **signed})

    def refusal(self, answer: bytes) -> str | None:
        return None


def robot_refusal(answer: bytes) -> str | None:
    """企业微信 and 钉钉 robots answer 200 with `{"errcode": 0, "errmsg": "ok"}`, or with
    another errcode when they refuse (a wrong key or sign, too many messages)."""
    try:
        parsed = json.loads(answer or b"{}")
    except ValueError:
        return None  # not the robot's JSON: a proxy's answer; the 2xx stands
    if not isinstance(parsed, dict):
        return None
    code = parsed.get("errcode", 0)
    if code in (0, "0", None):
        return None
    return f"the robot refused it: errcode {code}, {parsed.get('errmsg', '')}".strip(", ")


class WeComRobot:
    """企业微信/政务微信 group robot (群机器人): POST to the robot's own webhook URL (its key in
    the query) `{"msgtype": "text", "text": {"content": …}}`, or msgtype markdown."""

    def __init__(self, *, markdown: bool) -> None:
        self.markdown = markdown
        self.name = (
            WebhookFormat.WECOM_ROBOT_MARKDOWN if markdown else WebhookFormat.WECOM_ROBOT
        ).value

    def render(
        self,
        *,
        delivery_id: str,
        event: dict[str, Any],
        secret: str,
        also: tuple[str, ...] = (),
        now: datetime,
        name: Callable[[str], str] = _name_as_is,
        link: Callable[[str], str | None] = _no_link,
        recipient: str = "",
    ) -> Outgoing:
        message = compose(event, name=name, link=link)
        if self.markdown:
            body = {
                "msgtype": "markdown",
                "markdown": {"content": _clip(message.markdown, WECOM_MARKDOWN_MAX)},
            }
        else:
            body = {"msgtype": "text", "text": {"content": _clip(message.text, WECOM_TEXT_MAX)}}
        return Outgoing(body=_dumps(body), headers={"content-type": JSON})

    def refusal(self, answer: bytes) -> str | None:
        return robot_refusal(answer)


class DingTalkRobot:
    """钉钉/浙政钉 group robot (自定义机器人) with 加签: POST to its webhook URL (its
    access_token in the query) with `timestamp` (ms) and `sign` added, `{"msgtype":
    "markdown", "markdown": {"title": …, "text": …}}`. The secret is the robot's SEC…
    secret the organisation registered."""

    name = WebhookFormat.DINGTALK_ROBOT.value

    def render(
        self,
        *,
        delivery_id: str,
        event: dict[str, Any],
        secret: str,
        also: tuple[str, ...] = (),
        now: datetime,
        name: Callable[[str], str] = _name_as_is,
        link: Callable[[str], str | None] = _no_link,
        recipient: str = "",
    ) -> Outgoing:
        message = compose(event, name=name, link=link)
        body = {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": _clip(message.markdown, DINGTALK_MAX)},
        }
        timestamp_ms = int(now.timestamp() * 1000)
        sign = dingtalk_sign(secret, timestamp_ms=timestamp_ms)
        return Outgoing(
            body=_dumps(body),
            headers={"content-type": JSON},
            query=f"timestamp={timestamp_ms}&sign={quote_plus(sign)}",
        )

    def refusal(self, answer: bytes) -> str | None:
        return robot_refusal(answer)


class SmsGateway:
    """The district's SMS gateway (短信网关): a small JSON message (docs/webhooks.md, "SMS
    gateway"), signed per Standard Webhooks like the CloudEvents webhook; the gateway sends
    `text` to the phones it keeps for `organisation`, the subscription's (no phone number
    leaves here)."""

    name = WebhookFormat.SMS_GATEWAY.value

    def render(
        self,
        *,
        delivery_id: str,
        event: dict[str, Any],
        secret: str,
        also: tuple[str, ...] = (),
        now: datetime,
        name: Callable[[str], str] = _name_as_is,
        link: Callable[[str], str | None] = _no_link,
        recipient: str = "",
    ) -> Outgoing:
        message = compose(event, name=name, link=link)
        data = event.get("data") or {}
        body = _dumps(
            {
                "id": delivery_id,
                "organisation": recipient or data.get("organisation"),
                "kind": kind_of(event),
                "rule": data.get("rule"),
                "text": message.sms_text,
                "created_at": now.isoformat(),
            }
        )
        signed = signature_headers(
            secret, msg_id=delivery_id, timestamp=int(now.timestamp()), body=body, also=also
        )
        return Outgoing(body=body, headers={"content-type": JSON, **signed})

    def refusal(self, answer: bytes) -> str | None:
        return None


ADAPTERS: dict[str, MessageAdapter] = {
    adapter.name: adapter
    for adapter in (
        CloudEventsWebhook(),
        WeComRobot(markdown=False),
        WeComRobot(markdown=True),
        DingTalkRobot(),
        SmsGateway(),
    )
}
DEFAULT_ADAPTER = WebhookFormat.CLOUDEVENTS.value
assert set(ADAPTERS) == {f.value for f in WebhookFormat}, "an adapter for every format"
