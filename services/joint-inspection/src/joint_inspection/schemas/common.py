"""Blocks shared by the joint inspection API's models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from xietong_common.parties import IdentityError, check_uscc
from xietong_common.schemas import CLEAN_TEXT, LINE_SCHEMA, ONE_LINE, Label
from xietong_common.timeline import DeadlineOut as DeadlineOut
from xietong_common.timeline import TimelineEntry as TimelineEntry


def _credit_code(value: str) -> str:
    try:
        return check_uscc(value)
    except IdentityError as exc:
        raise PydanticCustomError(
            "identity_number", "{message}", {"message": str(exc), "position": exc.position}
        ) from exc


CreditCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_credit_code),
    Field(
        description="统一社会信用代码 (GB 32100-2015: 18 characters, the last a check character; "
        "an error names the position at fault)",
        examples=["91500102MA5U7YBX2G"],
    ),
]

IdNumber = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[0-9A-Za-z-]+$"
    ),
    Field(
        description="an organisation's unified social credit code (checked, GB 32100-2015) or a "
        "person's identity number (GB 11643 checked; never stored, only its digest and mask)",
        examples=["91500102MA5U7YBX2G"],
    ),
]

Industry = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    CLEAN_TEXT,
    ONE_LINE,
    LINE_SCHEMA,
    Field(description="type of target (行业类型), as the plan's rules name it", examples=["餐饮"]),
]

OfficerId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
    ),
    Field(description="the officer's id (the secondment roster's id for seconded officers)"),
]

Seed = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$"),
    Field(description="a seed to re-run the draw with (printable ASCII)", examples=["a1b2c3"]),
]


class StateOut(Label):
    """A state or kind with its Chinese and English names."""


def label(member: Any) -> StateOut:
    return StateOut.of(member)
