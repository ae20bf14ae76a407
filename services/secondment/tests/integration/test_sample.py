"""The shipped sample (data/samples, `sample: true`) loads through the API as an operator
would load real lists; a fresh service starts with no teams and no officers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from xietong_common.settings import project_root

from .conftest import LIZHI, Svc

pytestmark = pytest.mark.integration
SAMPLES = project_root() / "data" / "samples"


def sheet(name: str) -> tuple[str, bytes]:
    """The sample sheet: its first line (the sample mark) and its bytes."""
    path: Path = SAMPLES / name
    content = path.read_bytes()
    return content.decode("utf-8").splitlines()[0], content


async def test_a_new_installation_has_no_teams_and_no_officers(svc: Svc) -> None:
    for path in ("/teams", "/officers", "/rosters", "/guidance"):
        r = await svc.client.get(path, headers=svc.h("justice-bureau"))
        assert r.json()["total"] == 0, path


async def test_the_sample_roster_imports_cleanly_and_says_it_is_a_sample(svc: Svc) -> None:
    manifest = yaml.safe_load((SAMPLES / "secondment-sample.yaml").read_text(encoding="utf-8"))
    assert manifest["sample"] is True
    for team in manifest["teams"]:
        body = {k: v for k, v in team.items() if k != "department"}
        r = await svc.client.post("/teams", json=body, headers=svc.admin(team["department"]))
        assert r.status_code == 201, r.text
    for roster in manifest["rosters"]:
        first_line, content = sheet(roster["file"])
        assert "sample: true" in first_line
        result = await svc.imported(roster["department"], content, filename=roster["file"])
        assert result["outcome"]["value"] == "created"
        assert result["counts"]["joined"] == result["rows"] > 0
    lizhi = await svc.officers(LIZHI)
    assert {o["department"] for o in lizhi} == {"dept:water", "dept:urban-management"}
    assert all(o["certificate_number"].startswith("SAMPLE-") for o in lizhi)
