"""REV-02, REV-03, REV-06..REV-08 of 法制审核 (二(四)): duties, joint modes, the nine points,
the five opinions, the review's states and the decision. No I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from legal_review.errors import (
    InconsistentOpinion,
    InvalidReviewTransition,
    PointsUnanswered,
    SeparationOfDuties,
)
from xietong_common.contracts.review import DecisionOutcome, ReviewOpinionKind
from xietong_common.errors import AppError
from xietong_common.labels import LabelledEnum
from xietong_common.reasons import MIN_REASON, is_stated
from xietong_common.states import Transitions


class ReviewPoint(LabelledEnum):
    """REV-06: the nine points the review examines."""

    LAWFUL_BODY = (
        "lawful-body",
        "行政执法主体是否合法，执法人员是否具备执法资格",
        "lawful enforcement body and qualified officers",
    )
    JURISDICTION = "jurisdiction", "是否具有管辖权"
    FACTS_AND_EVIDENCE = (
        "facts-and-evidence",
        "事实是否清楚，证据是否确凿、充分，材料是否齐全、符合法定形式",
    )
    LAW_APPLIED = "law-applied", "适用法律、法规、规章是否准确", "law correctly applied"
    DISCRETION = "discretion", "行政裁量基准运用是否适当", "discretion benchmark properly used"
    WITHIN_POWERS = (
        "within-powers",
        "是否超越法定权限、滥用职权、明显不当",
        "no excess or abuse of power, not obviously improper",
    )
    PROCEDURE = "procedure", "程序是否合法规范", "lawful procedure"
    DOCUMENTS = "documents", "行政执法文书是否完备、规范", "complete and standard documents"
    NO_CRIME = (
        "no-crime",
        "违法行为是否涉嫌犯罪、需要移送司法机关",
        "whether a crime is suspected (transfer to the judicial organs)",
    )


@dataclass(frozen=True)
class PointFinding:
    passed: bool
    note: str = ""


def unanswered_points(findings: Mapping[ReviewPoint, PointFinding]) -> list[ReviewPoint]:
    return [p for p in ReviewPoint if p not in findings]


# REV-07 (2): 事实认定、证据收集或者执法程序有瑕疵，执法文书制作不规范、适用法律不准确、
# 自由裁量不适当 — flaws that, once corrected, leave the decision standing.
CORRECTABLE_POINTS = frozenset(
    {
        ReviewPoint.FACTS_AND_EVIDENCE,
        ReviewPoint.LAW_APPLIED,
        ReviewPoint.DISCRETION,
        ReviewPoint.PROCEDURE,
        ReviewPoint.DOCUMENTS,
    }
)
# REV-07 (3): 执法主体不合法、执法人员不具备执法资格 (1)、主要事实不清、主要证据不足 (3)、
# 适用法律错误 (4)、违反法定程序 (7)、执法决定明显不当、超越或者滥用职权 (6).
DISQUALIFYING_POINTS = frozenset(
    {
        ReviewPoint.LAWFUL_BODY,
        ReviewPoint.FACTS_AND_EVIDENCE,
        ReviewPoint.LAW_APPLIED,
        ReviewPoint.PROCEDURE,
        ReviewPoint.WITHIN_POWERS,
    }
)


def _numbers(points: Iterable[ReviewPoint]) -> str:
    return "、".join(f"({p.number})" for p in sorted(points, key=lambda p: p.number))


def check_opinion(
    opinion: ReviewOpinionKind,
    findings: Mapping[ReviewPoint, PointFinding],
    *,
    transfer_to: str | None,
    flaws: Iterable[str],
    judicial_organ: str | None = None,
) -> None:
    """REV-06/07: no opinion while a point is open, and the opinion must fit the findings:
    (1) every point passed; (2) a correctable flaw found (a failed point of facts/evidence,
    law, discretion, procedure or documents) and the flaws listed; (3) a failed point of the
    kinds the notice lists for it (body/qualification, main facts/evidence, law, procedure,
    obviously improper/excess or abuse of power); (4) jurisdiction failed and the agency named;
    (5) a suspected crime and the judicial organ named."""
    missing = unanswered_points(findings)
    if missing:
        raise PointsUnanswered(
            f"{len(missing)} of the nine points are unanswered",
            zh=f"九项审核要点中尚有{len(missing)}项未审核：{_numbers(missing)}",
            unanswered=[p.value for p in missing],
            rule="REV-06",
        )
    failed = {p for p, f in findings.items() if not f.passed}
    if opinion is ReviewOpinionKind.AGREE and failed:
        raise InconsistentOpinion(
            "opinion (1) agree needs every point passed",
            zh=f"审核要点{_numbers(failed)}未通过，不能出具“拟同意作出行政执法决定”的意见",
            failed=sorted(p.value for p in failed),
            rule="REV-07",
        )
    if opinion is ReviewOpinionKind.CORRECT_AND_RESUBMIT:
        if not failed & CORRECTABLE_POINTS:
            raise InconsistentOpinion(
                "opinion (2) correct-and-resubmit needs a flaw found: one of the points "
                "facts-and-evidence, law-applied, discretion, procedure or documents failed",
                zh="出具“予以纠正完善后再送法制审核”的意见，应当认定事实认定、证据收集、适用法律、"
                "自由裁量、执法程序或执法文书方面存在瑕疵(审核要点(3)、(4)、(5)、(7)、(8)之一未通过)",
                needs_one_failed_of=sorted(p.value for p in CORRECTABLE_POINTS),
                rule="REV-07",
            )
        if not [f for f in flaws if f.strip()]:
            raise InconsistentOpinion(
                "opinion (2) must list the flaws to correct",
                zh="出具“予以纠正完善后再送法制审核”的意见，应当列明需纠正的瑕疵(flaws)",
                rule="REV-07",
            )
    if opinion is ReviewOpinionKind.DO_NOT_DECIDE and not failed & DISQUALIFYING_POINTS:
        raise InconsistentOpinion(
            "opinion (3) do-not-decide needs a failed point of the kinds the notice lists: "
            "lawful-body, facts-and-evidence, law-applied, procedure or within-powers",
            zh="出具“建议不予作出行政执法决定”的意见，应当认定执法主体不合法或执法人员不具备资格、"
            "主要事实不清或主要证据不足、适用法律错误、违反法定程序、明显不当或超越、滥用职权"
            "(审核要点(1)、(3)、(4)、(6)、(7)之一未通过)",
            needs_one_failed_of=sorted(p.value for p in DISQUALIFYING_POINTS),
            rule="REV-07",
        )
    if opinion is ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY:
        if ReviewPoint.JURISDICTION not in failed:
            raise InconsistentOpinion(
                "opinion (4) needs point (2) jurisdiction found lacking",
                zh="出具“建议移送有管辖权的行政执法机关处理”的意见，应当认定审核要点(2)管辖权不成立",
                rule="REV-07",
            )
        if not transfer_to:
            raise InconsistentOpinion(
                "opinion (4) must name the agency with jurisdiction",
                zh="出具移送意见，应当写明有管辖权的行政执法机关(transfer_to)",
                rule="REV-07",
            )
    if opinion is ReviewOpinionKind.TRANSFER_TO_JUDICIAL_ORGANS:
        if ReviewPoint.NO_CRIME not in failed:
            raise InconsistentOpinion(
                "opinion (5) needs point (9) found to be a suspected crime",
                zh="出具“建议移送司法机关处理”的意见，应当认定审核要点(9)违法行为涉嫌犯罪",
                rule="REV-07",
            )
        if not (judicial_organ and judicial_organ.strip()):
            raise InconsistentOpinion(
                "opinion (5) must name the judicial organ",
                zh="出具移送司法机关的意见，应当写明司法机关(judicial_organ)",
                rule="REV-07",
            )


class ReviewState(LabelledEnum):
    """Where a review stands (one review per case, one or more rounds)."""

    SUBMITTED = "submitted", "已送审"
    MATERIALS_REQUESTED = "materials-requested", "待补正材料"
    UNDER_REVIEW = "under-review", "审核中"
    OPINION_GIVEN = "opinion-given", "已出具审核意见"
    DECIDED = "decided", "已作出决定"


class Step(LabelledEnum):
    """What someone does to a review; each step is allowed in some states only."""

    ADD_MATERIAL = "add-material", "提交材料", "add a material"
    JOINT = "joint", "联合审核", "review jointly"
    TAKE = "take", "受理审核", "take up the review"
    REQUEST_MATERIALS = "request-materials", "一次性告知补正材料", "request missing materials"
    SUPPLY_MATERIALS = "supply-materials", "补正材料", "supply the missing materials"
    RECORD_POINT = "record-point", "记录审核要点", "record a review point"
    GIVE_OPINION = "give-opinion", "出具审核意见", "give the written opinion"
    RESUBMIT = "resubmit", "纠正后重新送审", "resubmit after correction"
    DECIDE = "decide", "作出决定", "decide"


_OPEN = frozenset(
    {ReviewState.SUBMITTED, ReviewState.MATERIALS_REQUESTED, ReviewState.UNDER_REVIEW}
)


def _refuse(state: ReviewState, step: Step, allowed: frozenset[ReviewState]) -> AppError:
    return InvalidReviewTransition(
        f"cannot {step.value} a review that is {state.value} ({state.label_en})",
        zh=f"处于“{state.label_zh}”状态的审核不能{step.label_zh}",
        state=state.value,
        step=step.value,
        allowed_states=sorted(s.value for s in allowed),
    )


R = ReviewState
TRANSITIONS: Transitions[ReviewState, Step] = Transitions(
    {
        Step.ADD_MATERIAL: (_OPEN, None),
        Step.JOINT: (_OPEN | {R.OPINION_GIVEN}, None),
        Step.TAKE: ({R.SUBMITTED}, R.UNDER_REVIEW),
        Step.REQUEST_MATERIALS: ({R.SUBMITTED, R.UNDER_REVIEW}, R.MATERIALS_REQUESTED),
        Step.SUPPLY_MATERIALS: ({R.MATERIALS_REQUESTED}, R.UNDER_REVIEW),
        Step.RECORD_POINT: ({R.UNDER_REVIEW}, None),
        Step.GIVE_OPINION: ({R.UNDER_REVIEW}, R.OPINION_GIVEN),
        Step.RESUBMIT: ({R.OPINION_GIVEN}, R.SUBMITTED),
        Step.DECIDE: ({R.OPINION_GIVEN}, R.DECIDED),
    },
    refuse=_refuse,
)


def next_state(
    state: ReviewState, step: Step, *, opinion: ReviewOpinionKind | None = None
) -> ReviewState:
    """The review's state machine (and REV-07: only opinion (2) leads to a new round)."""
    after = TRANSITIONS.next(state, step)
    if step is Step.RESUBMIT and opinion is not ReviewOpinionKind.CORRECT_AND_RESUBMIT:
        raise InvalidReviewTransition(
            "only opinion (2) correct-and-resubmit allows a corrected resubmission",
            zh="只有审核意见(2)“予以纠正完善后再送法制审核”才允许纠正后重新送审",
            state=state.value,
            step=step.value,
        )
    if step is Step.DECIDE and opinion is ReviewOpinionKind.CORRECT_AND_RESUBMIT:
        raise InvalidReviewTransition(
            "opinion (2) asks for correction and a new round before any decision",
            zh="审核意见(2)要求纠正并重新送审，之前不得作出决定",
            state=state.value,
            step=step.value,
        )
    return after


class Duty(LabelledEnum):
    """REV-02: the three duties on a case, 办理、审核、决定相分离."""

    HANDLING = "handling", "办理"
    REVIEW = "review", "审核"
    DECISION = "decision", "决定"


@dataclass(frozen=True)
class Duties:
    """Who has held which duty on one case, over all of its rounds."""

    handlers: frozenset[str] = frozenset()
    reviewers: frozenset[str] = frozenset()
    deciders: frozenset[str] = frozenset()

    def held_by(self, person: str) -> list[Duty]:
        held = (
            (Duty.HANDLING, self.handlers),
            (Duty.REVIEW, self.reviewers),
            (Duty.DECISION, self.deciders),
        )
        return [duty for duty, people in held if person in people]


def check_separation(duties: Duties, *, person: str, duty: Duty) -> None:
    """REV-02: handler, reviewer and decider of a case are three different people — per
    person, whatever roles the person holds."""
    other = [d for d in duties.held_by(person) if d is not duty]
    if other:
        raise SeparationOfDuties(
            f"{person} already {other[0].value} this case ({other[0].label_en}) and may not "
            f"take on its {duty.value} ({duty.label_en})",
            zh=f"{person} 已承担本案的{other[0].label_zh}工作，不得再承担{duty.label_zh}工作"
            "(办理、审核、决定相分离)",
            rule="REV-02",
            person=person,
            duty=duty.value,
            already=[d.value for d in other],
        )


class JointMode(LabelledEnum):
    """REV-03: reviewing together with district departments."""

    NONE = "none", "无"
    DUAL_REVIEW = "dual-review", "一案双审", "reviewed by both (dual review)"
    JOINT_MEETING = "joint-meeting", "联合会审", "joint review meeting"


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
    """REV-08: a decision against the opinion needs a written reason — one that can be read
    and judged, at least MIN_REASON letters or characters ("x" is none). Returns `against`."""
    against = not follows_opinion(opinion, outcome)
    if against and not is_stated(reason):
        raise InconsistentOpinion(
            f"deciding {outcome.value} against opinion ({opinion.number}) {opinion.value} needs a "
            f"written reason of at least {MIN_REASON} letters or characters",
            zh=f"作出“{outcome.label_zh}”的决定与审核意见({opinion.number})“{opinion.label_zh}”不一致，"
            f"应当书面说明理由(reason，不少于{MIN_REASON}个字)",
            rule="REV-08",
        )
    return against
