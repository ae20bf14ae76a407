"""Importing tables that departments and towns really keep — rosters, lists of inspection
targets — as `.xlsx` (the first sheet, streamed: `xietong_common.files.tables`) or CSV
(UTF-8, GB18030/GBK or UTF-16, detected: `xietong_common.files.text`). Every row is
validated with a pydantic model; errors name the row and the column in Chinese and English;
one bad row refuses the whole table (all-or-nothing), so nothing is half-imported.

Reading and validating run in a worker process (`load_table`), never on the event loop,
with the limits of `files.limits` checked while the file is read.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from openpyxl.utils import get_column_letter
from pydantic import BaseModel, ValidationError

from xietong_common.errors import InvalidInput
from xietong_common.files import tables, types
from xietong_common.files.errors import FileTypeMismatch, FileUnreadable
from xietong_common.files.limits import ReadLimits, WorkerBudget
from xietong_common.files.worker import FileWorkers, Progress
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


def _no_progress(**_: int) -> None:
    pass


def _rows_of(
    content: bytes | Path, filename: str | None, limits: ReadLimits, progress: Progress
) -> Iterable[tuple[int, list[Any]]]:
    """The sheet's or the CSV's rows, by what the bytes are (never the name alone)."""
    head = content[:4096] if isinstance(content, bytes) else _head(content)
    kind = types.sniff_binary(head)
    if kind == "application/zip":
        return tables.xlsx_rows(content, limits, progress)
    if kind == "application/x-ole-storage":
        raise FileUnreadable(
            "an Excel 97-2003 workbook (.xls) is not read: save it as .xlsx or CSV and import "
            "it again",
            zh="不能读取 Excel 97-2003 工作簿（.xls）：请另存为 .xlsx 或 CSV 后重新导入",
            reason="legacy-binary",
        )
    if kind is not None:
        zh, en = types.describe(kind)
        raise FileTypeMismatch(
            f"the file is {en}, not a table (.xlsx or CSV)",
            zh=f"文件实际为{zh}，不是表格（.xlsx 或 CSV）",
            detected_type=kind,
        )
    return tables.csv_rows(content, limits, progress)


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(4096)


def read_table(
    content: bytes | Path,
    *,
    filename: str | None,
    max_rows: int,
    header_names: Collection[str] | None = None,
    limits: ReadLimits | None = None,
    progress: Progress = _no_progress,
) -> Table:
    """The first sheet of a workbook, or a CSV: its header and its non-empty rows, with the
    row numbers a clerk sees in the spreadsheet. The header is the first non-empty row; with
    `header_names` (the column names `parse_rows` will look for), it is the first of the
    first rows that names at least two of them, so a title above the header (附件1
    区住房城乡建委划片指导队伍清单) or a blank line is skipped. CPU-bound: called in a
    worker process (`load_table`)."""
    limits = (limits or ReadLimits()).for_rows(max_rows)
    raw = _bounded(_rows_of(content, filename, limits, progress), max_rows)
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
            f"the table has more than {max_rows} rows; at most {max_rows} are imported at once",
            zh=f"表格超过 {max_rows} 行，一次最多导入 {max_rows} 行",
            errors=[],
            max_rows=max_rows,
        )
    width = len(header)
    return Table(
        header=header,
        rows=[(n, (cells + [None] * width)[:width]) for n, cells in data],
        header_row=header_number,
    )


HEADER_SEARCH_ROWS = 10
MAX_COLUMNS = 200  # columns read from a sheet; a roster or a target list has a dozen


def _header_index(rows: list[tuple[int, list[Any]]], names: Collection[str]) -> int:
    wanted = {_key(n) for n in names}
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if sum(1 for c in cells if c is not None and _key(str(c)) in wanted) >= 2:
            return index
    return 0


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


def parse_rows(table: Table, model: type[M], columns: Mapping[str, str]) -> list[tuple[int, M]]:
    """Each row as `model`; `columns` maps the header names a sheet may use (Chinese or
    English, matched without spaces or case) to the model's fields. All errors, or all rows."""
    parsed, errors = validate_rows(table, model, columns)
    if errors:
        raise refuse(errors, len(table.rows))
    return parsed


def validate_rows(
    table: Table, model: type[M], columns: Mapping[str, str], progress: Progress = _no_progress
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
    for index, (number, cells) in enumerate(table.rows, start=1):
        if index % 500 == 0:
            progress(rows_validated=index, errors=len(errors))
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
    progress(rows_validated=len(table.rows), errors=len(errors))
    return parsed, errors


@dataclass(frozen=True)
class TableRead(Generic[M]):
    """A table read and its rows validated: the valid rows and the errors of the others."""

    table: Table
    parsed: list[tuple[int, M]]
    errors: list[CellError]


def read_and_validate(
    content: bytes | Path,
    *,
    filename: str | None,
    max_rows: int,
    model: type[M],
    columns: Mapping[str, str],
    header_names: Collection[str] | None = None,
    limits: ReadLimits | None = None,
    progress: Progress = _no_progress,
) -> TableRead[M]:
    """`read_table` then `validate_rows`: what a worker process does with an import."""
    table = read_table(
        content,
        filename=filename,
        max_rows=max_rows,
        header_names=header_names,
        limits=limits,
        progress=progress,
    )
    parsed, errors = validate_rows(table, model, columns, progress)
    return TableRead(table=table, parsed=parsed, errors=errors)


async def load_table(
    workers: FileWorkers,
    content: bytes | Path,
    *,
    filename: str | None,
    max_rows: int,
    model: type[M],
    columns: Mapping[str, str],
    header_names: Collection[str] | None = None,
    limits: ReadLimits | None = None,
    budget: WorkerBudget | None = None,
    progress: Callable[[dict[str, int]], None] | None = None,
) -> TableRead[M]:
    """Read and validate a table in a worker process (never on the event loop), within the
    limits and the budget; `progress` hears rows read and validated and the errors so far."""
    result: TableRead[M] = await workers.run(
        read_and_validate,
        content,
        filename=filename,
        max_rows=max_rows,
        model=model,
        columns=dict(columns),
        header_names=list(header_names) if header_names is not None else None,
        limits=limits,
        budget=budget,
        progress=progress,
        what=("the table", "表格"),
    )
    return result


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
