"""Enumerations that carry their Chinese and English names (状态、类别 as the notice names them).

    class ReferralState(LabelledEnum):
        \"\"\"案件移送的状态\"\"\"
        DRAFT = "draft", "草稿"
        REPORTED = "reported", "报请区政府", "reported to the district government"

The value is the first item (a stable, English code used in the API, the database and the
events); `label_zh` the second; `label_en` the third, or the code with spaces. The names
are emitted into the JSON schema (`x-enum-labels`, and a list in the description), so an
integrator reading the OpenAPI or the AsyncAPI sees the Chinese names too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema


class LabelledEnum(StrEnum):
    """A `StrEnum` whose members carry `label_zh` and `label_en`."""

    _value_: str
    label_zh: str
    label_en: str

    # Defaults only so that a lookup by value (`ReferralState("draft")`) type-checks; the
    # lookup never reaches this method, and a member defined without a label is refused.
    def __new__(cls, value: str, label_zh: str = "", label_en: str = "") -> LabelledEnum:
        if not label_zh:
            raise ValueError(f"{cls.__name__}.{value}: a labelled enum member needs label_zh")
        member = str.__new__(cls, value)
        member._value_ = value
        member.label_zh = label_zh
        member.label_en = label_en or value.replace("-", " ")
        return member

    @property
    def number(self) -> int:
        """1-based position, for lists the notice numbers (1. … 2. …)."""
        return list(type(self)).index(self) + 1

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler.resolve_ref_schema(handler(schema))
        labels = {m.value: {"zh": m.label_zh, "en": m.label_en} for m in cls}
        json_schema["x-enum-labels"] = labels
        names = "; ".join(f"`{m.value}` {m.label_zh} ({m.label_en})" for m in cls)
        doc = (cls.__doc__ or "").strip()
        json_schema["description"] = f"{doc}\n\n{names}" if doc else names
        return json_schema


def labels_of(enum: type[LabelledEnum]) -> dict[str, dict[str, Any]]:
    """`{value: {"zh": …, "en": …}}` for documents generated outside pydantic."""
    return {m.value: {"zh": m.label_zh, "en": m.label_en} for m in enum}
