"""What callers send to the notifier API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from notifier.domain import EventKind

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
                }
            ]
        },
    )

    url: str = Field(min_length=8, max_length=URL_MAX, description=URL_DESCRIPTION)
    kinds: list[EventKind] = Field(
        min_length=1, max_length=len(EventKind), description="the event kinds to deliver"
    )
    description: str | None = Field(default=None, max_length=500, description="a note")
    active: bool = Field(default=True, description="false: nothing is delivered until enabled")

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
