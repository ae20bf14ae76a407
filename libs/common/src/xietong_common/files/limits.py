"""How much of a file is read, and what a worker process may spend reading it.

Every count is checked while the file is read — a row, a cell, a shared string, a byte
expanded from a ZIP entry, a character of text — so a file built to exhaust the service
(a header and eight million empty rows, nine million shared strings, a billion laughs) is
refused when it passes the limit, in about a second, not after it was read whole.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """What is read of one file. The defaults fit what departments and towns really send:
    a roster or a target list of a few thousand rows and a dozen columns, a report of a few
    hundred pages."""

    max_entries: int = 5_000
    """entries of a ZIP container (.xlsx, .docx, .ofd)"""
    max_expanded_bytes: int = 256 * MiB
    """bytes expanded from a ZIP container, all entries together"""
    max_ratio: int = 1_000
    """an entry larger than 1 MiB that expands more than this many times is a zip bomb"""
    max_text_chars: int = 20_000_000
    """characters of text read or extracted (a CSV, a PDF's text layer, a document's XML)"""
    max_rows: int = 20_000
    """data rows of a table imported at once (routes set their own)"""
    max_columns: int = 200
    """columns read from a table; cells further right are ignored"""
    max_row_elements: int = 100_000
    """rows a sheet may hold, empty ones included (an empty row costs nothing to keep, but
    eight million of them cost minutes to read)"""
    max_cells: int = 2_000_000
    """cells a sheet may hold, empty ones included"""
    max_shared_strings: int = 200_000
    """strings of a workbook's shared string table (Excel keeps each distinct text once: a
    table of 20,000 rows with five columns of names and codes has about 100,000)"""
    max_pdf_pages: int = 2_000
    """pages of a PDF whose text is read"""

    def for_rows(self, max_rows: int) -> ReadLimits:
        """The same limits for a table of at most `max_rows` data rows."""
        from dataclasses import replace

        return replace(
            self,
            max_rows=max_rows,
            max_row_elements=max(self.max_row_elements, max_rows * 2 + 1_000),
        )


@dataclass(frozen=True)
class WorkerBudget:
    """What one worker process may spend: wall-clock seconds (the parent kills it past
    them) and memory (its address space; past it an allocation fails)."""

    seconds: float = 60.0
    memory_bytes: int = 1024 * MiB
