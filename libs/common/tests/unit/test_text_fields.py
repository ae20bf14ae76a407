"""Issue 17: text fields hold visible text and no bidi controls; numbers are not yes/no."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import Field, TypeAdapter, ValidationError

from xietong_common.schemas import LINE_PATTERN, TEXT_PATTERN, Line, Strict, Text


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("\u200b", "invisible_text"),  # a zero-width space alone
        (" \u200b\u200c\ufeff ", "invisible_text"),
        ("\u3164", "invisible_text"),  # the Hangul filler
        ("\u2800", "invisible_text"),  # the braille blank
        ("报告\u202e.exe", "forbidden_character"),  # right-to-left override
        ("\u2066标题\u2069", "forbidden_character"),
    ],
)
def test_text_must_hold_a_visible_character_and_no_bidi_control(value: str, error: str) -> None:
    for kind in (Text, Line):
        with pytest.raises(ValidationError) as refused:
            TypeAdapter(kind).validate_python(value)
        assert refused.value.errors()[0]["type"] == error
    # the documented pattern says the same
    import re

    assert not re.match(TEXT_PATTERN, value.strip())
    assert not re.match(LINE_PATTERN, value.strip())


def test_visible_text_with_a_joiner_inside_is_text() -> None:
    assert TypeAdapter(Text).validate_python("👨\u200d👩\u200d👧 家庭") == "👨\u200d👩\u200d👧 家庭"


class Counted(Strict):
    attendance: int | None = None
    fine: Decimal | None = None
    rate: float = 0.0
    public: bool = False


@pytest.mark.parametrize("field", ["attendance", "fine", "rate"])
def test_a_number_field_refuses_true_and_false(field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Counted.model_validate({field: True})
    assert refused.value.errors()[0]["loc"] == (field,)
    assert Counted.model_validate({field: 1}).model_dump()[field] == 1


class Recounted(Counted):
    """A body built on another: its own fields are checked too (the keys are kept per model)."""

    reviewed: bool | None = None
    count: int = Field(default=0, alias="n")


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (Counted, {"public": 1}, "public"),
        (Counted, {"public": "yes"}, "public"),
        (Recounted, {"reviewed": 0}, "reviewed"),
        (Recounted, {"n": False}, "n"),
        (Recounted, {"attendance": True}, "attendance"),
    ],
)
def test_a_yes_no_is_true_or_false_and_a_number_is_not(
    model: type[Strict], body: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    assert refused.value.errors()[0]["loc"] == (field,)
    assert Recounted.model_validate({"reviewed": None, "n": 3, "public": True}).count == 3
