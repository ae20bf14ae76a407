"""The rules of 法制审核 (涪陵府办〔2024〕1号 二(四)): triggers, duties, points, opinions. No I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from legal_review.errors import (
    InconsistentOpinion,
    InvalidReviewTransition,
    PointsUnanswered,
    SeparationOfDuties,
)
from xietong_common.contracts.review import ReviewOpinionKind


class PartyKind(StrEnum):
    """当事人: REV-01 (6) sets a different amount for citizens and for organisations."""

    CITIZEN = "citizen"
    LEGAL_PERSON = "legal-person"
    OTHER_ORGANISATION = "other-organisation"

    @property
    def label_zh(self) -> str:
        return {"citizen": "公民", "legal-person": "法人", "other-organisation": "其他组织"}[
            self.value
        ]


class PenaltyAdjustment(StrEnum):
    """REV-01 (7): a penalty heavier, lighter or waived makes review necessary."""

    NONE = "none"
    HEAVIER = "heavier"
    LIGHTER = "lighter"
    WAIVED = "waived"

    @property
    def label_zh(self) -> str:
        return {"none": "无", "heavier": "从重", "lighter": "减轻", "waived": "免于处罚"}[
            self.value
        ]


class Trigger(StrEnum):
    """REV-01: the eight situations in which a decision needs legal review first."""

    PUBLIC_INTEREST = "public-interest"
    SOCIAL_IMPACT = "social-impact"
    MAJOR_RIGHTS = "major-rights"
    HEARING = "hearing"
    COMPLEX_FACTS = "complex-facts"
    AMOUNT = "amount"
    PENALTY_ADJUSTMENT = "penalty-adjustment"
    LAW_REQUIRES = "law-requires"

    @property
    def number(self) -> int:
        return list(Trigger).index(self) + 1

    @property
    def label_zh(self) -> str:
        return {
            "public-interest": "涉及重大国家利益和公共利益",
            "social-impact": "可能造成重大社会影响或引发社会风险",
            "major-rights": "直接关系行政管理相对人或他人重大权益",
            "hearing": "需经听证程序作出决定",
            "complex-facts": "案件情况疑难复杂，涉及多个法律关系",
            "amount": "罚款或没收数额达到法定标准",
            "penalty-adjustment": "拟从重、减轻或免于行政处罚",
            "law-requires": "法律、法规、规章规定应当进行法制审核的其他情形",
        }[self.value]


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


class ReviewPoint(StrEnum):
    """REV-06: the nine points the review examines."""

    LAWFUL_BODY = "lawful-body"
    JURISDICTION = "jurisdiction"
    FACTS_AND_EVIDENCE = "facts-and-evidence"
    LAW_APPLIED = "law-applied"
    DISCRETION = "discretion"
    WITHIN_POWERS = "within-powers"
    PROCEDURE = "procedure"
    DOCUMENTS = "documents"
    NO_CRIME = "no-crime"

    @property
    def number(self) -> int:
        return list(ReviewPoint).index(self) + 1

    @property
    def label_zh(self) -> str:
        return {
            "lawful-body": "行政执法主体是否合法，执法人员是否具备执法资格",
            "jurisdiction": "是否具有管辖权",
            "facts-and-evidence": "事实是否清楚，证据是否确凿、充分，材料是否齐全、符合法定形式",
            "law-applied": "适用法律、法规、规章是否准确",
            "discretion": "行政裁量基准运用是否适当",
            "within-powers": "是否超越法定权限、滥用职权、明显不当",
            "procedure": "程序是否合法规范",
            "documents": "行政执法文书是否完备、规范",
            "no-crime": "违法行为是否涉嫌犯罪、需要移送司法机关",
        }[self.value]


@dataclass(frozen=True)
class PointFinding:
    passed: bool
    note: str = ""


def unanswered_points(findings: Mapping[ReviewPoint, PointFinding]) -> list[ReviewPoint]:
    return [p for p in ReviewPoint if p not in findings]


def check_opinion(
    opinion: ReviewOpinionKind,
    findings: Mapping[ReviewPoint, PointFinding],
    *,
    transfer_to: str | None,
    flaws: Iterable[str],
) -> None:
    """REV-06/07: no opinion while a point is open, and the opinion must fit the findings."""
    missing = unanswered_points(findings)
    if missing:
        raise PointsUnanswered(
            f"{len(missing)} of the nine points are unanswered",
            unanswered=[p.value for p in missing],
        )
    failed = {p for p, f in findings.items() if not f.passed}
    if opinion is ReviewOpinionKind.AGREE and failed:
        raise InconsistentOpinion(
            "opinion (1) agree needs every point passed", failed=sorted(p.value for p in failed)
        )
    if opinion is ReviewOpinionKind.CORRECT_AND_RESUBMIT and not list(flaws):
        raise InconsistentOpinion("opinion (2) must list the flaws to correct")
    if opinion is ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY:
        if ReviewPoint.JURISDICTION not in failed:
            raise InconsistentOpinion("opinion (4) needs point (2) jurisdiction found lacking")
        if not transfer_to:
            raise InconsistentOpinion("opinion (4) must name the agency with jurisdiction")
    if (
        opinion is ReviewOpinionKind.TRANSFER_TO_JUDICIAL_ORGANS
        and ReviewPoint.NO_CRIME not in failed
    ):
        raise InconsistentOpinion("opinion (5) needs point (9) found to be a suspected crime")


class ReviewState(StrEnum):
    """Where a review stands (one review per case, one or more rounds)."""

    SUBMITTED = "submitted"
    MATERIALS_REQUESTED = "materials-requested"
    UNDER_REVIEW = "under-review"
    OPINION_GIVEN = "opinion-given"
    DECIDED = "decided"

    @property
    def label_zh(self) -> str:
        return {
            "submitted": "已送审",
            "materials-requested": "待补正材料",
            "under-review": "审核中",
            "opinion-given": "已出具审核意见",
            "decided": "已作出决定",
        }[self.value]

    @property
    def label_en(self) -> str:
        return {
            "submitted": "submitted",
            "materials-requested": "materials requested",
            "under-review": "under review",
            "opinion-given": "opinion given",
            "decided": "decided",
        }[self.value]


class Step(StrEnum):
    TAKE = "take"
    REQUEST_MATERIALS = "request-materials"
    SUPPLY_MATERIALS = "supply-materials"
    RECORD_POINT = "record-point"
    GIVE_OPINION = "give-opinion"
    RESUBMIT = "resubmit"
    DECIDE = "decide"


_ALLOWED: dict[Step, frozenset[ReviewState]] = {
    Step.TAKE: frozenset({ReviewState.SUBMITTED}),
    Step.REQUEST_MATERIALS: frozenset({ReviewState.SUBMITTED, ReviewState.UNDER_REVIEW}),
    Step.SUPPLY_MATERIALS: frozenset({ReviewState.MATERIALS_REQUESTED}),
    Step.RECORD_POINT: frozenset({ReviewState.UNDER_REVIEW}),
    Step.GIVE_OPINION: frozenset({ReviewState.UNDER_REVIEW}),
    Step.RESUBMIT: frozenset({ReviewState.OPINION_GIVEN}),
    Step.DECIDE: frozenset({ReviewState.OPINION_GIVEN}),
}


def require_step(
    state: ReviewState, step: Step, *, opinion: ReviewOpinionKind | None = None
) -> None:
    if state not in _ALLOWED[step]:
        raise InvalidReviewTransition(
            f"cannot {step.value} a review that is {state.value} ({state.label_zh})",
            state=state.value,
            step=step.value,
        )
    if step is Step.RESUBMIT and opinion is not ReviewOpinionKind.CORRECT_AND_RESUBMIT:
        raise InvalidReviewTransition(
            "only opinion (2) correct-and-resubmit allows a corrected resubmission",
            state=state.value,
            step=step.value,
        )
    if step is Step.DECIDE and opinion is ReviewOpinionKind.CORRECT_AND_RESUBMIT:
        raise InvalidReviewTransition(
            "opinion (2) asks for correction and a new round before any decision",
            state=state.value,
            step=step.value,
        )


def check_separation(
    *, handler: str, reviewer: str | None = None, decider: str | None = None
) -> None:
    """REV-02: 办理、审核、决定相分离 — per person, whatever roles the person holds."""
    if reviewer is not None and reviewer == handler:
        raise SeparationOfDuties(
            f"{reviewer} handled this case and may not review it", rule="REV-02", person=reviewer
        )
    if decider is not None and reviewer is not None and decider == reviewer:
        raise SeparationOfDuties(
            f"{decider} reviewed this case and may not decide it", rule="REV-02", person=decider
        )


class MaterialKind(StrEnum):
    """REV-04: what the brigade submits."""

    INVESTIGATION_REPORT = "investigation-report"
    PROPOSED_DECISION = "proposed-decision"
    EVIDENCE = "evidence"
    HEARING_RECORD = "hearing-record"
    ASSESSMENT_REPORT = "assessment-report"
    OTHER = "other"

    @property
    def label_zh(self) -> str:
        return {
            "investigation-report": "调查终结报告",
            "proposed-decision": "重大行政执法决定建议及情况说明",
            "evidence": "相关证据资料",
            "hearing-record": "听证笔录",
            "assessment-report": "评估报告",
            "other": "其他材料",
        }[self.value]


def required_materials(*, hearing: bool, assessed: bool) -> list[MaterialKind]:
    """REV-04: (1)(2)(3) always; (4) the hearing record or assessment report where there was one."""
    kinds = [
        MaterialKind.INVESTIGATION_REPORT,
        MaterialKind.PROPOSED_DECISION,
        MaterialKind.EVIDENCE,
    ]
    if hearing:
        kinds.append(MaterialKind.HEARING_RECORD)
    if assessed:
        kinds.append(MaterialKind.ASSESSMENT_REPORT)
    return kinds


def missing_materials(
    present: Iterable[MaterialKind], *, hearing: bool, assessed: bool
) -> list[MaterialKind]:
    have = set(present)
    return [k for k in required_materials(hearing=hearing, assessed=assessed) if k not in have]


class JointMode(StrEnum):
    """REV-03: reviewing together with district departments."""

    NONE = "none"
    DUAL_REVIEW = "dual-review"
    JOINT_MEETING = "joint-meeting"

    @property
    def label_zh(self) -> str:
        return {"none": "无", "dual-review": "一案双审", "joint-meeting": "联合会审"}[self.value]


class DecisionOutcome(StrEnum):
    """REV-08: what the agency head decided after the opinion."""

    DECIDED_AS_PROPOSED = "decided-as-proposed"
    NOT_DECIDED = "not-decided"
    TRANSFERRED_TO_AGENCY = "transferred-to-agency"
    TRANSFERRED_TO_JUDICIAL_ORGANS = "transferred-to-judicial-organs"

    @property
    def label_zh(self) -> str:
        return {
            "decided-as-proposed": "作出行政执法决定",
            "not-decided": "不予作出决定",
            "transferred-to-agency": "移送有管辖权的行政执法机关",
            "transferred-to-judicial-organs": "移送司法机关",
        }[self.value]


_OUTCOME_FOLLOWING: dict[ReviewOpinionKind, DecisionOutcome] = {
    ReviewOpinionKind.AGREE: DecisionOutcome.DECIDED_AS_PROPOSED,
    ReviewOpinionKind.DO_NOT_DECIDE: DecisionOutcome.NOT_DECIDED,
    ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY: DecisionOutcome.TRANSFERRED_TO_AGENCY,
    ReviewOpinionKind.TRANSFER_TO_JUDICIAL_ORGANS: DecisionOutcome.TRANSFERRED_TO_JUDICIAL_ORGANS,
}


def follows_opinion(opinion: ReviewOpinionKind, outcome: DecisionOutcome) -> bool:
    return _OUTCOME_FOLLOWING.get(opinion) is outcome


def check_decision(
    opinion: ReviewOpinionKind, outcome: DecisionOutcome, reason: str | None
) -> bool:
    """REV-08: a decision against the opinion needs a written reason. Returns `against`."""
    against = not follows_opinion(opinion, outcome)
    if against and not (reason and reason.strip()):
        raise InconsistentOpinion(
            f"deciding {outcome.value} against opinion ({opinion.number}) {opinion.value} needs a written reason",
            rule="REV-08",
        )
    return against
