"""Events about statutory deadlines (oversight, 三(四); SUP-02)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from xietong_common.contracts.base import IntegrationEvent, event
from xietong_common.labels import LabelledEnum

ALL_MECHANISMS = (
    "info-sharing",
    "assistance",
    "referral",
    "legal-review",
    "joint-inspection",
    "secondment",
)


class BreachKind(LabelledEnum):
    """How the deadline was missed."""

    LATE_ACTION = (
        "late-action",
        "逾期办理",
        "done after the deadline",
    )  # the action happened, after the deadline
    NO_ACTION = (
        "no-action",
        "逾期未办",
        "deadline passed with nothing done",
    )  # the deadline passed with nothing done


@event(
    "deadline.breached",
    producers=ALL_MECHANISMS,
    consumers=("oversight (SUP, planned)",),
)
class DeadlineBreached(IntegrationEvent):
    """A statutory deadline was missed: by whom, under which rule, when it was due."""

    deadline_id: str = Field(description="id of the tracked deadline in the producing service")
    organisation: str = Field(
        description="the organisation that owed the action", examples=["town:lizhi"]
    )
    rule: str = Field(examples=["REF-07"])
    subject: str = Field(description="what the deadline is about", examples=["referral:0b9c…"])
    action: str = Field(description="the action that was due", examples=["answer"])
    due_at: datetime
    actual_at: datetime | None = Field(
        default=None, description="when the action happened (None for no-action breaches)"
    )
    kind: BreachKind
    mechanism: str = Field(examples=["referral"])
