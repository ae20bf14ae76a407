"""The shipped reference data loads, lookups answer, and bad files are refused clearly."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from xietong_common.reference import (
    OrganisationDirectory,
    OrgKind,
    ReferenceDataError,
    SecondmentMode,
    TownKind,
    UnknownCode,
    UnknownMatter,
    UnknownOrganisation,
    default_data_dir,
    is_department,
    is_org_code,
    is_town,
    kind_of_code,
    load_catalogue,
    load_directory,
    org_kind,
)

DEPARTMENTS = {
    "dept:housing-construction": "区住房城乡建委",
    "dept:agriculture": "区农业农村委",
    "dept:planning-natural-resources": "区规划自然资源局",
    "dept:ecology-environment": "区生态环境局",
    "dept:urban-management": "区城市管理局",
    "dept:water": "区水利局",
    "dept:culture-tourism": "区文化旅游委",
    "dept:emergency": "区应急局",
    "dept:forestry": "区林业局",
    "dept:fire-rescue": "区消防救援支队",
    "dept:traffic-police": "区公安局交巡警支队",
}

HEAD = (
    "organisations:\n"
    "  - {code: justice-bureau, name_zh: 区司法局, name_en: Justice Bureau}\n"
    "  - {code: 'dept:water', name_zh: 区水利局, name_en: Water, secondment_mode: zone}\n"
    "  - {code: 'town:lizhi', name_zh: 荔枝街道, name_en: Lizhi, town_kind: street}\n"
)


@pytest.fixture(scope="module")
def directory() -> OrganisationDirectory:
    return load_directory()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---- the shipped directory -------------------------------------------------------------------


def test_shipped_directory_has_the_11_departments_of_the_notice(
    directory: OrganisationDirectory,
) -> None:
    assert {d.code: d.name_zh for d in directory.departments()} == DEPARTMENTS
    assert [d.notice_attachment for d in directory.departments()] == list(range(1, 12))


def test_shipped_directory_has_the_27_fuling_towns_9_streets_12_towns_6_townships(
    directory: OrganisationDirectory,
) -> None:
    towns = directory.towns()
    assert len(towns) == 27
    assert Counter(t.town_kind for t in towns) == {
        TownKind.STREET: 9,
        TownKind.TOWN: 12,
        TownKind.TOWNSHIP: 6,
    }
    assert directory.require("town:maan").name_zh == "马鞍街道"
    assert directory.require("town:wulingshan").town_kind is TownKind.TOWNSHIP
    # only the two codes the sources give; none guessed
    assert {t.code: t.division_code for t in towns if t.division_code} == {
        "town:damu": "500102206",
        "town:wulingshan": "500102208",
    }


def test_shipped_directory_has_the_district_government_and_the_justice_bureau(
    directory: OrganisationDirectory,
) -> None:
    assert directory.require("district-gov").kind is OrgKind.DISTRICT_GOV
    assert directory.require("justice-bureau").kind is OrgKind.JUSTICE_BUREAU
    assert len(directory) == 2 + 11 + 27 + 27


def test_rev_09_every_town_has_its_justice_office_under_the_justice_bureau(
    directory: OrganisationDirectory,
) -> None:
    for town in directory.towns():
        office = directory.justice_office_for(town.code)
        assert office is not None, town.code
        assert office.kind is OrgKind.JUSTICE_OFFICE
        assert office.parent == "justice-bureau"
        assert office.serves_town == town.code
    lizhi = directory.justice_office_for("town:lizhi")
    assert lizhi is not None
    assert lizhi.code == "justice-office:lizhi"
    assert lizhi.name_zh == "荔枝街道司法所"
    assert directory.justice_office_for("dept:water") is None


def test_sec_02_secondment_modes_follow_the_attachment_titles(
    directory: OrganisationDirectory,
) -> None:
    modes = {d.code: d.secondment_mode for d in directory.departments()}
    stationed = {code for code, mode in modes.items() if mode is SecondmentMode.STATIONED}
    assert stationed == {"dept:planning-natural-resources", "dept:urban-management"}
    assert Counter(modes.values())[SecondmentMode.ZONE] == 9
    assert SecondmentMode.STATIONED.label_zh == "派驻"


def test_directory_lookups(directory: OrganisationDirectory) -> None:
    assert directory.get("town:nowhere") is None
    assert "town:lizhi" in directory
    assert directory.is_town("town:lizhi")
    assert not directory.is_town("dept:water")
    assert directory.is_department("dept:water")
    assert directory.kind_of("justice-office:damu") is OrgKind.JUSTICE_OFFICE
    assert directory.kind_of("town:nowhere") is None
    assert directory.label("town:lizhi") == "荔枝街道 (town:lizhi)"
    with pytest.raises(UnknownCode, match="no organisation 'town:nowhere' in the directory"):
        directory.require("town:nowhere")
    assert directory.require("town:lizhi").model_dump()["kind"] == "town"


def test_require_names_the_organisation_and_the_kinds_it_needed(
    directory: OrganisationDirectory,
) -> None:
    """One refusal for every service: `unknown-organisation`, 422, the code and the kinds."""
    assert directory.require("town:lizhi", OrgKind.TOWN).name_zh == "荔枝街道"
    assert directory.require("dept:water", OrgKind.TOWN, OrgKind.DEPARTMENT).code == "dept:water"
    with pytest.raises(UnknownOrganisation) as missing:
        directory.require("town:atlantis", OrgKind.TOWN)
    problem = missing.value.to_problem(lang="en")
    assert (problem["type"], problem["status"]) == ("urn:xietong:problem:unknown-organisation", 422)
    assert (problem["organisation"], problem["expected"]) == ("town:atlantis", ["town"])
    with pytest.raises(UnknownOrganisation) as wrong:
        directory.require("dept:water", OrgKind.TOWN, rule="REF-01")
    assert wrong.value.detail == "'dept:water' is not a town in the directory"
    assert wrong.value.detail_zh == "dept:water 不是机构名录中的乡镇(街道)"
    assert wrong.value.extensions["rule"] == "REF-01"


def test_require_all_keeps_the_order_drops_repeats_and_names_every_stranger(
    directory: OrganisationDirectory,
) -> None:
    towns = ["town:maan", "town:lizhi", "town:maan"]
    assert directory.require_all(towns, OrgKind.TOWN) == ["town:maan", "town:lizhi"]
    assert directory.require_all([]) == []
    with pytest.raises(UnknownOrganisation) as refused:
        directory.require_all(["town:lizhi", "dept:water", "town:atlantis"], OrgKind.TOWN)
    assert refused.value.extensions["organisations"] == ["dept:water", "town:atlantis"]
    assert directory.is_listed("dept:water", OrgKind.DEPARTMENT)
    assert not directory.is_listed("dept:water", OrgKind.TOWN)


def test_catalogue_require_refuses_unknown_matters_with_one_problem_type(
    directory: OrganisationDirectory,
) -> None:
    catalogue = load_catalogue(None, directory)
    assert catalogue.require("ENV-001").owner == "dept:ecology-environment"
    assert catalogue.require_all(["URB-001", "ENV-001", "URB-001"]) == ["URB-001", "ENV-001"]
    with pytest.raises(UnknownMatter) as one:
        catalogue.require("NOPE")
    assert one.value.to_problem(lang="en")["type"] == "urn:xietong:problem:unknown-matter"
    assert one.value.extensions == {"matter_code": "NOPE"}
    with pytest.raises(UnknownMatter) as many:
        catalogue.require_all(["ENV-001", "NOPE", "NADA"])
    assert many.value.extensions == {"matter_codes": ["NOPE", "NADA"]}
    assert issubclass(UnknownMatter, UnknownCode)
    assert issubclass(UnknownOrganisation, UnknownCode)


@pytest.mark.parametrize(
    ("code", "town", "department"),
    [
        ("town:lizhi", True, False),
        ("dept:water", False, True),
        ("justice-office:lizhi", False, False),
        ("district-gov", False, False),
        ("system:referral", False, False),  # the service acting on an event: no organisation
        ("town:Lizhi", False, False),  # not a code at all
        (None, False, False),
        ("", False, False),
    ],
)
def test_is_town_and_is_department_read_the_code(
    code: str | None, town: bool, department: bool
) -> None:
    assert (is_town(code), is_department(code)) == (town, department)
    assert (kind_of_code(code) is not None) == (
        town
        or department
        or code
        in (
            "justice-office:lizhi",
            "district-gov",
        )
    )


# ---- organisation codes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("town:lizhi", OrgKind.TOWN),
        ("dept:planning-natural-resources", OrgKind.DEPARTMENT),
        ("justice-office:lizhi", OrgKind.JUSTICE_OFFICE),
        ("justice-bureau", OrgKind.JUSTICE_BUREAU),
        ("district-gov", OrgKind.DISTRICT_GOV),
    ],
)
def test_org_codes(code: str, kind: OrgKind) -> None:
    assert org_kind(code) is kind


@pytest.mark.parametrize(
    "code", ["township:lizhi", "town:", "town:Lizhi", "dept:water-", "dept", "district-gov:x", ""]
)
def test_malformed_org_codes_are_refused(code: str) -> None:
    assert not is_org_code(code)
    with pytest.raises(ValueError, match="not an organisation code"):
        org_kind(code)


# ---- the catalogue ---------------------------------------------------------------------------


def test_shipped_catalogue_is_a_labelled_sample_owned_by_listed_departments(
    directory: OrganisationDirectory,
) -> None:
    catalogue = load_catalogue(None, directory)
    assert catalogue.sample  # not the official catalogue
    assert len(catalogue) >= 12
    assert {m.town_level for m in catalogue} == {True, False}
    assert len({m.owner for m in catalogue}) >= 6
    assert all(directory.is_department(m.owner) for m in catalogue)


def test_catalogue_lookups(directory: OrganisationDirectory) -> None:
    catalogue = load_catalogue(None, directory)
    assert catalogue.owner_of("ENV-001") == "dept:ecology-environment"
    assert not catalogue.is_town_level("ENV-001")
    assert catalogue.is_town_level("URB-001")
    assert catalogue.owner_of("URB-002") == "dept:urban-management"
    assert catalogue.get("NOPE") is None
    assert "URB-001" in catalogue
    assert {m.code for m in catalogue.of_department("dept:urban-management")} >= {
        "URB-001",
        "URB-002",
    }
    with pytest.raises(UnknownCode, match="no matter 'NOPE' in the catalogue"):
        catalogue.owner_of("NOPE")


# ---- bad files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (
            "  - {code: 'dept:water', name_zh: 重复, name_en: Dup, secondment_mode: zone}\n",
            "organisation 'dept:water' is listed twice",
        ),
        (
            "  - {code: 'village:x', name_zh: x, name_en: x}\n",
            "village:x: not an organisation code",
        ),
        ("  - {code: 'town:x', name_zh: x, name_en: x}\n", "town:x: town_kind is given for towns"),
        (
            "  - {code: 'dept:x', name_zh: x, name_en: x}\n",
            "dept:x: secondment_mode is given for departments",
        ),
        (
            "  - {code: 'town:x', name_zh: x, name_en: x, town_kind: city}\n",
            "town:x: town_kind: Input should be 'street', 'town' or 'township'",
        ),
        (
            "  - {code: 'town:x', name_zh: x, name_en: x, town_kind: town, division_code: '5001'}\n",
            "town:x: division_code is 9 digits for a town",
        ),
        (
            "  - {code: 'town:x', name_zh: x, name_en: x, town_kind: town, twon_kind: town}\n",
            "town:x: twon_kind: Extra inputs are not permitted",
        ),
        (
            "  - {code: 'justice-office:x', name_zh: x, name_en: x, parent: justice-bureau,"
            " serves_town: 'town:x'}\n",
            "justice-office:x: serves 'town:x', which is not a listed town",
        ),
        (
            "  - {code: 'justice-office:x', name_zh: x, name_en: x, serves_town: 'town:lizhi'}\n",
            "justice-office:x: a justice office's parent is justice-bureau",
        ),
        (
            "  - {code: 'justice-office:a', name_zh: x, name_en: x, parent: justice-bureau,"
            " serves_town: 'town:lizhi'}\n"
            "  - {code: 'justice-office:b', name_zh: x, name_en: x, parent: justice-bureau,"
            " serves_town: 'town:lizhi'}\n",
            "justice-office:b: town:lizhi is already served by justice-office:a",
        ),
        ("  - {name_zh: x, name_en: x}\n", "entry 4: code: Field required"),
    ],
)
def test_bad_directory_entries_are_named(tmp_path: Path, extra: str, problem: str) -> None:
    path = write(tmp_path / "organisations.yaml", HEAD + extra)
    with pytest.raises(ReferenceDataError) as raised:
        load_directory(path)
    assert str(raised.value).count(str(path)) == 1
    assert problem in str(raised.value)


@pytest.mark.parametrize(
    ("matters", "problem"),
    [
        (
            "  - {code: X-1, name_zh: x, owner: 'dept:forestry', town_level: true}\n",
            "matter 'X-1' is owned by 'dept:forestry', which is not a department in the directory",
        ),
        (
            "  - {code: X-1, name_zh: x, owner: 'town:lizhi', town_level: true}\n",
            "X-1: owner 'town:lizhi' is not a department code",
        ),
        ("  - {code: X-2, name_zh: x, owner: 'dept:water'}\n", "X-2: town_level: Field required"),
        (
            "  - {code: X-3, name_zh: x, owner: 'dept:water', town_level: true}\n"
            "  - {code: X-3, name_zh: y, owner: 'dept:water', town_level: false}\n",
            "matter 'X-3' is listed twice",
        ),
        (
            "  - {code: 'X 4', name_zh: x, owner: 'dept:water', town_level: true}\n",
            "X 4: code: String should match pattern",
        ),
    ],
)
def test_bad_catalogue_entries_are_named(tmp_path: Path, matters: str, problem: str) -> None:
    directory = load_directory(write(tmp_path / "organisations.yaml", HEAD))
    path = write(tmp_path / "matters.yaml", "matters:\n" + matters)
    with pytest.raises(ReferenceDataError) as raised:
        load_catalogue(path, directory)
    assert str(raised.value).count(str(path)) == 1
    assert problem in str(raised.value)


def test_bad_files_are_refused(tmp_path: Path) -> None:
    directory = load_directory(write(tmp_path / "organisations.yaml", HEAD))
    with pytest.raises(ReferenceDataError, match="cannot read"):
        load_directory(tmp_path / "missing.yaml")
    with pytest.raises(ReferenceDataError, match="expected a top-level `organisations:` list"):
        load_directory(write(tmp_path / "o.yaml", "- code: town:x\n"))
    with pytest.raises(ReferenceDataError, match="unknown top-level keys: extra"):
        load_catalogue(write(tmp_path / "m.yaml", "matters: []\nextra: 1\n"), directory)
    catalogue = load_catalogue(write(tmp_path / "m.yaml", "matters: []\n"), directory)
    assert not catalogue.sample


def test_data_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "organisations.yaml", HEAD)
    monkeypatch.setenv("XIETONG_DATA_DIR", str(tmp_path))
    assert len(load_directory()) == 3


def test_a_file_loaded_again_unchanged_is_not_parsed_again_and_a_replaced_one_is(
    tmp_path: Path,
) -> None:
    """Each service a process starts loads the directory and the catalogue (a test worker
    starts hundreds): one content is parsed and validated once, a replaced file again."""
    data = default_data_dir()
    organisations, matters = tmp_path / "organisations.yaml", tmp_path / "matters.yaml"
    organisations.write_bytes((data / "organisations.yaml").read_bytes())
    matters.write_bytes((data / "matters.yaml").read_bytes())
    directory = load_directory(organisations)
    assert load_directory(organisations) is directory
    catalogue = load_catalogue(matters, directory)
    assert load_catalogue(matters, directory) is catalogue

    organisations.write_text(
        organisations.read_text(encoding="utf-8") + "\n# replaced by the operator\n",
        encoding="utf-8",
    )
    replaced = load_directory(organisations)
    assert replaced is not directory
    assert sorted(o.code for o in replaced.all()) == sorted(o.code for o in directory.all())
    # The catalogue is checked again against the directory it is given.
    assert load_catalogue(matters, replaced) is not catalogue
    organisations.write_text("organisations: [{code: 'town:x'}]\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError):
        load_directory(organisations)
