"""The assessment table as an `.xlsx` file (SUP-02): a summary sheet and one sheet per
mechanism, Chinese headers, built in a worker thread; its SHA-256 goes to the audit log
and out as `oversight.export-issued`, so a file or a table printed from it can be checked
later against what was issued.

No cell is ever a formula: every text (an organisation's name or code, a filter) that a
spreadsheet could read as one (`=`, `+`, `-`, `@`, a tab or a carriage return first) is
written as a string with Excel's quote prefix, so it stays text even when edited.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from oversight.domain import RULE_FAMILIES
from oversight.schemas import AssessmentOut, AssessmentRow, DeadlineFigures
from xietong_common.calendar import CHINA_TZ
from xietong_common.contracts.oversight import OversightExportIssued
from xietong_common.uow import UnitOfWork

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a text as a formula (OWASP, CSV/formula injection)."""

MECHANISMS_ZH = {
    "info-sharing": "信息共享",
    "assistance": "执法协助",
    "referral": "案件移送",
    "legal-review": "法制审核",
    "joint-inspection": "联合检查",
    "secondment": "人员借调",
}
KINDS_ZH = {"town": "乡镇（街道）", "dept": "区级部门"}

# The deadline figures, in the order of the table, with their Chinese headers.
DEADLINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("due", "应履行（期限到期）"),
    ("met_on_time", "按时履行"),
    ("breached", "逾期"),
    ("met_late", "其中：逾期后履行"),
    ("open", "未完成"),
    ("open_overdue", "其中：已过期未报逾期"),
    ("ended", "到期前终止（不计入）"),
    ("provisional", "暂定期限（不计入）"),
    ("on_time_rate", "按时履行率"),
    ("breach_rate", "逾期率"),
)
FACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("started", "期内启动期限"),
    ("refusals", "拒绝（协助、检查支持、移送配合）"),
    ("refusals_owned_matter", "其中：拒绝本部门职责事项协助"),
    ("flags", "标记（推诿刁难、涉嫌再行移送、报请区政府）"),
    ("unread_overdue", "逾期未读（INFO-03）"),
)
RULING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("breached_after_rulings", "逾期（认定后）"),
    ("refusals_after_rulings", "拒绝（认定后）"),
    ("flags_after_rulings", "标记（认定后）"),
    ("unread_overdue_after_rulings", "逾期未读（认定后）"),
    ("confirmed", "认定属实"),
    ("excused", "予以免责"),
    ("referred", "移送追责"),
    ("not_ruled", "尚未认定"),
)
"""SUP-01: the figures after the justice bureau's rulings, beside those before."""
FACTS_OF = {"assistance": ("refusals_owned_matter",), "info-sharing": ("unread_overdue",)}
KINDS_OF = {
    "assistance": "assistance.",
    "referral": "referral.",
    "joint-inspection": "inspection.",
    "secondment": "secondment.",
}
"""Each mechanism's sheet counts the facts its service reports, by kind."""
FACT_KINDS_ZH = {
    "assistance.refused": "拒绝协助（ASSIST-03）",
    "assistance.obstruction-flagged": "推诿刁难标记（ASSIST-02）",
    "assistance.refusal-contested": "拒绝协助被乡镇提出异议（ASSIST-03）",
    "assistance.refusal-ruled:upheld": "拒绝协助经司法局认定成立",
    "assistance.refusal-ruled:not-upheld": "拒绝协助经司法局认定不成立",
    "referral.onward-referral-suspected": "涉嫌再行移送、报区政府决定（REF-08）",
    "referral.onward-referral-decided:released": "区政府决定：非再行移送，放行",
    "referral.onward-referral-decided:barred": "区政府决定：属再行移送，不予放行",
    "referral.escalated": "管辖异议报请区政府（REF-08）",
    "referral.cooperation-not-given": "未予配合（REF-10）",
    "referral.assigned": "区政府指定管辖（REF-08）",
    "referral.conclusion-period-changed:suspended": "中止办案期限（REF-09）",
    "referral.conclusion-period-changed:resumed": "恢复计算办案期限（REF-09）",
    "referral.conclusion-period-changed:extended": "延长办案期限（REF-09）",
    "inspection.support-refused": "拒绝配合检查（INSP-03）",
    "inspection.serious-reported": "严重违法行为、重大隐患报告区政府（INSP-08）",
    "secondment.guidance-recorded": "业务指导（SEC-05）",
    "review.request-withdrawn": "撤回综合查一次法制审核提请（REV-01）",
}
BY_KIND = ("refusals_by_kind", "flags_by_kind", "records_by_kind")
ORG_COLUMNS = ("单位代码", "单位名称", "单位类别")
FILTERS_ZH = {
    "organisation": "单位",
    "organisation_kind": "单位类别",
    "rule": "规则",
    "mechanism": "机制",
}
BOLD = Font(bold=True)


def guarded(cell: Cell, value: Any) -> None:
    """Write `value`; a text is always a string cell, never a formula (see the module)."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True


def _row(sheet: Worksheet, values: Sequence[Any], *, bold: bool = False) -> None:
    """Append a row (an empty one too: `append` would not leave a gap)."""
    row = sheet.max_row + 1 if sheet.cell(row=1, column=1).value is not None else 1
    if not values:
        sheet.cell(row=row, column=1).value = None
        sheet.row_dimensions[row].height = 8
        return
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        guarded(cell, value)
        if bold:
            cell.font = BOLD
        if isinstance(value, float):
            cell.number_format = "0.00%"


def _figures(figures: DeadlineFigures) -> list[Any]:
    return [getattr(figures, name) for name, _ in DEADLINE_COLUMNS]


def _org(row: AssessmentRow) -> list[Any]:
    kind = KINDS_ZH.get(row.organisation_kind or "", row.organisation_kind or "")
    return [row.organisation, row.organisation_name, kind]


def _widths(sheet: Worksheet, widths: Iterable[int]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def _kinds(sheet: Worksheet, table: AssessmentOut, prefix: str | None) -> None:
    """The mechanism's refusals, flags and records, per organisation and kind (those found)."""
    if prefix is None:
        return
    rows = [
        (row, key, n)
        for row in table.items
        for name in BY_KIND
        for key, n in getattr(row, name).items()
        if key.startswith(prefix) and n
    ]
    if not rows:
        return
    _row(sheet, [])
    _row(sheet, [*ORG_COLUMNS, "事项", "件数"], bold=True)
    for row, key, n in rows:
        _row(sheet, [*_org(row), FACT_KINDS_ZH.get(key, key), n])


@dataclass(frozen=True)
class ExportMeta:
    """Who asked for the table, when, and with which filters (printed on the summary)."""

    export_id: str
    issued_at: datetime
    issued_by: str
    issued_by_org: str
    filters: Mapping[str, str] = field(default_factory=dict)


def workbook(table: AssessmentOut, meta: ExportMeta) -> bytes:
    """The table as `.xlsx` bytes: 汇总 (summary) and one sheet per mechanism. CPU work:
    call it through `build_workbook` (a worker thread), never on the event loop."""
    book = Workbook()
    summary = book.active
    summary.title = "汇总"
    period = table.period
    _row(summary, ["协同执法考核表（督察 SUP-01/SUP-02）"], bold=True)
    _row(summary, ["考核期间", period.label])
    _row(summary, ["起止日期", f"{period.first.isoformat()} 至 {period.last.isoformat()}"])
    filters = "；".join(f"{FILTERS_ZH.get(k, k)}：{v}" for k, v in meta.filters.items()) or "无"
    _row(summary, ["筛选条件", filters])
    issued = meta.issued_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")
    _row(summary, ["生成时间（北京时间）", issued])
    _row(summary, ["生成单位", meta.issued_by_org])
    _row(summary, ["生成人", meta.issued_by])
    _row(summary, ["导出编号", meta.export_id])
    _row(summary, [])
    counted = (*FACT_COLUMNS, *RULING_COLUMNS)
    _row(
        summary,
        [*ORG_COLUMNS, *(zh for _, zh in DEADLINE_COLUMNS), *(zh for _, zh in counted)],
        bold=True,
    )
    for row in table.items:
        _row(summary, [*_org(row), *_figures(row), *(getattr(row, n) for n, _ in counted)])
    facts = {n: sum(getattr(r, n) for r in table.items) for n, _ in counted}
    _row(summary, ["合计", "", "", *_figures(table.totals), *facts.values()], bold=True)
    _widths(summary, [26, 24, 14, *([14] * (len(DEADLINE_COLUMNS) + len(counted)))])
    summary.freeze_panes = "D11"

    for mechanism, prefixes in RULE_FAMILIES.items():
        sheet = book.create_sheet(MECHANISMS_ZH[mechanism])
        _row(sheet, [f"{MECHANISMS_ZH[mechanism]}（{mechanism}）— {period.label}"], bold=True)
        _row(sheet, [])
        _row(sheet, [*ORG_COLUMNS, "规则", *(zh for _, zh in DEADLINE_COLUMNS)], bold=True)
        found = 0
        for row in table.items:
            for rule in row.by_rule:
                if rule.rule.startswith(prefixes):
                    _row(sheet, [*_org(row), rule.rule, *_figures(rule)])
                    found += 1
        if not found:
            _row(sheet, ["本期无该机制的期限"])
        _kinds(sheet, table, KINDS_OF.get(mechanism))
        extra = [(n, zh) for n, zh in FACT_COLUMNS if n in FACTS_OF.get(mechanism, ())]
        if extra:
            _row(sheet, [])
            _row(sheet, [*ORG_COLUMNS, *(zh for _, zh in extra)], bold=True)
            for row in table.items:
                counts = [getattr(row, n) for n, _ in extra]
                if any(counts):
                    _row(sheet, [*_org(row), *counts])
        _widths(sheet, [26, 24, 14, 12, *([14] * len(DEADLINE_COLUMNS))])
    for sheet in book.worksheets:
        sheet["A1"].alignment = Alignment(horizontal="left")
    # The file says when it was made, not when openpyxl saved it.
    book.properties.creator = "xietong oversight"
    book.properties.created = meta.issued_at.replace(tzinfo=None)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class IssuedExport:
    export_id: str
    content: bytes
    sha256: str

    @property
    def filename(self) -> str:
        return f"assessment-{self.export_id}.xlsx"


async def build_workbook(table: AssessmentOut, meta: ExportMeta) -> IssuedExport:
    """The workbook, built in a worker thread (openpyxl is CPU work), and its digest."""
    content = await asyncio.to_thread(workbook, table, meta)
    return IssuedExport(meta.export_id, content, hashlib.sha256(content).hexdigest())


def new_export_id() -> str:
    return str(uuid.uuid4())


def record_export(
    uow: UnitOfWork, table: AssessmentOut, meta: ExportMeta, issued: IssuedExport
) -> OversightExportIssued:
    """SUP-02: the export's digest in the audit log and `oversight.export-issued` out through
    the outbox, in one transaction."""
    totals = {k: v for k, v in table.totals.model_dump().items() if isinstance(v, int)}
    event = OversightExportIssued(
        export_id=issued.export_id,
        sha256=issued.sha256,
        size=len(issued.content),
        period=table.period.label,
        first=table.period.first,
        last=table.period.last,
        filters=dict(meta.filters),
        organisations=len(table.items),
        totals=totals,
        issued_by=meta.issued_by,
        issued_by_org=meta.issued_by_org,
        issued_at=meta.issued_at,
    )
    uow.audit(
        action="assessment.exported",
        subject=f"assessment-export:{issued.export_id}",
        rule="SUP-02",
        detail={
            "sha256": issued.sha256,
            "size": len(issued.content),
            "period": table.period.label,
            "filters": dict(meta.filters),
            "organisations": len(table.items),
        },
    )
    uow.publish(event, key=issued.export_id)
    return event
