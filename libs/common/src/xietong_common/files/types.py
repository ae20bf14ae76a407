"""What a file really is, told from its bytes (never from the client's `Content-Type` or
the file's name), and whether it is whole.

The magic numbers are puremagic's (a pure-Python library, kept up to date, with no system
library to install, so every machine and container tells a file the same way); the
containers are opened to tell them apart (a .docx, an .xlsx and an .ofd are all ZIP files;
a .doc and an .xls are both OLE2 files), and a text is a text only if it decodes
(`files.text`) and is not HTML or XML. Each kind is then checked for being whole: a PDF
ends with `%%EOF`, a PNG's chunks and their CRCs run to `IEND`, a JPEG reaches its end
marker, an MP4's boxes fill the file, a ZIP container's entries all expand with a good CRC.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

import puremagic

from xietong_common.files.errors import FileUnreadable


@dataclass(frozen=True)
class FileType:
    media_type: str
    label_zh: str
    label_en: str
    extensions: tuple[str, ...]
    aliases: tuple[str, ...] = ()  # other content types clients declare for it
    text: bool = False


PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
TIFF = "image/tiff"
TEXT = "text/plain"
CSV = "text/csv"
DOC = "application/msword"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLS = "application/vnd.ms-excel"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OFD = "application/ofd"
MP3 = "audio/mpeg"
MP4 = "video/mp4"

KNOWN = {
    t.media_type: t
    for t in (
        FileType(PDF, "PDF 文档", "PDF document", (".pdf",), ("application/x-pdf",)),
        FileType(
            JPEG,
            "JPEG 图片",
            "JPEG image",
            (".jpg", ".jpeg", ".jpe", ".jfif"),
            ("image/jpg", "image/pjpeg"),
        ),
        FileType(PNG, "PNG 图片", "PNG image", (".png",), ("image/x-png",)),
        FileType(TIFF, "TIFF 图片", "TIFF image", (".tif", ".tiff")),
        FileType(TEXT, "文本文件", "text file", (".txt", ".text"), text=True),
        # Windows declares a .csv as Excel's type when Excel is installed.
        FileType(
            CSV,
            "CSV 表格",
            "CSV table",
            (".csv",),
            ("application/csv", "text/comma-separated-values", "text/x-csv", XLS, TEXT),
            text=True,
        ),
        FileType(DOC, "Word 97-2003 文档", "Word 97-2003 document", (".doc",)),
        FileType(DOCX, "Word 文档", "Word document", (".docx",)),
        FileType(XLS, "Excel 97-2003 工作簿", "Excel 97-2003 workbook", (".xls",)),
        FileType(XLSX, "Excel 工作簿", "Excel workbook", (".xlsx",)),
        FileType(OFD, "OFD 版式文档", "OFD document", (".ofd",)),
        FileType(MP3, "MP3 音频", "MP3 audio", (".mp3",), ("audio/mp3",)),
        FileType(MP4, "MP4 视频", "MP4 video", (".mp4", ".m4v")),
    )
}
# What a browser declares for a file it has no type for (an .ofd, usually): no claim.
UNDECLARED = frozenset({"", "application/octet-stream", "binary/octet-stream"})

# Kinds never accepted, named so that a refusal says what the file is.
_REFUSED_KINDS = {
    "application/x-msdownload": ("Windows 可执行程序", "a Windows executable"),
    "application/x-executable": ("可执行程序", "an executable program"),
    "text/html": ("HTML 网页", "an HTML page"),
    "application/xml": ("XML 文档", "an XML document"),
    "image/svg+xml": ("SVG 图形（可含脚本）", "an SVG image (it may hold scripts)"),
    "application/zip": ("ZIP 压缩包", "a ZIP archive"),
    "application/x-ole-storage": ("OLE 复合文档", "an OLE compound file"),
    "application/octet-stream": ("无法识别的二进制文件", "an unrecognised binary file"),
}


def describe(media_type: str) -> tuple[str, str]:
    """The kind in Chinese and English, for a refusal."""
    known = KNOWN.get(media_type)
    if known is not None:
        return known.label_zh, known.label_en
    return _REFUSED_KINDS.get(media_type, (media_type, media_type))


def declared_kind(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def type_of_extension(filename: str | None) -> str | None:
    """The type a file name's extension claims (`x.pdf`: PDF), if it names one we know."""
    suffix = PurePosixPath((filename or "").replace("\\", "/")).suffix.lower()
    if not suffix:
        return None
    return next((t.media_type for t in KNOWN.values() if suffix in t.extensions), None)


def compatible(declared: str, detected: str) -> bool:
    """Whether a file detected as `detected` may be declared as `declared`."""
    if declared in UNDECLARED or declared == detected:
        return True
    known = KNOWN.get(detected)
    if known is not None and declared in known.aliases:
        return True
    if detected == TEXT:  # a text file may be a CSV table: nothing in the bytes tells them apart
        return declared in {CSV, *KNOWN[CSV].aliases}
    return False


def _damaged(
    kind: str, detail_en: str, detail_zh: str, reason: str = "truncated"
) -> FileUnreadable:
    zh, en = describe(kind)
    return FileUnreadable(
        f"the {en} is damaged: {detail_en}",
        zh=f"该{zh}已损坏：{detail_zh}",
        reason=reason,
        detected_type=kind,
    )


def sniff_binary(data: bytes) -> str | None:
    """The kind told by the first bytes, or None (a text, perhaps)."""
    head = data[:4096]
    if b"%PDF-" in head[:1024]:
        return PDF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "application/zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/x-ole-storage"
    if head.startswith(b"MZ"):
        return "application/x-msdownload"
    if head.startswith((b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xca\xfe\xba\xbe")):
        return "application/x-executable"
    try:
        candidates = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    for candidate in candidates:
        mime = candidate.mime_type
        if mime in KNOWN and not KNOWN[mime].text:
            return str(mime)
        if mime == "text/html":
            return "text/html"
    return None


def sniff_markup(text: str) -> str | None:
    """A text that is HTML, SVG or XML (a page or a script sent as a document)."""
    start = text.lstrip("\ufeff \t\r\n")[:1024].lower()
    if start.startswith(("<!doctype html", "<html", "<head", "<body", "<script", "<iframe")) or (
        "<script" in start or "<html" in start
    ):
        return "text/html"
    if "<svg" in start:
        return "image/svg+xml"
    if start.startswith("<?xml"):
        return "application/xml"
    return None


# ---- being whole ----------------------------------------------------------------------------


def check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-2048:]:
        raise _damaged(
            PDF, "it does not end with %%EOF (cut short)", "文件不完整（缺少 %%EOF 结尾）"
        )


def check_png(data: bytes) -> None:
    position = 8
    while position + 12 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data):
            break
        body = data[position + 4 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : end])
        if zlib.crc32(body) != crc:
            raise _damaged(
                PNG, f"the CRC of its {kind!r} chunk is wrong", "数据块校验和错误", "corrupt"
            )
        if kind == b"IEND":
            return
        position = end
    raise _damaged(PNG, "it ends before its IEND chunk (cut short)", "文件不完整（缺少 IEND 块）")


def check_jpeg(data: bytes) -> None:
    """Segments up to the first scan, then the entropy-coded data to the end marker."""
    position = 2
    size = len(data)
    while position + 2 <= size:
        if data[position] != 0xFF:
            raise _damaged(JPEG, "a marker is missing", "标记缺失", "corrupt")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:
            return
        if marker in (0x01, *range(0xD0, 0xD8)):
            position += 2
            continue
        if position + 4 > size:
            break
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data until the next marker
            while True:
                found = data.find(b"\xff", position)
                if found < 0 or found + 1 >= size:
                    position = size
                    break
                following = data[found + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    position = found + (1 if following == 0xFF else 2)
                    continue
                position = found
                break
    raise _damaged(JPEG, "it ends before its end marker (cut short)", "文件不完整（缺少结束标记）")


def check_mp4(data: bytes) -> None:
    position = 0
    size = len(data)
    while position < size:
        if position + 8 > size:
            break
        (box,) = struct.unpack(">I", data[position : position + 4])
        if box == 1 and position + 16 <= size:
            (box,) = struct.unpack(">Q", data[position + 8 : position + 16])
        elif box == 0:
            return
        if box < 8:
            raise _damaged(MP4, "a box has an impossible size", "数据盒长度错误", "corrupt")
        position += box
    if position != size:
        raise _damaged(MP4, "its last box runs past the end (cut short)", "文件不完整")


def check_tiff(data: bytes) -> None:
    order = "<" if data[:2] == b"II" else ">"
    if len(data) < 8:
        raise _damaged(TIFF, "it is shorter than its header", "文件不完整")
    (offset,) = struct.unpack(order + "I", data[4:8])
    if not 8 <= offset < len(data):
        raise _damaged(TIFF, "its first directory lies outside the file", "目录偏移超出文件范围")


def ole_kind(data: bytes) -> str:
    """A .doc or an .xls (or an encrypted Office file, which is also OLE2), by the names of
    the streams its directory holds."""
    if len(data) < 1536:
        raise _damaged("application/x-ole-storage", "it is shorter than its header", "文件不完整")
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise FileUnreadable(
            "the Office file is encrypted (password protected); an encrypted file cannot be read",
            zh="该 Office 文件已加密（设有密码），无法读取",
            reason="encrypted",
        )
    if "WordDocument".encode("utf-16-le") in data:
        return DOC
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return XLS
    return "application/x-ole-storage"
