"""Targets (监管对象), their import and their risk signals (INSP-02)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from joint_inspection.domain import SignalKind, SupervisionLevel
from joint_inspection.schemas.common import IdNumber, Industry, StateOut
from xietong_common.parties import IdentityError, PartyKind, normalise_identity
from xietong_common.schemas import Day, Line, Name, OrgCode, ShortText, Strict, Text
from xietong_common.spreadsheets import plain_date


def _checked_number(value: str | None, data: dict[str, Any]) -> str | None:
    if value is None or "party_kind" not in data:
        return value
    try:
        normalise_identity(data["party_kind"], value)
    except IdentityError as exc:
        raise PydanticCustomError(
            "identity_number", "{message}", {"message": str(exc), "position": exc.position}
        ) from exc
    return value


class TargetIn(Strict):
    """A target to register: an enterprise or organisation by its unified social credit code,
    a person by an identity number (only its digest and masked form are kept)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "涪陵区某某餐饮有限公司",
                    "party_kind": "legal-person",
                    "id_number": "91500102MA5U7YBX2G",
                    "industry": "餐饮",
                    "supervision_level": "b",
                    "town": "town:lizhi",
                    "address": "荔枝街道兴华中路18号",
                    "supervised_since": "2022-03-01",
                }
            ]
        },
    )

    name: Name
    party_kind: PartyKind
    id_number: IdNumber
    industry: Industry
    supervision_level: SupervisionLevel
    town: OrgCode = Field(description="the town (属地) where the target is")
    address: Line | None = None
    supervised_since: Day | None = Field(
        default=None, description="since when it is supervised (纳入监管); default today"
    )

    @field_validator("id_number")
    @classmethod
    def _number(cls, value: str, info: Any) -> str:
        return _checked_number(value, info.data) or value


class TargetUpdate(Strict):
    """Changes to a target; each change is a new version the draw reads as of its time."""

    name: Name | None = None
    industry: Industry | None = None
    supervision_level: SupervisionLevel | None = None
    address: Line | None = None
    active: bool | None = Field(default=None, description="false: no longer supervised (注销)")


class TargetRow(BaseModel):
    """One row of an imported table (the header may be Chinese or English)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    party_kind: PartyKind
    id_number: IdNumber
    industry: Industry
    supervision_level: SupervisionLevel
    town: Line
    address: Line | None = None
    supervised_since: Day | None = None

    _dates = field_validator("supervised_since", mode="before")(plain_date)

    @field_validator("party_kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        if isinstance(value, str):
            for kind in PartyKind:
                if value.strip() in (kind.label_zh, kind.value, kind.label_en):
                    return kind.value
        return value

    @field_validator("supervision_level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            for level in SupervisionLevel:
                if (
                    text.lower() == level.value
                    or text == level.label_zh
                    or text.upper()
                    in (
                        level.value.upper(),
                        f"{level.value.upper()}类",
                    )
                ):
                    return level.value
        return value

    @field_validator("id_number")
    @classmethod
    def _number(cls, value: str, info: Any) -> str:
        return _checked_number(value, info.data) or value


IMPORT_COLUMNS = {
    "名称": "name",
    "监管对象名称": "name",
    "name": "name",
    "类型": "party_kind",
    "主体类型": "party_kind",
    "party_kind": "party_kind",
    "统一社会信用代码或证件号码": "id_number",
    "统一社会信用代码": "id_number",
    "证件号码": "id_number",
    "id_number": "id_number",
    "行业": "industry",
    "行业类型": "industry",
    "industry": "industry",
    "监管等级": "supervision_level",
    "supervision_level": "supervision_level",
    "乡镇(街道)": "town",
    "乡镇街道": "town",
    "所属乡镇(街道)": "town",
    "town": "town",
    "地址": "address",
    "address": "address",
    "纳入监管日期": "supervised_since",
    "supervised_since": "supervised_since",
}


class SignalIn(Strict):
    """INSP-02: a risk signal on a target, with its source, date and weight."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "complaint",
                    "source": "12345政务服务便民热线",
                    "observed_on": "2024-02-20",
                    "weight": 5,
                    "description": "群众投诉油烟直排扰民",
                }
            ]
        },
    )

    kind: SignalKind
    source: Line = Field(description="where it comes from (热线、问题清单名称、媒体…)")
    observed_on: Day
    weight: int = Field(ge=1, le=100, description="how much it raises the target's risk")
    description: Text


class WithdrawIn(Strict):
    reason: ShortText


# ---- responses ----------------------------------------------------------------------------------


class TargetOut(BaseModel):
    """A target as lists show it; a person's number only masked."""

    id: uuid.UUID
    name: str
    party_kind: StateOut
    credit_code: str | None
    identity_masked: str | None
    industry: str
    supervision_level: StateOut
    town: str
    address: str | None
    supervised_since: date
    active: bool
    version: int
    risk: int = Field(description="INSP-02: the weights of the signals in the risk window")
    law_abiding: bool = Field(description="INSP-02 守法诚信: a clean record for the set period")
    created_at: datetime


class SignalOut(BaseModel):
    id: uuid.UUID
    target_id: uuid.UUID
    kind: StateOut
    source: str
    observed_on: date
    weight: int
    description: str
    from_visit: uuid.UUID | None
    recorded_at: datetime
    recorded_by_org: str
    withdrawn_at: datetime | None
    withdrawn_reason: str | None


class ImportOut(BaseModel):
    """An import: every row registered, or none (all-or-nothing)."""

    imported: int
    target_ids: list[uuid.UUID]
