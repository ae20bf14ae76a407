"""Message adapters: how one delivery becomes one HTTP request to a receiver.

An adapter takes the event (the CloudEvent as stored on the delivery), the delivery's id,
the subscription's secret and the moment of the attempt, and returns the body and headers
to POST; the delivery job does the sending, the SSRF guard, the retries and the bookkeeping
for every adapter alike. One adapter exists: `CloudEventsWebhook`, the structured-mode
CloudEvent signed per Standard Webhooks (docs/webhooks.md).

The place for the others issue 24 names — 企业微信/政务微信 group robot, 钉钉 robot (with
its own signing), an SMS gateway — is another class here with the same `render`, chosen by
a `format` of the subscription (a column and a request field still to add), with Chinese
message text from templates and no personal ID numbers in it. Their endpoints are the
receiving organisation's own (a robot's webhook URL, the district's SMS gateway), registered
as any webhook URL is and checked the same way; none is built in, and nothing is fetched
from the internet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from notifier.domain import signature_headers

CLOUDEVENTS_JSON = "application/cloudevents+json; charset=utf-8"


@dataclass(frozen=True)
class Outgoing:
    """One request's body and headers."""

    body: bytes
    headers: dict[str, str]


class MessageAdapter(Protocol):
    """Renders a delivery for one kind of receiver."""

    name: str

    def render(
        self, *, delivery_id: str, event: dict[str, Any], secret: str, now: datetime
    ) -> Outgoing: ...


class CloudEventsWebhook:
    """The CloudEvent (HTTP binding, structured mode), signed as Standard Webhooks says:
    `webhook-id` the delivery's id (the same on every retry), `webhook-timestamp` the
    attempt's moment, `webhook-signature` v1 HMAC-SHA256 over id, timestamp and body."""

    name = "cloudevents"

    def render(
        self, *, delivery_id: str, event: dict[str, Any], secret: str, now: datetime
    ) -> Outgoing:
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        signed = signature_headers(
            secret, msg_id=delivery_id, timestamp=int(now.timestamp()), body=body
        )
        return Outgoing(body=body, headers={"content-type": CLOUDEVENTS_JSON, **signed})


ADAPTERS: dict[str, MessageAdapter] = {CloudEventsWebhook.name: CloudEventsWebhook()}
DEFAULT_ADAPTER = CloudEventsWebhook.name
