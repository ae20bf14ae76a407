"""REF-03, REF-06, REF-07, REF-09 on the working-day calendar (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from referral import domain
from referral.domain import period
from referral.errors import ConclusionPeriodRefused, ConclusionPeriodUnfounded, TimeLimitMissing
from xietong_common.calendar import WorkingDayCalendar
from xietong_common.contracts.referral import CaseProcedure
from xietong_common.settings import ServiceSettings


@pytest.fixture(scope="module")
def calendar() -> WorkingDayCalendar:
    return WorkingDayCalendar.load(ServiceSettings().data_dir / "calendar")


def cst(y: int, m: int, d: int, h: int = 0) -> datetime:
    """A China Standard Time wall-clock moment, as UTC."""
    return datetime(y, m, d, h, tzinfo=UTC) - timedelta(hours=8)


def test_ref_03_five_working_days_after_the_finding(calendar: WorkingDayCalendar) -> None:
    found = cst(2024, 3, 1, 10)  # Friday
    due = calendar.deadline_for(found, domain.send_deadline(urgent=False))
    assert due.due_at == cst(2024, 3, 9)  # Fri 8 Mar 24:00 CST
    assert not due.provisional
    assert due.rule_id == "REF-03"


def test_ref_03_urgent_referral_due_in_24h(calendar: WorkingDayCalendar) -> None:
    found = cst(2024, 2, 9, 21)  # 除夕 evening, holidays follow: clock hours all the same
    due = calendar.deadline_for(found, domain.send_deadline(urgent=True))
    assert due.due_at == found + timedelta(hours=24)


def test_ref_03_across_spring_festival_2024_with_the_adjusted_sunday(
    calendar: WorkingDayCalendar,
) -> None:
    # 10–17 Feb 2024 are holidays; Sun 18 Feb is a working day (调休).
    due = calendar.deadline_for(cst(2024, 2, 9, 10), domain.send_deadline(urgent=False))
    assert due.due_at == cst(2024, 2, 23)  # 18, 19, 20, 21, 22 Feb → 22 Feb 24:00 CST


def test_ref_03_across_national_day_2024_ending_on_the_adjusted_saturday(
    calendar: WorkingDayCalendar,
) -> None:
    # 1–7 Oct 2024 are holidays; Sat 12 Oct is a working day (调休).
    due = calendar.deadline_for(cst(2024, 9, 30, 10), domain.send_deadline(urgent=False))
    assert due.due_at == cst(2024, 10, 13)  # 8, 9, 10, 11, 12 Oct → 12 Oct 24:00 CST


def test_ref_03_counts_the_adjusted_sunday_before_national_day(
    calendar: WorkingDayCalendar,
) -> None:
    # Found Fri 27 Sep 2024: Sun 29 Sep is a working day, then 30 Sep, 8, 9, 10 Oct.
    due = calendar.deadline_for(cst(2024, 9, 27, 16), domain.send_deadline(urgent=False))
    assert due.due_at == cst(2024, 10, 11)


def test_ref_07_answer_within_five_working_days_of_receipt(calendar: WorkingDayCalendar) -> None:
    # Received Sun 4 Feb 2024 (a working Sunday): 5, 6, 7, 8, 9 Feb → 9 Feb 24:00 CST.
    due = calendar.deadline_for(cst(2024, 2, 4, 9), domain.answer_deadline())
    assert due.due_at == cst(2024, 2, 10)
    assert due.rule_id == "REF-07"


def test_ref_06_receipt_and_ref_09_filing_are_settings_in_working_days(
    calendar: WorkingDayCalendar,
) -> None:
    assert calendar.deadline_for(cst(2024, 3, 1, 10), domain.receipt_deadline(2)).due_at == cst(
        2024, 3, 6
    )
    rule = domain.filing_deadline(3)
    assert rule.rule_id == "REF-09"
    assert calendar.deadline_for(cst(2024, 3, 1, 10), rule).due_at == cst(2024, 3, 7)


def test_ref_09_conclusion_limit_follows_the_procedure_in_calendar_days(
    calendar: WorkingDayCalendar,
) -> None:
    rule = domain.conclusion_deadline(CaseProcedure.ORDINARY, days=None, ordinary_days=90)
    assert rule is not None
    assert (rule.unit, rule.amount, rule.rule_id) == ("calendar_days", 90, "REF-09")
    # filed Fri 1 Mar 2024 10:00 CST → 24:00 CST on Thu 30 May 2024, not filing + 2,160 h
    due = calendar.deadline_for(cst(2024, 3, 1, 10), rule)
    assert due.due_at == cst(2024, 5, 31)
    assert due.due_at != cst(2024, 3, 1, 10) + timedelta(hours=90 * 24)
    assert domain.conclusion_deadline(CaseProcedure.SUMMARY, days=90, ordinary_days=90) is None
    stated = domain.conclusion_deadline(CaseProcedure.OTHER, days=30, ordinary_days=90)
    assert stated is not None
    assert stated.amount == 30


def test_ref_09_other_procedure_without_a_limit_says_why() -> None:
    with pytest.raises(TimeLimitMissing):
        domain.conclusion_deadline(CaseProcedure.OTHER, days=None, ordinary_days=90)
    for thin in ("  ", "无期限", "x"):  # a reason oversight can rule on: 8+ characters
        with pytest.raises(TimeLimitMissing):
            domain.conclusion_deadline(
                CaseProcedure.OTHER, days=None, ordinary_days=90, no_limit_reason=thin
            )
    assert (
        domain.conclusion_deadline(
            CaseProcedure.OTHER, days=None, ordinary_days=90, no_limit_reason="法律未规定办结期限"
        )
        is None
    )


def test_ref_03_unknown_year_is_provisional(calendar: WorkingDayCalendar) -> None:
    due = calendar.deadline_for(
        datetime(2031, 3, 3, 2, tzinfo=UTC), domain.send_deadline(urgent=False)
    )
    assert due.provisional


# ---- REF-09: suspension (中止) and extension (延长) of the conclusion period -----------------


def test_ref_09_a_suspension_is_bounded_in_working_days_across_the_spring_festival(
    calendar: WorkingDayCalendar,
) -> None:
    # Due at 24:00 CST on Fri 1 Mar 2024; suspended Fri 2 Feb: 28 days left. Seven working
    # days allowed: Sun 4 Feb (调休), 5-9 Feb, then the holiday 10-17 Feb, Sun 18 Feb (调休).
    due, now = cst(2024, 3, 2), cst(2024, 2, 2, 10)
    held = period.suspend(
        calendar,
        due_at=due,
        now=now,
        suspended=False,
        suspensions=0,
        max_count=2,
        used_working_days=0,
        max_working_days=7,
    )
    assert (held.days_left, held.latest_resume) == (28, date(2024, 2, 18))
    assert held.due_at == cst(2024, 3, 18)  # 18 Feb + 28 days = 17 Mar, 24:00 CST
    # Resumed on Mon 5 Feb: the 28 days run from there; it stood 2 working days (Sun 4, Mon 5).
    assert period.resume(
        calendar,
        suspended_at=now,
        latest_resume=held.latest_resume,
        days_left=28,
        now=cst(2024, 2, 5, 9),
    ) == (cst(2024, 3, 5), 2)
    # Resumed after the latest day allowed: the clock had restarted by itself then.
    assert period.resume(
        calendar,
        suspended_at=now,
        latest_resume=held.latest_resume,
        days_left=28,
        now=cst(2024, 3, 20, 9),
    ) == (held.due_at, 7)


def test_ref_09_the_walk_arounds_of_the_conclusion_period_are_refused(
    calendar: WorkingDayCalendar,
) -> None:
    due, now = cst(2024, 5, 31), cst(2024, 3, 11, 10)
    common = {"due_at": due, "now": now, "max_count": 2, "max_working_days": 60}
    for refused in (
        {"suspended": True, "suspensions": 1, "used_working_days": 0},  # suspended already
        {"suspended": False, "suspensions": 2, "used_working_days": 0},  # endless suspensions
        {"suspended": False, "suspensions": 1, "used_working_days": 60},  # too long in all
    ):
        with pytest.raises(ConclusionPeriodRefused):
            period.suspend(calendar, **common, **refused)  # type: ignore[arg-type]
    late = {"due_at": due, "now": cst(2024, 6, 1, 9), "suspended": False}
    with pytest.raises(ConclusionPeriodRefused):  # the period ran out: a miss stays a miss
        period.suspend(
            calendar, **late, suspensions=0, max_count=2, used_working_days=0, max_working_days=60
        )
    with pytest.raises(ConclusionPeriodRefused):
        period.extend(**late, days=10, extensions=0, max_count=1, max_days=30)
    with pytest.raises(ConclusionPeriodRefused):  # no clock to change (summary procedure)
        period.extend(
            due_at=None, now=now, suspended=False, days=10, extensions=0, max_count=1, max_days=30
        )
    with pytest.raises(ConclusionPeriodRefused):  # one extension
        period.extend(
            due_at=due, now=now, suspended=False, days=10, extensions=1, max_count=1, max_days=30
        )
    with pytest.raises(ConclusionPeriodUnfounded):  # more days than the setting
        period.extend(
            due_at=due, now=now, suspended=False, days=31, extensions=0, max_count=1, max_days=30
        )
    assert period.extend(
        due_at=due, now=now, suspended=False, days=30, extensions=0, max_count=1, max_days=30
    ) == cst(2024, 6, 30)


@pytest.mark.parametrize(
    ("reason", "law", "article", "missing"),
    [
        (None, "《生态环境行政处罚办法》", "第五十八条", ["reason"]),
        ("等待", "《生态环境行政处罚办法》", "第五十八条", ["reason"]),
        ("案件需等待司法鉴定结论", "有关规定", "第1条", ["law"]),
        ("案件需等待司法鉴定结论", "《生态环境行政处罚办法》", "相关条款", ["article"]),
        ("x", None, None, ["reason", "law", "article"]),
    ],
)
def test_ref_09_a_suspension_or_extension_states_a_reason_and_its_legal_basis(
    reason: str | None, law: str | None, article: str | None, missing: list[str]
) -> None:
    with pytest.raises(ConclusionPeriodUnfounded) as refused:
        period.check_grounds(reason=reason, law=law, article=article, basis=True)
    assert refused.value.extensions["missing"] == missing
    period.check_grounds(reason="司法鉴定结论已经送达", law=None, article=None, basis=False)
