"""REV-01: when a major enforcement decision needs legal review (法制审核) before it is made.

涪陵府办〔2024〕1号 二(四) lists eight triggers. Legal review evaluates them on submission;
joint inspection evaluates them on a violation found on site (INSP-08), so both read the
rule from here. Pure; money is `Decimal` CNY; amount boundaries are inclusive (达…以上).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from pydantic import Field

from xietong_common.labels import LabelledEnum
from xietong_common.parties import PartyKind
from xietong_common.schemas import Amount, Strict, Text


class PenaltyAdjustment(LabelledEnum):
    """REV-01 (7): a penalty heavier, lighter or waived makes review necessary."""

    NONE = "none", "无"
    HEAVIER = "heavier", "从重", "heavier penalty"
    LIGHTER = "lighter", "减轻", "lighter penalty"
    WAIVED = "waived", "免于处罚", "penalty waived"


class Trigger(LabelledEnum):
    """REV-01: the eight situations in which a decision needs legal review first."""

    PUBLIC_INTEREST = "public-interest", "涉及重大国家利益和公共利益"
    SOCIAL_IMPACT = "social-impact", "可能造成重大社会影响或引发社会风险"
    MAJOR_RIGHTS = "major-rights", "直接关系行政管理相对人或他人重大权益"
    HEARING = "hearing", "需经听证程序作出决定"
    COMPLEX_FACTS = "complex-facts", "案件情况疑难复杂，涉及多个法律关系"
    AMOUNT = "amount", "罚款或没收数额达到法定标准", "fine or confiscation reaches the threshold"
    PENALTY_ADJUSTMENT = "penalty-adjustment", "拟从重、减轻或免于行政处罚"
    LAW_REQUIRES = (
        "law-requires",
        "法律、法规、规章规定应当进行法制审核的其他情形",
        "required by law in other cases",
    )


# Judgement calls the brigade makes and must give a reason for: triggers (1)(2)(3)(5)(8).
JUDGEMENT_TRIGGERS = frozenset(
    {
        Trigger.PUBLIC_INTEREST,
        Trigger.SOCIAL_IMPACT,
        Trigger.MAJOR_RIGHTS,
        Trigger.COMPLEX_FACTS,
        Trigger.LAW_REQUIRES,
    }
)

CITIZEN_THRESHOLD = Decimal("2000")
ORGANISATION_THRESHOLD = Decimal("20000")


def amount_threshold(party: PartyKind) -> Decimal:
    """REV-01 (6): 2,000 CNY for a citizen, 20,000 CNY for a legal person or other organisation."""
    return CITIZEN_THRESHOLD if party is PartyKind.CITIZEN else ORGANISATION_THRESHOLD


@dataclass(frozen=True)
class ProposedDecision:
    """The decision the brigade proposes (重大行政执法决定建议), as far as REV-01 looks at it."""

    party_kind: PartyKind
    fine: Decimal = Decimal("0")
    confiscated_gains: Decimal = Decimal("0")
    confiscated_property_value: Decimal = Decimal("0")
    adjustment: PenaltyAdjustment = PenaltyAdjustment.NONE
    hearing: bool = False
    judgements: Mapping[Trigger, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("fine", "confiscated_gains", "confiscated_property_value"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative")
        for trigger in self.judgements:
            if trigger not in JUDGEMENT_TRIGGERS:
                raise ValueError(f"trigger {trigger.value} is computed, not declared")


@dataclass(frozen=True)
class TriggerHit:
    trigger: Trigger
    reason: str


def evaluate_triggers(decision: ProposedDecision) -> list[TriggerHit]:
    """REV-01: which triggers apply, and why. Amount boundaries are inclusive (达…以上)."""
    hits = [
        TriggerHit(trigger, reason)
        for trigger, reason in decision.judgements.items()
        if trigger in JUDGEMENT_TRIGGERS
    ]
    if decision.hearing:
        hits.append(TriggerHit(Trigger.HEARING, "the decision is made after a hearing (听证)"))
    threshold = amount_threshold(decision.party_kind)
    who = decision.party_kind.label_zh
    amounts = (
        ("fine", "罚款", decision.fine),
        ("confiscated illegal gains", "没收违法所得", decision.confiscated_gains),
        ("confiscated illegal property", "没收非法财物价值", decision.confiscated_property_value),
    )
    for what, what_zh, value in amounts:
        if value >= threshold:
            hits.append(
                TriggerHit(
                    Trigger.AMOUNT,
                    f"{what} of {value} CNY on a {decision.party_kind.value} reaches {threshold} CNY "
                    f"(对{who}{what_zh}{value}元，达到{threshold}元)",
                )
            )
    if decision.adjustment is not PenaltyAdjustment.NONE:
        hits.append(
            TriggerHit(
                Trigger.PENALTY_ADJUSTMENT,
                f"the penalty is proposed {decision.adjustment.value} (拟{decision.adjustment.label_zh})",
            )
        )
    return sorted(hits, key=lambda h: h.trigger.number)


JudgementTrigger = Literal[
    "public-interest", "social-impact", "major-rights", "complex-facts", "law-requires"
]


class ProposedDecisionIn(Strict):
    """The proposed decision (重大行政执法决定建议) as REV-01 looks at it. Money in CNY, exact."""

    fine: Amount = Decimal("0.00")
    confiscated_gains: Amount = Decimal("0.00")
    confiscated_property_value: Amount = Decimal("0.00")
    adjustment: PenaltyAdjustment = PenaltyAdjustment.NONE
    hearing: bool = Field(default=False, description="REV-01 (4): made after a hearing (听证)")
    assessed: bool = Field(
        default=False, description="an assessment (评估) took place (REV-04 (4))"
    )
    judgements: dict[JudgementTrigger, Text] = Field(
        default_factory=dict,
        description="REV-01 (1)(2)(3)(5)(8): the brigade's judgement, each with its reason",
        examples=[{"social-impact": "涉及沿江多家餐馆，舆情关注度高"}],
    )

    def proposed(self, party_kind: PartyKind) -> ProposedDecision:
        return ProposedDecision(
            party_kind=party_kind,
            fine=self.fine,
            confiscated_gains=self.confiscated_gains,
            confiscated_property_value=self.confiscated_property_value,
            adjustment=self.adjustment,
            hearing=self.hearing,
            judgements={Trigger(k): v for k, v in self.judgements.items()},
        )
