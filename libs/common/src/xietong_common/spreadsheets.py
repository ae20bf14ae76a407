"""Importing tables that departments and towns really keep — rosters, lists of inspection
targets — as `.xlsx` (openpyxl, read-only and streaming; defusedxml guards the XML) or CSV
(UTF-8, or GB18030 as Chinese Excel saves it). Every row is validated with a pydantic model;
errors name the row and the column in Chinese and English; one bad row refuses the whole
table (all-or-nothing), so nothing is half-imported.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from pydantic import BaseModel, ValidationError

from xietong_common.errors import InvalidInput
from xietong_common.i18n import describe_error

M = TypeVar("M", bound=BaseModel)
MAX_LISTED_ERRORS = 200


class TableInvalid(InvalidInput):
    """The table cannot be imported; `errors` lists each row and column at fault."""

    slug = "table-invalid"
    title = "The table has rows that are not valid; nothing was imported"
    title_zh = "表格中有无效的行，未导入任何数据"


@dataclass(frozen=True)
class CellError:
    row: int  # as the sheet numbers it (the header is usually row 1)
    column: str | None  # the header as written in the sheet
    column_letter: str | None
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "column_letter": self.column_letter,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (sheet row number, cells in header order)
    header_row: int | None = None  # the header's row number in the sheet


def refuse(errors: list[CellError], total_rows: int) -> TableInvalid:
    """The refusal of a whole table for these errors (the first ones listed, all counted);
    also for checks a caller makes after `parse_rows` (a team that does not exist)."""
    shown = errors[:MAX_LISTED_ERRORS]
    first = shown[0]
    where_zh = f"第 {first.row} 行" + (f"「{first.column}」列" if first.column else "")
    where_en = f"row {first.row}" + (f", column {first.column!r}" if first.column else "")
    return TableInvalid(
        f"{len(errors)} problem(s) in {total_rows} row(s); first at {where_en}: "
        f"{first.message_en}. Nothing was imported.",
        zh=f"共 {total_rows} 行中有 {len(errors)} 处错误；首个在{where_zh}：{first.message_zh}。"
        "未导入任何数据。",
        errors=[e.as_dict() for e in shown],
        error_count=len(errors),
    )


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()  # Excel stores a date as midnight of that day
    return value


def _is_xlsx(content: bytes, filename: str | None) -> bool:
    return content[:4] == b"PK\x03\x04" or (filename or "").lower().endswith((".xlsx", ".xlsm"))


def read_table(
    content: bytes,
    *,
    filename: str | None,
    max_rows: int,
    header_names: Collection[str] | None = None,
) -> Table:
    """The first sheet of a workbook, or a CSV: its header and its non-empty rows, with the
    row numbers a clerk sees in the spreadsheet. The header is the first non-empty row; with
    `header_names` (the column names `parse_rows` will look for), it is the first of the
    first rows that names at least two of them, so a title above the header (附件1
    区住房城乡建委划片指导队伍清单) or a blank line is skipped."""
    raw = (
        _read_xlsx(content, max_rows)
        if _is_xlsx(content, filename)
        else _read_csv(content, max_rows)
    )
    rows = [(n, [_cell(v) for v in cells]) for n, cells in raw]
    rows = [(n, cells) for n, cells in rows if any(v is not None for v in cells)]
    if not rows:
        raise TableInvalid(
            "the table is empty: it needs a header row and at least one row",
            zh="表格为空：需要一行表头和至少一行数据",
            errors=[],
        )
    start = _header_index(rows, header_names) if header_names else 0
    (header_number, header_cells), data = rows[start], rows[start + 1 :]
    header = [str(h).strip() if h is not None else "" for h in header_cells]
    if len(data) > max_rows:
        raise TableInvalid(
            f"the table has {len(data)} rows; at most {max_rows} are imported at once",
            zh=f"表格有 {len(data)} 行，一次最多导入 {max_rows} 行",
            errors=[],
        )
    width = len(header)
    return Table(
        header=header,
        rows=[(n, (cells + [None] * width)[:width]) for n, cells in data],
        header_row=header_number,
    )


HEADER_SEARCH_ROWS = 10
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COLUMNS = 200  # columns read from a sheet; a roster or a target list has a dozen


def _header_index(rows: list[tuple[int, list[Any]]], names: Collection[str]) -> int:
    wanted = {_key(n) for n in names}
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if sum(1 for c in cells if c is not None and _key(str(c)) in wanted) >= 2:
            return index
    return 0


def _check_expansion(content: bytes) -> None:
    """A workbook is a zip: refuse one that would expand past the limit (a zip bomb) before
    openpyxl reads its shared strings into memory."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TableInvalid(
            f"not a readable .xlsx workbook: {exc}", zh="不是可读取的 .xlsx 工作簿", errors=[]
        ) from exc
    if expanded > MAX_UNCOMPRESSED_BYTES:
        raise TableInvalid(
            f"the workbook expands to {expanded} bytes, more than {MAX_UNCOMPRESSED_BYTES}",
            zh=f"工作簿解压后超过 {MAX_UNCOMPRESSED_BYTES} 字节",
            errors=[],
        )


def _read_xlsx(content: bytes, max_rows: int) -> list[tuple[int, list[Any]]]:
    _check_expansion(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableInvalid(
            f"not a readable .xlsx workbook: {exc}", zh="不是可读取的 .xlsx 工作簿", errors=[]
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        return _bounded(((n, list(v)) for n, v in enumerate(rows, start=1)), max_rows)
    finally:
        workbook.close()


def _bounded(rows: Iterable[tuple[int, list[Any]]], max_rows: int) -> list[tuple[int, list[Any]]]:
    """The rows that hold something, at most the columns read and a few past `max_rows`
    (enough to say the table is too long): blank lines and wide rows cost no memory."""
    out: list[tuple[int, list[Any]]] = []
    for number, cells in rows:
        cells = cells[:MAX_COLUMNS]
        while cells and (
            cells[-1] is None or (isinstance(cells[-1], str) and not cells[-1].strip())
        ):
            cells.pop()  # openpyxl pads a row to the columns asked for
        if not cells:
            continue
        out.append((number, cells))
        if len(out) > max_rows + HEADER_SEARCH_ROWS:  # no need to read past the limit
            break
    return out


def _read_csv(content: bytes, max_rows: int) -> list[tuple[int, list[Any]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise TableInvalid("the CSV is neither UTF-8 nor GB18030", zh="CSV 编码无法识别", errors=[])
    if "\x00" in text:
        raise TableInvalid(
            "the file is not a CSV table (it contains NUL characters)",
            zh="文件不是 CSV 表格（含 NUL 字符）",
            errors=[],
        )
    try:
        rows = csv.reader(io.StringIO(text))
        return _bounded(((n, list(row)) for n, row in enumerate(rows, start=1)), max_rows)
    except csv.Error as exc:
        raise TableInvalid(f"not a readable CSV: {exc}", zh="不是可读取的 CSV", errors=[]) from exc


def parse_rows(table: Table, model: type[M], columns: Mapping[str, str]) -> list[tuple[int, M]]:
    """Each row as `model`; `columns` maps the header names a sheet may use (Chinese or
    English, matched without spaces or case) to the model's fields. All errors, or all rows."""
    parsed, errors = validate_rows(table, model, columns)
    if errors:
        raise refuse(errors, len(table.rows))
    return parsed


def validate_rows(
    table: Table, model: type[M], columns: Mapping[str, str]
) -> tuple[list[tuple[int, M]], list[CellError]]:
    """Like `parse_rows`, but the rows that are valid and the errors of the others, so a
    caller can add its own checks (a team that does not exist) and report every problem of
    the sheet at once. A header without the required columns is refused at once."""
    wanted = {_key(name): field for name, field in columns.items()}
    errors: list[CellError] = []
    field_at: dict[int, str] = {}
    header_of: dict[str, tuple[str, str]] = {}
    for index, name in enumerate(table.header):
        field = wanted.get(_key(name))
        if field is None:
            continue
        if field in header_of:
            errors.append(
                CellError(
                    table_header_row(table),
                    name,
                    get_column_letter(index + 1),
                    f"重复的列（已有「{header_of[field][0]}」）",
                    f"duplicate column (already {header_of[field][0]!r})",
                )
            )
        field_at[index] = field
        header_of[field] = (name, get_column_letter(index + 1))
    required = [n for n, f in model.model_fields.items() if f.is_required()]
    missing = [n for n in required if n not in header_of]
    if missing:
        names = [next((k for k, v in columns.items() if v == n), n) for n in missing]
        errors.append(
            CellError(
                table_header_row(table),
                None,
                None,
                "缺少必需的列：" + "、".join(names),
                "missing required columns: " + ", ".join(names),
            )
        )
    if errors:
        raise refuse(errors, len(table.rows))
    parsed: list[tuple[int, M]] = []
    for number, cells in table.rows:
        values = {field: cells[i] for i, field in field_at.items() if cells[i] is not None}
        try:
            parsed.append((number, model.model_validate(values)))
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else None
                column, letter = header_of.get(field or "", (None, None))
                errors.append(
                    CellError(
                        number,
                        column,
                        letter,
                        describe_error(dict(error), "zh"),
                        describe_error(dict(error), "en"),
                    )
                )
    return parsed, errors


def column_of(table: Table, columns: Mapping[str, str], field: str) -> tuple[str, str] | None:
    """The header (as written) and column letter that `columns` maps to `field`, if any."""
    for index, name in enumerate(table.header):
        if columns.get(name) == field or any(
            _key(name) == _key(k) for k, v in columns.items() if v == field
        ):
            return name, get_column_letter(index + 1)
    return None


def table_header_row(table: Table) -> int:
    if table.header_row is not None:
        return table.header_row
    return table.rows[0][0] - 1 if table.rows else 1


def _key(name: str) -> str:
    return "".join(name.split()).lower().replace("（", "(").replace("）", ")")


def plain_date(value: Any) -> Any:
    """For a pydantic `mode="before"` validator: accept a date cell written as text with
    slashes or Chinese marks (2024/1/5, 2024年1月5日) as well as a real date."""
    if isinstance(value, date | datetime) or not isinstance(value, str):
        return value
    text = value.strip().replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-")
    try:
        year, month, day = (int(p) for p in text.split("-"))
        return date(year, month, day)
    except ValueError:
        return value
