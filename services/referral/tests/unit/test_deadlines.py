"""REF-03, REF-06, REF-07, REF-09 on the working-day calendar (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from referral import domain
from referral.errors import TimeLimitMissing
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
