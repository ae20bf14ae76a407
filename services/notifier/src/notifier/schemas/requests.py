"""What callers send to the notifier API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from notifier.domain import EventKind, WebhookFormat

URL_MAX = 2048
URL_DESCRIPTION = (
    "where deliveries are POSTed: https:// (http:// only where the operator allows it), a "
    "host that resolves to public addresses only (never loopback, private, link-local or "
    "metadata addresses), no credentials; redirects are not followed"
)


def _distinct(kinds: list[EventKind]) -> list[EventKind]:
    return list(dict.fromkeys(kinds))


class SubscriptionCreate(BaseModel):
    """A webhook endpoint of the caller's organisation and the event kinds it wants."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://oa.lizhi.example.gov.cn/hooks/xietong",
                    "kinds": ["deadline.approaching", "deadline.breached"],
                    "description": "李渡街道协同办公平台",
                },
                {
                    "url": "https://oapi.dingtalk.com/robot/send?access_token="
                    "5f1c0a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a",
                    "kinds": ["deadline.breached"],
                    "format": "dingtalk-robot",
                    "secret": "SEC0f9d5e3c2b1a0f9d5e3c2b1a0f9d5e3c2b1a0f9d5e3c2b1a0f9d5e3c2b1a0f9d",
                    "description": "执法局值班群钉钉机器人",
                },
                {
                    "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
                    "?key=693a91f6-7f4c-4b1e-9c2d-2b7e5a8c3d10",
                    "kinds": ["deadline.approaching", "deadline.breached"],
                    "format": "wecom-robot",
                    "description": "李渡街道综合执法群",
                },
            ]
        },
    )

    url: str = Field(min_length=8, max_length=URL_MAX, description=URL_DESCRIPTION)
    kinds: list[EventKind] = Field(
        min_length=1, max_length=len(EventKind), description="the event kinds to deliver"
    )
    description: str | None = Field(default=None, max_length=500, description="a note")
    active: bool = Field(default=True, description="false: nothing is delivered until enabled")
    format: WebhookFormat = Field(
        default=WebhookFormat.CLOUDEVENTS,
        description="how deliveries are rendered: the signed CloudEvent (default), a "
        "企业微信/政务微信 or 钉钉 group robot's message, the SMS gateway's JSON "
        "(docs/webhooks.md); fixed once registered (register anew to change it)",
    )
    secret: str | None = Field(
        default=None,
        min_length=19,
        max_length=200,
        description="dingtalk-robot only, and required there: the robot's 加签 secret (SEC…) "
        "its messages are signed with; every other format gets a fresh whsec_ secret",
    )

    _kinds = field_validator("kinds")(_distinct)


class SubscriptionUpdate(BaseModel):
    """The fields to change (others stay); a new URL is checked as a new one is."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"active": False}]})

    url: str | None = Field(
        default=None, min_length=8, max_length=URL_MAX, description=URL_DESCRIPTION
    )
    kinds: list[EventKind] | None = Field(default=None, min_length=1, max_length=len(EventKind))
    description: str | None = Field(default=None, max_length=500)
    active: bool | None = None

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, kinds: list[EventKind] | None) -> list[EventKind] | None:
        return None if kinds is None else _distinct(kinds)


class SecretRotation(BaseModel):
    """A new signing secret for the subscription (docs/webhooks.md, "Rotating the secret")."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}]})

    secret: str | None = Field(
        default=None,
        min_length=19,
        max_length=200,
        description="dingtalk-robot only, and required there: the robot's new 加签 secret "
        "(SEC…), set in the robot first; every other format gets a fresh whsec_ secret",
    )
