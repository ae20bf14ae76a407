"""The text of a document, as a person reading it would see it, to screen it (INFO-02) and to
prove it is whole: the text layer of a PDF (pypdf), and for the ZIP+XML formats — .docx,
.xlsx and the national standard OFD (GB/T 33190) — the text of every XML part, read with
the streaming reader (no DTD, bounded), a line for each paragraph, cell, shared string or
text object, so a marking at the head of a page or of a cell starts a line as it does on
paper. Text that is deleted but tracked, in a header, a footer, a comment or a text box is
text the file holds, and is read too.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xietong_common.files import xml
from xietong_common.files.archive import Archive
from xietong_common.files.errors import FileOverLimits, FileUnreadable
from xietong_common.files.limits import ReadLimits
from xietong_common.files.worker import Progress

# Elements inside a paragraph or a text object: their text runs on.
_INLINE = frozenset(
    {
        "r", "t", "delText", "instrText", "ins", "del", "moveFrom", "moveTo", "hyperlink",
        "smartTag", "fldSimple", "sdt", "sdtContent", "customXml", "proofErr", "bookmarkStart",
        "bookmarkEnd", "rPr", "lastRenderedPageBreak", "softHyphen", "noBreakHyphen", "ruby",
        "rubyBase", "rt", "TextCode", "fldChar", "rFonts", "sz", "szCs", "color", "b", "i",
        "lang", "vertAlign", "spacing", "kern", "u", "highlight", "shd", "w", "position",
    }
)  # fmt: skip
# Parts that hold a file inside the file: their content is not read here.
_EMBEDDED = ("/embeddings/", "attachs/", "/activex/")


@dataclass
class ExtractedText:
    """The text of a file, by part; `complete` is False when some of it could not be read
    (why: `missing`), e.g. a scanned page, an encrypted file, an embedded document."""

    parts: list[tuple[str, str]] = field(default_factory=list)
    complete: bool = True
    missing: str | None = None
    pages: int | None = None

    @property
    def chars(self) -> int:
        return sum(len(text) for _, text in self.parts)


class _Budget:
    def __init__(self, limits: ReadLimits) -> None:
        self.left = limits.max_text_chars
        self.limit = limits.max_text_chars

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise FileOverLimits(
                f"the file holds more than {self.limit} characters of text",
                zh=f"文件中的文字超过 {self.limit} 个字符",
                limit="text",
                max_chars=self.limit,
            )


def _xml_text(archive: Archive, part: str, budget: _Budget) -> str:
    out: list[str] = []
    newline = {"pending": False}

    def add(text: str) -> None:
        if text:
            budget.spend(len(text))
            out.append(text)
            newline["pending"] = True

    def on_start(name: str, attributes: dict[str, str]) -> None:
        if name == "tab":
            add("\t")
        elif name in ("br", "cr"):
            add("\n")
            newline["pending"] = False
        elif name == "sheet" and attributes.get("name"):  # a sheet's name
            add(attributes["name"])
            on_end("sheet")

    def on_end(name: str) -> None:
        if name not in _INLINE and newline["pending"]:
            out.append("\n")
            newline["pending"] = False

    xml.parse(archive.chunks(part), part=part, start=on_start, end=on_end, text=add)
    return "".join(out)


def package_text(archive: Archive, limits: ReadLimits, progress: Progress) -> ExtractedText:
    """Every XML part of a .docx, .xlsx or .ofd, as text."""
    found = ExtractedText()
    budget = _Budget(limits)
    for number, name in enumerate(archive.names(), start=1):
        lower = name.lower()
        if any(marker in f"/{lower}" for marker in _EMBEDDED) and not lower.endswith("/"):
            found.complete, found.missing = False, "embedded-file"
            continue
        if not lower.endswith(".xml") or lower.endswith(".rels") or lower == "[content_types].xml":
            continue
        text = _xml_text(archive, name, budget)
        if text.strip():
            found.parts.append((name, text))
        progress(parts_read=number)
    found.parts.append(("names", "\n".join(archive.names())))
    return found


def pdf_text(
    data: bytes, limits: ReadLimits, progress: Progress, *, read_text: bool
) -> ExtractedText:
    """The text layer of each page (and the document's title, subject and keywords). An
    encrypted PDF that opens without a password (a permissions-only lock) is read; one that
    needs a password, or has no text on any page (a scan), is not complete."""
    from pypdf import PdfReader

    found = ExtractedText()
    budget = _Budget(limits)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = bool(reader.decrypt(""))
            except Exception:  # an unknown or broken encryption dictionary
                opened = False
            if not opened:
                found.complete, found.missing = False, "encrypted"
                return found
        pages = len(reader.pages)
        found.pages = pages
        if pages > limits.max_pdf_pages:
            raise FileOverLimits(
                f"the PDF has {pages} pages; the text of at most {limits.max_pdf_pages} is read",
                zh=f"PDF 共 {pages} 页，超过读取上限 {limits.max_pdf_pages} 页",
                limit="pages",
                max_pages=limits.max_pdf_pages,
            )
        if pages == 0:
            raise FileUnreadable("the PDF has no page", zh="PDF 中没有页面", reason="malformed-pdf")
        if not read_text:
            return found
        meta: Mapping[str, Any] = reader.metadata or {}
        about = "\n".join(
            str(meta.get(key, "") or "") for key in ("/Title", "/Subject", "/Keywords")
        )
        if about.strip():
            found.parts.append(("metadata", about))
        visible = 0
        for index, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            budget.spend(len(text))
            visible += len(text.strip())
            found.parts.append((f"page {index}", text))
            progress(pages_read=index)
    except (FileOverLimits, FileUnreadable):
        raise
    except MemoryError:
        raise
    except Exception as exc:
        raise FileUnreadable(
            f"the PDF cannot be read ({type(exc).__name__}): it is damaged or not a PDF",
            zh="PDF 无法读取：文件已损坏或不是有效的 PDF",
            reason="malformed-pdf",
        ) from None
    if visible == 0:
        found.complete, found.missing = False, "no-text-layer"
    return found


Screen = Callable[[str], list[str]]


def screen_parts(text: ExtractedText, screen: Screen) -> dict[str, list[str]]:
    """`screen` over each part; the parts where it found something."""
    found: dict[str, list[str]] = {}
    for part, content in text.parts:
        hits = screen(content)
        if hits:
            found[part] = sorted(set(hits))
    return found
