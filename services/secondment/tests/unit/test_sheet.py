"""SEC-02: a roster sheet as departments keep it — Chinese headers (or English), a title row
above them, dates as Excel dates or text, long certificate numbers stored as numbers."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook

from secondment.schemas import ROSTER_COLUMNS, RosterRow
from xietong_common.files import FileUnreadable
from xietong_common.spreadsheets import TableInvalid, parse_rows, read_table


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def parse(content: bytes, filename: str = "roster.xlsx") -> list[tuple[int, RosterRow]]:
    table = read_table(content, filename=filename, max_rows=100, header_names=ROSTER_COLUMNS.keys())
    return parse_rows(table, RosterRow, ROSTER_COLUMNS)


def test_sec_02_a_sheet_as_the_attachment_would_have_it() -> None:
    content = xlsx(
        [
            ["附件6"],
            ["区水利局划片指导队伍清单"],
            [],
            [
                "序号",
                "姓名",
                "执法证号",
                "执法证有效期",
                "所属队伍",
                "服务乡镇（街道）",
                "身份证号",
            ],
            [
                1,
                "张三",
                50010220240001,
                date(2026, 12, 31),
                "第一片区指导队",
                "荔枝街道、白涛",
                "500102199001011234",
            ],
            [2, "李四", "ab-0002", "2024年1月1日至2026年6月30日", "第一片区指导队", None, None],
        ]
    )
    (n1, zhang), (n2, li) = parse(content)
    assert (n1, n2) == (5, 6)  # the rows a clerk sees
    assert zhang.certificate_number == "50010220240001"  # a number in Excel, digits here
    assert zhang.towns == "荔枝街道、白涛"
    assert li.certificate_number == "AB-0002"
    assert (li.certificate_valid_from, li.certificate_valid_until) == (
        date(2024, 1, 1),
        date(2026, 6, 30),
    )
    assert "id_number" not in RosterRow.model_fields  # 身份证号 is never read


def test_english_headers_and_csv() -> None:
    content = (
        b"name,certificate number,certificate valid until,team,staff number\n"
        b"Zhang San,X12345,2026/12/31,Team 1,1001\n"
    )
    [(_, row)] = parse(content, "roster.csv")
    assert (row.name, row.staff_number, row.certificate_valid_until) == (
        "Zhang San",
        "1001",
        date(2026, 12, 31),
    )


def test_sec_02_bad_cells_are_named_by_row_and_column() -> None:
    content = xlsx(
        [
            ["姓名", "执法证号", "执法证有效期", "所属队伍"],
            ["张三", "证 号!", date(2026, 12, 31), "第一片区指导队"],
            ["李" * 201, "A1234", "明年", "第一片区指导队"],
        ]
    )
    with pytest.raises(TableInvalid) as refused:
        parse(content)
    errors = refused.value.extensions["errors"]
    assert {(e["row"], e["column"]) for e in errors} == {
        (2, "执法证号"),
        (3, "姓名"),
        (3, "执法证有效期"),
    }


def test_nul_in_a_csv_is_refused() -> None:
    # binary data is a file that cannot be read (file-unreadable), not a bad table
    with pytest.raises(FileUnreadable):
        parse(
            "姓名,执法证号,执法证有效期,所属队伍\n张\x00三,A1234,2026-12-31,队\n".encode(), "r.csv"
        )


def test_a_sheet_without_the_needed_columns_is_refused() -> None:
    with pytest.raises(TableInvalid) as refused:
        parse(xlsx([["姓名", "备注"], ["张三", "x"]]))
    assert "执法证号" in refused.value.extensions["errors"][0]["message_zh"]
