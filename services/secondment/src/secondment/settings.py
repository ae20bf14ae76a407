"""Settings of the secondment and guidance service (env prefix `XIETONG_`), beside the shared ones.

The notice gives no numbers in 二(六); these are the service's own bounds and readings, each
with a documented default. None of them is presented as law.
"""

from __future__ import annotations

from pydantic import Field

from xietong_common.context import ServiceContext, settings_of
from xietong_common.settings import ServiceSettings


class SecondmentSettings(ServiceSettings):
    """The secondment and guidance service's own settings."""

    secondment_roster_max_rows: int = Field(
        default=20_000,
        ge=1,
        le=200_000,
        description="most officer rows one roster sheet may hold (a department's whole list)",
    )
    secondment_roster_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        description="largest roster file (.xlsx or CSV) accepted for import",
    )
    secondment_zone_min_towns: int = Field(
        default=2,
        ge=1,
        description="SEC-02: towns a zone team (划片/包片) covers at least; a zone of one town "
        "would be a stationed team under another name. 1 relaxes the reading",
    )
    secondment_max_backdate_days: int = Field(
        default=0,
        ge=0,
        le=3660,
        description="SEC-04: how many days before today (China time) a new roster version may "
        "take effect. 0: never back-dated, so a list cannot be rewritten after the fact to "
        "cover an officer who acted where he had no place. Raise it only for an initial load "
        "of historical lists",
    )
    secondment_certificate_warning_days: int = Field(
        default=30,
        ge=0,
        le=366,
        description="an import warns about certificates that expire within this many days of "
        "the version's effective date (already expired ones are always named)",
    )


def secondment_settings(ctx: ServiceContext) -> SecondmentSettings:
    """The secondment service's settings (SPEC.settings_class)."""
    return settings_of(ctx, SecondmentSettings)
