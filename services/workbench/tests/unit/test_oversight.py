"""The 督察 dashboard's own small rules, without servers: which periods make a trend, how the
on-time rates are charted, which ETag a ruling form may carry back, where a fact's record is."""

from __future__ import annotations

from workbench.charts import bar_chart
from workbench.oversight import (
    etag_field,
    etag_of,
    fact_details,
    percent,
    periods_before,
    rate_rows,
    record_link,
    trend,
)

ID = "0b9c2f4e-3d1a-4c5e-9f00-8a7b6c5d4e3f"


def test_sup_02_a_trend_is_the_last_four_periods_of_the_same_kind() -> None:
    assert periods_before("2026-Q4") == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert periods_before("2026-Q1") == ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
    assert periods_before("2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert periods_before("2026") == ["2023", "2024", "2025", "2026"]
    assert periods_before("2026-Q3", 2) == ["2026-Q2", "2026-Q3"]
    assert periods_before("2026-13") == []  # the API would refuse it: no trend is drawn
    assert periods_before("someday") == []


def test_sup_02_rates_are_percentages_and_rows_with_nothing_due_are_left_out() -> None:
    assert percent(0.9) == 90.0
    assert percent(2 / 3) == 66.7
    assert percent(None) is None
    assert percent(True) is None  # not a rate
    rows = [
        {"organisation": "dept:water", "on_time_rate": 0.5},
        {"organisation": "town:lizhi", "on_time_rate": None},  # nothing was due
        {"organisation": "dept:ecology-environment", "on_time_rate": 1.0},
    ]
    names = {"dept:water": "区水利局", "dept:ecology-environment": "区生态环境局"}
    assert rate_rows(rows, names) == [("区水利局", 50.0), ("区生态环境局", 100.0)]


def test_sup_02_a_trend_reads_the_organisations_row_or_the_district_totals() -> None:
    tables = {
        "2026-Q2": {
            "items": [{"organisation": "dept:water", "on_time_rate": 0.25}],
            "totals": {"on_time_rate": 0.5},
        },
        "2026-Q3": None,  # the table could not be read
        "2026-Q4": {"items": [], "totals": {"on_time_rate": None}},
    }
    assert trend(tables, "dept:water") == [("2026-Q2", 25.0), ("2026-Q3", None), ("2026-Q4", None)]
    assert trend(tables) == [("2026-Q2", 50.0), ("2026-Q3", None), ("2026-Q4", None)]


def test_sup_02_the_rate_chart_draws_no_bar_for_a_period_without_figures() -> None:
    svg = bar_chart(
        [("2026-Q3", None), ("2026-Q4", 80.0)],
        title="按期率",
        unit="%",
        chart_id="c",
        scale=100,
        highlight_below=90,
    )
    assert "2026-Q3 —；2026-Q4 80%" in svg  # the description a screen reader reads
    assert 'width="0"' in svg
    assert "#942514" in svg  # below 90 %: drawn in the late colour
    assert str(svg).count("<rect") == 2


def test_sup_01_a_ruling_names_only_a_version_the_api_could_have_sent() -> None:
    assert etag_of(3) == '"3"'
    assert etag_of(None) == '"0"'
    assert etag_field('"2"') == '"2"'
    assert etag_field("*") is None  # would match anything: never sent for the person
    assert etag_field('"2", "3"') is None
    assert etag_field(None) is None


def test_sup_01_a_facts_record_links_to_its_page_in_the_workbench() -> None:
    assert record_link(f"referral:{ID}") == f"/referrals/{ID}"
    assert record_link(f"assistance:{ID}") == f"/assistance/{ID}"
    assert record_link(f"info:{ID}") == f"/info/items/{ID}"
    assert record_link(f"roster:{ID}") is None
    assert record_link("referral:../../admin") is None
    assert record_link(None) is None


def test_sup_01_a_facts_details_are_named_in_the_pages_language() -> None:
    detail = {"ground": "forbidden-by-law", "late": False, "extra": {"nested": 1}, "blank": ""}
    assert fact_details(detail, "zh") == [("理由类别", "forbidden-by-law"), ("逾期", "否")]
    assert fact_details(detail, "en") == [("Ground", "forbidden-by-law"), ("Late", "no")]
