"""The rules of 案件移送 as plain functions: no database, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from referral import domain
from referral.domain import Item, MaterialKind, MatterJurisdiction, ReferralState, Step
from referral.errors import (
    DirectionNotCovered,
    MaterialsMissing,
    NoJurisdiction,
    OwnJurisdiction,
    ReferralInvalidTransition,
    StopMeasureMissing,
)
from xietong_common.contracts.referral import AnswerDecision

TOWN_LEVEL = MatterJurisdiction(code="URB-001", town_level=True, owner="dept:urban-management")
DEPT_LEVEL = MatterJurisdiction(code="ENV-001", town_level=False, owner="dept:ecology-environment")
FOUND = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
NOW = FOUND + timedelta(hours=2)


def test_states_carry_chinese_and_english_names() -> None:
    assert ReferralState.RECEIVED.label_zh == "已签收"
    assert ReferralState.REPORTED.label_zh == "报请区政府"
    assert ReferralState.ASSIGNED.label_zh == "指定管辖"
    assert all(s.label_zh and s.label_en for s in ReferralState)


def test_the_full_path_of_states() -> None:
    state = ReferralState.DRAFT
    for step in (Step.SEND, Step.RECEIVE, Step.ACCEPT, Step.FILE, Step.CONCLUDE):
        state = domain.next_state(state, step)
    assert state is ReferralState.CONCLUDED


def test_the_disputed_path_of_states() -> None:
    state = ReferralState.DRAFT
    for step in (Step.SEND, Step.RECEIVE, Step.REPORT, Step.ASSIGN, Step.FILE):
        state = domain.next_state(state, step)
    assert state is ReferralState.FILED


@pytest.mark.parametrize(
    ("state", "step"),
    [
        (ReferralState.DRAFT, Step.RECEIVE),
        (ReferralState.SENT, Step.ACCEPT),
        (ReferralState.RECEIVED, Step.FILE),
        (ReferralState.ACCEPTED, Step.ASSIGN),
        (ReferralState.CONCLUDED, Step.SEND),
        (ReferralState.SENT, Step.SEND),
    ],
)
def test_illegal_transitions_are_refused(state: ReferralState, step: Step) -> None:
    with pytest.raises(ReferralInvalidTransition) as refused:
        domain.next_state(state, step)
    assert refused.value.extensions["state"] == state.value
    assert refused.value.status == 409


# ---- REF-01 / REF-02: directions and routing ------------------------------------------------


def test_ref_01_town_to_town_town_to_department_department_to_town() -> None:
    domain.check_direction("town:lizhi", "town:baitao")
    domain.check_direction("town:lizhi", "dept:ecology-environment")
    domain.check_direction("dept:ecology-environment", "town:lizhi")


@pytest.mark.parametrize(
    ("sender", "receiver"),
    [
        ("dept:water", "dept:ecology-environment"),
        ("justice-bureau", "town:lizhi"),
        ("town:a", "district-gov"),
    ],
)
def test_ref_01_other_directions_are_not_covered(sender: str, receiver: str) -> None:
    with pytest.raises(DirectionNotCovered):
        domain.check_direction(sender, receiver)


def test_ref_01_a_party_with_jurisdiction_does_not_refer() -> None:
    with pytest.raises(OwnJurisdiction):
        domain.route(
            sender="town:lizhi",
            matter=TOWN_LEVEL,
            place_town="town:lizhi",
            receiver=None,
            override_reason=None,
        )


def test_ref_02_town_level_matter_goes_to_the_town_where_it_happened() -> None:
    routing = domain.route(
        sender="town:lizhi",
        matter=TOWN_LEVEL,
        place_town="town:baitao",
        receiver=None,
        override_reason=None,
    )
    assert routing.receiver == "town:baitao"
    assert not routing.overridden


def test_ref_02_other_matters_go_to_the_owning_department() -> None:
    routing = domain.route(
        sender="town:lizhi",
        matter=DEPT_LEVEL,
        place_town="town:lizhi",
        receiver=None,
        override_reason=None,
    )
    assert routing.receiver == "dept:ecology-environment"


def test_ref_02_a_department_sends_town_matters_to_the_town() -> None:
    routing = domain.route(
        sender="dept:urban-management",
        matter=TOWN_LEVEL,
        place_town="town:baitao",
        receiver=None,
        override_reason=None,
    )
    assert routing.receiver == "town:baitao"


def test_ref_02_receiver_without_jurisdiction_is_refused_without_a_reason() -> None:
    with pytest.raises(NoJurisdiction) as refused:
        domain.route(
            sender="town:lizhi",
            matter=DEPT_LEVEL,
            place_town="town:lizhi",
            receiver="town:baitao",
            override_reason="  ",
        )
    assert refused.value.extensions["proposed_receiver"] == "dept:ecology-environment"


def test_ref_02_receiver_without_jurisdiction_with_a_written_reason_is_an_override() -> None:
    routing = domain.route(
        sender="town:lizhi",
        matter=DEPT_LEVEL,
        place_town="town:lizhi",
        receiver="town:baitao",
        override_reason="跨界污染, 源头在白涛",
    )
    assert routing.overridden
    assert routing.proposed == "dept:ecology-environment"
    assert routing.receiver == "town:baitao"


# ---- REF-04 / REF-05: facts and materials ------------------------------------------------------


def test_ref_04_ongoing_violation_needs_the_stop_measure_and_its_time() -> None:
    with pytest.raises(StopMeasureMissing) as refused:
        domain.check_stop_measure(
            ongoing=True, stop_measure=None, stop_measure_at=None, found_at=FOUND, now=NOW
        )
    assert refused.value.extensions["missing"] == ["stop_measure", "stop_measure_at"]
    domain.check_stop_measure(
        ongoing=True,
        stop_measure="责令停止",
        stop_measure_at=FOUND + timedelta(minutes=5),
        found_at=FOUND,
        now=NOW,
    )
    domain.check_stop_measure(
        ongoing=False, stop_measure=None, stop_measure_at=None, found_at=FOUND, now=NOW
    )


def test_ref_04_stop_measure_cannot_predate_the_finding() -> None:
    with pytest.raises(StopMeasureMissing):
        domain.check_stop_measure(
            ongoing=True,
            stop_measure="责令停止",
            stop_measure_at=FOUND - timedelta(days=1),
            found_at=FOUND,
            now=NOW,
        )


def test_ref_04_stop_measure_cannot_be_dated_after_now() -> None:
    """A measure dated in the future is a promise, not the measure REF-04 asks to be taken."""
    with pytest.raises(StopMeasureMissing) as refused:
        domain.check_stop_measure(
            ongoing=True,
            stop_measure="责令停止",
            stop_measure_at=NOW + timedelta(days=1),
            found_at=FOUND,
            now=NOW,
        )
    assert refused.value.extensions["missing"] == ["stop_measure_at"]


def test_ref_05_letter_and_item_list_are_required() -> None:
    with pytest.raises(MaterialsMissing) as refused:
        domain.check_sendable(matter_code="ENV-001", receiver="town:a", kinds=[], items=[])
    assert refused.value.extensions["missing"] == ["letter", "item-list"]
    domain.check_sendable(
        matter_code="ENV-001",
        receiver="town:a",
        kinds=[MaterialKind.LETTER, MaterialKind.ITEM_LIST],
        items=[],
    )
    # REF-05 without retyping: the 案件移送函 the platform issues at sending (its attachment the
    # item list) stands for both; the evidence of items disposed of in advance still does not.
    domain.check_sendable(
        matter_code="ENV-001", receiver="town:a", kinds=[], items=[], letter_issued=True
    )
    disposed = Item(name="冻肉", quantity=Decimal("20"), disposed_in_advance=True, proceeds=None)
    with pytest.raises(MaterialsMissing) as refused:
        domain.check_sendable(
            matter_code="ENV-001",
            receiver="town:a",
            kinds=[],
            items=[disposed],
            letter_issued=True,
        )
    assert refused.value.extensions["missing"] == ["disposal-evidence", "proceeds of 冻肉"]


def test_ref_05_items_disposed_in_advance_need_evidence_and_proceeds() -> None:
    items = [
        Item(name="冻肉", quantity=Decimal("20"), disposed_in_advance=True, proceeds=None),
        Item(
            name="鱼", quantity=Decimal("5"), disposed_in_advance=True, proceeds=Decimal("300.50")
        ),
    ]
    missing = domain.missing_materials([MaterialKind.LETTER, MaterialKind.ITEM_LIST], items)
    assert missing == ["disposal-evidence", "proceeds of 冻肉"]
    assert domain.proceeds_total(items) == Decimal("300.50")


def test_ref_06_receipt_numbers_are_one_series_per_receiver_and_year() -> None:
    assert domain.receipt_number("dept:water", 2024, 12) == "dept:water-2024-00012"


def test_ref_07_and_ref_08_the_answer_is_accept_or_report() -> None:
    assert domain.answer_step(AnswerDecision.ACCEPT) is Step.ACCEPT
    assert domain.answer_step(AnswerDecision.REPORT_TO_DISTRICT_GOV) is Step.REPORT
    assert Step.REPORT.rule == "REF-08"


def test_ref_08_district_government_sees_a_case_only_once_reported() -> None:
    sent = domain.Parties(
        sender="town:a", receiver="dept:b", assignee=None, state=ReferralState.SENT
    )
    assert "district-gov" not in sent.visible_to()
    reported = domain.Parties(
        sender="town:a", receiver="dept:b", assignee=None, state=ReferralState.REPORTED
    )
    assert "district-gov" in reported.visible_to()
    draft = domain.Parties(
        sender="town:a", receiver="dept:b", assignee=None, state=ReferralState.DRAFT
    )
    assert "dept:b" not in draft.visible_to()
    assert "justice-bureau" in draft.visible_to()


def test_ref_10_cooperation_is_asked_only_while_the_case_is_handled() -> None:
    assert domain.next_state(ReferralState.FILED, Step.REQUEST_COOPERATION) is ReferralState.FILED
    with pytest.raises(ReferralInvalidTransition):
        domain.next_state(ReferralState.SENT, Step.REQUEST_COOPERATION)


def test_ref_08_resemblance_sees_through_the_usual_disguises() -> None:
    from datetime import UTC, datetime, timedelta

    from referral.domain import CaseKey, Ground, normalise_identity, normalise_name, resemblance

    found = datetime(2024, 3, 1, 2, tzinfo=UTC)
    held = CaseKey(
        facts="巡查发现某某化工有限公司通过暗管向麻溪河直排生产废水",
        found_at=found,
        party_id=normalise_identity("91500102MA5U7YBX2G"),
        party_name=normalise_name("某某化工有限公司"),
        party_is_organisation=True,
        matter_code="ENV-001",
        place_town="town:lizhi",
    )

    def grounds(**new: object) -> set[Ground]:
        fields: dict[str, object] = {"facts": "另案：餐馆占道经营", "found_at": found}
        fields.update(new)
        match = resemblance(
            CaseKey(**fields),  # type: ignore[arg-type]
            held,
            held_id="r1",
            facts_threshold=0.4,
            window=timedelta(days=30),
        )
        return set(match.grounds) if match else set()

    assert grounds() == set()
    # the credit code in lower case, with spaces or full-width characters
    assert grounds(party_id=normalise_identity(" 91500102ma5u7ybx2g ")) == {Ground.SAME_PARTY}
    assert grounds(party_id=normalise_identity("９１５００１０２ＭＡ５Ｕ７ＹＢＸ２Ｇ")) == {
        Ground.SAME_PARTY
    }
    # the company's name passed off as a citizen's
    assert grounds(party_name=normalise_name("某某化工 有限公司")) == {Ground.SAME_PARTY}
    # the party left out but named in paraphrased facts, by name or by number
    # (a paraphrase of the same facts, which the words measure now also sees)
    assert grounds(facts="某某化工有限公司 向河道排放污水（暗管）") == {
        Ground.SAME_PARTY,
        Ground.SIMILAR_FACTS,
    }
    assert grounds(facts="统一社会信用代码91500102ma5u7ybx2g的企业排污") == {Ground.SAME_PARTY}
    # a character changed, re-punctuated, padded with more text
    assert grounds(
        facts="巡查发现，某公司通过暗管向麻溪河直排生产废液!经查该公司无排污许可证。"
    ) == {Ground.SIMILAR_FACTS}
    # the same place within the window, whatever matter code is named; not after it
    assert grounds(matter_code="ENV-001", place_town="town:lizhi") == {Ground.SAME_PLACE_AND_TIME}
    assert grounds(matter_code="TOWN-009", place_town="town:lizhi") == {Ground.SAME_PLACE_AND_TIME}
    assert (
        grounds(matter_code="ENV-001", place_town="town:lizhi", found_at=found + timedelta(days=31))
        == set()
    )
    # two citizens called 张三 are not the same party by name
    citizen = CaseKey(facts="x", found_at=found, party_name=normalise_name("张三"))
    assert (
        resemblance(
            CaseKey(facts="y", found_at=found, party_name=normalise_name("张三")),
            citizen,
            held_id="r2",
            facts_threshold=0.4,
            window=timedelta(days=30),
        )
        is None
    )


def test_ref_08_a_masked_citizens_number_still_tells_the_same_party() -> None:
    """Issue 25: events carry a citizen's number masked (first 6, last 4), so a draft made
    from a review opinion holds it masked; REF-08 still finds the citizen of a held case by
    the characters both numbers show, and tells a different citizen apart."""
    from referral.domain import CaseKey, Ground, normalise_identity, resemblance, same_identity
    from xietong_common.parties import mask_identity

    full = "11010519491231002X"
    masked = normalise_identity(mask_identity(full))
    assert masked == "110105********002X"
    found = datetime(2024, 3, 1, 2, tzinfo=UTC)
    held = CaseKey(facts="张某在河道旁倾倒建筑垃圾", found_at=found, party_id=full)

    def same(number: str) -> bool:
        match = resemblance(
            CaseKey(
                facts="另案：餐馆占道经营", found_at=found, party_id=normalise_identity(number)
            ),
            held,
            held_id="r1",
            facts_threshold=0.9,
            window=timedelta(days=0),
        )
        return match is not None and Ground.SAME_PARTY in match.grounds

    assert same(mask_identity(full))
    assert same("110105 ******** 002x")  # as typed again from the event
    assert not same("110105********0031")  # another citizen of the district
    assert not same("510105********002X")  # another place of registration
    assert not same_identity("****", "1234")  # nothing shown: nothing to match on
    assert normalise_identity("********") is None
