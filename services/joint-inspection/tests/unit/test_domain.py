"""The rules of 综合查一次 as pure functions (INSP-01..INSP-08), no servers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from joint_inspection.domain import (
    Candidate,
    InspectionMethod,
    NoticePolicy,
    OrderRef,
    OrderState,
    OrderStep,
    OutcomeFacts,
    PlanBasis,
    Readiness,
    RiskPolicy,
    Rule,
    Signal,
    VisitState,
    check_closable,
    check_inspectors_on_site,
    check_issuable,
    check_notice_allowed,
    check_notice_before_visit,
    check_outcome,
    check_round,
    check_rules,
    decided,
    draw,
    identity_of,
    is_law_abiding,
    jurisdiction,
    needs_finding_event,
    next_state,
    risk_score,
    seed_hash,
    signal_weight,
    survivor,
    within_window,
)
from joint_inspection.domain.visits import MergeState
from joint_inspection.errors import (
    ConsultationRequired,
    InvalidPlan,
    NoticeForbidden,
    NoticeRequired,
    OrderArchived,
    OrderIncomplete,
    OutcomeIncomplete,
    TargetsOpen,
    TooFewInspectors,
)
from joint_inspection.schemas import TargetIn
from xietong_common.contracts.inspection import FindingOutcome, SeriousScope
from xietong_common.parties import IdentityError, PartyKind

VALID = "91500102MA5U7YBX2G"  # a real-format code with its check character
T0 = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)


# ---- identities (GB 32100 / GB 11643) -------------------------------------------------------------


def target(number: str, kind: str = "legal-person") -> TargetIn:
    return TargetIn.model_validate(
        {
            "name": "某餐饮店",
            "party_kind": kind,
            "id_number": number,
            "industry": "餐饮",
            "supervision_level": "b",
            "town": "town:lizhi",
        }
    )


def test_insp_02_credit_code_checksum_valid_and_one_character_wrong_names_the_position() -> None:
    assert target(VALID).id_number == VALID
    assert target(VALID.lower()).id_number == VALID.lower()  # normalised when kept
    wrong_check = VALID[:-1] + "A"
    with pytest.raises(ValidationError) as info:
        target(wrong_check)
    error = info.value.errors()[0]
    assert error["type"] == "identity_number"
    assert error["ctx"]["position"] == 18
    typo = VALID[:9] + "B" + VALID[10:]  # the 10th character mistyped: the check fails
    with pytest.raises(ValidationError) as info:
        target(typo)
    assert info.value.errors()[0]["ctx"]["position"] == 18
    letter_in_division = VALID[:4] + "X" + VALID[5:]
    with pytest.raises(ValidationError) as info:
        target(letter_in_division)
    assert info.value.errors()[0]["ctx"]["position"] == 5
    with pytest.raises(ValidationError) as info:
        target(VALID[:-1])
    assert info.value.errors()[0]["ctx"]["position"] == 0


def test_insp_02_a_person_is_kept_only_as_a_keyed_digest_and_a_mask() -> None:
    number = "11010519491231002X"
    kept = identity_of(PartyKind.CITIZEN, number, key=b"k1")
    assert kept.credit_code is None
    assert kept.identity_masked == "110105********002X"
    assert number not in (kept.identity_digest or "")
    assert identity_of(PartyKind.CITIZEN, number.lower(), key=b"k1") == kept
    assert identity_of(PartyKind.CITIZEN, number, key=b"k2").identity_digest != kept.identity_digest
    with pytest.raises(IdentityError):
        identity_of(PartyKind.CITIZEN, "110105194912310021", key=b"k1")
    org = identity_of(PartyKind.LEGAL_PERSON, VALID, key=b"k1")
    assert org.credit_code == VALID
    assert org.identity_digest is None


# ---- risk and 守法诚信 (INSP-02) -------------------------------------------------------------------

POLICY = RiskPolicy(risk_window_days=365, clean_record_days=365)
DAY = date(2024, 3, 1)


def test_insp_02_signals_in_the_window_add_up_to_the_risk() -> None:
    signals = [Signal(DAY - timedelta(days=10), 5), Signal(DAY - timedelta(days=400), 50)]
    assert risk_score(signals, policy=POLICY, day=DAY) == 5
    assert risk_score([Signal(DAY + timedelta(days=1), 5)], policy=POLICY, day=DAY) == 0


def test_insp_02_law_abiding_needs_a_whole_clean_period_of_supervision() -> None:
    old = DAY - timedelta(days=800)
    assert is_law_abiding(
        supervised_since=old, registered_on=old, level="b", signals=[], policy=POLICY, day=DAY
    )
    assert not is_law_abiding(
        supervised_since=old,
        registered_on=old,
        level="b",
        signals=[Signal(DAY - timedelta(days=30), 1)],
        policy=POLICY,
        day=DAY,
    )
    # registered yesterday: no record yet, so not clean (no dodging by re-registering)
    yesterday = DAY - timedelta(days=1)
    assert not is_law_abiding(
        supervised_since=yesterday,
        registered_on=yesterday,
        level="b",
        signals=[],
        policy=POLICY,
        day=DAY,
    )


def test_insp_02_a_class_c_or_d_or_newly_registered_target_is_never_law_abiding() -> None:
    old = DAY - timedelta(days=800)
    assert is_law_abiding(
        supervised_since=old, registered_on=old, level="b", signals=[], policy=POLICY, day=DAY
    )
    for level in ("c", "d"):  # 信用风险较高/高: no signal on record is not a clean record
        assert not is_law_abiding(
            supervised_since=old, registered_on=old, level=level, signals=[], policy=POLICY, day=DAY
        )
    # an old 纳入监管日期 imported yesterday: the platform has not watched it for the period
    assert not is_law_abiding(
        supervised_since=old,
        registered_on=DAY - timedelta(days=1),
        level="a",
        signals=[],
        policy=POLICY,
        day=DAY,
    )


# ---- the draw (INSP-02) ----------------------------------------------------------------------------


def pool(
    n: int, *, clean: bool = False, risk: int = 0, position: int = 0, pct: str = "10"
) -> list[Candidate]:
    return [
        Candidate(
            target_id=f"00000000-0000-4000-8000-{position:04d}{i:08d}",
            rule_position=position,
            proportion=Decimal(pct),
            risk=risk,
            clean=clean,
        )
        for i in range(n)
    ]


def drawn(candidates: list[Candidate], seed: str, **kw: object) -> list[str]:
    ranked = draw(
        candidates,
        seed=seed,
        clean_proportion=Decimal(str(kw.get("clean", "0"))),
        threshold=kw.get("threshold"),  # type: ignore[arg-type]
    )
    return [r.target_id for r in ranked if r.drawn]


def test_insp_02_same_seed_same_selection_different_seed_different_selection() -> None:
    candidates = pool(200)
    assert drawn(candidates, "seed-1") == drawn(list(reversed(candidates)), "seed-1")
    assert drawn(candidates, "seed-1") != drawn(candidates, "seed-2")
    assert len(drawn(candidates, "seed-1")) == 20  # 10 % of 200


def test_insp_02_seed_hash_is_the_first_60_bits_of_md5_of_seed_and_id() -> None:
    # md5("abc:x") = ce878ffa85e10d94da153eb7bdb55780; its first 15 hex digits as an integer
    assert seed_hash("abc", "x") == 0xCE878FFA85E10D9 == 930126362488738009
    assert 0 <= seed_hash("s", "t") < 2**60


def test_insp_02_a_law_abiding_target_beyond_the_clean_proportion_is_never_drawn() -> None:
    clean = pool(20, clean=True)
    for seed in (f"s{i}" for i in range(50)):
        assert drawn(clean, seed, clean="0") == []
        assert len(drawn(clean, seed, clean="10")) == 2  # ceil(20 × 10 %)
    risky = pool(20, risk=5)
    assert len(drawn(risky, "s", clean="0")) == 2  # the rule's 10 % still applies to others


def test_insp_02_risk_raises_the_chance_of_being_drawn() -> None:
    low, high = pool(100, risk=0, position=0), pool(100, risk=50, position=1)
    # the same group (position 0) for both: relabel the risky ones into it
    mixed = low + [Candidate(c.target_id, 0, Decimal("10"), c.risk, c.clean) for c in high]
    hits = 0
    for seed in (f"seed{i}" for i in range(40)):
        chosen = set(drawn(mixed, seed))
        hits += len(chosen & {c.target_id for c in high})
    assert hits > 0.8 * 40 * 20  # far above the 50 % an unweighted lot would give


def test_insp_02_targets_over_the_threshold_or_added_by_a_signal_are_always_drawn() -> None:
    candidates = [
        *pool(50, risk=1),
        Candidate("ffffffff-0000-4000-8000-000000000001", 0, Decimal("10"), 30, False),
        Candidate(
            "ffffffff-0000-4000-8000-000000000002", 0, Decimal("10"), 1, False, adjusted=True
        ),
    ]
    for seed in ("a", "b", "c"):
        chosen = drawn(candidates, seed, threshold=30)
        assert chosen[:2] == sorted(chosen[:2], key=lambda t: t.endswith("1"))  # adjusted first
        assert {
            "ffffffff-0000-4000-8000-000000000001",
            "ffffffff-0000-4000-8000-000000000002",
        } <= set(chosen)


def test_insp_01_rules_are_checked() -> None:
    check_rules(PlanBasis.LEVEL, [Rule("d", 4, Decimal("100")), Rule(None, 1, Decimal("5"))])
    with pytest.raises(InvalidPlan):
        check_rules(PlanBasis.LEVEL, [Rule("x", 1, Decimal("5"))])
    with pytest.raises(InvalidPlan):
        check_rules(PlanBasis.INDUSTRY, [Rule(None, 1, Decimal("5")), Rule(None, 2, Decimal("5"))])
    with pytest.raises(InvalidPlan):
        check_rules(PlanBasis.INDUSTRY, [])
    with pytest.raises(InvalidPlan):
        check_round(3, [Rule(None, 2, Decimal("5"))])


# ---- work orders (INSP-03..INSP-07) ---------------------------------------------------------------


def test_insp_04_a_proposal_cannot_be_issued_before_the_town_agrees() -> None:
    with pytest.raises(ConsultationRequired):
        next_state(OrderState.PROPOSED, OrderStep.ISSUE)
    with pytest.raises(ConsultationRequired):
        next_state(OrderState.COUNTER_PROPOSED, OrderStep.ISSUE)
    assert next_state(OrderState.PROPOSED, OrderStep.AGREE) is OrderState.AGREED
    assert next_state(OrderState.AGREED, OrderStep.ISSUE) is OrderState.ISSUED
    assert next_state(OrderState.AGREED, OrderStep.REVISE) is OrderState.PROPOSED


def test_insp_07_a_closed_order_refuses_every_step() -> None:
    for step in OrderStep:
        with pytest.raises(OrderArchived):
            next_state(OrderState.CLOSED, step)


def test_insp_03_an_order_is_issued_with_targets_inspectors_matters_and_notice_decided() -> None:
    with pytest.raises(OrderIncomplete) as info:
        check_issuable(Readiness(0, 0, 1, None, None))
    assert info.value.extensions["missing"] == ["targets", "inspectors", "notice_policy"]
    with pytest.raises(OrderIncomplete):
        check_issuable(Readiness(1, 2, 1, NoticePolicy.LAW_FORBIDS, " "))
    check_issuable(Readiness(1, 2, 1, NoticePolicy.NOTIFY, None))
    assert InspectionMethod.ON_SITE.label_zh == "现场检查"


def test_insp_06_notice_before_the_visit_unless_exempt() -> None:
    with pytest.raises(NoticeRequired):
        check_notice_before_visit(policy=NoticePolicy.NOTIFY, notified_at=None, inspected_at=T0)
    with pytest.raises(NoticeRequired):
        check_notice_before_visit(
            policy=NoticePolicy.NOTIFY, notified_at=T0 + timedelta(hours=1), inspected_at=T0
        )
    check_notice_before_visit(policy=NoticePolicy.NOTIFY, notified_at=T0, inspected_at=T0)
    check_notice_before_visit(
        policy=NoticePolicy.SUPERIOR_INSTRUCTION, notified_at=None, inspected_at=T0
    )
    with pytest.raises(NoticeForbidden):
        check_notice_allowed(NoticePolicy.LAW_FORBIDS)


def test_insp_07_two_inspectors_and_every_target_fed_back() -> None:
    with pytest.raises(TooFewInspectors):
        check_inspectors_on_site(1, 2)
    with pytest.raises(TargetsOpen) as info:
        check_closable(
            [("a", VisitState.FED_BACK), ("b", VisitState.HANDLED), ("c", VisitState.MERGED)]
        )
    assert info.value.extensions["targets"] == [{"target_id": "b", "state": "handled"}]
    check_closable([("a", VisitState.FED_BACK), ("c", VisitState.MERGED)])


# ---- outcomes (INSP-08) ------------------------------------------------------------------------------


def test_insp_08_jurisdiction_follows_the_matter_and_the_participants() -> None:
    town_matter = jurisdiction(
        town_level=True, owner="dept:water", town="town:lizhi", participants={"town:lizhi"}
    )
    assert town_matter.within
    assert town_matter.holder == "town:lizhi"
    dept_matter = jurisdiction(
        town_level=False,
        owner="dept:ecology-environment",
        town="town:lizhi",
        participants={"town:lizhi"},
    )
    assert not dept_matter.within
    assert dept_matter.inspecting_org == "town:lizhi"
    joined = jurisdiction(
        town_level=False,
        owner="dept:ecology-environment",
        town="town:lizhi",
        participants={"town:lizhi", "dept:ecology-environment"},
    )
    assert joined.within
    assert joined.inspecting_org == "dept:ecology-environment"


def facts(outcome: FindingOutcome, **kw: object) -> OutcomeFacts:
    values: dict[str, object] = {
        "outcome": outcome,
        "description": "x",
        "handling": None,
        "guidance": None,
        "matter_code": None,
        "proposed_decision_given": False,
        "serious_scope": None,
        "competent_authority": None,
    }
    values.update(kw)
    return OutcomeFacts(**values)  # type: ignore[arg-type]


def test_insp_08_each_outcome_carries_what_it_needs() -> None:
    check_outcome(facts(FindingOutcome.NO_PROBLEM), within_jurisdiction=None)
    with pytest.raises(OutcomeIncomplete):
        check_outcome(facts(FindingOutcome.GUIDANCE), within_jurisdiction=None)
    with pytest.raises(OutcomeIncomplete) as info:
        check_outcome(
            facts(FindingOutcome.VIOLATION, matter_code="FIR-001"), within_jurisdiction=True
        )
    assert info.value.extensions["missing"] == ["proposed_decision", "handling"]
    check_outcome(facts(FindingOutcome.VIOLATION, matter_code="ENV-001"), within_jurisdiction=False)
    with pytest.raises(OutcomeIncomplete) as info:
        check_outcome(facts(FindingOutcome.SERIOUS), within_jurisdiction=None)
    assert info.value.extensions["missing"] == ["serious_scope", "competent_authority"]
    check_outcome(
        facts(
            FindingOutcome.SERIOUS,
            serious_scope=SeriousScope.MAJOR_HAZARD,
            competent_authority="dept:emergency",
        ),
        within_jurisdiction=None,
    )
    assert needs_finding_event(FindingOutcome.VIOLATION, "FIR-001")
    assert not needs_finding_event(FindingOutcome.GUIDANCE, "FIR-001")
    assert signal_weight(FindingOutcome.SERIOUS, violation=10, guidance=3) == 20
    assert signal_weight(FindingOutcome.NO_PROBLEM, violation=10, guidance=3) is None


# ---- one visit instead of many ---------------------------------------------------------------------


def test_one_visit_window_and_who_leads_a_merged_visit() -> None:
    assert within_window(T0, T0 + timedelta(days=30), days=30)
    assert not within_window(T0, T0 + timedelta(days=31), days=30)
    town = OrderRef("b", "town:lizhi", T0 + timedelta(days=1))
    dept = OrderRef("a", "dept:water", T0)
    assert survivor(dept, town) == (town, dept)
    first, second = (
        OrderRef("x", "dept:water", T0),
        OrderRef("y", "dept:fire-rescue", T0 + timedelta(1)),
    )
    assert survivor(second, first) == (first, second)
    both = {"dept:water", "town:lizhi"}
    assert decided({"dept:water"}, set(), both) is MergeState.PROPOSED
    assert decided(both, set(), both) is MergeState.MERGED
    assert decided({"dept:water"}, {"town:lizhi"}, both) is MergeState.DECLINED


def test_a_deployment_without_its_own_identity_key_stops_at_start() -> None:
    """Without a development key to derive it from, the digest key must be set (INSP targets)."""
    import pytest
    from pydantic import ValidationError

    from joint_inspection.settings import InspectionSettings

    with pytest.raises(ValidationError, match="XIETONG_INSPECTION_IDENTITY_KEY"):
        InspectionSettings(jwt_local_key=False, jwt_jwks_url="http://idp/jwks")
    assert InspectionSettings(jwt_local_key=False, inspection_identity_key="k" * 32)


def test_insp_02_the_snapshot_digest_is_canonical_and_binds_every_input() -> None:
    """The digest an outsider recomputes: entry order does not matter, any input does."""
    from joint_inspection.domain.selection import (
        SnapshotEntry,
        seed_commitment,
        snapshot_digest,
    )

    header = {"round": 1, "town": "town:lizhi", "seed_commitment": seed_commitment("s")}
    a = SnapshotEntry("0a", "餐饮", "b", "2020-01-01", 0, False, True)
    b = SnapshotEntry("0b", "餐饮", "d", "2020-01-01", 7, True, False)
    digest = snapshot_digest(header, [a, b])
    assert digest == snapshot_digest(header, [b, a])
    assert a.line() == (
        '{"clean":true,"industry":"餐饮","level":"b","recent_signal":false,"risk":0,'
        '"target_id":"0a","watched_since":"2020-01-01"}'
    )
    for changed in (
        [a, SnapshotEntry("0b", "餐饮", "c", "2020-01-01", 7, True, False)],
        [a, SnapshotEntry("0b", "餐饮", "d", "2020-01-01", 8, True, False)],
        [a],
    ):
        assert snapshot_digest(header, changed) != digest
    assert snapshot_digest({**header, "round": 2}, [a, b]) != digest
    assert seed_commitment("s") != seed_commitment("t")
