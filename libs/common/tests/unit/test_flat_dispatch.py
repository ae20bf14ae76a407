"""The app's flat dispatch (issue 22): a request is handled by the route FastAPI would have
chosen through its included routers, and what no route matches fully (404, 405) is
FastAPI's own answer, as before."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from xietong_common.web import ServiceSpec
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.app import FlatDispatch
from xietong_devtools.testing import app_before_io


def nested_spec() -> ServiceSpec:
    """Two levels of included routers; a fixed path before a parameter that also matches it,
    and a path with two methods in two routers."""
    first = APIRouter(prefix="/things", tags=["test"])
    second = APIRouter(prefix="/things", tags=["test"])

    @first.get("/special", dependencies=[Allowed(roles=ANY)])
    async def special() -> dict[str, str]:
        return {"route": "special"}

    @first.get("/{name}", dependencies=[Allowed(roles=ANY)])
    async def one(name: str) -> dict[str, str]:
        return {"route": "one", "name": name}

    @second.delete("/{name}", dependencies=[Allowed(roles=ANY)])
    async def remove(name: str) -> dict[str, str]:
        return {"route": "remove", "name": name}

    outer = APIRouter()
    outer.include_router(first)
    outer.include_router(second)
    return ServiceSpec(
        name="dispatch-test",
        title="dispatch test service",
        description="test only",
        routers=[outer],
        migrations_dir=Path(__file__).parent,
    )


async def test_the_route_fastapi_would_choose_answers_through_the_flat_list() -> None:
    async with app_before_io(nested_spec()) as svc:
        headers = svc.auth("town:lizhi", "handler")
        app = svc.client._transport.app  # type: ignore[attr-defined]
        dispatch = app.router.middleware_stack
        assert isinstance(dispatch, FlatDispatch)
        r = await svc.client.get("/things/special", headers=headers)
        assert r.json() == {"route": "special"}  # the earlier route wins, as in FastAPI
        r = await svc.client.get("/things/other", headers=headers)
        assert r.json() == {"route": "one", "name": "other"}
        r = await svc.client.delete("/things/other", headers=headers)
        assert r.json() == {"route": "remove", "name": "other"}
        assert dispatch.routes() is not None  # our routers are flattened, not passed over
        # Not matched fully: FastAPI's own answers.
        r = await svc.client.put("/things/other", headers=headers)
        assert r.status_code == 405
        assert r.headers["content-type"].startswith("application/problem+json")
        r = await svc.client.get("/nothing/here", headers=headers)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")
        # No token: the route's declaration answers first, as before.
        r = await svc.client.get("/things/other")
        assert r.status_code == 401


async def test_a_router_included_with_arguments_keeps_fastapis_dispatch() -> None:
    spec = nested_spec()
    outer = APIRouter()
    outer.include_router(spec.routers[0], prefix="/v1")
    spec = ServiceSpec(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        routers=[outer],
        migrations_dir=spec.migrations_dir,
    )
    async with app_before_io(spec) as svc:
        app = svc.client._transport.app  # type: ignore[attr-defined]
        assert app.router.middleware_stack.routes() is None
        r = await svc.client.get("/v1/things/special", headers=svc.auth("town:lizhi", "handler"))
        assert r.json() == {"route": "special"}
