"""Reference data: the organisation directory and the empowered-matter catalogue (赋权事项).

Both are data files an operator can replace (`data/organisations.yaml`,
`data/matters.yaml`); they are validated on load and a bad entry is named in the error.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ReferenceDataError(ValueError):
    """A reference data file is missing or invalid."""


class OrgKind(StrEnum):
    TOWN = "town"
    DEPARTMENT = "dept"
    JUSTICE_BUREAU = "justice-bureau"
    JUSTICE_OFFICE = "justice-office"
    DISTRICT_GOV = "district-gov"

    @property
    def label_zh(self) -> str:
        return {
            "town": "乡镇(街道)",
            "dept": "区级行政执法部门",
            "justice-bureau": "区司法局",
            "justice-office": "司法所",
            "district-gov": "区政府",
        }[self.value]


class TownKind(StrEnum):
    STREET = "street"
    TOWN = "town"
    TOWNSHIP = "township"

    @property
    def label_zh(self) -> str:
        return {"street": "街道", "town": "镇", "township": "乡"}[self.value]


class SecondmentMode(StrEnum):
    """SEC-02: how a department sends staff down (from the notice's attachment titles)."""

    STATIONED = "stationed"
    ZONE = "zone"

    @property
    def label_zh(self) -> str:
        return {"stationed": "派驻", "zone": "划片"}[self.value]


def org_kind(code: str) -> OrgKind:
    """The kind of organisation a code names; ValueError for a malformed code."""
    if code in ("justice-bureau", "district-gov"):
        return OrgKind(code)
    prefix, sep, slug = code.partition(":")
    if sep and slug and prefix in ("town", "dept", "justice-office"):
        return OrgKind(prefix)
    raise ValueError(f"not an organisation code: {code!r}")


class Organisation(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name_zh: str
    name_en: str
    town_kind: TownKind | None = None
    division_code: str | None = Field(default=None, description="9-digit code where known")
    parent: str | None = None
    serves_town: str | None = Field(default=None, description="a 司法所: the town it serves")
    secondment_mode: SecondmentMode | None = None

    @property
    def kind(self) -> OrgKind:
        return org_kind(self.code)


class Matter(BaseModel):
    """An enforcement matter in the catalogue: who owns it, whether towns exercise it."""

    model_config = ConfigDict(frozen=True)

    code: str
    name_zh: str
    name_en: str = ""
    owner: str = Field(description="the department that owns the matter (dept:<slug>)")
    town_level: bool = Field(description="delegated to towns (赋权事项)")


class OrganisationDirectory:
    def __init__(self, organisations: list[Organisation]) -> None:
        self._by_code: dict[str, Organisation] = {}
        for org in organisations:
            if org.code in self._by_code:
                raise ReferenceDataError(f"organisation {org.code!r} is listed twice")
            self._by_code[org.code] = org
        for org in organisations:
            for ref in (org.parent, org.serves_town):
                if ref and ref not in self._by_code:
                    raise ReferenceDataError(f"organisation {org.code!r} refers to unknown {ref!r}")

    def get(self, code: str) -> Organisation | None:
        return self._by_code.get(code)

    def require(self, code: str) -> Organisation:
        org = self._by_code.get(code)
        if org is None:
            raise ReferenceDataError(f"no organisation {code!r} in the directory")
        return org

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def all(self) -> list[Organisation]:
        return list(self._by_code.values())

    def of_kind(self, kind: OrgKind) -> list[Organisation]:
        return [o for o in self._by_code.values() if o.kind is kind]

    def towns(self) -> list[Organisation]:
        return self.of_kind(OrgKind.TOWN)

    def departments(self) -> list[Organisation]:
        return self.of_kind(OrgKind.DEPARTMENT)

    def is_town(self, code: str) -> bool:
        org = self.get(code)
        return org is not None and org.kind is OrgKind.TOWN

    def is_department(self, code: str) -> bool:
        org = self.get(code)
        return org is not None and org.kind is OrgKind.DEPARTMENT

    def justice_office_for(self, town: str) -> Organisation | None:
        """The town's 司法所 (REV-09)."""
        return next(
            (
                o
                for o in self._by_code.values()
                if o.serves_town == town and o.kind is OrgKind.JUSTICE_OFFICE
            ),
            None,
        )


class MatterCatalogue:
    def __init__(self, matters: list[Matter], directory: OrganisationDirectory) -> None:
        self._by_code: dict[str, Matter] = {}
        for matter in matters:
            if matter.code in self._by_code:
                raise ReferenceDataError(f"matter {matter.code!r} is listed twice")
            if not directory.is_department(matter.owner):
                raise ReferenceDataError(
                    f"matter {matter.code!r} is owned by {matter.owner!r}, which is not a department in the directory"
                )
            self._by_code[matter.code] = matter

    def get(self, code: str) -> Matter | None:
        return self._by_code.get(code)

    def require(self, code: str) -> Matter:
        matter = self._by_code.get(code)
        if matter is None:
            raise ReferenceDataError(f"no matter {code!r} in the catalogue")
        return matter

    def owner_of(self, code: str) -> str:
        return self.require(code).owner

    def is_town_level(self, code: str) -> bool:
        return self.require(code).town_level

    def all(self) -> list[Matter]:
        return list(self._by_code.values())


def default_data_dir() -> Path:
    env = os.environ.get("XIETONG_DATA_DIR")
    if env:
        return Path(env)
    from xietong_common.settings import project_root

    return project_root() / "data"


def _load_yaml(path: Path, key: str) -> list[dict[str, Any]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ReferenceDataError(f"{path}: cannot read: {exc}") from exc
    items = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise ReferenceDataError(f"{path}: expected a top-level `{key}:` list")
    return items


def _entry(model: type[Any], item: dict[str, Any], path: Path, index: int) -> Any:
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        label = (
            item.get("code", f"entry {index + 1}")
            if isinstance(item, dict)
            else f"entry {index + 1}"
        )
        raise ReferenceDataError(f"{path}: {label}: {where}: {first['msg']}") from exc


def load_directory(path: Path | None = None) -> OrganisationDirectory:
    path = path or default_data_dir() / "organisations.yaml"
    organisations = []
    for i, item in enumerate(_load_yaml(path, "organisations")):
        org: Organisation = _entry(Organisation, item, path, i)
        try:
            org_kind(org.code)
        except ValueError as exc:
            raise ReferenceDataError(f"{path}: {exc}") from exc
        organisations.append(org)
    return OrganisationDirectory(organisations)


def load_catalogue(path: Path | None, directory: OrganisationDirectory) -> MatterCatalogue:
    path = path or default_data_dir() / "matters.yaml"
    matters = [_entry(Matter, item, path, i) for i, item in enumerate(_load_yaml(path, "matters"))]
    try:
        return MatterCatalogue(matters, directory)
    except ReferenceDataError as exc:
        raise ReferenceDataError(f"{path}: {exc}") from exc
