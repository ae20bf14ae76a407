"""Reading the official documents the services render, as a person and a printer would:
the text, where each character sits on the page, the page as an image, and whether the
fonts embedded in the file draw every character (no tofu boxes)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pypdf
import pypdfium2 as pdfium
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from PIL import Image, ImageStat

MM_PER_PT = 25.4 / 72
A4_MM = (210.0, 297.0)
# GB/T 9704-2012: 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm
TYPE_AREA_MM = (
    28.0,
    37.0,
    28.0 + 156.0,
    37.0 + 225.0,
)  # left, top, right, bottom from the top-left
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\U00020000-\U0003134f]")


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text. PDFium marks a hyphen that ends a line as U+FFFE: it is a hyphen."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [
            document[i].get_textpage().get_text_range().replace("\ufffe", "-")
            for i in range(len(document))
        ]
    finally:
        document.close()


PAGE_NUMBER = re.compile(r"—\s*\d+\s*—\s*$")


def text(pdf: bytes) -> str:
    """All the text but the page numbers, whitespace and line breaks removed (a line of
    Chinese may break anywhere)."""
    return compact("".join(PAGE_NUMBER.sub("", page) for page in pages_text(pdf)))


def compact(value: str) -> str:
    return re.sub(r"\s+", "", value)


@dataclass(frozen=True)
class PlacedChar:
    page: int
    char: str
    left_mm: float
    top_mm: float
    right_mm: float
    bottom_mm: float


def placed_chars(pdf: bytes) -> Iterator[PlacedChar]:
    """Every visible character with its box in mm from the page's top-left corner."""
    document = pdfium.PdfDocument(pdf)
    try:
        for index in range(len(document)):
            page = document[index]
            height_pt = page.get_height()
            textpage = page.get_textpage()
            for i in range(textpage.count_chars()):
                char = textpage.get_text_range(i, 1)
                if not char.strip():
                    continue
                left, bottom, right, top = textpage.get_charbox(i)
                yield PlacedChar(
                    page=index,
                    char=char,
                    left_mm=left * MM_PER_PT,
                    top_mm=(height_pt - top) * MM_PER_PT,
                    right_mm=right * MM_PER_PT,
                    bottom_mm=(height_pt - bottom) * MM_PER_PT,
                )
    finally:
        document.close()


def outside_type_area(pdf: bytes, *, tolerance_mm: float = 1.5) -> list[PlacedChar]:
    """Characters printed outside the 版心 but for the page numbers (— 1 —, 7 mm under it):
    text that overflowed its page, or a table wider than the page."""
    left, top, right, bottom = TYPE_AREA_MM
    stray = []
    for c in placed_chars(pdf):
        if bottom < c.top_mm <= bottom + 15 and re.fullmatch(r"[—\d]", c.char):
            continue  # the page number
        inside = (
            left - tolerance_mm <= c.left_mm
            and c.right_mm <= right + tolerance_mm
            and top - tolerance_mm <= c.top_mm
            and c.bottom_mm <= bottom + tolerance_mm
        )
        if not inside:
            stray.append(c)
    return stray


def page_sizes_mm(pdf: bytes) -> list[tuple[float, float]]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [
            (document[i].get_width() * MM_PER_PT, document[i].get_height() * MM_PER_PT)
            for i in range(len(document))
        ]
    finally:
        document.close()


def page_image(pdf: bytes, page: int = 0, *, scale: float = 1.0) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        image: Image.Image = document[page].render(scale=scale).to_pil()
        return image.convert("RGB")
    finally:
        document.close()


def ink_ratio(image: Image.Image) -> float:
    """Share of the page that is not white (0: blank)."""
    grey = image.convert("L").point(lambda v: 255 if v < 200 else 0)
    return float(ImageStat.Stat(grey).mean[0]) / 255


def red_ratio(image: Image.Image) -> float:
    """Share of the page printed red (the 版头's 发文机关标志 and its rule)."""
    r, g, b = (
        channel.point(lambda v, t=t: 255 if t(v) else 0)
        for channel, t in zip(
            image.convert("RGB").split(),
            (lambda v: v > 180, lambda v: v < 90, lambda v: v < 90),
            strict=True,
        )
    )
    from PIL import ImageChops

    red = ImageChops.multiply(ImageChops.multiply(r, g), b)
    return float(ImageStat.Stat(red).mean[0]) / 255


@dataclass(frozen=True)
class EmbeddedFont:
    name: str
    subtype: str
    embedded: bool
    # unicode → True when the embedded program draws it (a non-empty glyph)
    drawn: frozenset[str]


def _font_program(descriptor: Any) -> bytes | None:
    for key in ("/FontFile3", "/FontFile2", "/FontFile"):
        if key in descriptor:
            data: bytes = descriptor[key].get_object().get_data()
            return data
    return None


_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
_BFRANGE = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def _to_unicode(cmap: bytes) -> dict[int, str]:
    """CID → text, from a ToUnicode CMap (bfchar and bfrange entries)."""
    found: dict[int, str] = {}
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for start, end, first in _BFRANGE.findall(block):
            base = int(first, 16)
            for offset, cid in enumerate(range(int(start, 16), int(end, 16) + 1)):
                found[cid] = chr(base + offset)
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for cid, chars in _BFCHAR.findall(block):
            found[int(cid, 16)] = bytes.fromhex(chars.decode()).decode("utf-16-be")
    return found


def _drawn(program: bytes, cids: dict[int, str]) -> frozenset[str]:
    """The characters whose glyph (by CID, as the page's text is written) has an outline in
    the embedded font: not .notdef, not empty — what a reader of the file sees drawn."""
    font = TTFont(io.BytesIO(program))
    glyphs = font.getGlyphSet()
    order = font.getGlyphOrder()
    cid_keyed = "CFF " in font and hasattr(font["CFF "].cff.topDictIndex[0], "ROS")
    drawn: set[str] = set()
    for cid, chars in cids.items():
        if cid == 0:
            continue
        name = f"cid{cid:05d}" if cid_keyed else (order[cid] if cid < len(order) else None)
        if name is None or name == ".notdef" or name not in glyphs:
            continue
        pen = BoundsPen(glyphs)
        glyphs[name].draw(pen)
        if pen.bounds is not None:
            drawn.update(chars)
    return frozenset(drawn)


def embedded_fonts(pdf: bytes) -> list[EmbeddedFont]:
    """The fonts the pages use, whether each is embedded, and what it draws."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    found: dict[str, EmbeddedFont] = {}
    for page in reader.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources else None
        if not fonts:
            continue
        for ref in fonts.get_object().values():
            font = ref.get_object()
            name = str(font.get("/BaseFont"))
            if name in found:
                continue
            descendant = font
            if "/DescendantFonts" in font:
                descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant.get("/FontDescriptor")
            program = _font_program(descriptor.get_object()) if descriptor else None
            cids = {}
            if "/ToUnicode" in font:
                cids = _to_unicode(font["/ToUnicode"].get_object().get_data())
            found[name] = EmbeddedFont(
                name=name,
                subtype=str(font.get("/Subtype")),
                embedded=program is not None,
                drawn=_drawn(program, cids) if program else frozenset(),
            )
    return list(found.values())


def tofu(pdf: bytes, record_text: str) -> set[str]:
    """The CJK characters of `record_text` that no embedded font of the PDF draws."""
    drawn: set[str] = set()
    for font in embedded_fonts(pdf):
        drawn |= font.drawn
    return {c for c in record_text if CJK.match(c) and c not in drawn}
