"""INFO-02: information the State Secrets Law (保守国家秘密法) forbids sharing is not shared.

An item or attachment marked 绝密, 机密 or 秘密 is refused before anything is written. The
marking is found where a clerk would put it (GB/T 9704 puts 密级和保密期限 at the top of a
document: `机密★1年`, `秘密★`, `绝密★长期`), and however it was typed: full-width or
half-width characters (NFKC), traditional forms (機密, 絕密, 祕密), `*` or another star for
`★`, spaces, zero-width characters or punctuation between the two characters (`机 密`,
`机·密`). A declared classification (the `classification` field) is refused likewise.

What counts as a marking, and what does not (so that a law about secrets can be shared):

- `LEVEL★…` anywhere (`机密★1年`, `秘 密 ★`): the standard marking;
- `密级` followed by a level (`密级：机密`);
- a level in brackets anywhere (`【秘密】`, `(机密)`);
- a level that stands at the start of the text or of a line, or at the end of a title or
  file name, set off by a space, `:`, `★`, `-`, `_`, `|`, `/` or a bracket, or alone
  (`秘密 会议纪要`, `报告_机密.xlsx`, a first line `机密`).

Words that merely contain the characters are not markings: 商业秘密, 保守国家秘密法, 机密性,
手机密码, or a sentence listing the levels (`国家秘密的密级分为绝密、机密、秘密三级`).

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
_STARS = "☆⭐✩✪✫✬✭✮✯✰✱✲✳✴✵✶✷✸✹✺✻✼✽*"
_VARIANTS = str.maketrans({"絕": "绝", "機": "机", "祕": "秘", **dict.fromkeys(_STARS, "★")})

# Between the two characters of a level: up to three spaces, punctuation or symbols (not a
# word character, not a star), so `机 密` and `机·密` are levels and `机关密切` is not.
_GAP = r"(?:[^\w★]|_){0,3}"
_LEVEL = rf"(?:绝{_GAP}密|机{_GAP}密|秘{_GAP}密)"
_OPEN = r"[\[【(〔<《〈「『{]"
_CLOSE = r"[\]】)〕>》〉」』}]"
# What may set a level apart at the start or the end of a title, a line, a file name.
_APART = r"[\s:★\-—_|/\\.]"

_STAR_MARK = re.compile(rf"(?P<level>{_LEVEL}){_GAP}★")
_LABELLED = re.compile(rf"密{_GAP}级(?:[^\w]|_){{0,5}}(?P<level>{_LEVEL})")
_BRACKETED = re.compile(rf"{_OPEN}{_GAP}(?P<level>{_LEVEL}){_GAP}{_CLOSE}")
_LEADING = re.compile(rf"^(?:[^\w]|_){{0,3}}(?P<level>{_LEVEL})(?=$|{_APART}|{_CLOSE})", re.M)
_TRAILING = re.compile(rf"(?:^|{_APART}|{_OPEN})(?P<level>{_LEVEL})(?:[^\w]|_)*$")

_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")

_EVERYWHERE = (_STAR_MARK, _LABELLED, _BRACKETED, _LEADING)
_NAMES = (*_EVERYWHERE, _TRAILING)  # titles and file names also end with a marking


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), traditional and star variants to the usual forms,
    zero-width and other format characters removed."""
    folded = unicodedata.normalize("NFKC", text).translate(_VARIANTS)
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")


def _level_of(match: str) -> Classification:
    return _LEVEL_BY_CHAR.get(match[0], Classification.SECRET)


def levels_in(text: str, *, name: bool = False) -> set[Classification]:
    """The secrecy levels marked in `text`; `name=True` for a title or a file name (a marking
    may also end it). Empty for text that only mentions secrets."""
    clean = normalise(text)
    if "密" not in clean:
        return set()
    candidates = [clean]
    if name:  # a file name's marking may stand before its extension: `报告_机密.xlsx`
        candidates.append(_EXTENSION.sub("", clean))
    found: set[Classification] = set()
    for candidate in candidates:
        for pattern in _NAMES if name else _EVERYWHERE:
            found |= {_level_of(m.group("level")) for m in pattern.finditer(candidate)}
    return found


def declared_level(value: str) -> Classification | None:
    """A classification as typed (`机密`, `confidential`, `机 密★`): the level, or None for
    text that names no level of state secret."""
    clean = normalise(value).strip().lower()
    for member in Classification:
        if clean == member.value:
            return member if member.is_state_secret else None
    match = re.search(_LEVEL, clean)
    return _level_of(match.group()) if match else None


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
