"""INSP-01/02: a town's inspection plan (检查工作计划) per application scenario, its rules
(frequency and proportion by type of target or supervision level) and its adjustments. No I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from joint_inspection.domain.targets import SupervisionLevel
from joint_inspection.errors import InspectionInvalidTransition, InvalidPlan
from xietong_common.errors import AppError
from xietong_common.labels import LabelledEnum
from xietong_common.states import Transitions


class PlanState(LabelledEnum):
    """Where a plan stands; once adopted its rules change only by a recorded adjustment."""

    DRAFT = "draft", "草拟"
    ADOPTED = "adopted", "已印发实施", "adopted"


class PlanStep(LabelledEnum):
    EDIT = "edit", "修改", "edit the draft"
    ADOPT = "adopt", "印发实施", "adopt"
    ADJUST = "adjust", "调整计划", "adjust the plan"
    DRAW = "draw", "抽取检查对象", "draw the targets of a round"
    COMMIT = "commit", "固定名录快照和随机种子承诺", "commit a round (register and seed)"


class PlanBasis(LabelledEnum):
    """INSP-01: the plan sets frequency and proportion by type of target or by level."""

    INDUSTRY = "industry", "按检查对象类型（行业）", "by type of target (industry)"
    LEVEL = "level", "按监管等级", "by supervision level"


class AdjustmentKind(LabelledEnum):
    """INSP-02: how a signal adjusts a plan (调整和优化检查工作计划)."""

    ADD_TARGET = (
        "add-target",
        "将检查对象列入计划（定向检查）",
        "add a target (targeted inspection)",
    )
    CHANGE_RULE = "change-rule", "调整检查频次和比例", "change a rule's frequency or proportion"


def _refuse(state: PlanState, step: PlanStep, allowed: frozenset[PlanState]) -> AppError:
    return InspectionInvalidTransition(
        f"a plan in state {state.value} cannot {step.value}",
        zh=f"处于“{state.label_zh}”状态的检查计划不能“{step.label_zh}”",
        state=state.value,
        step=step.value,
        allowed_states=sorted(s.value for s in allowed),
        rule="INSP-01",
    )


PLAN_TRANSITIONS: Transitions[PlanState, PlanStep] = Transitions(
    {
        PlanStep.EDIT: ({PlanState.DRAFT}, None),
        PlanStep.ADOPT: ({PlanState.DRAFT}, PlanState.ADOPTED),
        PlanStep.ADJUST: ({PlanState.ADOPTED}, None),
        PlanStep.DRAW: ({PlanState.ADOPTED}, None),
        PlanStep.COMMIT: ({PlanState.ADOPTED}, None),
    },
    refuse=_refuse,
)

MAX_FREQUENCY = 366
MAX_PERIOD_DAYS = 3 * 366


@dataclass(frozen=True)
class Rule:
    """INSP-01: for one industry or level (None: every other target), rounds per period and
    the percent of the group drawn in each round."""

    value: str | None
    frequency: int
    proportion: Decimal


def check_rules(basis: PlanBasis, rules: Sequence[Rule]) -> None:
    """Values are unique (one catch-all at most), levels are real levels, numbers in range."""
    problems_en: list[str] = []
    problems_zh: list[str] = []
    if not rules:
        problems_en.append("a plan needs at least one rule")
        problems_zh.append("检查计划至少需要一条频次和比例规则")
    seen: set[str | None] = set()
    levels = {level.value for level in SupervisionLevel}
    for r in rules:
        if r.value in seen:
            problems_en.append(f"the rule for {r.value or 'every other target'} is given twice")
            problems_zh.append(f"“{r.value or '其他检查对象'}”的规则重复")
        seen.add(r.value)
        if basis is PlanBasis.LEVEL and r.value is not None and r.value not in levels:
            problems_en.append(
                f"{r.value!r} is not a supervision level ({', '.join(sorted(levels))})"
            )
            problems_zh.append(f"“{r.value}”不是监管等级")
        if not 1 <= r.frequency <= MAX_FREQUENCY:
            problems_en.append(f"frequency {r.frequency} is outside 1..{MAX_FREQUENCY}")
            problems_zh.append(f"检查频次 {r.frequency} 超出 1..{MAX_FREQUENCY}")
        if not Decimal(0) <= r.proportion <= Decimal(100):
            problems_en.append(f"proportion {r.proportion} is outside 0..100 percent")
            problems_zh.append(f"检查比例 {r.proportion} 超出 0..100%")
    if problems_en:
        raise InvalidPlan(
            "; ".join(problems_en), zh="；".join(problems_zh), problems=problems_en, rule="INSP-01"
        )


def check_period(start: date, end: date) -> None:
    if end < start or (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidPlan(
            f"the period {start}..{end} is not a period of at most three years",
            zh=f"计划期间 {start} 至 {end} 无效（须起止有序且不超过三年）",
            rule="INSP-01",
        )


def check_round(round_number: int, rules: Sequence[Rule]) -> None:
    """A round exists while some rule's frequency reaches it."""
    most = max((r.frequency for r in rules), default=0)
    if not 1 <= round_number <= most:
        raise InvalidPlan(
            f"round {round_number} is outside the plan's 1..{most} rounds",
            zh=f"轮次 {round_number} 超出计划的 1..{most} 轮",
            rule="INSP-01",
        )
