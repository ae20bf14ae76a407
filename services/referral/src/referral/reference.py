"""Reads of the reference data (organisation directory, matter catalogue) the rules need."""

from __future__ import annotations

from referral.domain import MatterJurisdiction
from referral.errors import UnknownMatter, UnknownOrganisation
from xietong_common.context import ServiceContext


def matter_jurisdiction(ctx: ServiceContext, code: str) -> MatterJurisdiction:
    """REF-02: is the matter delegated to towns, and which department owns it."""
    matter = ctx.catalogue.get(code)
    if matter is None:
        raise UnknownMatter(f"no matter {code!r} in the catalogue", matter_code=code)
    return MatterJurisdiction(code=code, town_level=matter.town_level, owner=matter.owner)


def check_org(ctx: ServiceContext, org: str, *, towns_only: bool = False) -> None:
    """The organisation exists in the directory (and is a town where a place is meant)."""
    if ctx.directory.get(org) is None:
        raise UnknownOrganisation(f"no organisation {org!r} in the directory", organisation=org)
    if towns_only and not org.startswith("town:"):
        raise UnknownOrganisation(f"{org!r} is not a town", organisation=org)


def sample_codes(ctx: ServiceContext) -> dict[str, str]:
    """Two towns, a department-level matter with its department and a town-level matter,
    taken from the loaded reference data (for tests and the benchmark)."""
    towns = sorted(o.code for o in ctx.directory.towns())
    dept_matter = next(m for m in ctx.catalogue.all() if not m.town_level)
    town_matter = next(m for m in ctx.catalogue.all() if m.town_level)
    town_a = "town:lizhi" if "town:lizhi" in towns else towns[0]
    town_b = next(t for t in ("town:baitao", *towns) if t in towns and t != town_a)
    return {
        "town_a": town_a,
        "town_b": town_b,
        "dept": dept_matter.owner,
        "dept_matter": dept_matter.code,
        "town_matter": town_matter.code,
    }


def sample_route(ctx: ServiceContext) -> tuple[str, str, str, str]:
    """(sender, matter, place, receiver) of a town→department referral."""
    codes = sample_codes(ctx)
    return codes["town_a"], codes["dept_matter"], codes["town_a"], codes["dept"]
