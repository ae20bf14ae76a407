"""The rules of 法制审核 (二(四)) as pure functions: REV-01, REV-02, REV-04..REV-08."""

from __future__ import annotations

from decimal import Decimal

import pytest

from legal_review.domain import (
    DecisionOutcome,
    Duties,
    Duty,
    MaterialKind,
    PenaltyAdjustment,
    PointFinding,
    ProposedDecision,
    ReviewPoint,
    ReviewState,
    Step,
    Trigger,
    check_decision,
    check_opinion,
    check_separation,
    evaluate_triggers,
    missing_materials,
    next_state,
)
from legal_review.errors import (
    InconsistentOpinion,
    InvalidReviewTransition,
    PointsUnanswered,
    SeparationOfDuties,
)
from legal_review.schemas import ProposedDecisionIn
from xietong_common.contracts.review import ReviewOpinionKind as Op
from xietong_common.parties import PartyKind

ORGS = (PartyKind.LEGAL_PERSON, PartyKind.OTHER_ORGANISATION)


def triggers(**kw: object) -> set[Trigger]:
    return {h.trigger for h in evaluate_triggers(ProposedDecision(**kw))}  # type: ignore[arg-type]


def test_rev_01_citizen_fine_2000_needs_review() -> None:
    assert triggers(party_kind=PartyKind.CITIZEN, fine=Decimal("2000")) == {Trigger.AMOUNT}


def test_rev_01_citizen_fine_1999_99_does_not() -> None:
    assert triggers(party_kind=PartyKind.CITIZEN, fine=Decimal("1999.99")) == set()


@pytest.mark.parametrize("party", ORGS)
def test_rev_01_organisation_fine_boundary_is_20000(party: PartyKind) -> None:
    assert triggers(party_kind=party, fine=Decimal("20000.00")) == {Trigger.AMOUNT}
    assert triggers(party_kind=party, fine=Decimal("19999.99")) == set()
    assert (
        triggers(party_kind=party, fine=Decimal("2000")) == set()
    )  # the citizen line does not apply


@pytest.mark.parametrize(
    ("party", "at", "below"),
    [
        (PartyKind.CITIZEN, "2000", "1999.99"),
        (PartyKind.LEGAL_PERSON, "20000", "19999.99"),
        (PartyKind.OTHER_ORGANISATION, "20000", "19999.99"),
    ],
)
@pytest.mark.parametrize("field", ["confiscated_gains", "confiscated_property_value"])
def test_rev_01_confiscation_boundaries_likewise(
    party: PartyKind, at: str, below: str, field: str
) -> None:
    assert triggers(party_kind=party, **{field: Decimal(at)}) == {Trigger.AMOUNT}
    assert triggers(party_kind=party, **{field: Decimal(below)}) == set()


def test_rev_01_hearing_and_penalty_adjustments() -> None:
    assert triggers(party_kind=PartyKind.CITIZEN, hearing=True) == {Trigger.HEARING}
    for adjustment in (
        PenaltyAdjustment.HEAVIER,
        PenaltyAdjustment.LIGHTER,
        PenaltyAdjustment.WAIVED,
    ):
        assert triggers(party_kind=PartyKind.CITIZEN, adjustment=adjustment) == {
            Trigger.PENALTY_ADJUSTMENT
        }


def test_rev_01_judgement_flags_carry_their_reasons() -> None:
    hits = evaluate_triggers(
        ProposedDecision(
            party_kind=PartyKind.LEGAL_PERSON,
            fine=Decimal("50000"),
            judgements={
                Trigger.SOCIAL_IMPACT: "媒体广泛关注",
                Trigger.COMPLEX_FACTS: "涉及多个法律关系",
            },
        )
    )
    assert [h.trigger for h in hits] == [
        Trigger.SOCIAL_IMPACT,
        Trigger.COMPLEX_FACTS,
        Trigger.AMOUNT,
    ]
    assert hits[0].reason == "媒体广泛关注"
    assert "50000" in hits[2].reason


def test_rev_01_amounts_are_never_negative_and_computed_triggers_cannot_be_declared() -> None:
    with pytest.raises(ValueError, match="negative"):
        ProposedDecision(party_kind=PartyKind.CITIZEN, fine=Decimal("-1"))
    with pytest.raises(ValueError, match="computed"):
        ProposedDecision(party_kind=PartyKind.CITIZEN, judgements={Trigger.AMOUNT: "x"})


def test_rev_02_handler_may_not_review() -> None:
    duties = Duties(handlers=frozenset({"li"}))
    with pytest.raises(SeparationOfDuties) as caught:
        check_separation(duties, person="li", duty=Duty.REVIEW)
    assert caught.value.extensions["already"] == ["handling"]
    check_separation(duties, person="wang", duty=Duty.REVIEW)


def test_rev_02_reviewer_may_not_decide_nor_handle() -> None:
    duties = Duties(handlers=frozenset({"li"}), reviewers=frozenset({"wang"}))
    with pytest.raises(SeparationOfDuties):
        check_separation(duties, person="wang", duty=Duty.DECISION)
    with pytest.raises(SeparationOfDuties):
        check_separation(duties, person="wang", duty=Duty.HANDLING)
    check_separation(duties, person="zhao", duty=Duty.DECISION)


def test_rev_02_handler_may_not_decide_either() -> None:
    duties = Duties(handlers=frozenset({"li"}), reviewers=frozenset({"wang"}))
    with pytest.raises(SeparationOfDuties, match="may not take on its decision"):
        check_separation(duties, person="li", duty=Duty.DECISION)


def test_rev_02_a_person_keeps_their_own_duty_over_rounds() -> None:
    duties = Duties(handlers=frozenset({"li", "liu"}), reviewers=frozenset({"wang"}))
    check_separation(duties, person="li", duty=Duty.HANDLING)  # resubmits round 2
    check_separation(duties, person="wang", duty=Duty.REVIEW)  # reviews round 2
    with pytest.raises(SeparationOfDuties):
        check_separation(duties, person="liu", duty=Duty.REVIEW)  # handled round 1
    assert Duty.REVIEW.label_zh == "审核"


def test_rev_04_required_materials_depend_on_hearing_and_assessment() -> None:
    assert missing_materials([], hearing=False, assessed=False) == [
        MaterialKind.INVESTIGATION_REPORT,
        MaterialKind.PROPOSED_DECISION,
        MaterialKind.EVIDENCE,
    ]
    have = [
        MaterialKind.INVESTIGATION_REPORT,
        MaterialKind.PROPOSED_DECISION,
        MaterialKind.EVIDENCE,
    ]
    assert missing_materials(have, hearing=True, assessed=True) == [
        MaterialKind.HEARING_RECORD,
        MaterialKind.ASSESSMENT_REPORT,
    ]


def all_points(**failed: str) -> dict[ReviewPoint, PointFinding]:
    return {
        p: PointFinding(passed=p.value not in failed, note=failed.get(p.value, ""))
        for p in ReviewPoint
    }


def test_rev_06_no_opinion_while_a_point_is_unanswered() -> None:
    findings = all_points()
    del findings[ReviewPoint.PROCEDURE]
    with pytest.raises(PointsUnanswered) as caught:
        check_opinion(Op.AGREE, findings, transfer_to=None, flaws=[])
    assert caught.value.extensions["unanswered"] == ["procedure"]
    assert len(ReviewPoint) == 9


def test_rev_07_the_five_opinions_fit_their_findings() -> None:
    check_opinion(Op.AGREE, all_points(), transfer_to=None, flaws=[])
    with pytest.raises(InconsistentOpinion):
        check_opinion(Op.AGREE, all_points(documents="文书不规范"), transfer_to=None, flaws=[])
    check_opinion(
        Op.CORRECT_AND_RESUBMIT, all_points(documents="x"), transfer_to=None, flaws=["补正文书"]
    )
    with pytest.raises(InconsistentOpinion, match="flaws"):
        check_opinion(
            Op.CORRECT_AND_RESUBMIT, all_points(documents="x"), transfer_to=None, flaws=[]
        )
    check_opinion(
        Op.DO_NOT_DECIDE,
        all_points(**{"facts-and-evidence": "主要证据不足"}),
        transfer_to=None,
        flaws=[],
    )
    with pytest.raises(InconsistentOpinion, match=r"opinion \(3\)"):
        check_opinion(Op.DO_NOT_DECIDE, all_points(), transfer_to=None, flaws=[])
    check_opinion(
        Op.TRANSFER_TO_COMPETENT_AGENCY,
        all_points(jurisdiction="x"),
        transfer_to="dept:water",
        flaws=[],
    )
    with pytest.raises(InconsistentOpinion, match="name the agency"):
        check_opinion(
            Op.TRANSFER_TO_COMPETENT_AGENCY,
            all_points(jurisdiction="x"),
            transfer_to=None,
            flaws=[],
        )
    with pytest.raises(InconsistentOpinion, match="jurisdiction"):
        check_opinion(
            Op.TRANSFER_TO_COMPETENT_AGENCY, all_points(), transfer_to="dept:water", flaws=[]
        )
    check_opinion(
        Op.TRANSFER_TO_JUDICIAL_ORGANS,
        all_points(**{"no-crime": "涉嫌犯罪"}),
        transfer_to=None,
        flaws=[],
        judicial_organ="涪陵区公安分局",
    )
    with pytest.raises(InconsistentOpinion, match="judicial organ"):
        check_opinion(
            Op.TRANSFER_TO_JUDICIAL_ORGANS,
            all_points(**{"no-crime": "涉嫌犯罪"}),
            transfer_to=None,
            flaws=[],
        )
    with pytest.raises(InconsistentOpinion, match=r"point \(9\)"):
        check_opinion(
            Op.TRANSFER_TO_JUDICIAL_ORGANS,
            all_points(),
            transfer_to=None,
            flaws=[],
            judicial_organ="涪陵区公安分局",
        )


def test_rev_07_opinion_2_needs_a_correctable_flaw_found_not_all_nine_passed() -> None:
    """REV-07 (2): 事实认定、证据收集或者执法程序有瑕疵，执法文书制作不规范、适用法律不准确、
    自由裁量不适当 — listing flaws while passing all nine points does not fit."""
    with pytest.raises(InconsistentOpinion, match="flaw found"):
        check_opinion(Op.CORRECT_AND_RESUBMIT, all_points(), transfer_to=None, flaws=["补正"])
    for point in ("facts-and-evidence", "law-applied", "discretion", "procedure", "documents"):
        check_opinion(
            Op.CORRECT_AND_RESUBMIT, all_points(**{point: "瑕疵"}), transfer_to=None, flaws=["x"]
        )
    with pytest.raises(InconsistentOpinion, match="flaw found"):  # not a correctable flaw
        check_opinion(
            Op.CORRECT_AND_RESUBMIT, all_points(jurisdiction="x"), transfer_to=None, flaws=["x"]
        )
    with pytest.raises(InconsistentOpinion, match="list the flaws"):
        check_opinion(
            Op.CORRECT_AND_RESUBMIT, all_points(documents="x"), transfer_to=None, flaws=["  "]
        )


def test_rev_07_opinion_3_needs_a_failed_point_of_the_kinds_the_notice_lists() -> None:
    """REV-07 (3): body/qualification (1), main facts/evidence (3), law (4), procedure (7),
    obviously improper or excess/abuse of power (6) — not a documents flaw alone."""
    for point in ("lawful-body", "facts-and-evidence", "law-applied", "procedure", "within-powers"):
        check_opinion(Op.DO_NOT_DECIDE, all_points(**{point: "x"}), transfer_to=None, flaws=[])
    for point in ("documents", "discretion", "jurisdiction", "no-crime"):
        with pytest.raises(InconsistentOpinion, match=r"opinion \(3\)") as caught:
            check_opinion(Op.DO_NOT_DECIDE, all_points(**{point: "x"}), transfer_to=None, flaws=[])
        assert caught.value.extensions["rule"] == "REV-07"
        assert "(1)、(3)、(4)、(6)、(7)" in (caught.value.detail_zh or "")


def test_rev_07_opinion_2_is_resubmitted_not_decided() -> None:
    next_state(ReviewState.OPINION_GIVEN, Step.RESUBMIT, opinion=Op.CORRECT_AND_RESUBMIT)
    with pytest.raises(InvalidReviewTransition):
        next_state(ReviewState.OPINION_GIVEN, Step.DECIDE, opinion=Op.CORRECT_AND_RESUBMIT)
    with pytest.raises(InvalidReviewTransition):
        next_state(ReviewState.OPINION_GIVEN, Step.RESUBMIT, opinion=Op.AGREE)
    with pytest.raises(InvalidReviewTransition):
        next_state(ReviewState.SUBMITTED, Step.GIVE_OPINION)


def test_rev_08_a_decision_against_the_opinion_needs_a_written_reason() -> None:
    assert check_decision(Op.AGREE, DecisionOutcome.DECIDED_AS_PROPOSED, None) is False
    with pytest.raises(InconsistentOpinion, match="written reason"):
        check_decision(Op.DO_NOT_DECIDE, DecisionOutcome.DECIDED_AS_PROPOSED, "  ")
    for thin in ("x", "同上", "不同意"):  # REV-08: a reason that can be read and judged
        with pytest.raises(InconsistentOpinion):
            check_decision(Op.DO_NOT_DECIDE, DecisionOutcome.DECIDED_AS_PROPOSED, thin)
    assert (
        check_decision(Op.DO_NOT_DECIDE, DecisionOutcome.DECIDED_AS_PROPOSED, "补充证据后事实清楚")
        is True
    )


def test_rev_04_one_file_under_several_required_kinds_is_one_material() -> None:
    from legal_review.domain import placeholder_kinds

    k = MaterialKind
    same = [(k.INVESTIGATION_REPORT, "a"), (k.PROPOSED_DECISION, "a"), (k.EVIDENCE, "a")]
    # one file counts for one kind: the other two have no document of their own
    assert placeholder_kinds(same, hearing=False, assessed=False) == [
        k.PROPOSED_DECISION,
        k.EVIDENCE,
    ]
    distinct = [(k.INVESTIGATION_REPORT, "a"), (k.PROPOSED_DECISION, "b"), (k.EVIDENCE, "c")]
    assert placeholder_kinds(distinct, hearing=False, assessed=False) == []
    # a kind with a document of its own besides the shared one frees the shared one
    mixed = [*same, (k.EVIDENCE, "c")]
    assert placeholder_kinds(mixed, hearing=False, assessed=False) == [k.PROPOSED_DECISION]
    fixed = [*mixed, (k.PROPOSED_DECISION, "b")]
    assert placeholder_kinds(fixed, hearing=False, assessed=False) == []
    # "other" material may repeat a required one
    assert placeholder_kinds([*distinct, (k.OTHER, "a")], hearing=False, assessed=False) == []


def test_states_carry_chinese_and_english_names() -> None:
    assert ReviewState.MATERIALS_REQUESTED.label_zh == "待补正材料"
    assert ReviewState.MATERIALS_REQUESTED.label_en == "materials requested"
    assert all(s.label_zh and s.label_en for s in ReviewState)
    assert Op.TRANSFER_TO_COMPETENT_AGENCY.number == 4
    assert Trigger.AMOUNT.number == 6


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("1e3", "1000.00"), ("-0", "0.00"), ("1999.9", "1999.90"), (2000, "2000.00")],
)
def test_rev_01_amounts_are_kept_exact_to_the_fen(sent: object, kept: str) -> None:
    decision = ProposedDecisionIn.model_validate({"fine": sent})
    assert str(decision.fine) == kept
    assert str(ProposedDecisionIn().fine) == "0.00"


def test_rev_01_a_normalised_amount_reads_plainly_in_the_reason() -> None:
    decision = ProposedDecisionIn.model_validate({"fine": "2e3"})
    (hit,) = evaluate_triggers(ProposedDecision(party_kind=PartyKind.CITIZEN, fine=decision.fine))
    assert "2000.00 CNY" in hit.reason
