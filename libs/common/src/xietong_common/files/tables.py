"""The rows of a table as a department keeps it: the first sheet of an .xlsx workbook, read
as a stream, or a CSV in the encoding it was saved in.

The workbook is read part by part with the streaming XML reader (`files.xml`): the shared
strings, then the sheet's rows, each counted against the limits as it is read — rows
(empty ones too), cells, shared strings, text, bytes expanded — so a sheet that declares
eight million empty rows or nine million shared strings is refused at the limit, in well
under a second. Dates are recognised by the cell's number format, as Excel shows them
(openpyxl's date formats and its 1900/1904 epochs).
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from xietong_common.files import xml
from xietong_common.files.archive import Archive, rels_of, resolve
from xietong_common.files.errors import FileOverLimits, FileUnreadable
from xietong_common.files.limits import ReadLimits
from xietong_common.files.text import decode_text
from xietong_common.files.worker import Progress

Row = tuple[int, list[Any]]  # (the row's number in the sheet, its cells from column A)

# Number formats that show a date: Excel's built-in ones, and those a Chinese Excel shows as
# 2024年1月5日 (27–36 and 50–58 are dates in the East Asian locales).
_DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
_CELL_REF = re.compile(r"^([A-Za-z]{1,3})(\d+)$")
_MAX_SHEET_ROW = 1_048_576


def _over(what_en: str, what_zh: str, limit: str, value: int) -> FileOverLimits:
    return FileOverLimits(
        f"the table holds more than {value} {what_en}; it is not read further",
        zh=f"表格超过 {value} 个{what_zh}的上限，不再读取",
        limit=limit,
        maximum=value,
    )


def _column(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + (ord(ch) - 64)
    return number


class _Workbook:
    """Where a workbook keeps its first sheet, its strings and its styles."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.book = self._office_document()
        self.date1904 = False
        first_sheet_rel: str | None = None

        def on_book(name: str, attributes: dict[str, str]) -> None:
            nonlocal first_sheet_rel
            if name == "workbookPr":
                self.date1904 = attributes.get("date1904", "0").lower() in ("1", "true")
            elif name == "sheet" and first_sheet_rel is None:
                first_sheet_rel = next(
                    (v for k, v in attributes.items() if xml.local(k) == "id"), None
                )

        xml.parse(archive.chunks(self.book), part=self.book, start=on_book)
        rels = self._relationships(self.book)
        if first_sheet_rel is None or first_sheet_rel not in rels:
            raise FileUnreadable(
                "the workbook has no worksheet",
                zh="工作簿中没有工作表",
                reason="no-sheet",
            )
        self.sheet = rels[first_sheet_rel][1]
        by_type = {kind: target for kind, target in rels.values()}
        self.shared_strings = by_type.get("sharedStrings")
        self.styles = by_type.get("styles")

    def _office_document(self) -> str:
        found = "xl/workbook.xml"
        if self.archive.find("_rels/.rels"):
            for kind, target in self._relationships("", rels="_rels/.rels").values():
                if kind == "officeDocument":
                    found = target
        if self.archive.find(found) is None:
            raise FileUnreadable(
                "not an .xlsx workbook (it has no workbook part)",
                zh="不是 .xlsx 工作簿（缺少 workbook 部件）",
                reason="not-a-workbook",
            )
        return found

    def _relationships(self, part: str, *, rels: str | None = None) -> dict[str, tuple[str, str]]:
        """Relationship id -> (its type's last word, the target part)."""
        name = rels or rels_of(part)
        found: dict[str, tuple[str, str]] = {}
        if self.archive.find(name) is None:
            return found

        def on_rel(tag: str, attributes: dict[str, str]) -> None:
            if tag == "Relationship" and attributes.get("TargetMode") != "External":
                kind = attributes.get("Type", "").rsplit("/", 1)[-1]
                found[attributes.get("Id", "")] = (
                    kind,
                    resolve(part, attributes.get("Target", "")),
                )

        xml.parse(self.archive.chunks(name), part=name, start=on_rel)
        return found

    def date_styles(self) -> set[int]:
        """The cell styles (indices of cellXfs) whose number format shows a date."""
        if self.styles is None or self.archive.find(self.styles) is None:
            return set()
        custom: dict[int, str] = {}
        formats: list[int] = []
        inside = {"cellXfs": False}

        def on_start(name: str, attributes: dict[str, str]) -> None:
            if name == "numFmt":
                with contextlib.suppress(ValueError):
                    custom[int(attributes.get("numFmtId", ""))] = attributes.get("formatCode", "")
            elif name == "cellXfs":
                inside["cellXfs"] = True
            elif name == "xf" and inside["cellXfs"]:
                try:
                    formats.append(int(attributes.get("numFmtId", "0")))
                except ValueError:
                    formats.append(0)

        def on_end(name: str) -> None:
            if name == "cellXfs":
                inside["cellXfs"] = False

        xml.parse(self.archive.chunks(self.styles), part=self.styles, start=on_start, end=on_end)

        def is_date(number_format: int) -> bool:
            if number_format in custom:
                return bool(is_date_format(custom[number_format]))
            if number_format in _DATE_FORMAT_IDS:
                return True
            return bool(is_date_format(BUILTIN_FORMATS.get(number_format, "General")))

        return {index for index, fmt in enumerate(formats) if is_date(fmt)}


def _shared_strings(
    archive: Archive, part: str | None, limits: ReadLimits, progress: Progress
) -> list[str]:
    if part is None or archive.find(part) is None:
        return []
    strings: list[str] = []
    pieces: list[str] = []
    state = {"in_t": False, "phonetic": 0, "chars": 0}

    def on_start(name: str, attributes: dict[str, str]) -> None:
        if name == "sst":
            declared = attributes.get("uniqueCount", "0")
            if declared.isdigit() and int(declared) > limits.max_shared_strings:
                raise _over(
                    "shared strings", "共享字符串", "shared-strings", limits.max_shared_strings
                )
        elif name == "t":
            state["in_t"] = True
        elif name == "rPh":  # a phonetic guide (furigana), not the cell's text
            state["phonetic"] += 1

    def on_end(name: str) -> None:
        if name == "t":
            state["in_t"] = False
        elif name == "rPh":
            state["phonetic"] -= 1
        elif name == "si":
            strings.append("".join(pieces))
            pieces.clear()
            if len(strings) > limits.max_shared_strings:
                raise _over(
                    "shared strings", "共享字符串", "shared-strings", limits.max_shared_strings
                )
            if len(strings) % 10_000 == 0:
                progress(shared_strings=len(strings))

    def on_text(data: str) -> None:
        if state["in_t"] and not state["phonetic"]:
            state["chars"] += len(data)
            if state["chars"] > limits.max_text_chars:
                raise _over("characters of text", "字符", "text", limits.max_text_chars)
            pieces.append(data)

    xml.parse(archive.chunks(part), part=part, start=on_start, end=on_end, text=on_text)
    return strings


class _SheetReader:
    """The sheet's rows as they are parsed: fed a chunk, it holds the rows completed."""

    def __init__(
        self, strings: list[str], date_styles: set[int], date1904: bool, limits: ReadLimits
    ) -> None:
        self.strings = strings
        self.date_styles = date_styles
        self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        self.limits = limits
        self.done: list[Row] = []
        self.rows = 0
        self.cells = 0
        self.row_number = 0
        self.current: dict[int, Any] = {}
        self.column = 0
        self.cell_type = "n"
        self.cell_style = 0
        self.value: list[str] = []
        self.capture = False
        self.in_inline = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if name == "row":
            self.rows += 1
            if self.rows > self.limits.max_row_elements:
                raise _over(
                    "rows (empty ones included)",
                    "行（含空行）",
                    "rows",
                    self.limits.max_row_elements,
                )
            number = attributes.get("r", "")
            self.row_number = int(number) if number.isdigit() else self.row_number + 1
            if not 1 <= self.row_number <= _MAX_SHEET_ROW:
                raise FileUnreadable(
                    f"a row is numbered {self.row_number}, outside 1..{_MAX_SHEET_ROW}",
                    zh=f"行号 {self.row_number} 超出 1 至 {_MAX_SHEET_ROW} 的范围",
                    reason="malformed-sheet",
                )
            self.current = {}
            self.column = 0
        elif name == "c":
            self.cells += 1
            if self.cells > self.limits.max_cells:
                raise _over("cells", "单元格", "cells", self.limits.max_cells)
            found = _CELL_REF.match(attributes.get("r", ""))
            self.column = _column(found.group(1)) if found else self.column + 1
            self.cell_type = attributes.get("t", "n")
            style = attributes.get("s", "0")
            self.cell_style = int(style) if style.isdigit() else 0
            self.value = []
        elif name == "v":
            self.capture = True
        elif name == "is":
            self.in_inline = True
        elif name == "t" and self.in_inline:
            self.capture = True

    def text(self, data: str) -> None:
        if self.capture:
            self.value.append(data)

    def end(self, name: str) -> None:
        if name in ("v", "t"):
            self.capture = False
        elif name == "is":
            self.in_inline = False
        elif name == "c":
            if self.column <= self.limits.max_columns and self.value:
                self.current[self.column] = self._value("".join(self.value))
        elif name == "row" and self.current:
            width = max(self.current)
            self.done.append((self.row_number, [self.current.get(i) for i in range(1, width + 1)]))

    def _value(self, raw: str) -> Any:
        kind = self.cell_type
        if kind == "s":
            try:
                return self.strings[int(raw)]
            except (ValueError, IndexError):
                raise FileUnreadable(
                    f"a cell refers to shared string {raw!r}, which the workbook does not have",
                    zh="单元格引用了工作簿中不存在的共享字符串",
                    reason="malformed-sheet",
                ) from None
        if kind in ("inlineStr", "str", "e"):
            return raw
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "d":
            try:
                return datetime.fromisoformat(raw.strip())
            except ValueError:
                return raw
        try:
            number: float | int = (
                float(raw)
                if any(c in raw for c in ".eE") or raw.strip() in ("inf", "nan")
                else int(raw)
            )
        except ValueError:
            return raw
        if self.cell_style in self.date_styles and isinstance(number, int | float):
            try:
                return from_excel(number, self.epoch)
            except (ValueError, OverflowError):
                return number
        return number


def xlsx_rows(source: Path | bytes, limits: ReadLimits, progress: Progress) -> Iterator[Row]:
    """The first sheet's non-empty rows, read as a stream within `limits`."""
    archive = Archive(source, limits, what="the workbook")
    book = _Workbook(archive)
    strings = _shared_strings(archive, book.shared_strings, limits, progress)
    reader = _SheetReader(strings, book.date_styles(), book.date1904, limits)
    sheet = book.sheet
    if archive.find(sheet) is None:
        raise FileUnreadable(
            f"the worksheet {sheet} is missing", zh="缺少工作表部件", reason="missing-part"
        )
    # Driven one chunk at a time: a caller that has the rows it needs stops the reading.
    parser = xml.parser_for(part=sheet, start=reader.start, end=reader.end, text=reader.text)
    try:
        for chunk in archive.chunks(sheet):
            parser.Parse(chunk, False)
            if reader.done:
                rows, reader.done = reader.done, []
                progress(rows_read=reader.rows)
                yield from rows
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise xml.malformed(exc, sheet) from None
    progress(rows_read=reader.rows)
    yield from reader.done
    # The parts not read above (styles aside) are read too: a damaged one is a damaged file.
    archive.check_all()


def csv_rows(source: Path | bytes, limits: ReadLimits, progress: Progress) -> Iterator[Row]:
    """A CSV's non-empty rows, in the encoding it was saved in (`files.text`)."""
    data = source.read_bytes() if isinstance(source, Path) else source
    text = decode_text(data, max_chars=limits.max_text_chars).text
    if "\x00" in text:
        raise FileUnreadable(
            "the file is not a CSV table: it contains NUL characters (binary data)",
            zh="文件不是 CSV 表格：含有 NUL 字符（二进制数据）",
            reason="binary-data",
        )
    # Windows, Unix and old Mac line ends, even mixed in one file, end a row alike.
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = 0
    try:
        for number, cells in enumerate(reader, start=1):
            rows += 1
            if rows > limits.max_row_elements:
                raise _over(
                    "rows (empty ones included)", "行（含空行）", "rows", limits.max_row_elements
                )
            if rows % 5_000 == 0:
                progress(rows_read=rows)
            if len(cells) > limits.max_columns:
                cells = cells[: limits.max_columns]
            yield number, list(cells)
    except csv.Error as exc:
        raise FileUnreadable(
            f"not a readable CSV table at row {reader.line_num}: {exc}",
            zh=f"第 {reader.line_num} 行不是可读取的 CSV 格式",
            reason="malformed-csv",
            line=reader.line_num,
        ) from None
    progress(rows_read=rows)
