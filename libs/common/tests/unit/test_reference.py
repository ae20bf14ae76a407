"""The shipped reference data loads and bad files are refused with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from xietong_common.reference import (
    OrgKind,
    ReferenceDataError,
    SecondmentMode,
    load_catalogue,
    load_directory,
    org_kind,
)


def test_shipped_directory_has_the_notices_parties() -> None:
    directory = load_directory()
    assert len(directory.departments()) == 11
    assert len(directory.towns()) == 27
    assert directory.require("justice-bureau").kind is OrgKind.JUSTICE_BUREAU
    assert directory.require("district-gov").kind is OrgKind.DISTRICT_GOV
    assert directory.require("town:damu").division_code == "500102206"
    office = directory.justice_office_for("town:lizhi")
    assert office is not None
    assert office.name_zh == "荔枝街道司法所"


def test_sec_02_secondment_modes_follow_the_attachment_titles() -> None:
    directory = load_directory()
    stationed = {
        d.code for d in directory.departments() if d.secondment_mode is SecondmentMode.STATIONED
    }
    assert stationed == {"dept:planning-natural-resources", "dept:urban-management"}
    assert all(d.secondment_mode is not None for d in directory.departments())


def test_shipped_catalogue_owners_are_departments() -> None:
    directory = load_directory()
    catalogue = load_catalogue(None, directory)
    assert catalogue.owner_of("ENV-001") == "dept:ecology-environment"
    assert catalogue.is_town_level("URB-001")
    assert not catalogue.is_town_level("ENV-001")
    assert catalogue.get("NOPE") is None


def test_org_codes() -> None:
    assert org_kind("town:lizhi") is OrgKind.TOWN
    assert org_kind("justice-office:lizhi") is OrgKind.JUSTICE_OFFICE
    with pytest.raises(ValueError, match="not an organisation code"):
        org_kind("township:lizhi")


def test_bad_files_name_the_entry(tmp_path: Path) -> None:
    orgs = tmp_path / "organisations.yaml"
    orgs.write_text(
        "organisations:\n"
        "  - {code: 'dept:water', name_zh: 区水利局, name_en: Water}\n"
        "  - {code: 'dept:water', name_zh: 重复, name_en: Dup}\n",
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError, match="'dept:water' is listed twice"):
        load_directory(orgs)
    orgs.write_text(
        "organisations:\n  - {code: 'village:x', name_zh: x, name_en: x}\n", encoding="utf-8"
    )
    with pytest.raises(ReferenceDataError, match="not an organisation code"):
        load_directory(orgs)
    orgs.write_text(
        "organisations:\n  - {code: 'dept:water', name_zh: 区水利局, name_en: W}\n",
        encoding="utf-8",
    )
    matters = tmp_path / "matters.yaml"
    matters.write_text(
        "matters:\n  - {code: X-1, name_zh: x, owner: 'dept:forestry', town_level: true}\n",
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError, match=r"X-1.*not a department"):
        load_catalogue(matters, load_directory(orgs))
    matters.write_text(
        "matters:\n  - {code: X-2, name_zh: x, owner: 'dept:water'}\n", encoding="utf-8"
    )
    with pytest.raises(ReferenceDataError, match="X-2: town_level"):
        load_catalogue(matters, load_directory(orgs))
