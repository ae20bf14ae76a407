"""Settings of the referral service (env prefix `XIETONG_`), beside the shared ones."""

from __future__ import annotations

from pydantic import Field

from xietong_common.context import ServiceContext, settings_of
from xietong_common.documents import DocumentSettings


class ReferralSettings(DocumentSettings):
    """Where the notice says 'promptly' (及时), the number is a setting; breaches are recorded.
    Beside them, those of the documents it issues (REF-05..08)."""

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
        le=3650,
        description="REF-09: default statutory limit of the ordinary procedure in calendar days "
        "(行政处罚法 第六十条: 90 days from filing), counted from the day after filing to 24:00 "
        "China time on the last day",
    )
    referral_ongoing_inform_hours: int = Field(
        default=24,
        ge=1,
        le=720,
        description="REF-04: 'promptly' (及时) inform the party with jurisdiction of an ongoing "
        "violation: clock hours after the finding. The notice gives no number; 24 hours is the "
        "figure it uses for an urgent referral (REF-03)",
    )
    referral_onward_facts_similarity: float = Field(
        default=0.4,
        ge=0.2,
        le=1.0,
        description="REF-08: facts this alike to a case the sender received make a new referral "
        "a likely onward referral, held for the district government: the share of the shorter "
        "statement's words (jieba) found in the other. At 0.4, on the labelled set in the "
        "referral tests (20 paraphrases, 20 different cases of the same kinds), precision and "
        "recall are both 0.95; raise it to hold fewer, lower it to miss fewer",
    )
    referral_onward_window_days: int = Field(
        default=30,
        ge=0,
        le=3650,
        description="REF-08: the same place (town) found within this many days of a case the "
        "sender received, whatever matter code either names, make a new referral a likely "
        "onward referral",
    )

    # REF-09: the notice says only that a case is concluded within the statutory limit of its
    # procedure; the numbers below bound what a suspension or an extension can do to it.
    referral_suspension_max_count: int = Field(
        default=2,
        ge=0,
        le=20,
        description="REF-09: how many times one case's conclusion period may be suspended "
        "(中止). The notice gives no number; two covers awaiting an appraisal and awaiting "
        "another authority's decision. 0: no suspension",
    )
    referral_suspension_max_working_days: int = Field(
        default=60,
        ge=1,
        le=500,
        description="REF-09: working days one case may stand suspended in all; after them the "
        "clock restarts by itself with the days that were left (the deadline shown while "
        "suspended is that latest one). The notice gives no number; 60 working days is about "
        "three months",
    )
    referral_extension_max_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="REF-09: calendar days one extension (延长) may add to the conclusion "
        "period. The notice gives no number; 30 days is a default, and the law and article cited "
        "for the extension must allow what is asked",
    )
    referral_extension_max_count: int = Field(
        default=1,
        ge=0,
        le=10,
        description="REF-09: how many times one case's conclusion period may be extended",
    )


def referral_settings(ctx: ServiceContext) -> ReferralSettings:
    """The referral service's settings (SPEC.settings_class)."""
    return settings_of(ctx, ReferralSettings)
