"""Settings of the notifier service (env prefix `XIETONG_`), beside the shared ones.

The notice says nothing of webhooks; every number here is an operating choice with a
default that keeps a receiver's outage of a day from losing a message (issue 24: retried
for at least 24 hours, then dead-lettered).
"""

from __future__ import annotations

from pydantic import Field

from xietong_common.context import ServiceContext, settings_of
from xietong_common.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    """Webhook delivery: targets, retries, limits."""

    notifier_allow_http: bool = Field(
        default=False,
        description="accept `http://` webhook URLs (local development only): deliveries then "
        "travel unencrypted; production keeps `https://` only",
    )
    notifier_allowed_private_hosts: list[str] = Field(
        default_factory=list,
        description="host names or addresses exempt from the refusal of private, loopback and "
        "link-local targets (an operator's named internal receiver; the tests' 127.0.0.1). "
        "Compared with the URL's host exactly; empty: every target must resolve to public "
        "addresses only",
    )
    notifier_delivery_every_s: float = Field(
        default=2.0, gt=0, description="seconds between runs of the delivery job"
    )
    notifier_delivery_batch: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="deliveries sent per run at most (at most one per subscription per run, so "
        "a slow or dead receiver never holds back another's)",
    )
    notifier_delivery_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=120,
        description="seconds a receiver has to answer one POST (connect, send, read) before "
        "the attempt counts as failed",
    )
    notifier_max_attempts: int = Field(
        default=22,
        ge=1,
        le=100,
        description="attempts before a delivery is dead (with the default backoff, 22 attempts "
        "span about 27 hours: issue 24 asks for at least 24)",
    )
    notifier_backoff_initial_s: float = Field(
        default=10.0,
        ge=0,
        description="wait after the first failed attempt; doubled after each further failure",
    )
    notifier_backoff_max_s: float = Field(
        default=7200.0, ge=0, description="the longest wait between two attempts"
    )
    notifier_max_response_bytes: int = Field(
        default=4096,
        ge=0,
        le=1_048_576,
        description="bytes of a receiver's answer kept with a failed attempt (the rest is "
        "never read)",
    )


def notifier_settings(ctx: ServiceContext) -> NotifierSettings:
    """The notifier service's settings (SPEC.settings_class)."""
    return settings_of(ctx, NotifierSettings)
