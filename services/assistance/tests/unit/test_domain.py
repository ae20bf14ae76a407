"""The rules of 执法协助 as plain functions: no database, no clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from assistance import domain
from assistance.domain import AssistanceState, MatterPowers, OfficerNamed, Step
from assistance.errors import (
    AssistanceInvalidTransition,
    CompletionDateNotAllowed,
    ExtensionNotAllowed,
    GroundNotDescribed,
    MaterialsHolderNotAllowed,
    OfficerIneligible,
    ReasonMissing,
    RefusalUnfounded,
    RefusalWithinPowers,
    ResultMissing,
)
from xietong_common.contracts.assistance import AssistanceGround, RefusalGround

S = AssistanceState
ECOLOGY_TOWN_LEVEL = MatterPowers(code="ENV-002", owner="dept:ecology-environment", town_level=True)
ECOLOGY_DEPT_LEVEL = MatterPowers(
    code="ENV-001", owner="dept:ecology-environment", town_level=False
)
NOW = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)


def test_states_and_steps_carry_chinese_and_english_names() -> None:
    assert S.REQUESTED.label_zh == "已提出协助请求"
    assert S.REFUSED.label_zh == "不予协助"
    assert all(s.label_zh and s.label_en for s in S)
    assert all(step.label_zh and step.rule.startswith("ASSIST-") for step in Step)


def test_the_full_path_of_states() -> None:
    state = S.DRAFT
    for step in (Step.SUBMIT, Step.ACCEPT, Step.DELIVER, Step.RETURN, Step.DELIVER, Step.CONFIRM):
        state = domain.next_state(state, step)
    assert state is S.COMPLETED


@pytest.mark.parametrize(
    ("state", "step"),
    [
        (S.DRAFT, Step.ACCEPT),
        (S.REQUESTED, Step.DELIVER),
        (S.REFUSED, Step.ACCEPT),
        (S.COMPLETED, Step.REFUSE),
        (S.DELIVERED, Step.REFUSE),
        (S.DELIVERED, Step.WITHDRAW),
        (S.WITHDRAWN, Step.SUBMIT),
        (S.DRAFT, Step.FLAG),
        (S.REQUESTED, Step.REQUEST_EXTENSION),
        (S.COMPLETED, Step.ATTACH),
    ],
)
def test_illegal_transitions_are_refused_with_their_rule(state: S, step: Step) -> None:
    with pytest.raises(AssistanceInvalidTransition) as refused:
        domain.next_state(state, step)
    assert refused.value.extensions["rule"] == step.rule
    assert refused.value.detail_zh
    assert state.label_zh in refused.value.detail_zh


def test_assist_01_the_department_whose_powers_cover_the_matter_is_proposed() -> None:
    chosen = domain.address(matter=ECOLOGY_TOWN_LEVEL, chosen=None)
    assert chosen.department == chosen.proposed == "dept:ecology-environment"
    assert chosen.within_powers
    assert chosen.warnings == ()


def test_assist_01_warns_when_the_chosen_department_powers_do_not_cover_the_matter() -> None:
    chosen = domain.address(matter=ECOLOGY_TOWN_LEVEL, chosen="dept:water")
    assert chosen.department == "dept:water"
    assert chosen.proposed == "dept:ecology-environment"
    assert not chosen.within_powers
    assert [w.code for w in chosen.warnings] == ["department-not-competent"]


def test_assist_01_warns_that_a_matter_not_delegated_to_towns_is_referred() -> None:
    chosen = domain.address(matter=ECOLOGY_DEPT_LEVEL, chosen=None)
    assert [w.code for w in chosen.warnings] == ["matter-not-delegated"]
    assert chosen.warnings[0].rule == "REF-01"


def test_assist_02_the_named_holder_of_the_materials_is_within_its_powers() -> None:
    held = domain.address(matter=ECOLOGY_TOWN_LEVEL, chosen="dept:water", holder="dept:water")
    assert held.within_powers
    assert held.proposed == "dept:ecology-environment"
    assert "department-not-competent" not in [w.code for w in held.warnings]
    elsewhere = domain.address(
        matter=ECOLOGY_TOWN_LEVEL, chosen="dept:transport", holder="dept:water"
    )
    assert not elsewhere.within_powers
    assert [w.code for w in elsewhere.warnings] == ["department-not-competent"]
    assert domain.within_powers(
        owner="dept:ecology-environment", department="dept:ecology-environment", holder=None
    )


def test_assist_02_the_holder_of_the_materials_is_named_on_ground_2_only() -> None:
    domain.check_holder(AssistanceGround.HELD_BY_ANOTHER_AGENCY, "dept:water")
    domain.check_holder(AssistanceGround.TECHNICAL_SUPPORT, None)
    with pytest.raises(MaterialsHolderNotAllowed) as refused:
        domain.check_holder(AssistanceGround.TECHNICAL_SUPPORT, "dept:water")
    assert refused.value.extensions["rule"] == "ASSIST-02"


def test_assist_01_the_ground_other_needs_a_description() -> None:
    with pytest.raises(GroundNotDescribed):
        domain.check_ground(AssistanceGround.OTHER, "  。。 ", min_chars=8)
    domain.check_ground(AssistanceGround.OTHER, "需要协助现场维持秩序并固定证据", min_chars=8)
    domain.check_ground(AssistanceGround.TECHNICAL_SUPPORT, None, min_chars=8)


def test_assist_01_four_grounds_as_the_notice_lists_them() -> None:
    assert [g.number for g in AssistanceGround] == [1, 2, 3, 4]
    assert "鉴定、检验、检测" in AssistanceGround.TECHNICAL_SUPPORT.label_zh


def test_meaningful_characters_do_not_count_punctuation_or_spaces() -> None:
    assert domain.meaningful_chars("。。。 ,,, ——") == 0
    assert domain.meaningful_chars("不属于本局职权") == 7
    assert domain.meaningful_chars("Article 28!") == 9


def refuse(**overrides: object) -> None:
    values: dict[str, object] = {
        "ground": RefusalGround.FORBIDDEN_BY_LAW,
        "law": "《中华人民共和国保守国家秘密法》",
        "article": "第二十八条",
        "reason": "所需材料已定密为秘密级，依法不得提供",
        "within_powers": True,
        "after_acceptance": False,
        "min_chars": 8,
    }
    values.update(overrides)
    domain.check_refusal(**values)  # type: ignore[arg-type]


def test_assist_03_forbidden_by_law_with_law_article_and_reason_is_a_refusal() -> None:
    refuse()
    refuse(article="第28条第一款")


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({"reason": "无"}, ["reason"]),
        ({"reason": "。。。。。。。。。。"}, ["reason"]),
        ({"law": None}, ["law"]),
        ({"article": "相关条款"}, ["article"]),
        ({"law": "", "article": None, "reason": "不行"}, ["reason", "law", "article"]),
        # the review's walk-around: a gesture at the law passed for a citation of one
        ({"law": "有关规定", "article": "第1条", "reason": "依照有关规定不予协助"}, ["law"]),
        ({"law": "《相关法律法规》"}, ["law"]),
        ({"law": "上级规定"}, ["law"]),
    ],
)
def test_assist_03_a_refusal_without_legal_ground_or_written_reason_is_refused(
    overrides: dict[str, object], missing: list[str]
) -> None:
    with pytest.raises(RefusalUnfounded) as refused:
        refuse(**overrides)
    assert refused.value.extensions["missing"] == missing
    assert refused.value.extensions["rule"] == "ASSIST-03"


def test_assist_03_outside_powers_needs_only_a_reason_where_the_catalogue_agrees() -> None:
    refuse(ground=RefusalGround.OUTSIDE_POWERS, law=None, article=None, within_powers=False)


def test_assist_03_outside_powers_refused_for_a_matter_the_catalogue_puts_within_them() -> None:
    with pytest.raises(RefusalWithinPowers):
        refuse(ground=RefusalGround.OUTSIDE_POWERS, within_powers=True)


def test_assist_03_outside_powers_refused_after_having_accepted() -> None:
    with pytest.raises(RefusalWithinPowers):
        refuse(ground=RefusalGround.OUTSIDE_POWERS, within_powers=False, after_acceptance=True)
    refuse(after_acceptance=True)  # a legal prohibition still ends the duty


def test_assist_04_promptly_is_a_setting_in_working_days_or_hours_when_urgent() -> None:
    rule = domain.response_deadline(urgent=False, working_days=5, urgent_hours=24)
    assert (rule.unit, rule.amount, rule.rule_id) == ("working_days", 5, "ASSIST-04")
    rule = domain.response_deadline(urgent=True, working_days=5, urgent_hours=24)
    assert (rule.unit, rule.amount) == ("hours", 24)


def test_assist_04_the_completion_date_lies_between_today_and_the_longest_period() -> None:
    today, latest = date(2024, 3, 1), date(2024, 3, 29)
    domain.check_completion_date(today, today=today, latest=latest)
    domain.check_completion_date(latest, today=today, latest=latest)
    with pytest.raises(CompletionDateNotAllowed):
        domain.check_completion_date(date(2024, 2, 29), today=today, latest=latest)
    with pytest.raises(CompletionDateNotAllowed) as late:
        domain.check_completion_date(date(2099, 1, 1), today=today, latest=latest)
    assert late.value.extensions["latest"] == "2024-03-29"


def extension(**overrides: object) -> None:
    values: dict[str, object] = {
        "current": date(2024, 3, 8),
        "proposed": date(2024, 3, 15),
        "latest": date(2024, 3, 29),
        "agreed_so_far": 0,
        "max_extensions": 2,
        "pending": False,
        "now": NOW,
        "due_at": NOW + timedelta(days=7),
    }
    values.update(overrides)
    domain.check_extension(**values)  # type: ignore[arg-type]


def test_assist_04_an_extension_cannot_be_asked_forever() -> None:
    extension()
    with pytest.raises(ExtensionNotAllowed):
        extension(agreed_so_far=2)
    with pytest.raises(ExtensionNotAllowed):
        extension(pending=True)
    with pytest.raises(ExtensionNotAllowed):
        extension(due_at=NOW - timedelta(seconds=1))  # the date already passed
    with pytest.raises(ExtensionNotAllowed):
        extension(proposed=date(2024, 3, 8))  # not later
    with pytest.raises(CompletionDateNotAllowed):
        extension(proposed=date(2024, 6, 1))  # beyond the longest period


def test_assist_02_materials_and_reports_are_delivered_as_files() -> None:
    with pytest.raises(ResultMissing):
        domain.check_result(AssistanceGround.TECHNICAL_SUPPORT, 0)
    domain.check_result(AssistanceGround.TECHNICAL_SUPPORT, 1)
    domain.check_result(AssistanceGround.OTHER, 0)


def test_assist_02_officers_are_named_once_and_a_seconded_one_by_roster_id() -> None:
    own = OfficerNamed(name="张三", certificate_number="50010220240001", seconded=False)
    domain.check_officers([own])
    with pytest.raises(OfficerIneligible):
        domain.check_officers([])
    with pytest.raises(OfficerIneligible):
        domain.check_officers([own, own])
    with pytest.raises(OfficerIneligible) as refused:
        domain.check_officers(
            [OfficerNamed(name="李四", certificate_number="50010220240002", seconded=True)]
        )
    assert "officer_id" in refused.value.detail


def test_a_reason_says_something() -> None:
    with pytest.raises(ReasonMissing):
        domain.check_reason("……", field="reason", min_chars=8, rule="ASSIST-02")
    domain.check_reason("多次催办均未答复，拖延两周", field="reason", min_chars=8, rule="ASSIST-02")


def test_parties_the_department_sees_a_request_once_asked() -> None:
    draft = domain.Parties(town="town:lizhi", department="dept:water", state=S.DRAFT)
    assert draft.visible_to() == {"town:lizhi", "justice-bureau"}
    asked = domain.Parties(town="town:lizhi", department="dept:water", state=S.REQUESTED)
    assert asked.visible_to() == {"town:lizhi", "justice-bureau", "dept:water"}
