"""Settings of the information sharing service (env prefix `XIETONG_`), beside the shared ones.

Where the notice says 'promptly' (及时) without a number, the number is a setting here with a
documented default; it is never presented as law.
"""

from __future__ import annotations

from pydantic import Field

from xietong_common.context import ServiceContext, settings_of
from xietong_common.settings import ServiceSettings


class InfoSettings(ServiceSettings):
    """The information sharing service's own settings."""

    info_read_working_days: int = Field(
        default=3,
        ge=1,
        le=60,
        description="INFO-03 'promptly' (及时): working days (调休 included) within which an "
        "item delivered to an inbox is to be read; later, it is listed for oversight and "
        "`info.unread-overdue` is published once. A setting, not a number of the notice.",
    )
    info_unread_report_every_s: float = Field(
        default=900.0,
        gt=0,
        description="how often unread items past the setting are looked for and reported",
    )
    info_search_rank_window: int = Field(
        default=2000,
        ge=20,
        le=100_000,
        description="search by relevance ranks the newest N matches of the query (a word in "
        "nearly every item would otherwise rank the whole table); sort by date reaches all",
    )
    info_search_count_limit: int = Field(
        default=10_000,
        ge=100,
        le=10_000_000,
        description="a search's total is exact up to this many matches (`total_exact`)",
    )
    info_max_subscriptions_per_org: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="subscriptions an organisation may hold at once (bounds each fan-out)",
    )


def info_settings(ctx: ServiceContext) -> InfoSettings:
    """The information sharing service's settings (SPEC.settings_class)."""
    return settings_of(ctx, InfoSettings)
