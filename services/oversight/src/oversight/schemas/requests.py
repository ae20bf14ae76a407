"""What a caller may give the oversight API: filters of the assessment and the ledger."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from oversight.domain import RulingOutcome
from xietong_common.reasons import MIN_REASON

RuleId = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{2,8}-[0-9]{2}$", description="a rule ID of RULES.md", examples=["REF-07"]
    ),
]
PeriodText = Annotated[
    str,
    Field(
        max_length=20,
        description="a year (2026), a quarter (2026-Q4) or a month (2026-11), in China time; "
        "or give `from` and `to` instead. Neither: the current quarter",
        examples=["2026-Q4"],
    ),
]


class MechanismName(StrEnum):
    """The six services that report deadlines and facts."""

    INFO_SHARING = "info-sharing"
    ASSISTANCE = "assistance"
    REFERRAL = "referral"
    LEGAL_REVIEW = "legal-review"
    JOINT_INSPECTION = "joint-inspection"
    SECONDMENT = "secondment"


class RulingIn(BaseModel):
    """SUP-01: the justice bureau's ruling on a fact (督察认定)."""

    model_config = ConfigDict(extra="forbid")

    outcome: RulingOutcome = Field(
        description="`confirmed` (认定属实), `excused` (予以免责: give the reason) or "
        "`referred-for-accountability` (移送追责)",
        examples=["excused"],
    )
    reason: str | None = Field(
        default=None,
        max_length=2000,
        description=f"why; required for `excused` (at least {MIN_REASON} characters, "
        "punctuation not counted)",
        examples=["2027年节假日安排发布晚于期限起算日，期限按旧历计算"],
    )


class ReplyIn(BaseModel):
    """SUP-01: the organisation's statement on a fact before the ruling (陈述申辩)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=4000,
        description=f"what the organisation states (at least {MIN_REASON} characters)",
        examples=["该案移送时材料不全，已于次日电话告知并补正后办结"],
    )
