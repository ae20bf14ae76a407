"""INSP-01: the application-scenario catalogue (应用场景): each scenario names its departments,
matters, the industries of its targets and one checklist (一张检查单). Parsed and checked
against the organisation directory and the matter catalogue here; read from the operator's
data file (`<data dir>/scenarios.yaml`) by `service.scenarios`. No I/O."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from xietong_common.errors import InvalidInput
from xietong_common.labels import LabelledEnum
from xietong_common.reference import (
    MatterCatalogue,
    OrganisationDirectory,
    OrgKind,
    ReferenceDataError,
)

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class ChecklistItem(BaseModel):
    """One line of the scenario's checklist."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, max_length=40)
    item_zh: str = Field(min_length=1, max_length=500)


class Scenario(BaseModel):
    """INSP-01: an application scenario of 综合查一次."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    name_zh: str = Field(min_length=1, max_length=200)
    departments: list[str] = Field(min_length=1)
    matter_codes: list[str] = Field(min_length=1)
    industries: list[str] = Field(min_length=1)
    checklist: list[ChecklistItem] = Field(min_length=1)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not CODE.match(value):
            raise ValueError("a scenario code is lower-case a-z, 0-9 and -")
        return value


def parse_scenarios(
    raw: Any, *, path: Path, directory: OrganisationDirectory, catalogue: MatterCatalogue
) -> dict[str, Scenario]:
    if not isinstance(raw, dict) or set(raw) - {"sample", "scenarios"}:
        raise ReferenceDataError(f"{path}: expected `sample:` and `scenarios:` only")
    out: dict[str, Scenario] = {}
    for n, item in enumerate(raw.get("scenarios") or [], start=1):
        label = item.get("code", f"entry {n}") if isinstance(item, dict) else f"entry {n}"
        try:
            scenario = Scenario.model_validate(item)
        except ValidationError as exc:
            raise ReferenceDataError(f"{path}: {label}: {exc.errors()[0]['msg']}") from exc
        problems = [
            f"{d} is not a department of the directory"
            for d in scenario.departments
            if (o := directory.get(d)) is None or o.kind is not OrgKind.DEPARTMENT
        ]
        problems += [
            f"{m} is not in the matter catalogue"
            for m in scenario.matter_codes
            if m not in catalogue
        ]
        codes = [c.code for c in scenario.checklist]
        if len(set(codes)) != len(codes) or scenario.code in out:
            problems.append("a scenario or checklist code is given twice")
        if problems:
            raise ReferenceDataError(f"{path}: {scenario.code}: {'; '.join(problems)}")
        out[scenario.code] = scenario
    return out


class ChecklistResult(LabelledEnum):
    """INSP-01: how one checklist item stood at the visit."""

    COMPLIANT = "compliant", "符合", "compliant"
    NON_COMPLIANT = "non-compliant", "不符合", "not compliant"
    NOT_APPLICABLE = "not-applicable", "不适用", "not applicable"


def check_checklist(
    checklist: list[dict[str, Any]], answers: list[tuple[str, str, str | None]] | None
) -> list[dict[str, Any]]:
    """INSP-01: every item of the plan's checklist answered once, nothing else; the answers
    in the checklist's order with each item's text (what the inspector checked)."""
    given = [code for code, _, _ in answers or []]
    items = [c["code"] for c in checklist]
    missing = [c for c in items if c not in given]
    unknown = sorted({c for c in given if c not in items})
    twice = sorted({c for c in given if given.count(c) > 1})
    if missing or unknown or twice:
        raise InvalidInput(
            "the scenario's checklist is recorded item by item: "
            + "; ".join(
                f"{what}: {', '.join(codes)}"
                for what, codes in (
                    ("not answered", missing),
                    ("not on the checklist", unknown),
                    ("answered twice", twice),
                )
                if codes
            ),
            zh="须逐项填写应用场景检查单："
            + "；".join(
                f"{what}：{'、'.join(codes)}"
                for what, codes in (("未填写", missing), ("不在检查单中", unknown), ("重复", twice))
                if codes
            ),
            missing=[f"checklist.{c}" for c in missing],
            unknown=unknown,
            rule="INSP-01",
        )
    by_code = {code: (result, note) for code, result, note in answers or []}
    return [
        {
            "code": c["code"],
            "item_zh": c["item_zh"],
            "result": by_code[c["code"]][0],
            "note": by_code[c["code"]][1],
        }
        for c in checklist
    ]
