"""The flat dispatch's lean handlers (issue 22): a route's declaration solved as one node
with its bearer scheme, its context and caller handed to its function, and the answers the
same as FastAPI's own handler gives — including which error comes first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from xietong_common.web import ServiceSpec
from xietong_common.web.access import ANY, Access, Allowed
from xietong_common.web.app import FlatDispatch, api_routes
from xietong_common.web.deps import Context, CurrentPrincipal
from xietong_common.web.solving import lean_app, lean_dependant
from xietong_devtools.testing import app_before_io

TOWN = "town:lizhi"


class Thing(BaseModel):
    name: str = Field(min_length=1)


def lean_spec() -> ServiceSpec:
    router = APIRouter(prefix="/lean", tags=["test"])

    @router.get("/caller", dependencies=[Allowed(roles=["handler"])])
    async def caller(
        ctx: Context, principal: CurrentPrincipal, size: Annotated[int, Query(ge=1)] = 1
    ) -> dict[str, Any]:
        return {
            "org": principal.org,
            "roles": sorted(principal.roles),
            "service": ctx.settings.service_name,
            "size": size,
        }

    @router.get("/request", dependencies=[Allowed(roles=ANY)])
    async def with_request(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
        return {"path": request.url.path, "org": principal.org}

    @router.post("/things", dependencies=[Allowed(roles=["handler"])])
    async def make(thing: Thing, principal: CurrentPrincipal) -> dict[str, Any]:
        return {"name": thing.name, "org": principal.org}

    @router.get("/plain", dependencies=[Allowed(roles=ANY)])
    def plain(principal: CurrentPrincipal) -> dict[str, Any]:  # not a coroutine: as it was
        return {"org": principal.org}

    return ServiceSpec(
        name="lean-test",
        title="lean test service",
        description="test only",
        routers=[router],
        migrations_dir=Path(__file__).parent,
    )


def _route(spec: ServiceSpec, path: str) -> APIRoute:
    return next(r for router in spec.routers for r in api_routes(router) if r.path == path)


async def test_the_lean_handler_answers_as_fastapis_own() -> None:
    spec = lean_spec()
    async with app_before_io(spec) as svc:
        app = svc.client._transport.app  # type: ignore[attr-defined]
        dispatch = app.router.middleware_stack
        assert isinstance(dispatch, FlatDispatch)
        handler = svc.auth(TOWN, "handler")
        r = await svc.client.get("/lean/caller?size=3", headers=handler)
        assert r.status_code == 200
        assert r.json() == {"org": TOWN, "roles": ["handler"], "service": "lean-test", "size": 3}
        routes = {route.path: answer for _, _, route, answer in dispatch._routes or []}
        assert routes["/lean/caller"] is not _route(spec, "/lean/caller").app  # the lean one
        # The declaration is still solved before any other parameter: a request without a
        # token is a 401 whatever else is wrong with it, a wrong role a 403, and only an
        # admitted caller hears of its parameters.
        r = await svc.client.get("/lean/caller?size=0")
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
        r = await svc.client.get("/lean/caller?size=0", headers={"Authorization": "Basic x"})
        assert r.status_code == 401
        r = await svc.client.get("/lean/caller?size=0", headers=svc.auth(TOWN, "clerk"))
        assert r.status_code == 403
        r = await svc.client.get("/lean/caller?size=0", headers=handler)
        assert r.status_code == 422
        r = await svc.client.get("/lean/request", headers=handler)
        assert r.json() == {"path": "/lean/request", "org": TOWN}
        r = await svc.client.get("/lean/plain", headers=handler)
        assert r.json() == {"org": TOWN}
        # Every answer the same as FastAPI's own handler's (an app with dependency overrides
        # is dispatched by FastAPI), errors and their order included.
        asked: list[tuple[str, str, dict[str, str], Any]] = [
            ("GET", "/lean/caller?size=3", handler, None),
            ("GET", "/lean/caller?size=0", {}, None),
            ("GET", "/lean/caller?size=x", svc.auth(TOWN, "clerk"), None),
            ("GET", "/lean/caller?size=0", handler, None),
            ("GET", "/lean/request", {}, None),
            ("POST", "/lean/things", handler, {"name": "a"}),
            ("POST", "/lean/things", {}, {"name": "a"}),
            ("POST", "/lean/things", {}, {"name": ""}),
            ("POST", "/lean/things", {**handler, "content-type": "application/json"}, b"{"),
            ("POST", "/lean/things", {"content-type": "application/json"}, b"{"),
        ]

        async def answers() -> list[tuple[int, Any]]:
            found = []
            for method, url, headers, body in asked:
                content = body if isinstance(body, bytes) else None
                json = None if isinstance(body, bytes) else body
                r = await svc.client.request(
                    method, url, headers=headers, content=content, json=json
                )
                found.append((r.status_code, r.json()))
            return found

        lean = await answers()
        app.dependency_overrides[object] = object
        try:
            assert await answers() == lean
        finally:
            app.dependency_overrides.clear()
        assert [status for status, _ in lean] == [200, 401, 403, 422, 401, 200, 401, 401, 422, 422]


async def test_the_openapi_still_documents_the_bearer_scheme() -> None:
    async with app_before_io(lean_spec()) as svc:
        await svc.client.get("/lean/caller", headers=svc.auth(TOWN, "handler"))
        document = (await svc.client.get("/openapi.json")).json()
        operation = document["paths"]["/lean/caller"]["get"]
        assert operation["security"] == [{"HTTPBearer": []}]
        assert [p["name"] for p in operation["parameters"]] == ["size"]


def test_the_lean_tree_has_the_declaration_as_one_node_and_no_context_or_caller() -> None:
    spec = lean_spec()
    route = _route(spec, "/lean/caller")
    lean = lean_dependant(route)
    assert lean is not None
    assert len(lean.dependencies) == 1
    (declaration,) = lean.dependencies
    assert declaration.dependencies == []
    assert declaration.request_param_name == "request"
    # The route itself (its OpenAPI, FastAPI's own handler) keeps its tree.
    assert [d.name for d in route.dependant.dependencies] == [None, "ctx", "principal"]
    assert isinstance(route.dependant.dependencies[0].call, Access)
    assert lean_dependant(_route(spec, "/lean/plain")) is None  # not a coroutine function
    assert lean_app(_route(spec, "/lean/plain")) is _route(spec, "/lean/plain").app


def test_a_caller_without_a_declaration_before_it_keeps_its_node() -> None:
    """Where nothing authenticated the caller before it, its node authenticates (a 401 before
    the parameters after it are looked at): it stays in the tree."""
    router = APIRouter()

    @router.get("/undeclared")
    async def undeclared(principal: CurrentPrincipal, ctx: Context) -> None:
        return None

    (route,) = api_routes(router)
    lean = lean_dependant(route)
    assert lean is not None
    assert [d.name for d in lean.dependencies] == ["principal"]  # the context is handed


def test_a_function_taking_the_handlers_own_name_keeps_its_handler() -> None:
    router = APIRouter()

    async def odd(ctx: Context, xietong_request: int = 0) -> None:
        return None

    router.add_api_route("/odd", odd, dependencies=[Allowed(roles=ANY)])
    (route,) = api_routes(router)
    assert lean_dependant(route) is None
