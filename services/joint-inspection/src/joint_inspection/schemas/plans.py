"""Plans (INSP-01), their adjustments and draws (INSP-02)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from joint_inspection.domain import AdjustmentKind, InspectionMethod, NoticePolicy, PlanBasis
from joint_inspection.schemas.common import Industry, Seed, StateOut
from xietong_common.schemas import Code, Day, Line, ShortText, Strict, Text, Timestamp


def _to_hundredths(value: Decimal) -> Decimal:
    """`10`, `1e1` and `10.0` are the same percent: kept as `10.00`."""
    return (value + 0).quantize(Decimal("0.01"))


Percent = Annotated[
    Decimal,
    Field(ge=0, le=100, max_digits=5, decimal_places=2, allow_inf_nan=False, examples=["10"]),
    AfterValidator(_to_hundredths),
]


# A plan has at most this many rules (INSP-01: per type of target or supervision level);
# a rule is named by its position in the plan.
MAX_RULES = 50
RulePosition = Annotated[int, Field(ge=0, le=MAX_RULES - 1)]


class RuleIn(Strict):
    """INSP-01: frequency and proportion for one type of target or level (`value` null: every
    other target of the town)."""

    value: Industry | None = Field(default=None, examples=["餐饮"])
    frequency: int = Field(ge=1, le=366, description="inspection rounds in the plan's period")
    proportion: Percent = Field(description="percent of the group drawn in each round")


class PlanIn(Strict):
    """A town's inspection plan (检查工作计划) for one application scenario (应用场景)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "2024年荔枝街道沿街餐饮综合查一次工作计划",
                    "scenario": "沿街餐饮店综合查一次",
                    "period_start": "2024-03-01",
                    "period_end": "2024-12-31",
                    "basis": "level",
                    "rules": [
                        {"value": "d", "frequency": 4, "proportion": "100"},
                        {"value": "c", "frequency": 2, "proportion": "50"},
                        {"value": None, "frequency": 1, "proportion": "10"},
                    ],
                    "clean_proportion": "3",
                    "targeting_threshold": 20,
                    "matter_codes": ["URB-001", "FIR-001"],
                }
            ]
        },
    )

    title: Line
    scenario: Line = Field(description="应用场景 of 综合查一次")
    period_start: Day
    period_end: Day
    basis: PlanBasis
    rules: list[RuleIn] = Field(min_length=1, max_length=MAX_RULES)
    clean_proportion: Percent = Field(
        description="INSP-02: percent of 守法诚信 targets still drawn; beyond it they are left "
        "alone (无事不扰)"
    )
    targeting_threshold: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="INSP-02: a target whose risk reaches this is always drawn (针对性检查)",
    )
    matter_codes: list[Code] = Field(min_length=1, max_length=50)
    notes: ShortText | None = None


class PlanUpdate(Strict):
    """Changes to a draft plan (an adopted plan changes only by adjustment, with a reason)."""

    title: Line | None = None
    scenario: Line | None = None
    period_start: Day | None = None
    period_end: Day | None = None
    basis: PlanBasis | None = None
    rules: list[RuleIn] | None = Field(default=None, min_length=1, max_length=MAX_RULES)
    clean_proportion: Percent | None = None
    targeting_threshold: int | None = Field(default=None, ge=1, le=1_000_000)
    matter_codes: list[Code] | None = Field(default=None, min_length=1, max_length=50)
    notes: ShortText | None = None


class AdjustmentIn(Strict):
    """INSP-02: a signal adjusts the plan — a target is added for targeted inspection, or a
    rule's frequency or proportion changes — with the reason on record."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "add-target",
                    "signal_id": "6f1c1f0e-1f77-4a4e-9d8e-6c8b0d6c2b11",
                    "reason": "媒体报道该店后厨卫生问题，列入本轮定向检查",
                }
            ]
        },
    )

    kind: AdjustmentKind
    signal_id: uuid.UUID | None = Field(default=None, description="the signal behind it")
    rule_position: RulePosition | None = None
    frequency: int | None = Field(default=None, ge=1, le=366)
    proportion: Percent | None = None
    reason: Text


class DrawIn(Strict):
    """INSP-02: draw the targets of a round; the seed is made by the service and recorded."""

    round: int = Field(ge=1, le=366, examples=[1])


class RerunIn(Strict):
    """Re-run a recorded draw on the register as it stood; another seed shows another draw."""

    seed: Seed | None = None


class OrderFromSelectionIn(Strict):
    """INSP-03: a work order from drawn targets (those given, or the next `limit` by rank)."""

    target_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=500)
    limit: int = Field(default=50, ge=1, le=500)
    title: Line
    method: InspectionMethod = InspectionMethod.ON_SITE
    planned_start: Timestamp
    planned_end: Timestamp
    notice_policy: NoticePolicy | None = None


# ---- responses ----------------------------------------------------------------------------------


class RuleOut(BaseModel):
    position: int
    value: str | None
    frequency: int
    proportion: Decimal


class PlanOut(BaseModel):
    id: uuid.UUID
    town: str
    title: str
    scenario: str
    period_start: date
    period_end: date
    basis: StateOut
    rules: list[RuleOut]
    clean_proportion: Decimal
    targeting_threshold: int | None
    matter_codes: list[str]
    notes: str | None
    state: StateOut
    created_at: datetime
    adopted_at: datetime | None


class AdjustmentOut(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    kind: StateOut
    signal_id: uuid.UUID | None
    target_id: uuid.UUID | None
    rule_position: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str
    made_at: datetime
    made_by: str


class SelectionOut(BaseModel):
    """INSP-02: a recorded draw: seed, algorithm, inputs and what came of it."""

    id: uuid.UUID
    plan_id: uuid.UUID
    round: int
    seed: str
    algorithm: str
    parameters: dict[str, Any]
    drawn_at: datetime
    drawn_by: str
    candidates: int
    drawn: int
    digest: str = Field(description="SHA-256 of the drawn targets in rank order")


class EntryOut(BaseModel):
    """One candidate of a draw, with why it was or was not drawn."""

    target_id: uuid.UUID
    target_name: str
    rule_position: int
    risk: int
    law_abiding: bool
    tier: int = Field(description="0 added by a signal, 1 risk over the threshold, 2 drawn by lot")
    draw_key: int
    rank: int
    drawn: bool
    order_id: uuid.UUID | None


class RerunOut(BaseModel):
    """The draw re-run in the database as the register stood at the time of the draw."""

    selection_id: uuid.UUID
    seed: str
    recorded_seed: bool
    candidates: int
    drawn: int
    digest: str
    matches: bool = Field(description="the same candidates, keys, ranks and drawn targets")
    differences: list[dict[str, Any]] = Field(description="the first differences, if any")
    drawn_targets: list[uuid.UUID] = Field(
        description="the targets this run draws, in group and rank order (the first 500)"
    )
