"""One uploaded file, inspected in a worker process before it is kept: what it really is
(its bytes, not its declared type), whether that is what it claims and what the route
accepts, whether it is whole, and — where a route screens content (INFO-02) — its text.

`inspect_file` runs in the worker (`FileWorkers.run`); it reads the staged file from disk
and returns an `Inspection`, or raises the refusal the upload gets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from xietong_common.files import types
from xietong_common.files.archive import Archive
from xietong_common.files.errors import FileTypeMismatch, FileTypeNotAccepted, FileUnreadable
from xietong_common.files.extract import ExtractedText, Screen, package_text, pdf_text, screen_parts
from xietong_common.files.limits import ReadLimits
from xietong_common.files.text import decode_text
from xietong_common.files.worker import Progress

# Kinds whose text cannot be read here: their content is not screened.
_NO_TEXT = {
    types.JPEG: "image",
    types.PNG: "image",
    types.TIFF: "image",
    types.MP3: "media",
    types.MP4: "media",
    types.DOC: "legacy-binary",
    types.XLS: "legacy-binary",
}


@dataclass(frozen=True)
class UploadCheck:
    """What an upload claims and what its route accepts."""

    declared_type: str | None
    filename: str | None
    allowed: frozenset[str]
    limits: ReadLimits = field(default_factory=ReadLimits)


@dataclass(frozen=True)
class Inspection:
    """What the file is. `text_complete` is False when its text could not be read whole
    (`unread`: image, media, legacy-binary, encrypted, no-text-layer, embedded-file)."""

    media_type: str
    encoding: str | None = None
    pages: int | None = None
    text_complete: bool = False
    unread: str | None = None
    findings: dict[str, list[str]] = field(default_factory=dict)
    text_chars: int = 0


def _detect(
    data: bytes, check: UploadCheck, progress: Progress
) -> tuple[str, ExtractedText | None, str | None]:
    """The file's kind, and its text where it has one that is read anyway."""
    kind = types.sniff_binary(data)
    if kind == "application/zip":
        archive = Archive(data, check.limits, what="the file")
        if archive.find("word/document.xml"):
            kind = types.DOCX
        elif archive.find("xl/workbook.xml"):
            kind = types.XLSX
        elif archive.find("OFD.xml"):
            kind = types.OFD
        else:
            return kind, None, None
        archive.check_all()  # every entry expands, with its CRC
        return kind, package_text(archive, check.limits, progress), None
    if kind == "application/x-ole-storage":
        return types.ole_kind(data), None, None
    if kind is not None:
        return kind, None, None
    declared = types.declared_kind(check.declared_type)
    claims_text = declared in (types.TEXT, types.CSV) or types.type_of_extension(
        check.filename
    ) in (types.TEXT, types.CSV)
    try:
        decoded = decode_text(data, max_chars=check.limits.max_text_chars)
    except FileUnreadable:
        if claims_text:
            raise
        return "application/octet-stream", None, None
    markup = types.sniff_markup(decoded.text)
    if markup is not None:
        return markup, None, None
    if "\x00" in decoded.text:
        if claims_text:
            raise FileUnreadable(
                "the text holds NUL characters: it is binary data, not text",
                zh="文本中含有 NUL 字符：这是二进制数据而不是文本",
                reason="binary-data",
            )
        return "application/octet-stream", None, None
    return types.TEXT, ExtractedText(parts=[("text", decoded.text)]), decoded.encoding


def _check_claims(detected: str, check: UploadCheck) -> str:
    """The type recorded: the detected one, if it is what the upload says and the route
    takes; otherwise the refusal."""
    declared = types.declared_kind(check.declared_type)
    zh, en = types.describe(detected)
    recorded = detected
    if detected == types.TEXT and (
        (declared in types.KNOWN[types.CSV].aliases and declared != types.TEXT)
        or declared == types.CSV
        or types.type_of_extension(check.filename) == types.CSV
    ):
        recorded = types.CSV  # a CSV is a text: its declaration or its name tells
    if not types.compatible(declared, detected):
        dzh, den = types.describe(declared)
        raise FileTypeMismatch(
            f"the file is {en}, not {den} as declared ({declared}); nothing was kept",
            zh=f"文件实际为{zh}，与声明的类型（{dzh}）不符，未作任何保存",
            declared_type=declared,
            detected_type=detected,
        )
    by_name = types.type_of_extension(check.filename)
    if by_name is not None and not (by_name == recorded or types.compatible(by_name, detected)):
        nzh, nen = types.describe(by_name)
        raise FileTypeMismatch(
            f"the file is {en}, but its name says {nen}; nothing was kept",
            zh=f"文件实际为{zh}，但文件名表明是{nzh}，未作任何保存",
            declared_type=by_name,
            detected_type=detected,
        )
    if recorded not in check.allowed:
        error = FileTypeNotAccepted if detected in types.KNOWN else FileTypeMismatch
        raise error(
            f"the file is {en}, which is not accepted here; nothing was kept",
            zh=f"文件实际为{zh}，此处不接受该类型，未作任何保存",
            detected_type=detected,
            allowed_types=sorted(check.allowed),
        )
    return recorded


def inspect_file(
    path: str, check: UploadCheck, *, screen: Screen | None = None, progress: Progress
) -> Inspection:
    """Run in a worker process: what the staged file at `path` is (see the module)."""
    data = Path(path).read_bytes()
    if not data:
        raise FileUnreadable("the file is empty", zh="文件为空", reason="empty")
    detected, text, encoding = _detect(data, check, progress)
    recorded = _check_claims(detected, check)
    checks: dict[str, Callable[[bytes], None]] = {
        types.PDF: types.check_pdf,
        types.PNG: types.check_png,
        types.JPEG: types.check_jpeg,
        types.MP4: types.check_mp4,
        types.TIFF: types.check_tiff,
    }
    if detected in checks:
        checks[detected](data)
    if detected == types.PDF:
        text = pdf_text(data, check.limits, progress, read_text=screen is not None)
    unread = _NO_TEXT.get(detected)
    complete = text is not None and text.complete and unread is None
    findings = screen_parts(text, screen) if text is not None and screen is not None else {}
    return Inspection(
        media_type=recorded,
        encoding=encoding,
        pages=text.pages if text is not None else None,
        text_complete=complete,
        unread=unread or (text.missing if text is not None else None),
        findings=findings,
        text_chars=text.chars if text is not None else 0,
    )
