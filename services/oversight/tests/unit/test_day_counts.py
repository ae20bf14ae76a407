"""SUP-02: how the assessment reads a period from the pre-aggregate — whole months from the
month counts (but the current one), the rest from the day counts — and which figures a
deadline counts in on its day."""

from __future__ import annotations

from datetime import date

from oversight import domain
from oversight.service.days import read_plan

TODAY = date(2026, 12, 6)


def test_sup_02_a_year_is_read_as_twelve_months() -> None:
    months, ranges = read_plan(date(2025, 1, 1), date(2025, 12, 31), TODAY)
    assert months == [date(2025, m, 1) for m in range(1, 13)]
    assert ranges == []


def test_sup_02_ragged_ends_and_the_current_month_are_read_as_days() -> None:
    months, ranges = read_plan(date(2026, 9, 10), date(2026, 12, 31), TODAY)
    assert months == [date(2026, 10, 1), date(2026, 11, 1)]
    assert ranges == [
        (date(2026, 9, 10), date(2026, 9, 30)),
        (date(2026, 12, 1), date(2026, 12, 31)),
    ]
    assert read_plan(date(2024, 2, 1), date(2024, 2, 29), TODAY) == ([date(2024, 2, 1)], [])
    assert read_plan(date(2024, 3, 31), date(2024, 4, 1), TODAY) == (
        [],
        [(date(2024, 3, 31), date(2024, 4, 1))],
    )
    assert read_plan(TODAY, TODAY, TODAY) == ([], [(TODAY, TODAY)])


def test_sup_02_a_deadline_counts_in_one_outcome_on_its_day() -> None:
    outcomes = ("breached", "met_on_time", "ended", "provisional", "open")
    for breached in (False, True):
        for met in (False, True):
            for ended in (False, True):
                for provisional in (False, True):
                    figures = domain.day_figures(
                        breached=breached, met=met, ended=ended, provisional=provisional
                    )
                    assert sum(figures[o] for o in outcomes) <= 1
                    assert figures["met_late"] == int(breached and met)
    assert domain.day_figures(breached=False, met=False, ended=False, provisional=False) == {
        "breached": 0,
        "met_late": 0,
        "met_on_time": 0,
        "ended": 0,
        "provisional": 0,
        "open": 1,
    }
