"""INSP-01: the scenario catalogue of the running service, read from the operator's data file
(`<data dir>/scenarios.yaml`, beside the matter catalogue) at first use and kept."""

from __future__ import annotations

import functools
from pathlib import Path

from joint_inspection.domain.scenarios import Scenario, parse_scenarios
from joint_inspection.settings import inspection_settings
from xietong_common.context import ServiceContext
from xietong_common.reference import MatterCatalogue, OrganisationDirectory
from xietong_common.yamlfiles import safe_yaml


@functools.lru_cache(maxsize=8)
def _load(
    path: Path, directory: OrganisationDirectory, catalogue: MatterCatalogue
) -> dict[str, Scenario]:
    if not path.exists():
        return {}
    raw = safe_yaml(path.read_text(encoding="utf-8"))
    return parse_scenarios(raw, path=path, directory=directory, catalogue=catalogue)


def scenarios(ctx: ServiceContext) -> dict[str, Scenario]:
    """The catalogue of the running service (none if the operator ships no file)."""
    path = inspection_settings(ctx).data_dir / "scenarios.yaml"
    return _load(path, ctx.directory, ctx.catalogue)
