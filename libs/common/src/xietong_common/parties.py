"""The parties of a case (当事人): their kinds, and the identity numbers that tell them apart.

Pure. A legal person or other organisation is known by its unified social credit code
(统一社会信用代码, GB 32100-2015: 18 characters, the last a check character); a citizen by a
resident identity number (GB 11643-1999: 17 digits and a check digit) or another document.
Checks name the position at fault, so a clerk can find a mistyped character.
"""

from __future__ import annotations

from xietong_common.labels import LabelledEnum


class PartyKind(LabelledEnum):
    """当事人的类别: REV-01 (6) sets different amounts for citizens and organisations."""

    CITIZEN = "citizen", "公民"
    LEGAL_PERSON = "legal-person", "法人", "legal person"
    OTHER_ORGANISATION = "other-organisation", "其他组织", "other organisation"

    @property
    def is_organisation(self) -> bool:
        return self is not PartyKind.CITIZEN


class IdentityError(ValueError):
    """An identity number that is not well formed; `position` is 1-based (0: the length)."""

    def __init__(self, message: str, *, position: int) -> None:
        super().__init__(message)
        self.position = position


# GB 32100-2015: 31 characters (no I, O, S, V, Z), and the weights 3^(i) mod 31.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def check_uscc(code: str) -> str:
    """A unified social credit code, upper-cased; IdentityError names the position at fault."""
    value = code.strip().upper()
    if len(value) != 18:
        raise IdentityError(
            f"a unified social credit code has 18 characters, not {len(value)}", position=0
        )
    for i, c in enumerate(value, start=1):
        if c not in _USCC_VALUE:
            raise IdentityError(
                f"character {i} ({c!r}) is not allowed in a unified social credit code "
                "(digits and capital letters except I, O, S, V, Z)",
                position=i,
            )
    for i in range(3, 9):  # the administrative division code
        if not value[i - 1].isdigit():
            raise IdentityError(
                f"characters 3-8 are the division code (digits); character {i} is {value[i - 1]!r}",
                position=i,
            )
    expected = uscc_check_character(value[:17])
    if value[17] != expected:
        raise IdentityError(
            f"character 18 is the check character: {expected!r} is expected for the first 17, "
            f"not {value[17]!r} (a character is mistyped)",
            position=18,
        )
    return value


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def looks_like_resident_id(number: str) -> bool:
    value = number.strip().upper()
    return len(value) == 18 and value[:17].isdigit() and (value[17].isdigit() or value[17] == "X")


def check_resident_id(number: str) -> str:
    """A resident identity number (GB 11643-1999), upper-cased, its check digit verified."""
    value = number.strip().upper()
    if not looks_like_resident_id(value):
        raise IdentityError(
            "a resident identity number has 17 digits and a check digit", position=0
        )
    expected = _ID_CHECK[sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS, strict=True)) % 11]
    if value[17] != expected:
        raise IdentityError(
            f"digit 18 is the check digit: {expected!r} is expected, not {value[17]!r}",
            position=18,
        )
    return value


def mask_identity(number: str) -> str:
    """What lists and logs show of a person's number: the first 6 and last 4 characters."""
    value = number.strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def normalise_identity(kind: PartyKind, number: str) -> str:
    """The number as stored and compared: checked where its format is known."""
    if kind.is_organisation:
        return check_uscc(number)
    if looks_like_resident_id(number):
        return check_resident_id(number)
    return number.strip().upper()  # a passport or permit: no national check to apply
