"""Text as Chinese office software writes it: UTF-8 with or without a byte order mark,
GB18030 (and GBK and GB2312, which it contains: what Excel and Notepad write on a Chinese
Windows), UTF-16 with or without a byte order mark (Notepad's "Unicode", Excel's "Unicode
text"). The encoding is detected (charset-normalizer, held to these candidates), never
guessed byte by byte; what decodes in none of them, or is UTF-8 with damaged bytes, is
refused — a file is never read as mojibake, which would hide what it says.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import from_bytes

from xietong_common.files.errors import FileOverLimits, FileUnreadable

# What charset-normalizer may choose between once UTF-8 has failed.
CANDIDATES = ["utf_8", "gb18030", "utf_16_le", "utf_16_be"]
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
ACCEPTED = "UTF-8, GB18030 (GBK), UTF-16"


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # as Python names it: utf-8, gb18030, utf-16-le …
    bom: bool = False


def _undecodable(detail_en: str, detail_zh: str, **extensions: object) -> FileUnreadable:
    return FileUnreadable(
        f"the text cannot be decoded: {detail_en}. Save it as {ACCEPTED} and send it again",
        zh=f"无法识别文本的编码：{detail_zh}。请另存为 UTF-8 或 GB18030（GBK）编码后重新上传",
        reason="undecodable-text",
        accepted_encodings=["utf-8", "gb18030", "utf-16"],
        **extensions,
    )


def _strict(data: bytes, encoding: str, *, bom: bool) -> DecodedText:
    try:
        return DecodedText(data.decode(encoding), encoding, bom)
    except UnicodeDecodeError as exc:
        raise _undecodable(
            f"not valid {encoding} at byte {exc.start}",
            f"第 {exc.start} 字节处不是有效的 {encoding} 编码",
            encoding=encoding,
            offset=exc.start,
        ) from None


def _damaged_utf8(data: bytes) -> bool:
    """A text that is UTF-8 but for a few damaged bytes (a stray byte, a cut character):
    at least ten good non-ASCII characters for each bad sequence."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    valid = sum(1 for ch in text if ord(ch) > 0x7F) - bad
    return bad > 0 and valid >= 10 * bad


def decode_text(data: bytes, *, max_chars: int) -> DecodedText:
    """The text of `data` in the encoding it was written in (see the module); refused if it
    decodes in none of them, or holds more than `max_chars` characters."""
    if len(data) > max_chars * 4:  # no encoding here needs more than 4 bytes a character
        raise FileOverLimits(
            f"the text is longer than {max_chars} characters",
            zh=f"文本超过 {max_chars} 个字符",
            limit="text",
            max_chars=max_chars,
        )
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            decoded = _strict(data[len(bom) :], encoding, bom=True)
            break
    else:
        try:
            decoded = DecodedText(data.decode("utf-8"), "utf-8")
        except UnicodeDecodeError as exc:
            offset = exc.start
            if _damaged_utf8(data):
                raise _undecodable(
                    f"UTF-8 with damaged bytes (the first at byte {offset})",
                    f"UTF-8 文本中有损坏的字节（首个在第 {offset} 字节）",
                    encoding="utf-8",
                    offset=offset,
                ) from None
            best = from_bytes(data, cp_isolation=CANDIDATES).best()
            if best is None:
                raise _undecodable(
                    "it is none of " + ACCEPTED, "不是 UTF-8、GB18030（GBK）或 UTF-16 编码"
                ) from None
            decoded = _strict(data, codecs.lookup(best.encoding).name, bom=False)
    if len(decoded.text) > max_chars:
        raise FileOverLimits(
            f"the text is longer than {max_chars} characters",
            zh=f"文本超过 {max_chars} 个字符",
            limit="text",
            max_chars=max_chars,
        )
    return decoded
