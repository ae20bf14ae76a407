"""Settings of the oversight service (env prefix `XIETONG_`), beside the shared ones."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from xietong_common.context import ServiceContext, settings_of
from xietong_common.settings import ServiceSettings


class OversightSettings(ServiceSettings):
    """What the overseer may tune; the notice gives no number for any of it."""

    oversight_max_range_days: int = Field(
        default=3 * 366,
        ge=1,
        le=101 * 366,
        description="SUP-02: the longest from/to range an assessment covers (days), so one "
        "request never counts a century of the ledger",
    )
    oversight_audit_keys_dir: Path | None = Field(
        default=None,
        description="SUP-01, the outsider: a directory of each service's trusted audit "
        "public keys, `<service>.pem` (PEM 'PUBLIC KEY' blocks, as `xietong audit public-key "
        "SERVICE` prints them: the current key and earlier ones). Unset: the keys each "
        "service itself trusts under audit_key_dir (development and tests: .local/audit-keys)",
    )
    oversight_calendar_watch_every_s: float = Field(
        default=3600.0,
        gt=0,
        description="SUP-02: how often the calendar watch looks for next year's holiday "
        "schedule (its alarm is raised at most once per China day)",
    )


def oversight_settings(ctx: ServiceContext) -> OversightSettings:
    """The oversight service's settings (SPEC.settings_class)."""
    return settings_of(ctx, OversightSettings)
