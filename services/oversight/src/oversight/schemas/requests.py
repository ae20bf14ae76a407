"""What a caller may give the oversight API: filters of the assessment and the ledger."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

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
