"""What a subscription's deliveries look like on the wire (`format`), and what each format
asks of its URL and secret. No I/O.

Every format's endpoint is the organisation's own (its robot's webhook URL, the district's
SMS gateway), registered and checked like any webhook URL (https, public addresses only).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from xietong_common.labels import LabelledEnum


class WebhookFormat(LabelledEnum):
    """How a delivery is rendered for its receiver (docs/webhooks.md, "Formats")."""

    CLOUDEVENTS = (
        "cloudevents",
        "CloudEvents 回调",
        "the CloudEvent (structured mode) signed as Standard Webhooks says (the default)",
    )
    WECOM_ROBOT = (
        "wecom-robot",
        "企业微信/政务微信群机器人（文本）",
        "a 企业微信/政务微信 group robot: msgtype text, Chinese message text",
    )
    WECOM_ROBOT_MARKDOWN = (
        "wecom-robot-markdown",
        "企业微信群机器人（Markdown）",
        "a 企业微信 group robot: msgtype markdown, Chinese message text",
    )
    DINGTALK_ROBOT = (
        "dingtalk-robot",
        "钉钉/浙政钉群机器人（加签）",
        "a 钉钉 group robot with 加签 signing (timestamp and sign query parameters): msgtype "
        "markdown, Chinese message text; its SEC… secret is the subscription's secret",
    )
    SMS_GATEWAY = (
        "sms-gateway",
        "短信网关",
        "the district's SMS gateway: a small JSON message with the Chinese text, signed as "
        "Standard Webhooks says",
    )


# DingTalk shows a robot's 加签 secret as `SEC` and 64 hex digits; other lengths are allowed.
DINGTALK_SECRET = re.compile(r"^SEC[0-9A-Za-z]{16,128}$")


def format_refusal(fmt: WebhookFormat, url: str, secret: str | None) -> str | None:
    """Why the URL or the secret does not fit the format (None: they fit)."""
    query = parse_qs(urlsplit(url).query)
    if fmt is WebhookFormat.DINGTALK_ROBOT:
        if secret is None or not DINGTALK_SECRET.match(secret):
            return "a dingtalk-robot subscription needs the robot's 加签 secret (SEC…) as `secret`"
        if "access_token" not in query:
            return "a 钉钉 robot's URL carries its access_token (…/robot/send?access_token=…)"
        return None
    if secret is not None:
        return "only a dingtalk-robot subscription takes a `secret` (others get a fresh one)"
    if (
        fmt in (WebhookFormat.WECOM_ROBOT, WebhookFormat.WECOM_ROBOT_MARKDOWN)
        and "key" not in query
    ):
        return "a group robot's URL carries its key (…/cgi-bin/webhook/send?key=…)"
    return None
