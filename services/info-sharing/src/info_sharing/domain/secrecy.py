"""INFO-02: information the State Secrets Law (保守国家秘密法) forbids sharing is not shared.

An item, a field or an attachment marked 绝密, 机密 or 秘密 is refused before anything is
written. The screen is a normalisation step and a small set of rules.

Normalisation (`normalise`): full-width to half-width (NFKC); traditional forms (機密, 絕密,
祕密) and stars typed otherwise (`*`, `☆`, `●`, `◆`, `■` …) to the usual ones; invisible and
filler characters removed (zero-width and bidi controls, the Hangul fillers, the braille
blank, variation selectors); runs of spaces collapsed to one. Words that name secrets that
are not state secrets are then masked: 商业秘密 and 工作秘密 (and 技术秘密, 经营秘密,
个人秘密, 商业机密) are not state secrets, and 国家秘密 as a word (`不涉及国家秘密`,
`保守国家秘密法`) names no level — even when a line break or spaces split them.

The rules (a level is 绝密, 机密 or 秘密, with up to three spaces or marks between its two
characters, not followed by 性, 码, 封, 度, 切, 集, 布, 闭 or 实 — 机密性, 手机密码, 有机密封):

- the standard marking, GB/T 9704's 密级和保密期限: `LEVEL★…` (`机密★1年`, `秘 密 ★`);
- a labelled level: `密级：机密`, `密级为机密`;
- a level in brackets: `【秘密】`, `（机密）`;
- a level declared of the document: `此文件定为秘密级`, `本件机密，请勿外传`, `属于机密级`;
- a level naming a document: `机密报告`, `绝密文件` (not a rule about such documents:
  `机密文件管理办法`);
- a level at the start of a line (or of a title), set apart (`秘密 会议纪要`, `机密：关于…`,
  a line `机密`); in titles and file names also at the end (`报告_机密.xlsx`, and for 绝密
  and 机密 whatever precedes them: `报告机密.pdf`).

Words that merely contain a level are not markings: 商业秘密★3年, 保守国家秘密法, 机密性,
`国家秘密的密级分为绝密、机密、秘密三级`, 秘密侦查. A declared classification (the
`classification` field) is read the same way: `不涉及国家秘密`, `非国家秘密`, `商业秘密`,
`工作秘密` declare no state secret.

Pure functions: no I/O. The refusal names the fields and the levels, never the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from xietong_common.labels import LabelledEnum


class Classification(LabelledEnum):
    """密级: a declared classification. Only a non-secret item can be shared (INFO-02)."""

    NONE = "none", "非涉密", "not classified"
    SECRET = "secret", "秘密"
    CONFIDENTIAL = "confidential", "机密"
    TOP_SECRET = "top-secret", "绝密", "top secret"

    @property
    def is_state_secret(self) -> bool:
        return self is not Classification.NONE


_LEVEL_BY_CHAR = {"绝": Classification.TOP_SECRET, "机": Classification.CONFIDENTIAL}

# Stars a clerk may type for ★ (and the ASCII asterisk of a keyboard without one).
_STARS = "☆⭐✩✪✫✬✭✮✯✰✱✲✳✴✵✶✷✸✹✺✻✼✽*●◆◇■□▲△"
_VARIANTS = str.maketrans({"絕": "绝", "機": "机", "祕": "秘", **dict.fromkeys(_STARS, "★")})
# Characters that show nothing: format characters (zero-width, bidi controls, BOM) are found
# by their category; these fillers and selectors are letters or marks to Unicode.
_FILLERS = frozenset(
    "\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
)
_SPACES = re.compile(r"[^\S\n]+")

# Between the two characters of a level: up to three spaces, punctuation or symbols (not a
# word character, not a star), so `机 密` and `机·密` are levels and `机关密切` is not.
_GAP = r"(?:[^\w★]|_){0,3}"
_LEVEL = rf"(?:绝{_GAP}密|机{_GAP}密|秘{_GAP}密)(?![性码封度切集布闭实])"
_OPEN = r"[\[【(〔<《〈「『{]"
_CLOSE = r"[\]】)〕>》〉」』}]"
_SEP = r"(?:[^\w★]|_)"
# What may set a level apart at the start or the end of a title, a line, a file name.
_APART = r"[\s:★\-—_|/\\.]"
# Documents a level may name; not when a rule about such documents follows.
_DOCUMENT = (
    r"(?:文件|报告|材料|资料|文档|档案|通知|纪要|会议纪要|方案|请示|函|简报|电报|公文|文书|附件|件)"
    r"(?!\s?(?:管理|办法|规定|制度|条例|细则|保管|处理|销毁|收发|传递|借阅|清查|登记|工作|保密))"
)
_DECLARE = r"(?:为|是|系|属|属于|定为|列为|确定为|标为|标注为|涉及|含有?)"
_THIS = r"(?:本|此|该)(?:件|文件|文|材料|报告|资料|文档|信息|通知|函)"

# Secrets that are not state secrets, and the word 国家秘密 itself: masked before the rules.
_NOT_A_LEVEL = re.compile(
    r"(?:商\s*业|工\s*作|技\s*术|经\s*营|个\s*人|国\s*家)\s*(?:秘\s*密|机\s*密)"
)
_MASK = "〓"

_STAR_MARK = re.compile(rf"(?P<level>{_LEVEL}){_GAP}★")
_LABELLED = re.compile(rf"密{_GAP}级{_SEP}{{0,5}}(?:{_DECLARE}{_SEP}{{0,3}})?(?P<level>{_LEVEL})")
_BRACKETED = re.compile(rf"{_OPEN}{_GAP}(?P<level>{_LEVEL}){_GAP}{_CLOSE}")
_DECLARED = re.compile(
    rf"(?:{_THIS}{_SEP}{{0,2}}(?:{_DECLARE}{_SEP}{{0,2}})?(?P<level>{_LEVEL}))"
    rf"|(?:{_DECLARE}{_SEP}{{0,2}}(?P<graded>{_LEVEL}){_GAP}级)"
)
_NAMES_DOCUMENT = re.compile(rf"(?P<level>{_LEVEL}){_SEP}{{0,2}}{_DOCUMENT}")
_LEADING = re.compile(rf"^{_SEP}{{0,3}}(?P<level>{_LEVEL})(?=$|{_APART}|{_CLOSE}|，|,|。)", re.M)
_TRAILING = re.compile(rf"(?:^|{_APART}|{_OPEN})(?P<level>{_LEVEL})(?:[^\w]|_)*$")
# 绝密 and 机密 end a title or a file name whatever stands before them (`报告机密.pdf`).
_ENDS_NAME = re.compile(rf"(?P<level>(?:绝{_GAP}密|机{_GAP}密))(?:[^\w]|_)*$")

_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")

_EVERYWHERE = (_STAR_MARK, _LABELLED, _BRACKETED, _DECLARED, _NAMES_DOCUMENT, _LEADING)
_NAMES = (*_EVERYWHERE, _TRAILING, _ENDS_NAME)  # titles and file names also end with one


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), traditional and star variants to the usual forms,
    invisible and filler characters removed, runs of spaces collapsed to one."""
    folded = unicodedata.normalize("NFKC", text).translate(_VARIANTS)
    visible = "".join(
        ch for ch in folded if unicodedata.category(ch) != "Cf" and ch not in _FILLERS
    )
    return _SPACES.sub(" ", visible)


def _masked(text: str) -> str:
    """`normalise`d text with the secrets that are not state secrets masked (line breaks
    inside them kept, so lines stay lines)."""
    return _NOT_A_LEVEL.sub(lambda m: "".join(c if c == "\n" else _MASK for c in m.group()), text)


def _level_of(match: str) -> Classification:
    return _LEVEL_BY_CHAR.get(match[0], Classification.SECRET)


def levels_in(text: str, *, name: bool = False) -> set[Classification]:
    """The secrecy levels marked in `text`; `name=True` for a title or a file name (a marking
    may also end it). Empty for text that only mentions secrets."""
    clean = normalise(text)
    if "密" not in clean:
        return set()
    clean = _masked(clean)
    candidates = [clean]
    if name:  # a file name's marking may stand before its extension: `报告_机密.xlsx`
        candidates.append(_EXTENSION.sub("", clean))
    found: set[Classification] = set()
    for candidate in candidates:
        for pattern in _NAMES if name else _EVERYWHERE:
            for m in pattern.finditer(candidate):
                level = m.groupdict().get("level") or m.groupdict().get("graded")
                if level:
                    found.add(_level_of(level))
    return found


def level_values(text: str) -> list[str]:
    """`levels_in` as the values a worker process sends back (it screens a file's text)."""
    return sorted(level.value for level in levels_in(text))


_NEGATED = re.compile(
    rf"(?:非|不|无|未|没有|不是|不属于|不涉及|未涉及|不含){_SEP}{{0,2}}(?:{_LEVEL}|国家秘密|涉密)"
)
_NONE_WORDS = {"", "none", "非涉密", "非密", "不涉密", "无", "无密级", "公开", "not classified"}


def declared_level(value: str) -> Classification | None:
    """A classification as typed (`机密`, `confidential`, `机 密★`): the level, or None for
    text that names no level of state secret (`不涉及国家秘密`, `商业秘密`, `公开`)."""
    clean = normalise(value).strip().lower()
    for member in Classification:
        if clean == member.value:
            return member if member.is_state_secret else None
    if _NEGATED.search(clean):
        return None
    match = re.search(_LEVEL, _masked(clean))
    if match:
        return _level_of(match.group())
    if re.search(r"国\s*家\s*秘\s*密", clean):  # a state secret, its level not said
        return Classification.SECRET
    return None


def declares_none(value: str) -> bool:
    """Whether a typed classification says the content is no state secret: `none`, `非涉密`,
    `不涉及国家秘密`, `非国家秘密`, `商业秘密`, `工作秘密` …"""
    clean = normalise(value).strip().lower()
    if declared_level(value) is not None:
        return False
    return clean in _NONE_WORDS or bool(_NEGATED.search(clean)) or _MASK in _masked(clean)


@dataclass(frozen=True)
class Marking:
    """Where a secrecy marking was found: the field's name and the level (never the text)."""

    field: str
    level: Classification


def screen(
    texts: Mapping[str, str], *, names: Iterable[str] = (), declared: Classification | None = None
) -> list[Marking]:
    """INFO-02: every marking in the given fields (`names` are titles and file names).
    An empty list means the content may be stored."""
    name_fields = set(names)
    found: list[Marking] = []
    if declared is not None and declared.is_state_secret:
        found.append(Marking(field="classification", level=declared))
    for field, text in texts.items():
        for level in sorted(levels_in(text, name=field in name_fields)):
            found.append(Marking(field=field, level=level))
    return found


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Every text inside a JSON-like value, by its path (`case.party.name`, `targets.0.summary`),
    so a whole request or event payload can be screened."""
    out: dict[str, str] = {}
    if isinstance(value, str):
        out[prefix or "value"] = value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list | tuple):
        for i, inner in enumerate(value):
            out.update(flatten(inner, f"{prefix}.{i}" if prefix else str(i)))
    return out


NAME_FIELDS = ("title", "filename", "name")


def name_like(path: str) -> bool:
    """A title or a file name, where a trailing marking counts too."""
    return path.rsplit(".", 1)[-1] in NAME_FIELDS
