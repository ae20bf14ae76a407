"""Settings of the oversight service (env prefix `XIETONG_`), beside the shared ones."""

from __future__ import annotations

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


def oversight_settings(ctx: ServiceContext) -> OversightSettings:
    """The oversight service's settings (SPEC.settings_class)."""
    return settings_of(ctx, OversightSettings)
