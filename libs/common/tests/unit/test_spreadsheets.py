"""Tables as departments keep them: .xlsx or CSV, every row checked, all-or-nothing."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook
from pydantic import BaseModel, Field, field_validator

from xietong_common.files import FileOverLimits, FileUnreadable, ReadLimits
from xietong_common.schemas import Name
from xietong_common.spreadsheets import (
    TableInvalid,
    column_of,
    parse_rows,
    plain_date,
    read_table,
    refuse,
    validate_rows,
)

COLUMNS = {"姓名": "name", "name": "name", "执法证号": "certificate", "有效期至": "valid_until"}


class Row(BaseModel):
    name: Name
    certificate: str = Field(pattern=r"^[0-9A-Z]{6,20}$")
    valid_until: date

    _dates = field_validator("valid_until", mode="before")(plain_date)


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_good_sheet_gives_every_row_with_its_sheet_row_number() -> None:
    content = xlsx(
        [
            ["姓名", "执法证号", "有效期至"],
            ["张三", "A12345", date(2026, 12, 31)],
            [None, None, None],
            ["李四", "B23456", "2027年1月5日"],
        ]
    )
    rows = parse_rows(read_table(content, filename="roster.xlsx", max_rows=100), Row, COLUMNS)
    assert [(n, r.name, r.valid_until) for n, r in rows] == [
        (2, "张三", date(2026, 12, 31)),
        (4, "李四", date(2027, 1, 5)),
    ]


def test_every_bad_row_is_reported_with_row_and_column_and_nothing_is_returned() -> None:
    content = xlsx(
        [
            ["姓名", "执法证号", "有效期至"],
            ["张三", "A12345", date(2026, 12, 31)],
            ["李四", "bad id", date(2026, 12, 31)],
            ["", "C34567", date(2026, 12, 31)],
            ["王五", "D45678", "not a date"],
        ]
    )
    with pytest.raises(TableInvalid) as refused:
        parse_rows(read_table(content, filename="roster.xlsx", max_rows=100), Row, COLUMNS)
    errors = refused.value.extensions["errors"]
    assert [(e["row"], e["column"], e["column_letter"]) for e in errors] == [
        (3, "执法证号", "B"),
        (4, "姓名", "A"),
        (5, "有效期至", "C"),
    ]
    assert all(e["message_zh"] and e["message_en"] for e in errors)
    assert "第 3 行" in (refused.value.detail_zh or "")


def test_csv_in_gb18030_as_chinese_excel_saves_it() -> None:
    content = "姓名,执法证号,有效期至\n张三,A12345,2026/12/31\n".encode("gb18030")
    rows = parse_rows(read_table(content, filename="roster.csv", max_rows=100), Row, COLUMNS)
    assert rows[0][1].valid_until == date(2026, 12, 31)


def test_a_missing_required_column_and_too_many_rows_are_refused() -> None:
    with pytest.raises(TableInvalid, match="missing required columns"):
        parse_rows(read_table("姓名\n张三\n".encode(), filename="x.csv", max_rows=10), Row, COLUMNS)
    many = "姓名,执法证号,有效期至\n" + "张三,A12345,2026-12-31\n" * 11
    with pytest.raises(TableInvalid, match="at most 10"):
        read_table(many.encode(), filename="x.csv", max_rows=10)


def test_garbage_is_a_clear_refusal_not_a_crash() -> None:
    # A file that cannot be read is `file-unreadable`; an empty table stays `table-invalid`.
    for content, name in ((b"PK\x03\x04garbage", "x.xlsx"), (b"a\x00b", "x.csv")):
        with pytest.raises(FileUnreadable):
            read_table(content, filename=name, max_rows=10)
    with pytest.raises(TableInvalid):
        read_table(b"", filename="x.csv", max_rows=10)


def test_a_title_above_the_header_is_skipped_when_the_columns_are_known() -> None:
    content = xlsx(
        [
            ["附件1"],
            ["区住房城乡建委划片指导队伍清单"],
            ["姓名", "执法证号", "有效期至"],
            ["张三", "A12345", date(2026, 12, 31)],
        ]
    )
    table = read_table(content, filename="roster.xlsx", max_rows=100, header_names=COLUMNS)
    assert (table.header_row, table.header) == (3, ["姓名", "执法证号", "有效期至"])
    assert [(n, r.name) for n, r in parse_rows(table, Row, COLUMNS)] == [(4, "张三")]
    untitled = read_table(content, filename="roster.xlsx", max_rows=100)
    assert untitled.header[0] == "附件1"  # without the names, the first row is the header


def test_validate_rows_gives_the_good_rows_and_the_errors() -> None:
    content = xlsx(
        [
            ["姓名", "执法证号", "有效期至"],
            ["张三", "A12345", date(2026, 1, 1)],
            ["李四", "x", None],
        ]
    )
    table = read_table(content, filename="roster.xlsx", max_rows=100)
    rows, errors = validate_rows(table, Row, COLUMNS)
    assert [n for n, _ in rows] == [2]
    assert sorted((e.row, e.column) for e in errors) == [(3, "执法证号"), (3, "有效期至")]
    assert refuse(errors, len(table.rows)).extensions["error_count"] == 2
    assert column_of(table, COLUMNS, "certificate") == ("执法证号", "B")


def test_a_workbook_that_expands_past_the_limit_is_refused_before_reading() -> None:
    content = xlsx([["姓名", "执法证号", "有效期至"], ["张三", "A12345", date(2026, 1, 1)]])
    with pytest.raises(FileOverLimits) as refused:
        read_table(
            content,
            filename="roster.xlsx",
            max_rows=100,
            limits=ReadLimits(max_expanded_bytes=1000),
        )
    assert "解压" in (refused.value.detail_zh or "")
    assert refused.value.extensions["limit"] == "expanded-size"


def test_blank_lines_and_wide_rows_cost_nothing() -> None:
    # Blank lines are kept in no memory, but they are rows read: past the limit on rows
    # (empty ones included) the file is refused rather than read on (2 million blank lines).
    content = b"\n" * 50_000 + "姓名,执法证号,有效期至\n张三,A12345,2026-12-31\n".encode()
    table = read_table(content, filename="roster.csv", max_rows=100)
    assert [n for n, _ in table.rows] == [50_002]
    with pytest.raises(FileOverLimits):
        read_table(b"\n" * 2_000_000 + content, filename="roster.csv", max_rows=100)
    wide = ("x," * 5000 + "\n").encode() * 3
    assert len(read_table(wide, filename="w.csv", max_rows=100).header) == 200
    with pytest.raises(TableInvalid):
        read_table(b"h,i\n" + b"1,2\n" * 500, filename="r.csv", max_rows=100)
