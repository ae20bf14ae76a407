"""Files for tests, made by code (no binaries in the repository): good ones of every kind the
services take, and broken and hostile ones — truncated, bit-flipped, wrong ZIP entries, XML
bombs (billion laughs, quadratic blowup, external entities), zip bombs, the dimension and
shared-strings bombs of issue 17, wrong encodings, CSVs with NULs and mixed line ends, HTML
or a Windows executable named x.pdf — and a seeded mutator for a fuzz step.

The large ones are cached: each is made once per test session.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS = "application/vnd.ms-excel"


@dataclass(frozen=True)
class Sample:
    """A file as a client uploads it: name, bytes, declared content type."""

    name: str
    content: bytes
    content_type: str
    why: str = ""

    def upload(self) -> tuple[str, bytes, str]:
        return self.name, self.content, self.content_type


# ---- good files --------------------------------------------------------------------------


def pdf(lines: Sequence[str] = ("检查情况报告", "一切正常"), *, text: bool = True) -> bytes:
    """A one-page PDF whose text layer holds `lines` (a Type0 font with a ToUnicode map, as
    office software writes Chinese), or (text=False) a page with a drawing and no text, as
    a scan is."""
    chars = sorted({c for line in lines for c in line}) if text else []
    if text:
        body = (
            "BT /F1 12 Tf 72 770 Td 14 TL\n"
            + "".join("<" + "".join(f"{ord(c):04X}" for c in line) + "> Tj T*\n" for line in lines)
            + "ET\n"
        )
    else:
        body = "0.5 g 72 600 200 150 re f\n"
    cmap_entries = "".join(
        f"{len(chunk)} beginbfchar\n"
        + "".join(f"<{ord(c):04X}> <{ord(c):04X}>\n" for c in chunk)
        + "endbfchar\n"
        for chunk in (chars[i : i + 100] for i in range(0, len(chars), 100))
    )
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{cmap_entries}endcmap CMapName currentdict /CMap defineresource pop end end\n"
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H "
        "/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        f"<< /Length {len(body.encode())} >>\nstream\n{body}endstream",
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        f"<< /Length {len(cmap.encode())} >>\nstream\n{cmap}endstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{obj}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def encrypted_pdf(lines: Sequence[str] = ("机密★1年",), password: str = "s3cret") -> bytes:
    """A PDF that opens only with a password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf(lines))))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zip(entries: dict[str, bytes | str], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def _paragraphs(paragraphs: Sequence[str]) -> str:
    return "".join(
        "<w:p>" + "".join(f"<w:r><w:t>{run}</w:t></w:r>" for run in p.split("|")) + "</w:p>"
        for p in paragraphs
    )


def docx(
    paragraphs: Sequence[str] = ("关于某某事项的检查情况", "一切正常。"),
    *,
    header: str | None = None,
    document_xml: str | None = None,
) -> bytes:
    """A .docx; `|` in a paragraph splits it into runs (as Word splits a word it edited)."""
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    )
    types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        'ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="'
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        "</Types>"
    )
    document = document_xml or (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_W} {_R}>'
        f"<w:body>{_paragraphs(paragraphs)}</w:body></w:document>"
    )
    entries: dict[str, bytes | str] = {
        "[Content_Types].xml": types,
        "_rels/.rels": rels,
        "word/document.xml": document,
    }
    if header is not None:
        entries["word/header1.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><w:hdr {_W}>{_paragraphs([header])}</w:hdr>'
        )
    return _zip(entries)


def xlsx(rows: Sequence[Sequence[object]], *, title: str | None = None) -> bytes:
    """A workbook as Excel saves it (openpyxl)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.title = title
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _workbook(sheet_xml: Iterator[bytes] | bytes, shared: Iterator[bytes] | bytes | None) -> bytes:
    """A minimal workbook around raw sheet (and shared strings) XML, streamed into the zip."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"/>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main" {_R}><sheets><sheet name="Sheet1" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
        for name, data in (
            ("xl/worksheets/sheet1.xml", sheet_xml),
            ("xl/sharedStrings.xml", shared),
        ):
            if data is None:
                continue
            with archive.open(name, "w", force_zip64=True) as entry:
                if isinstance(data, bytes):
                    entry.write(data)
                else:
                    for chunk in data:
                        entry.write(chunk)
    return out.getvalue()


_SHEET_HEAD = (
    b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    b'2006/main"><sheetData>'
)
_SHEET_TAIL = b"</sheetData></worksheet>"


@functools.lru_cache(maxsize=1)
def dimension_bomb(empty_rows: int = 8_000_000) -> bytes:
    """Issue 17: a header and eight million empty rows, in about 70 KB."""

    def xml() -> Iterator[bytes]:
        yield _SHEET_HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row>'
        chunk = b"<row/>" * 100_000
        for _ in range(empty_rows // 100_000):
            yield chunk
        yield _SHEET_TAIL

    return _workbook(xml(), None)


@functools.lru_cache(maxsize=1)
def shared_strings_bomb(count: int = 9_500_000) -> bytes:
    """Issue 17: nine and a half million shared strings under the expansion check."""

    def strings() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        chunk = b"<si><t>x</t></si>" * 100_000
        for _ in range(count // 100_000):
            yield chunk
        yield b"</sst>"

    sheet = _SHEET_HEAD + b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + _SHEET_TAIL
    return _workbook(sheet, strings())


def _sheet(cells: str) -> bytes:
    return _SHEET_HEAD + f'<row r="1">{cells}</row>'.encode() + _SHEET_TAIL


def billion_laughs() -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]><worksheet xmlns="http://schemas.'
        'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" '
        't="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    return _workbook(sheet.encode(), None)


def quadratic_blowup() -> bytes:
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "{"a" * 50_000}">]><worksheet '
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
        '<c r="A1" t="inlineStr"><is><t>'
        + "&a;" * 50_000
        + "</t></is></c></row></sheetData></worksheet>"
    )
    return _workbook(sheet.encode(), None)


def external_entity() -> bytes:
    sheet = (
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&x;</t></is></c></row></sheetData></worksheet>'
    )
    return _workbook(sheet.encode(), None)


@functools.lru_cache(maxsize=1)
def zip_bomb() -> bytes:
    """A workbook whose sheet is 100 MB of zeros in about 100 KB."""

    def zeros() -> Iterator[bytes]:
        yield _SHEET_HEAD + b"<!--"
        block = b"0" * (1 << 20)
        for _ in range(100):
            yield block
        yield b"-->" + _SHEET_TAIL

    return _workbook(zeros(), None)


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    """A JPEG's marker structure (SOI, APP0, a quantisation table, a frame, a scan, EOI)."""

    def segment(marker: int, body: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body

    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + segment(0xDB, b"\x00" + bytes(range(1, 65)))
        + segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")
        + segment(0xC4, b"\x00" + b"\x00" * 16)
        + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + b"\x12\x34\xff\x00\x56"
        + b"\xff\xd9"
    )


def mp4() -> bytes:
    ftyp = b"ftypisom" + b"\x00\x00\x02\x00" + b"isomiso2mp41"
    mdat = b"mdat" + b"\x00" * 64
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", len(mdat) + 4) + mdat


def ofd(lines: Sequence[str] = ("关于某某事项的通知", "一切正常")) -> bytes:
    """An OFD (GB/T 33190) document: OFD.xml, the document, one page of text objects."""
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    texts = "".join(
        f'<ofd:TextObject ID="{i + 10}" Boundary="0 {i * 10} 100 10" Font="1" Size="5">'
        + "".join(f'<ofd:TextCode X="{j * 5}" Y="5">{c}</ofd:TextCode>' for j, c in enumerate(line))
        + "</ofd:TextObject>"
        for i, line in enumerate(lines)
    )
    return _zip(
        {
            "OFD.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} Version="1.0" '
            'DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>1</ofd:DocID></ofd:DocInfo>'
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
            "Doc_0/Document.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}>'
            '<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages>'
            "</ofd:Document>",
            "Doc_0/Pages/Page_0/Content.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page '
            f"{ns}><ofd:Content><ofd:Layer>{texts}</ofd:Layer></ofd:Content></ofd:Page>",
        }
    )


def windows_executable() -> bytes:
    stub = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44
    stub += struct.pack("<I", 64) + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 200
    return stub


def html_page() -> bytes:
    return b"<!DOCTYPE html><html><head><script>alert(1)</script></head><body>x</body></html>"


# ---- damage -----------------------------------------------------------------------------


def truncated(data: bytes, keep: float = 0.6) -> bytes:
    return data[: max(1, int(len(data) * keep))]


def bit_flipped(data: bytes, *, at: float = 0.5) -> bytes:
    """One byte of the compressed data of the largest ZIP entry flipped (a CRC or inflate
    error), or one byte in the middle of another file."""
    position = int(len(data) * at)
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = max(archive.infolist(), key=lambda i: i.compress_size)
        # local header: 30 bytes + name + extra, then the compressed data
        name_len, extra_len = struct.unpack(
            "<HH", data[info.header_offset + 26 : info.header_offset + 30]
        )
        start = info.header_offset + 30 + name_len + extra_len
        position = start + info.compress_size // 2
    flipped = bytearray(data)
    flipped[position] ^= 0xFF
    return bytes(flipped)


def mutations(data: bytes, *, seed: int, count: int) -> Iterator[bytes]:
    """`count` seeded mutations of `data`: bytes flipped, set, deleted or repeated, the file
    cut short — what a fuzzer does to a valid file, reproducibly."""
    rng = random.Random(seed)
    for _ in range(count):
        out = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            kind = rng.choice(("flip", "set", "delete", "repeat", "cut"))
            position = rng.randrange(len(out)) if out else 0
            if kind == "flip" and out:
                out[position] ^= 1 << rng.randrange(8)
            elif kind == "set" and out:
                out[position] = rng.choice((0x00, 0xFF, 0x3C, 0x22, 0x7F))
            elif kind == "delete" and out:
                del out[position : position + rng.randint(1, 64)]
            elif kind == "repeat" and out:
                out[position:position] = out[
                    position : position + rng.randint(1, 64)
                ] * rng.randint(2, 50)
            elif kind == "cut" and out:
                del out[position:]
        yield bytes(out) or b"\x00"


# ---- the corpus --------------------------------------------------------------------------


def malformed_documents() -> list[Sample]:
    """Files every upload route must refuse (422), never store, never answer 500 for."""
    good_pdf, good_docx = pdf(), docx()
    wrong_entries = _zip({"hello.txt": "not a document", "x/y.bin": b"\x00\x01"})
    no_document = _zip({"[Content_Types].xml": "<Types/>", "word/styles.xml": "<styles/>"})
    return [
        Sample("报告.pdf", truncated(good_pdf), "application/pdf", "truncated PDF"),
        Sample("报告.docx", truncated(good_docx), DOCX, "truncated docx"),
        Sample("报告.docx", bit_flipped(good_docx), DOCX, "bit-flipped docx"),
        Sample("报告.docx", wrong_entries, DOCX, "a ZIP of other entries named .docx"),
        Sample("报告.docx", no_document, DOCX, "a docx without its document part"),
        Sample("表.xlsx", billion_laughs(), XLSX, "billion laughs"),
        Sample("表.xlsx", quadratic_blowup(), XLSX, "quadratic blowup"),
        Sample("表.xlsx", external_entity(), XLSX, "external entity"),
        Sample("表.xlsx", zip_bomb(), XLSX, "zip bomb"),
        Sample("照片.png", truncated(png(), 0.7), "image/png", "truncated PNG"),
        Sample("照片.png", bit_flipped(png(), at=0.6), "image/png", "bit-flipped PNG"),
        Sample("照片.jpg", truncated(jpeg(), 0.5), "image/jpeg", "truncated JPEG"),
        Sample("视频.mp4", truncated(mp4(), 0.5), "video/mp4", "truncated MP4"),
        Sample("x.pdf", html_page(), "application/pdf", "HTML named x.pdf"),
        Sample(
            "x.pdf", windows_executable(), "application/pdf", "a Windows executable named x.pdf"
        ),
        Sample("x.pdf", "纯文本冒充 PDF".encode(), "application/pdf", "text sent as a PDF"),
        Sample("照片.png", jpeg(), "image/png", "a JPEG declared as PNG"),
        Sample("说明.txt", b"\xff\xfe\xfd\x80abc\x81\xfe", "text/plain", "undecodable text"),
        Sample(
            "说明.txt",
            "机密★1年 情况说明".encode() + b"\xff" + "其余内容".encode() * 20,
            "text/plain",
            "UTF-8 with a stray byte",
        ),
        Sample("说明.txt", b"abc\x00\x00\x01\x02def" * 10, "text/plain", "binary sent as text"),
        Sample("数据.csv", "乡镇,数量\n".encode() + b"\x00\x00\x00", "text/csv", "CSV with NULs"),
    ]


def malformed_tables() -> list[Sample]:
    """Tables every import route must refuse (422), never import, never answer 500 for."""
    good = xlsx([["名称", "类型"], ["某某公司", "企业"]])
    return [
        Sample("表.xlsx", truncated(good), XLSX, "truncated workbook"),
        Sample("表.xlsx", bit_flipped(good), XLSX, "bit-flipped workbook"),
        Sample("表.xlsx", _zip({"a.txt": "x"}), XLSX, "a ZIP of other entries named .xlsx"),
        Sample("表.xlsx", billion_laughs(), XLSX, "billion laughs"),
        Sample("表.xlsx", quadratic_blowup(), XLSX, "quadratic blowup"),
        Sample("表.xlsx", external_entity(), XLSX, "external entity"),
        Sample("表.xlsx", zip_bomb(), XLSX, "zip bomb"),
        Sample("表.xlsx", dimension_bomb(), XLSX, "a header and 8 million empty rows"),
        Sample("表.xlsx", shared_strings_bomb(), XLSX, "9.5 million shared strings"),
        Sample("表.csv", b"\xff\xfe\xfd\x80\x81,\xfe", "text/csv", "undecodable CSV"),
        Sample("表.csv", "名称,类型\n".encode() + b"a\x00b,c\n", "text/csv", "CSV with NULs"),
        Sample("表.pdf", pdf(), "application/pdf", "a PDF sent as a table"),
        Sample("表.xlsx", windows_executable(), XLSX, "a Windows executable named .xlsx"),
    ]


# ---- what a worker process may be asked to do, for the worker's own tests -----------------


def never_ends(*, progress: object) -> None:
    """A parser that loops for ever."""
    import time

    while True:
        time.sleep(0.05)


def writes_its_pid_and_waits(path: str, *, progress: object) -> None:
    """A parser that says which process it runs in, then never ends."""
    import os
    import time
    from pathlib import Path

    Path(path).write_text(f"{os.getpid()} {os.getppid()}")
    while True:
        time.sleep(0.05)


def allocates(megabytes: int, *, progress: object) -> int:
    """A parser that wants more memory than it is given."""
    blocks = [bytearray(1 << 20) for _ in range(megabytes)]
    return len(blocks)


def parsers_at_hand(*, progress: object) -> list[str]:
    """The file parsers a worker child has without importing them itself (those the fork
    server imported before forking it)."""
    import sys

    return sorted(m for m in ("openpyxl", "pypdf") if m in sys.modules)


def counts(up_to: int, *, progress: object) -> int:
    """A parser that reports its progress as it goes."""
    import time

    for n in range(1, up_to + 1):
        progress(rows_read=n)  # type: ignore[operator]
        time.sleep(0.25)
    return up_to


def pdf_bytes(note: str = "测试文档") -> bytes:
    """A small valid PDF whose text is `note` (a different note, a different file)."""
    return pdf([note])


# ---- feeding a route ------------------------------------------------------------------------

REFUSALS = {
    "urn:xietong:problem:file-unreadable",
    "urn:xietong:problem:file-over-limits",
    "urn:xietong:problem:file-type-mismatch",
    "urn:xietong:problem:unsupported-media-type",
    "urn:xietong:problem:table-invalid",
}


def _blob_files(blob_dir: Any) -> list[str]:
    from pathlib import Path

    root = Path(blob_dir)
    return (
        sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        if root.exists()
        else []
    )


async def refuses_every_malformed_file(
    post: Callable[[Sample], Awaitable[Any]],
    *,
    counts: Callable[[], Awaitable[object]],
    blob_dir: Any,
    samples: Sequence[Sample],
    fuzz: Sample | None = None,
    mutations: int = 12,
    seed: int = 17,
) -> dict[str, int]:
    """Every sample is refused with 422 and a problem type saying what is wrong, never a 500,
    and leaves nothing (the rows `counts` reports, the blob store). With `fuzz`, `mutations`
    seeded mutations of that valid file follow: each is kept (2xx) or refused (4xx, nothing
    left), never a 500. Returns how many of each status were seen."""
    seen: dict[str, int] = {}
    before = await counts()
    blobs = _blob_files(blob_dir)
    for sample in samples:
        r = await post(sample)
        seen[str(r.status_code)] = seen.get(str(r.status_code), 0) + 1
        assert r.status_code == 422, (sample.why, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("application/problem+json"), sample.why
        problem = r.json()
        assert problem["type"] in REFUSALS, (sample.why, problem)
        assert problem["detail"], sample.why
        assert await counts() == before, sample.why
        assert _blob_files(blob_dir) == blobs, sample.why
    if fuzz is not None:
        for n, content in enumerate(mutations_of(fuzz.content, seed=seed, count=mutations)):
            mutated = Sample(fuzz.name, content, fuzz.content_type, f"mutation {n} (seed {seed})")
            r = await post(mutated)
            seen[str(r.status_code)] = seen.get(str(r.status_code), 0) + 1
            assert r.status_code < 500, (mutated.why, r.text[:300])
            if r.status_code >= 400:
                assert r.headers["content-type"].startswith("application/problem+json")
                assert await counts() == before, mutated.why
                assert _blob_files(blob_dir) == blobs, mutated.why
            else:  # a mutation that is still a valid file is kept like any other
                before, blobs = await counts(), _blob_files(blob_dir)
    assert not [b for b in _blob_files(blob_dir) if ".upload-" in b or "import-" in b]
    return seen


mutations_of = mutations


def answers_on_second_try(marker: str, *, progress: object) -> str:
    """A child that ends well without answering the first time (its marker file is then
    made), and answers the next: how a lost answer looks to the parent."""
    import os
    from pathlib import Path

    if not Path(marker).exists():
        Path(marker).touch()
        os._exit(0)
    return "answered"


def ends_without_answering(*, progress: object) -> str:
    """A child that always ends well without answering."""
    import os

    os._exit(0)
