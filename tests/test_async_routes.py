"""Every route of every service runs on the event loop: its endpoint and each dependency it
resolves are coroutines. FastAPI runs a plain `def` in a worker thread — a hand-off to the
thread pool and back on every request, which cost the referral service a twentieth of a GET's
CPU before it was ruled out (issue 22)."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from xietong_common.services import SERVICES


def _blocking(dependant: Dependant, found: list[str]) -> list[str]:
    for sub in dependant.dependencies:
        call: Any = sub.call
        target = call if inspect.isroutine(call) else getattr(call, "__call__", call)  # noqa: B004
        if not (inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)):
            found.append(getattr(call, "__qualname__", repr(call)))
        _blocking(sub, found)
    return found


@pytest.mark.parametrize("package", sorted(SERVICES.values()))
def test_no_route_hands_work_to_the_thread_pool(package: str) -> None:
    app = importlib.import_module(f"{package}.main").app
    blocking = {}
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        found = _blocking(route.dependant, [])
        if not inspect.iscoroutinefunction(route.endpoint):
            found.append(f"endpoint {route.endpoint.__qualname__}")
        if found:
            blocking[f"{sorted(route.methods)} {route.path}"] = found
    assert not blocking, f"plain `def` endpoints or dependencies (use `async def`): {blocking}"
