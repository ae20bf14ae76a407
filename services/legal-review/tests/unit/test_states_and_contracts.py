"""The review's state machine, names, and the review.* contracts other services rely on."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from legal_review.domain import (
    DecisionOutcome,
    JointMode,
    ReviewState,
    Step,
    follows_opinion,
    next_state,
)
from legal_review.errors import InvalidReviewTransition, ReviewError, SeparationOfDuties
from xietong_common.contracts.review import (
    ReviewDecided,
    ReviewMaterialsMissing,
    ReviewOpinionGiven,
    ReviewOpinionKind,
    ReviewRequested,
)

CASE = {
    "matter_code": "ENV-001",
    "place_town": "town:lizhi",
    "found_at": "2024-03-04T01:00:00Z",
    "facts": "企业向长江支流直排未经处理的废水",
    "party": {"name": "某化工公司", "kind": "legal-person"},
}


def test_rev_03_joint_modes_and_when_they_may_be_used() -> None:
    assert JointMode.DUAL_REVIEW.label_zh == "一案双审"
    assert JointMode.JOINT_MEETING.label_zh == "联合会审"
    next_state(ReviewState.UNDER_REVIEW, Step.JOINT)
    next_state(ReviewState.OPINION_GIVEN, Step.JOINT)
    with pytest.raises(InvalidReviewTransition):
        next_state(ReviewState.DECIDED, Step.JOINT)


def test_rev_05_materials_are_requested_before_the_opinion_and_supplied_only_when_asked() -> None:
    next_state(ReviewState.SUBMITTED, Step.REQUEST_MATERIALS)
    next_state(ReviewState.UNDER_REVIEW, Step.REQUEST_MATERIALS)
    with pytest.raises(InvalidReviewTransition):
        next_state(ReviewState.OPINION_GIVEN, Step.REQUEST_MATERIALS)
    next_state(ReviewState.MATERIALS_REQUESTED, Step.SUPPLY_MATERIALS)
    with pytest.raises(InvalidReviewTransition):
        next_state(ReviewState.UNDER_REVIEW, Step.SUPPLY_MATERIALS)
    with pytest.raises(InvalidReviewTransition):
        next_state(ReviewState.DECIDED, Step.ADD_MATERIAL)


def test_rev_07_five_opinions_numbered_as_in_the_notice() -> None:
    assert [o.number for o in ReviewOpinionKind] == [1, 2, 3, 4, 5]
    assert ReviewOpinionKind.CORRECT_AND_RESUBMIT.label_zh == "予以纠正完善后再送法制审核"
    assert ReviewOpinionKind.TRANSFER_TO_JUDICIAL_ORGANS.label_zh == "建议移送司法机关处理"


def test_rev_08_which_outcome_follows_which_opinion() -> None:
    assert follows_opinion(ReviewOpinionKind.AGREE, DecisionOutcome.DECIDED_AS_PROPOSED)
    assert follows_opinion(ReviewOpinionKind.DO_NOT_DECIDE, DecisionOutcome.NOT_DECIDED)
    assert follows_opinion(
        ReviewOpinionKind.TRANSFER_TO_COMPETENT_AGENCY, DecisionOutcome.TRANSFERRED_TO_AGENCY
    )
    assert follows_opinion(
        ReviewOpinionKind.TRANSFER_TO_JUDICIAL_ORGANS,
        DecisionOutcome.TRANSFERRED_TO_JUDICIAL_ORGANS,
    )
    assert not follows_opinion(ReviewOpinionKind.AGREE, DecisionOutcome.NOT_DECIDED)


def test_errors_share_one_root_with_their_own_problem_types() -> None:
    assert issubclass(SeparationOfDuties, ReviewError)
    assert SeparationOfDuties.status == 403
    assert SeparationOfDuties.type_uri().endswith("review-separation-of-duties")


REVIEW_ID = "0b9c6f4e-2d7a-4b8e-9a55-2b8f2f8b4d11"


def test_rev_07_review_opinion_stays_readable_without_the_new_optional_fields() -> None:
    """The referral service consumes review.opinion: the fields added later are optional."""
    event = ReviewOpinionGiven.model_validate(
        {
            "review_id": REVIEW_ID,
            "round": 1,
            "submitting_org": "town:lizhi",
            "reviewing_org": "town:lizhi",
            "opinion": "transfer-to-competent-agency",
            "reasons": "不属于本机关执法权限",
            "transfer_to": "dept:ecology-environment",
            "case": CASE,
            "reviewer": "wang",
            "issued_at": "2024-03-05T02:00:00Z",
        }
    )
    assert event.opinion.number == 4
    assert event.judicial_organ is None
    assert event.flaws == []
    assert ReviewOpinionGiven.spec.topic == "review.opinion"
    assert str(event.review_id) == REVIEW_ID  # the same string on the wire


DECIDED = {
    "review_id": REVIEW_ID,
    "round": 1,
    "town": "town:lizhi",
    "outcome": "decided-as-proposed",
    "opinion": "agree",
    "against_opinion": False,
    "decider": "zhao",
    "case": CASE,
    "decided_at": datetime(2024, 3, 6, tzinfo=UTC),
}


def test_review_ids_and_outcomes_are_the_contracts_own_vocabulary() -> None:
    """A review id is a UUID and an outcome one of the four REV-08 names; anything else is
    refused where the event is read."""
    assert ReviewDecided.model_validate(DECIDED).outcome is DecisionOutcome.DECIDED_AS_PROPOSED
    for wrong in ({"review_id": "r1"}, {"outcome": "decided-somehow"}):
        with pytest.raises(ValidationError):
            ReviewDecided.model_validate({**DECIDED, **wrong})


def test_review_topics_and_exact_money_in_review_decided() -> None:
    assert ReviewRequested.spec.topic == "review.requested"
    assert ReviewMaterialsMissing.spec.topic == "review.materials-missing"
    decided = ReviewDecided.model_validate({**DECIDED, "fine": "19999.99"})
    assert decided.fine == Decimal("19999.99")
    assert decided.model_dump(mode="json")["fine"] == "19999.99"
    assert ReviewDecided.spec.topic == "review.decided"
