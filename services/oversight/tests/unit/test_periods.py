"""SUP-02: the periods an assessment covers, in China days; what is refused (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from oversight import domain
from oversight.errors import InvalidPeriod


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_sup_02_a_period_is_china_days(text: str, first: date, last: date) -> None:
    period = domain.parse_period(text)
    assert (period.first, period.last) == (first, last)


def test_sup_02_a_period_runs_from_china_midnight_in_utc() -> None:
    period = domain.parse_period("2026-Q4")
    assert period.start == datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["2026-Q5", "2026-Q0", "2026-13", "2026-00", "1999", "2101-Q1", "26-Q1", "", "Q4"]
)
def test_sup_02_a_period_that_does_not_parse_is_refused(text: str) -> None:
    with pytest.raises(InvalidPeriod):
        domain.parse_period(text)


def test_sup_02_ranges_both_days_included_never_backwards() -> None:
    period = domain.date_range(date(2026, 3, 1), date(2026, 3, 1))
    assert (period.end - period.start).days == 1
    with pytest.raises(InvalidPeriod):
        domain.date_range(date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(InvalidPeriod):
        domain.date_range(date(1999, 12, 31), date(2026, 3, 1))


def test_sup_02_one_way_of_naming_the_period() -> None:
    today = date(2026, 12, 6)
    assert domain.choose_period(None, None, None, today=today).label == "2026-Q4"
    with pytest.raises(InvalidPeriod):
        domain.choose_period("2026", date(2026, 1, 1), None, today=today)
    with pytest.raises(InvalidPeriod):
        domain.choose_period(None, date(2026, 1, 1), None, today=today)


def test_sup_02_no_rate_when_nothing_was_due() -> None:
    assert domain.rate(0, 0) is None
    assert domain.rate(2, 3) == 0.6667


def test_sup_01_a_service_reports_only_its_own_rules() -> None:
    assert domain.rule_belongs_to("REF-07", "referral")
    assert not domain.rule_belongs_to("ASSIST-04", "referral")
    assert not domain.rule_belongs_to("REF-07", "workbench")
