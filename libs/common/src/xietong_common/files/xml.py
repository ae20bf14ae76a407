"""XML read as a stream (expat), the way the parts of an .xlsx, .docx or .ofd are read: no
DTD at all (so no entity can expand — billion laughs, quadratic blowup — and no external
entity can be fetched), bounded depth, element names without their namespace prefix, and
every error a refusal that names the part and the place."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from xml.parsers import expat

from xietong_common.files.errors import FileOverLimits, FileUnreadable

MAX_DEPTH = 256

StartHandler = Callable[[str, dict[str, str]], None]
EndHandler = Callable[[str], None]
TextHandler = Callable[[str], None]


class Stop(Exception):
    """Raised by a handler that has read what it needs: the rest of the part is not read."""


def local(name: str) -> str:
    """`x:row` and `row` alike: the element's name without its prefix."""
    return name.rpartition(":")[2]


def _forbidden(part: str) -> FileUnreadable:
    return FileUnreadable(
        f"{part} declares a DTD or entities, which a document of this kind never does "
        "(an XML bomb or an external entity); it is not read",
        zh=f"{part} 含有 DTD 或实体声明（XML 炸弹或外部实体），不予读取",
        reason="xml-forbidden",
        part=part,
    )


def parser_for(
    *,
    part: str,
    start: StartHandler | None = None,
    end: EndHandler | None = None,
    text: TextHandler | None = None,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """An expat parser with the handlers, refusing any DTD; fed with `.Parse(chunk, False)`
    (errors through `malformed`)."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0

    def forbid(*_: object) -> None:
        raise _forbidden(part)

    def on_start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > max_depth:
            raise FileOverLimits(
                f"{part} nests elements deeper than {max_depth}",
                zh=f"{part} 的元素嵌套超过 {max_depth} 层",
                limit="xml-depth",
                part=part,
            )
        if start is not None:
            start(local(name), attributes)

    def on_end(name: str) -> None:
        nonlocal depth
        depth -= 1
        if end is not None:
            end(local(name))

    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.UnparsedEntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid  # type: ignore[assignment]
    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    if text is not None:
        parser.CharacterDataHandler = text
    return parser


_CUT_SHORT = {
    expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS],
    expat.errors.codes[expat.errors.XML_ERROR_UNCLOSED_TOKEN],
    expat.errors.codes[expat.errors.XML_ERROR_PARTIAL_CHAR],
}


def malformed(exc: expat.ExpatError, part: str) -> FileUnreadable:
    """The refusal of a part that is not well-formed XML (cut short, or altered)."""
    cut = exc.code in _CUT_SHORT
    return FileUnreadable(
        f"{part} is not well-formed XML ({expat.errors.messages[exc.code]}, line {exc.lineno}, "
        f"column {exc.offset})" + (": the file was cut short" if cut else ""),
        zh=f"{part} 不是格式正确的 XML（第 {exc.lineno} 行第 {exc.offset} 列）"
        + ("：文件不完整" if cut else "：文件被改动或已损坏"),
        reason="truncated" if cut else "malformed-xml",
        part=part,
        line=exc.lineno,
    )


def parse(
    chunks: Iterable[bytes],
    *,
    part: str,
    start: StartHandler | None = None,
    end: EndHandler | None = None,
    text: TextHandler | None = None,
    max_depth: int = MAX_DEPTH,
) -> None:
    """Feed `chunks` of one XML part to the handlers; `Stop` from a handler ends it early."""
    parser = parser_for(part=part, start=start, end=end, text=text, max_depth=max_depth)
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except Stop:
        return
    except expat.ExpatError as exc:
        raise malformed(exc, part) from None
