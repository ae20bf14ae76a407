"""Settings of the referral service (env prefix `XIETONG_`), beside the shared ones."""

from __future__ import annotations

from pydantic import Field

from xietong_common.context import ServiceContext, settings_of
from xietong_common.settings import ServiceSettings


class ReferralSettings(ServiceSettings):
    """Where the notice says 'promptly' (及时), the number is a setting; breaches are recorded."""

    referral_require_leader_approval: bool = Field(
        default=False, description="a leader approves each referral before it is sent"
    )
    referral_receipt_working_days: int | None = Field(
        default=2,
        ge=1,
        description="REF-06: working days to sign the 送达回证 after sending (None: not tracked)",
    )
    referral_filing_working_days: int = Field(
        default=5, ge=1, description="REF-09: 'promptly' file (立案) an accepted or assigned case"
    )
    referral_ordinary_procedure_days: int = Field(
        default=90,
        ge=1,
        description="REF-09: default statutory limit of the ordinary procedure (行政处罚法 第六十条)",
    )


def referral_settings(ctx: ServiceContext) -> ReferralSettings:
    """The referral service's settings (SPEC.settings_class)."""
    return settings_of(ctx, ReferralSettings)
