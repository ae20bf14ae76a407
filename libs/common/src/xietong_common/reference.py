"""Reference data: the organisation directory and the empowered-matter catalogue (赋权事项).

RULES.md "Parties": towns (`town:<slug>`), the 11 district departments (`dept:<slug>`),
the justice bureau (`justice-bureau`) with a 司法所 per town (`justice-office:<slug>`),
and the district government (`district-gov`). Both are data files an operator can
replace (`data/organisations.yaml`, `data/matters.yaml`; `XIETONG_DATA_DIR` points
elsewhere); they are validated on load and an error names the file and the entry.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, model_validator

from xietong_common.errors import InvalidInput
from xietong_common.labels import LabelledEnum
from xietong_common.yamlfiles import safe_yaml

OVERSIGHT_ORG = "justice-bureau"
"""区司法局: oversight (SUP-01) reads every mechanism's records."""
DISTRICT_GOV = "district-gov"
"""区政府: decides disputed jurisdiction (REF-08), hears serious findings (INSP-09)."""


class ReferenceDataError(ValueError):
    """A reference data file is missing or invalid."""


class UnknownCode(InvalidInput):
    """A code that is not in the directory or the catalogue (or not of a kind that can take
    part here): the same refusal, with the same problem type, in every service."""


class UnknownOrganisation(UnknownCode):
    slug = "unknown-organisation"
    title = "The organisation is not in the directory or cannot take part here"
    title_zh = "该机构不在机构名录中，或不能参与此事项"


class UnknownMatter(UnknownCode):
    slug = "unknown-matter"
    title = "The matter code is not in the catalogue of matters"
    title_zh = "事项编码不在执法事项目录中"


class OrgKind(LabelledEnum):
    TOWN = "town", "乡镇(街道)"
    DEPARTMENT = "dept", "区级行政执法部门", "district enforcement department"
    JUSTICE_BUREAU = "justice-bureau", "区司法局", "district justice bureau"
    JUSTICE_OFFICE = "justice-office", "司法所", "justice office (of a town)"
    DISTRICT_GOV = "district-gov", "区政府", "district government"


class TownKind(LabelledEnum):
    STREET = "street", "街道", "subdistrict (street)"
    TOWN = "town", "镇"
    TOWNSHIP = "township", "乡"


class SecondmentMode(LabelledEnum):
    """SEC-02: how a department sends staff down (from the notice's attachment titles)."""

    STATIONED = "stationed", "派驻", "stationed in one town"
    ZONE = "zone", "划片", "covering a zone of towns"


PREFIXED_KINDS = (OrgKind.TOWN, OrgKind.DEPARTMENT, OrgKind.JUSTICE_OFFICE)  # "<kind>:<slug>"
SINGLE_KINDS = (OrgKind.JUSTICE_BUREAU, OrgKind.DISTRICT_GOV)  # the code is the kind
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def org_kind(code: str) -> OrgKind:
    """The kind of organisation a code names; ValueError for a malformed code."""
    if code in SINGLE_KINDS:
        return OrgKind(code)
    prefix, sep, slug = code.partition(":")
    if sep and prefix in PREFIXED_KINDS and _SLUG.fullmatch(slug):
        return OrgKind(prefix)
    raise ValueError(
        f"not an organisation code: {code!r} (expected town:<slug>, dept:<slug>, "
        "justice-office:<slug>, justice-bureau or district-gov; slugs are lower-case a-z, 0-9, -)"
    )


def is_org_code(code: str) -> bool:
    return kind_of_code(code) is not None


def kind_of_code(code: str | None) -> OrgKind | None:
    """The kind a code names, None for anything that is not an organisation code (a system
    actor, a blank)."""
    try:
        return org_kind(code or "")
    except ValueError:
        return None


def is_town(code: str | None) -> bool:
    """The code names a town (乡镇/街道); whether it is listed is the directory's question."""
    return kind_of_code(code) is OrgKind.TOWN


def is_department(code: str | None) -> bool:
    """The code names a district enforcement department."""
    return kind_of_code(code) is OrgKind.DEPARTMENT


class Organisation(BaseModel):
    """A party in the directory. The kind follows from the code."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(examples=["town:lizhi"])
    name_zh: str = Field(min_length=1, examples=["荔枝街道"])
    name_en: str = Field(min_length=1, examples=["Lizhi Subdistrict"])
    town_kind: TownKind | None = Field(default=None, description="towns only: 街道, 镇 or 乡")
    division_code: str | None = Field(
        default=None,
        description="统计用区划代码 where known: 9 digits for a town, 6 for the district",
    )
    parent: str | None = Field(default=None, description="a 司法所: justice-bureau")
    serves_town: str | None = Field(default=None, description="a 司法所: the town it serves")
    secondment_mode: SecondmentMode | None = Field(
        default=None, description="departments only (SEC-02): 派驻 or 划片"
    )
    notice_attachment: int | None = Field(
        default=None, ge=1, description="departments only: the notice's attachment number"
    )
    full_name_zh: str | None = Field(
        default=None,
        min_length=2,
        max_length=40,
        description="the full name the organisation issues documents under (发文机关全称: its "
        "版头 and 署名 on an official document)",
        examples=["重庆市涪陵区生态环境局"],
    )
    doc_prefix: str | None = Field(
        default=None,
        pattern=r"^[\u4e00-\u9fff]{1,8}$",
        description="发文机关代字: what its document numbers begin with (`涪环` in "
        "`涪环移〔2026〕12号`); an organisation without one issues no documents",
        examples=["涪环"],
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind(self) -> OrgKind:
        return org_kind(self.code)

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Organisation:
        kind = org_kind(self.code)
        problems = []
        if (kind is OrgKind.TOWN) != (self.town_kind is not None):
            problems.append("town_kind is given for towns, and only for towns")
        digits = {OrgKind.TOWN: 9, OrgKind.DISTRICT_GOV: 6}.get(kind)
        if self.division_code is not None and (
            digits is None or not re.fullmatch(rf"\d{{{digits}}}", self.division_code)
        ):
            problems.append("division_code is 9 digits for a town, 6 for the district, else none")
        if (kind is OrgKind.DEPARTMENT) != (self.secondment_mode is not None):
            problems.append("secondment_mode is given for departments, and only for them")
        if self.notice_attachment is not None and kind is not OrgKind.DEPARTMENT:
            problems.append("notice_attachment is for departments only")
        if kind is OrgKind.JUSTICE_OFFICE:
            if self.parent != OrgKind.JUSTICE_BUREAU:
                problems.append("a justice office's parent is justice-bureau")
            if not is_town(self.serves_town):
                problems.append("a justice office names the town it serves (serves_town: town:…)")
        elif self.serves_town is not None:
            problems.append("serves_town is for justice offices only")
        if self.doc_prefix is not None and self.full_name_zh is None:
            problems.append("an organisation with a doc_prefix names its full_name_zh too")
        if self.parent is not None and not is_org_code(self.parent):
            problems.append(f"parent {self.parent!r} is not an organisation code")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Matter(BaseModel):
    """An enforcement matter in the catalogue: who owns it, whether towns exercise it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", examples=["ENV-001"])
    name_zh: str = Field(min_length=1)
    name_en: str = ""
    owner: str = Field(description="the department that owns the matter (dept:<slug>)")
    town_level: bool = Field(description="delegated to towns (赋权事项)")

    @model_validator(mode="after")
    def _owned_by_a_department(self) -> Matter:
        if not is_org_code(self.owner) or org_kind(self.owner) is not OrgKind.DEPARTMENT:
            raise ValueError(f"owner {self.owner!r} is not a department code (dept:<slug>)")
        return self


class OrganisationDirectory:
    """Every party, by code."""

    def __init__(self, organisations: Iterable[Organisation]) -> None:
        self._by_code: dict[str, Organisation] = {}
        self._office_of_town: dict[str, Organisation] = {}
        for org in organisations:
            if org.code in self._by_code:
                raise ReferenceDataError(f"organisation {org.code!r} is listed twice")
            self._by_code[org.code] = org
        division_codes: dict[str, str] = {}
        prefixes: dict[str, str] = {}
        for org in self._by_code.values():
            if org.doc_prefix is not None:
                # Two organisations with one 代字 would issue documents with one number.
                if org.doc_prefix in prefixes:
                    raise ReferenceDataError(
                        f"{org.code}: doc_prefix {org.doc_prefix} is also "
                        f"{prefixes[org.doc_prefix]}'s"
                    )
                prefixes[org.doc_prefix] = org.code
            if org.parent is not None and org.parent not in self._by_code:
                raise ReferenceDataError(f"{org.code}: parent {org.parent!r} is not listed")
            if org.division_code is not None:
                if org.division_code in division_codes:
                    raise ReferenceDataError(
                        f"{org.code}: division_code {org.division_code} is also "
                        f"{division_codes[org.division_code]}'s"
                    )
                division_codes[org.division_code] = org.code
            if org.serves_town is not None:
                if not self.is_town(org.serves_town):
                    raise ReferenceDataError(
                        f"{org.code}: serves {org.serves_town!r}, which is not a listed town"
                    )
                if org.serves_town in self._office_of_town:
                    raise ReferenceDataError(
                        f"{org.code}: {org.serves_town} is already served by "
                        f"{self._office_of_town[org.serves_town].code}"
                    )
                self._office_of_town[org.serves_town] = org

    def get(self, code: str) -> Organisation | None:
        return self._by_code.get(code)

    def require(self, code: str, *kinds: OrgKind, rule: str | None = None) -> Organisation:
        """The listed organisation, of one of `kinds` if given; else `UnknownOrganisation`
        (422, citing `rule` when the kinds come from one)."""
        org = self._by_code.get(code)
        if org is not None and (not kinds or org.kind in kinds):
            return org
        if org is None:
            raise UnknownOrganisation(
                f"no organisation {code!r} in the directory",
                zh=f"机构名录中没有 {code}",
                organisation=code,
                **_expected(kinds, rule),
            )
        raise UnknownOrganisation(
            f"{code!r} is not {_kinds_en(kinds)} in the directory",
            zh=f"{code} 不是机构名录中的{_kinds_zh(kinds)}",
            organisation=code,
            **_expected(kinds, rule),
        )

    def require_all(
        self, codes: Iterable[str], *kinds: OrgKind, rule: str | None = None
    ) -> list[str]:
        """Every code listed (and of one of `kinds`), without repeats, in the order given; the
        refusal names all the codes that are not."""
        unique = list(dict.fromkeys(codes))
        bad = [c for c in unique if not self.is_listed(c, *kinds)]
        if bad:
            raise UnknownOrganisation(
                f"not {_kinds_en(kinds)} in the directory: {', '.join(bad)}",
                zh=f"以下机构不在机构名录中或不是{_kinds_zh(kinds)}：{'、'.join(bad)}",
                organisations=bad,
                **_expected(kinds, rule),
            )
        return unique

    def is_listed(self, code: str, *kinds: OrgKind) -> bool:
        """Listed, and of one of `kinds` if given."""
        org = self._by_code.get(code)
        return org is not None and (not kinds or org.kind in kinds)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[Organisation]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def all(self) -> list[Organisation]:
        return list(self._by_code.values())

    def of_kind(self, kind: OrgKind) -> list[Organisation]:
        return [o for o in self._by_code.values() if o.kind is kind]

    def towns(self) -> list[Organisation]:
        return self.of_kind(OrgKind.TOWN)

    def departments(self) -> list[Organisation]:
        return self.of_kind(OrgKind.DEPARTMENT)

    def justice_offices(self) -> list[Organisation]:
        return self.of_kind(OrgKind.JUSTICE_OFFICE)

    def kind_of(self, code: str) -> OrgKind | None:
        """The kind of a listed organisation; None if it is not in the directory."""
        org = self._by_code.get(code)
        return org.kind if org else None

    def is_town(self, code: str) -> bool:
        return self.kind_of(code) is OrgKind.TOWN

    def is_department(self, code: str) -> bool:
        return self.kind_of(code) is OrgKind.DEPARTMENT

    def justice_office_for(self, town: str) -> Organisation | None:
        """REV-09: the town's 司法所."""
        return self._office_of_town.get(town)

    def label(self, code: str) -> str:
        """`荔枝街道 (town:lizhi)`, or the bare code if it is not listed."""
        org = self._by_code.get(code)
        return f"{org.name_zh} ({code})" if org else code


class MatterCatalogue:
    """The empowered-matter catalogue: matter code → owning department, town-level or not."""

    def __init__(
        self, matters: Iterable[Matter], directory: OrganisationDirectory, *, sample: bool = False
    ) -> None:
        self.sample = sample
        self._by_code: dict[str, Matter] = {}
        for matter in matters:
            if matter.code in self._by_code:
                raise ReferenceDataError(f"matter {matter.code!r} is listed twice")
            if not directory.is_department(matter.owner):
                raise ReferenceDataError(
                    f"matter {matter.code!r} is owned by {matter.owner!r}, "
                    "which is not a department in the directory"
                )
            self._by_code[matter.code] = matter

    def get(self, code: str) -> Matter | None:
        return self._by_code.get(code)

    def require(self, code: str) -> Matter:
        """The matter, or `UnknownMatter`."""
        matter = self._by_code.get(code)
        if matter is None:
            raise UnknownMatter(
                f"no matter {code!r} in the catalogue",
                zh=f"执法事项目录中没有事项编码 {code}",
                matter_code=code,
            )
        return matter

    def require_all(self, codes: Iterable[str]) -> list[str]:
        """Every code in the catalogue, without repeats, in the order given; the refusal
        names all that are not."""
        unique = list(dict.fromkeys(codes))
        unknown = [c for c in unique if c not in self._by_code]
        if unknown:
            raise UnknownMatter(
                f"not in the catalogue of matters: {', '.join(unknown)}",
                zh=f"以下事项编码不在执法事项目录中：{'、'.join(unknown)}",
                matter_codes=unknown,
            )
        return unique

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[Matter]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def owner_of(self, code: str) -> str:
        """REF-02: the department that owns the matter."""
        return self.require(code).owner

    def is_town_level(self, code: str) -> bool:
        """REF-02: delegated to towns (赋权事项)?"""
        return self.require(code).town_level

    def all(self) -> list[Matter]:
        return list(self._by_code.values())

    def of_department(self, dept: str) -> list[Matter]:
        return [m for m in self._by_code.values() if m.owner == dept]


def _kinds_en(kinds: Iterable[OrgKind]) -> str:
    return " or ".join(f"a {k.label_en}" for k in kinds) or "an organisation"


def _kinds_zh(kinds: Iterable[OrgKind]) -> str:
    return "或".join(k.label_zh for k in kinds) or "机构"


def _expected(kinds: Iterable[OrgKind], rule: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {"expected": [k.value for k in kinds]} if kinds else {}
    return {**found, "rule": rule} if rule else found


def default_data_dir() -> Path:
    """`XIETONG_DATA_DIR`, else the repo's `data/`."""
    if env := os.environ.get("XIETONG_DATA_DIR"):
        return Path(env)
    from xietong_common.settings import project_root

    return project_root() / "data"


def _content(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ReferenceDataError(f"{path}: cannot read: {exc}") from exc


def _read(
    path: Path, content: bytes, key: str, optional: set[str]
) -> tuple[list[Any], dict[str, Any]]:
    try:
        raw = safe_yaml(content.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
        raise ReferenceDataError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get(key), list):
        raise ReferenceDataError(f"{path}: expected a top-level `{key}:` list")
    unknown = set(raw) - {key} - optional
    if unknown:
        raise ReferenceDataError(f"{path}: unknown top-level keys: {', '.join(sorted(unknown))}")
    return raw[key], raw


M = TypeVar("M", bound=BaseModel)


def _entries(model: type[M], items: list[Any], path: Path) -> list[M]:
    parsed = []
    for i, item in enumerate(items):
        label = str(item["code"]) if isinstance(item, dict) and "code" in item else f"entry {i + 1}"
        try:
            parsed.append(model.model_validate(item))
        except ValidationError as exc:
            problems = "; ".join(
                (".".join(str(p) for p in e["loc"]) + ": " if e["loc"] else "")
                + str(e["msg"]).removeprefix("Value error, ")
                for e in exc.errors()
            )
            raise ReferenceDataError(f"{path}: {label}: {problems}") from exc
    return parsed


# The services a process starts (a test worker starts hundreds) load the same files: each
# content is parsed and validated once (`lru_cache`, keyed by the file's path and its bytes),
# and a file an operator replaced is read again — 1.5% of a test worker's CPU was these two
# files. The directory and catalogue are read-only once built.
_KEPT = 64  # contents kept: more than a process has data directories (tests' own among them)


def load_directory(path: Path | None = None) -> OrganisationDirectory:
    """The organisation directory (default `<data dir>/organisations.yaml`), validated."""
    path = path or default_data_dir() / "organisations.yaml"
    return _directory(path, _content(path))


@lru_cache(maxsize=_KEPT)
def _directory(path: Path, content: bytes) -> OrganisationDirectory:
    items, _ = _read(path, content, "organisations", set())
    organisations = _entries(Organisation, items, path)
    try:
        return OrganisationDirectory(organisations)
    except ReferenceDataError as exc:
        raise ReferenceDataError(f"{path}: {exc}") from exc


def load_catalogue(path: Path | None, directory: OrganisationDirectory) -> MatterCatalogue:
    """The matter catalogue (default `<data dir>/matters.yaml`), checked against the directory."""
    path = path or default_data_dir() / "matters.yaml"
    return _load_catalogue(path, _content(path), directory)


@lru_cache(maxsize=_KEPT)  # a directory is its own key: checked again against another
def _load_catalogue(
    path: Path, content: bytes, directory: OrganisationDirectory
) -> MatterCatalogue:
    items, raw = _read(path, content, "matters", {"sample"})
    sample = raw.get("sample", False)
    if not isinstance(sample, bool):
        raise ReferenceDataError(f"{path}: `sample:` is true or false")
    matters = _entries(Matter, items, path)
    try:
        return MatterCatalogue(matters, directory, sample=sample)
    except ReferenceDataError as exc:
        raise ReferenceDataError(f"{path}: {exc}") from exc
