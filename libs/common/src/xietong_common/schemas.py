"""Building blocks of every service's request and response models.

Shared safety lives here so every service gets it: text that refuses NUL and other control
characters and has a maximum length; times with an offset and a plausible year (a year-1
date would be stored as -infinity, and a year-9999 one overflows); exact money; closed
vocabularies; pages with a bounded size and number.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from types import UnionType
from typing import Annotated, Any, Generic, Self, TypeVar, Union, get_args, get_origin

import sqlalchemy as sa
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from xietong_common.labels import LabelledEnum
from xietong_common.pagination import PageParams
from xietong_common.parties import IdentityError, PartyKind, normalise_identity
from xietong_common.reference import is_org_code

# Control characters other than tab, newline and carriage return; lone surrogates (which
# cannot be stored as UTF-8). PostgreSQL refuses NUL in text outright.
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"  # regex escapes, as text
# Bidirectional controls: they reorder what a reader sees (Trojan Source), and Chinese or
# English text never needs them.
_BIDI = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_FORBIDDEN = _CONTROL + _BIDI + r"\ud800-\udfff"
_FORBIDDEN_RE = re.compile(f"[{_FORBIDDEN}]")
# Characters that show nothing: zero-width ones, the soft hyphen, word joiners, the BOM, the
# Hangul fillers, the braille blank, variation selectors. Text needs one other character.
_INVISIBLE = (
    r"\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200d\u2060-\u2064"
    r"\u206a-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0"
)
_VISIBLE_RE = re.compile(rf"[^\s{_FORBIDDEN}{_INVISIBLE}]")
# For the OpenAPI document: at least one visible character and no control or bidi character.
# Lone surrogates are refused too, but left out of the documented pattern: they are not text
# a JSON document can carry (RFC 8259 §8.1, UTF-8), and test generators cannot use the range.
_NOT_IN_TEXT = _CONTROL + _BIDI
TEXT_PATTERN = rf"^[^{_NOT_IN_TEXT}]*[^\s{_NOT_IN_TEXT}{_INVISIBLE}][^{_NOT_IN_TEXT}]*$"
LINE_PATTERN = rf"^[^{_NOT_IN_TEXT}\n\r]*[^\s{_NOT_IN_TEXT}{_INVISIBLE}][^{_NOT_IN_TEXT}\n\r]*$"


def _clean_text(value: str) -> str:
    """No control character, no bidi control, no lone surrogate; and text that holds
    anything holds something visible (not only zero-width spaces or fillers)."""
    found = _FORBIDDEN_RE.search(value)
    if found is not None:
        char = found.group()
        if char == "\x00":
            name = "the NUL character"
        elif re.match(f"[{_BIDI}]", char):
            name = f"the bidirectional control U+{ord(char):04X}"
        else:
            name = f"the control character U+{ord(char):04X}"
        raise PydanticCustomError(
            "forbidden_character", "text may not contain {name}", {"name": name}
        )
    if value and not _VISIBLE_RE.search(value):
        raise PydanticCustomError(
            "invisible_text", "text must hold a visible character, not only invisible ones", {}
        )
    return value


def _single_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise PydanticCustomError("single_line", "one line only: no line breaks", {})
    return value


CLEAN_TEXT = AfterValidator(_clean_text)
"""Refuses NUL, other control characters and lone surrogates, with a clear message."""
ONE_LINE = AfterValidator(_single_line)
TEXT_SCHEMA = Field(json_schema_extra={"pattern": TEXT_PATTERN})
LINE_SCHEMA = Field(json_schema_extra={"pattern": LINE_PATTERN})


def _bounds(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


# Another length: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
# max_length=N), CLEAN_TEXT, TEXT_SCHEMA] (add ONE_LINE and LINE_SCHEMA for one line).
Text = Annotated[str, _bounds(20_000), CLEAN_TEXT, TEXT_SCHEMA]
"""Long free text: facts, reasons, opinions, minutes (up to 20,000 characters)."""
ShortText = Annotated[str, _bounds(2_000), CLEAN_TEXT, TEXT_SCHEMA]
"""A paragraph: a measure taken, a disposal method, a decision's execution (2,000)."""
Line = Annotated[str, _bounds(500), CLEAN_TEXT, ONE_LINE, LINE_SCHEMA]
"""One line: a title, a document number, a place (500)."""
Name = Annotated[str, _bounds(200), CLEAN_TEXT, ONE_LINE, LINE_SCHEMA]
"""A person's or an organisation's name, a signer (200)."""
Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
    ),
]
"""A code from a catalogue (matter codes, case numbers in ASCII)."""


def _org_code(value: str) -> str:
    if not is_org_code(value):
        raise PydanticCustomError(
            "org_code",
            "not an organisation code (town:<slug>, dept:<slug>, justice-office:<slug>, "
            "justice-bureau or district-gov)",
            {},
        )
    return value


OrgCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=100),
    AfterValidator(_org_code),
    Field(
        json_schema_extra={
            "pattern": "^(town|dept|justice-office):[a-z0-9]+(-[a-z0-9]+)*$"
            "|^justice-bureau$|^district-gov$"
        },
        examples=["town:lizhi"],
    ),
]

MIN_YEAR = 2000
MAX_YEAR = 2100


def _plausible_year(value: datetime) -> datetime:
    # Checked on the fields as given, before any conversion, which could overflow.
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise PydanticCustomError(
            "implausible_year",
            "the year {year} is outside {low}..{high}",
            {"year": value.year, "low": MIN_YEAR, "high": MAX_YEAR},
        )
    return value


def _plausible_day(value: date) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise PydanticCustomError(
            "implausible_year",
            "the year {year} is outside {low}..{high}",
            {"year": value.year, "low": MIN_YEAR, "high": MAX_YEAR},
        )
    return value


def _iso_text(value: Any) -> Any:
    # Pydantic would read a number (or a numeric string) as Unix time; the schema says an ISO
    # 8601 string, so that is all a request may send.
    if isinstance(value, int | float) or (isinstance(value, str) and not _ISO_START.match(value)):
        raise PydanticCustomError(
            "iso_datetime", "an ISO 8601 date and time such as 2024-02-26T10:00:00+08:00", {}
        )
    return value


_ISO_START = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]")
ISO_TEXT = BeforeValidator(_iso_text)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: Any) -> Any:
    # As for times: a number would be read as Unix time.
    if isinstance(value, int | float) or (isinstance(value, str) and not _ISO_DAY.match(value)):
        raise PydanticCustomError("iso_date", "an ISO 8601 date such as 2024-02-26", {})
    return value


ISO_DAY = BeforeValidator(_iso_day)

Timestamp = Annotated[
    AwareDatetime,
    ISO_TEXT,
    AfterValidator(_plausible_year),
    Field(
        description=f"an ISO 8601 time with its offset, year {MIN_YEAR}..{MAX_YEAR}",
        examples=["2024-02-26T10:00:00+08:00"],
    ),
]


def _clamped_year(value: datetime) -> datetime:
    # Checked on the fields as given, before any conversion, which could overflow.
    if value.year < MIN_YEAR:
        return datetime(MIN_YEAR, 1, 1, tzinfo=UTC)
    if value.year > MAX_YEAR:
        return datetime(MAX_YEAR, 12, 31, 23, 59, 59, tzinfo=UTC)
    return value


TimeBound = Annotated[
    AwareDatetime,
    ISO_TEXT,
    AfterValidator(_clamped_year),
    Field(
        description=f"an ISO 8601 time with its offset, as a bound of a filter; a year outside "
        f"{MIN_YEAR}..{MAX_YEAR} means the start or end of that range (no record lies outside it)",
        examples=["2024-03-08T16:00:00Z"],
    ),
]
Day = Annotated[
    date,
    ISO_DAY,
    AfterValidator(_plausible_day),
    Field(description=f"a date, year {MIN_YEAR}..{MAX_YEAR}", examples=["2024-02-26"]),
]


def _clamped_day(value: date) -> date:
    if value.year < MIN_YEAR:
        return date(MIN_YEAR, 1, 1)
    if value.year > MAX_YEAR:
        return date(MAX_YEAR, 12, 31)
    return value


DayBound = Annotated[
    date,
    ISO_DAY,
    AfterValidator(_clamped_day),
    Field(
        description=f"a date as a bound of a filter; a year outside {MIN_YEAR}..{MAX_YEAR} means "
        "the start or end of that range (no record lies outside it)",
        examples=["2024-02-26"],
    ),
]

CENT = Decimal("0.01")


def _to_cents(value: Decimal) -> Decimal:
    """`1e3` and `-0` are valid amounts; keep them as `1000.00` and `0.00` (exact, in yuan)."""
    return (value + 0).quantize(CENT)


Amount = Annotated[
    Decimal,
    Field(
        ge=0,
        max_digits=14,
        decimal_places=2,
        allow_inf_nan=False,
        description='CNY, exact to the fen; best sent as a string such as "2000.00"',
        examples=["2000.00"],
    ),
    AfterValidator(_to_cents),
]
Quantity = Annotated[
    Decimal, Field(ge=0, max_digits=14, decimal_places=3, allow_inf_nan=False, examples=["2"])
]


def _is_flag(annotation: Any) -> bool:
    return annotation is bool or (
        get_origin(annotation) in (Union, UnionType) and bool in get_args(annotation)
    )


_NUMBERS = (int, float, Decimal)


def _is_number(annotation: Any) -> bool:
    """An int, float or Decimal field (optional or annotated), that is not also a yes/no."""
    if get_origin(annotation) is Annotated:
        return _is_number(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return bool(args) and bool not in args and all(_is_number(a) for a in args)
    return (
        isinstance(annotation, type) and issubclass(annotation, _NUMBERS) and annotation is not bool
    )


class Strict(BaseModel):
    """A request body: unknown fields are refused, not ignored; a yes/no is `true` or `false`
    only (pydantic would also take 0/1 or "yes", which the documented schema does not allow),
    and a number is not `true` or `false` (pydantic would store `true` as 1)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _flags_are_booleans(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        flags, numbers = _strict_keys(cls)
        loose = {
            key: _NOT_A_FLAG
            for key in flags
            if key in data and data[key] is not None and not isinstance(data[key], bool)
        } | {key: _NOT_A_NUMBER for key in numbers if key in data and isinstance(data[key], bool)}
        # Left to the field's own validation, which refuses it where it stands (its `loc`).
        return {**data, **loose} if loose else data


@functools.cache
def _strict_keys(model: type[BaseModel]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The keys of a request body's yes/no fields and of its number fields: worked out once
    per model (its fields are fixed once it is built), not from the annotations on every
    request (issue 22: ~130 calls a create)."""
    keys = [(field.alias or name, field.annotation) for name, field in model.model_fields.items()]
    return (
        tuple(key for key, annotation in keys if _is_flag(annotation)),
        tuple(key for key, annotation in keys if _is_number(annotation)),
    )


_NOT_A_FLAG = "not a boolean"
_NOT_A_NUMBER = "true or false is not a number"


class PartyIn(Strict):
    """当事人: the party of a case. An organisation's number is its unified social credit
    code (checked, GB 32100-2015); a citizen's a resident ID (checked) or another document."""

    name: Name = Field(examples=["某某化工有限公司"])
    kind: PartyKind
    id_number: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[0-9A-Za-z-]+$",
        description="unified social credit code, or ID card / other document number",
        examples=["91500102MA5U7YBX2G"],
    )

    @field_validator("id_number")
    @classmethod
    def _checked(cls, value: str | None, info: Any) -> str | None:
        if value is None or "kind" not in info.data:
            return value
        try:
            return normalise_identity(info.data["kind"], value)
        except IdentityError as exc:
            raise PydanticCustomError(
                "identity_number", "{message}", {"message": str(exc), "position": exc.position}
            ) from exc


_ABSENT = object()

_COLUMNS: dict[type, frozenset[str]] = {}


def _columns_of(kind: type) -> frozenset[str]:
    """The attributes of a mapped class whose loaded value the ORM keeps in the instance's
    dict and returns from it as it is (its column attributes); none for any other class."""
    columns = _COLUMNS.get(kind)
    if columns is None:
        mapper: Any = sa.inspect(kind, raiseerr=False)
        columns = frozenset(p.key for p in getattr(mapper, "column_attrs", ()))
        _COLUMNS[kind] = columns
    return columns


class View(BaseModel):
    """A response read from a row: `ReferralOut.of(referral, state=..., deadlines=...)` takes
    every field the row has by name, and `given` the rest (labels, deadlines, children).
    Only the fields the response declares are read: it loads nothing it does not return.
    A field that is itself a `View` (or a list of them) takes the child rows as they are
    (`participants=order.participants`), read the same way."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, row: object, **given: Any) -> Self:
        # One attribute read per field, not a `hasattr` and then a `getattr`; and a mapped
        # column the row has loaded read from the row's own dict, where the ORM's descriptor
        # would return it from (a function call per field of every response, issue 22).
        # Anything else — a property, a relationship, a column not loaded — is read as before.
        values = dict(given)
        loaded = vars(row) if hasattr(row, "__dict__") else {}
        columns = _columns_of(type(row))
        for name in cls.__pydantic_fields__:
            if name in given:
                continue
            if name in columns and name in loaded:
                values[name] = loaded[name]
                continue
            value = getattr(row, name, _ABSENT)
            if value is not _ABSENT:
                values[name] = value
        return cls.model_validate(values)


class Label(BaseModel):
    """A code with its Chinese and English names."""

    value: str
    label_zh: str
    label_en: str

    @classmethod
    def of(cls, member: LabelledEnum) -> Self:
        return cls(value=member.value, label_zh=member.label_zh, label_en=member.label_en)


def labelled(enum: type[LabelledEnum]) -> BeforeValidator:
    """A `Label` field of a `View` read from the row's code: `state: Annotated[StateOut,
    labelled(OrderState)]` shows the row's `"draft"` as its value and names (None stays None).
    The response's schema is the label's; only where the names come from is declared."""

    def names(value: Any) -> Any:
        if isinstance(value, str):
            value = enum(value)
        if isinstance(value, LabelledEnum):
            return {"value": value.value, "label_zh": value.label_zh, "label_en": value.label_en}
        return value

    return BeforeValidator(names)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total the filters match."""

    items: list[T]
    total: int = Field(
        description="how many match the filters, on every page (exact up to "
        "XIETONG_LIST_COUNT_LIMIT, see total_exact)"
    )
    page: int = Field(ge=1)
    page_size: int = Field(ge=1)
    total_exact: bool = Field(
        default=True,
        description="false: more match than XIETONG_LIST_COUNT_LIMIT, the total shown; "
        "narrow the list with filters",
    )
    next_cursor: str | None = Field(
        default=None,
        description="pass as `cursor` for the next page (the rows after this page's last, in "
        "the same order, however deep); null after the last page",
    )

    @classmethod
    def of(cls, items: Iterable[T], *, total: int, paging: PageParams) -> Self:
        """The page `paging` asked for, holding `items` of the `total` that match (a
        `Counted` total from `fetch_page` also gives `total_exact` and `next_cursor`)."""
        return cls(
            items=list(items),
            total=total,
            page=paging.page,
            page_size=paging.page_size,
            total_exact=getattr(total, "exact", True),
            next_cursor=getattr(total, "next_cursor", None),
        )
