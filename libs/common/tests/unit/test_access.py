"""`Allowed`: a route declares who may call it; the declaration is enforced before the route's
body (and before its input is validated or the database reached) and documented in its
operation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from pydantic import BaseModel

from xietong_common.reference import OrgKind
from xietong_common.web import CurrentPrincipal, ServiceSpec, create_app
from xietong_common.web.access import ANY, Access, Allowed, Grant, Role, access_of
from xietong_common.web.problems import problem_responses
from xietong_devtools.testing import NOWHERE, app_before_io, settings_for_tests

HANDLING = ("handler", "leader")
TOWNS = (OrgKind.TOWN,)


class CountIn(BaseModel):
    value: int


def access_spec(ran: list[str]) -> ServiceSpec:
    """Three operations: a town's handler or leader; by kind of organisation (a leader of a
    town or department, any handler or leader of the justice bureau); anyone."""
    router = APIRouter(tags=["test"])

    @router.post(
        "/towns/counter",
        responses=problem_responses(401, 403, 422),
        dependencies=[Allowed(roles=HANDLING, orgs=TOWNS, rule="TEST-01")],
    )
    async def bump(data: CountIn, principal: CurrentPrincipal) -> dict[str, int]:
        """Bump the town's counter."""
        ran.append(principal.org)
        return {"value": data.value}

    @router.post(
        "/merges",
        dependencies=[
            Allowed(
                Grant(("leader",), (OrgKind.TOWN, OrgKind.DEPARTMENT)),
                Grant(HANDLING, (OrgKind.JUSTICE_BUREAU,)),
            )
        ],
    )
    async def merge(principal: CurrentPrincipal) -> dict[str, str]:
        ran.append(principal.org)
        return {"by": principal.org}

    @router.get("/things", dependencies=[Allowed(roles=ANY)])
    async def things(principal: CurrentPrincipal) -> list[str]:
        """What the caller may see."""
        ran.append(principal.org)
        return []

    return ServiceSpec(
        name="access-test",
        title="access test service",
        description="test only",
        routers=[router],
        migrations_dir=Path(__file__).parent,
    )


async def call(ran: list[str], method: str, path: str, org: str, *roles: str, **kw: Any) -> Any:
    async with app_before_io(access_spec(ran)) as svc:
        return await svc.client.request(method, path, headers=svc.auth(org, *roles), **kw)


async def test_a_caller_without_a_declared_role_is_refused_before_the_route_runs() -> None:
    ran: list[str] = []
    # An invalid body too: the refusal comes first, not a 422 about the body.
    r = await call(ran, "POST", "/towns/counter", "town:lizhi", "clerk", json={"value": "x"})
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["type"] == "urn:xietong:problem:forbidden"
    assert problem["required_roles"] == ["handler", "leader"]
    assert "rule" not in problem  # the role refusal is Principal.require_role's own
    assert problem["detail"] == "此操作需要以下角色之一：handler、leader"  # Chinese by default
    assert ran == []


async def test_the_refusal_is_in_english_when_asked() -> None:
    ran: list[str] = []
    async with app_before_io(access_spec(ran)) as svc:
        headers = {**svc.auth("town:lizhi"), "Accept-Language": "en"}
        r = await svc.client.post("/towns/counter", headers=headers, json={"value": 1})
    assert r.status_code == 403
    assert r.json()["detail"] == "this action needs one of the roles ['handler', 'leader']"
    assert ran == []


async def test_an_organisation_of_another_kind_is_refused_whatever_its_roles() -> None:
    ran: list[str] = []
    r = await call(
        ran, "POST", "/towns/counter", "dept:water", *(r.value for r in Role), json={"value": 1}
    )
    assert r.status_code == 403
    assert r.json()["type"] == "urn:xietong:problem:forbidden"
    assert r.json()["allowed_org_kinds"] == ["town"]
    assert r.json()["rule"] == "TEST-01"  # the rule that limits the kinds, where one does
    assert r.json()["detail"].startswith("区级行政执法部门（dept:water）无权执行此操作")
    assert ran == []


async def test_an_allowed_caller_reaches_the_route() -> None:
    ran: list[str] = []
    r = await call(ran, "POST", "/towns/counter", "town:lizhi", "leader", json={"value": 3})
    assert r.status_code == 200, r.text
    assert r.json() == {"value": 3}
    assert ran == ["town:lizhi"]
    # The declaration refuses before the body is checked, not instead of checking it.
    r = await call(ran, "POST", "/towns/counter", "town:lizhi", "leader", json={"value": "x"})
    assert r.status_code == 422


async def test_no_token_is_still_a_401() -> None:
    ran: list[str] = []
    async with app_before_io(access_spec(ran)) as svc:
        r = await svc.client.post("/towns/counter", json={"value": 1})
    assert r.status_code == 401
    assert ran == []


@pytest.mark.parametrize(
    ("org", "roles", "status"),
    [
        ("town:lizhi", ("leader",), 200),
        ("dept:water", ("leader",), 200),
        ("town:lizhi", ("handler",), 403),  # a town's handler does not decide
        ("justice-bureau", ("handler",), 200),  # the bureau's handler does
        ("justice-bureau", ("clerk",), 403),
        ("district-gov", ("leader",), 403),  # no grant names its kind
    ],
)
async def test_roles_may_differ_by_kind_of_organisation(
    org: str, roles: tuple[str, ...], status: int
) -> None:
    ran: list[str] = []
    r = await call(ran, "POST", "/merges", org, *roles)
    assert r.status_code == status, r.text
    assert ran == ([org] if status == 200 else [])


async def test_any_role_of_any_organisation() -> None:
    ran: list[str] = []
    r = await call(ran, "GET", "/things", "justice-office:lizhi")
    assert r.status_code == 200
    assert ran == ["justice-office:lizhi"]


def test_the_operation_documents_its_callers() -> None:
    paths = create_app(access_spec([])).openapi()["paths"]
    bump = paths["/towns/counter"]["post"]
    assert bump["x-roles"] == ["handler", "leader"]
    assert bump["x-organisations"] == ["town"]
    assert "x-access" not in bump
    assert bump["description"].startswith("Bump the town's counter.\n\n")
    assert "**Roles 角色**: `handler` 经办人、`leader` 负责人" in bump["description"]
    assert "**Organisations 机构**: `town` 乡镇(街道) (TEST-01)" in bump["description"]
    assert {"401", "403"} <= set(bump["responses"])  # the problems stay declared

    merge = paths["/merges"]["post"]
    assert merge["x-roles"] == ["handler", "leader"]
    assert merge["x-organisations"] == ["town", "dept", "justice-bureau"]
    assert merge["x-access"] == [
        {"roles": ["leader"], "organisations": ["town", "dept"]},
        {"roles": ["handler", "leader"], "organisations": ["justice-bureau"]},
    ]

    things = paths["/things"]["get"]
    assert things["x-roles"] == ["*"]
    assert things["x-organisations"] == ["*"]
    assert "any role 任何角色" in things["description"]

    # Operations routes are not operations of the API.
    assert "x-roles" not in paths["/healthz"]["get"]


def test_documenting_twice_adds_the_line_once() -> None:
    spec = access_spec([])
    create_app(spec)
    description = create_app(spec).openapi()["paths"]["/things"]["get"]["description"]
    assert description.count("Roles 角色") == 1


def test_a_route_that_declares_nothing_is_refused_at_start() -> None:
    router = APIRouter()

    @router.get("/silent")
    async def silent() -> None:
        return None

    spec = ServiceSpec(
        name="silent", title="t", description="d", routers=[router], migrations_dir=Path()
    )
    settings = settings_for_tests(
        "silent", database_url=f"postgresql://x@{NOWHERE}/x", kafka_bootstrap=NOWHERE
    )
    with pytest.raises(ValueError, match=r"GET /silent \(silent\) does not declare its callers"):
        create_app(spec, settings=settings)


def test_a_declaration_names_known_roles_and_kinds_once() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        Allowed(roles=("handler", "boss"))
    with pytest.raises(TypeError):
        Allowed(roles="handler")  # a string is not a list of roles
    with pytest.raises(ValueError, match="lets nobody in"):
        Allowed(roles=())
    with pytest.raises(ValueError):
        Allowed(roles=HANDLING, orgs=("county",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one grant only"):
        Allowed(Grant(("leader",), TOWNS), Grant(HANDLING, TOWNS))
    with pytest.raises(ValueError, match="only grant"):
        Allowed(Grant(("leader",), TOWNS), Grant(HANDLING, ANY))
    with pytest.raises(TypeError):
        Allowed()


def test_the_declaration_is_found_on_its_route() -> None:
    router = access_spec([]).routers[0]
    found = {r.name: access_of(r) for r in router.routes}  # type: ignore[attr-defined]
    assert isinstance(found["bump"], Access)
    assert found["bump"].roles == ["handler", "leader"]
