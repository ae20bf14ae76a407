"""A route's dependencies as the flat dispatch solves them: fewer nodes, the same answers
(issue 22).

FastAPI solves every node of a route's dependency tree on each request: its parameters
looked up in the path, the query, the headers and the cookies (four passes even for a node
that takes only the request), its cache key worked out (with the security scopes, for a node
above a security scheme), its kind of callable looked up. Every route names three such nodes
that take only the request — its declaration (`Allowed`, which takes the bearer scheme, a
fourth), the service's context (`Context`) and the caller (`CurrentPrincipal`) — which cost a
GET by id as much as its own parameters. `lean_app` gives the flat dispatch a handler of the
route whose tree has two of them fewer and one flatter:

- the declaration and its bearer scheme are one node (the scheme's credentials passed to
  `Access` as FastAPI passes them), still solved first, so a missing token is still a 401
  before any other parameter is looked at;
- the context and the caller are handed to the route's function by the handler itself, after
  the other nodes: reading them can neither fail nor change anything once the declaration
  authenticated the caller (the caller only where a declaration comes before it; the route
  otherwise keeps its node, which authenticates).

The route itself is left as FastAPI made it: its OpenAPI (the bearer scheme documented as the
operation's security), its own handler (FastAPI's dispatch: dependency overrides, routers
included with arguments) and what tests read of it. A route the rewrite does not fit (a
function that is not a coroutine function, a body size limit of its own, none of these
nodes) keeps its own handler.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import fastapi.routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, request_response
from fastapi.security.base import SecurityBase
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from xietong_common.web.access import Access
from xietong_common.web.deps import current_principal, get_context

_REQUEST = "xietong_request"
"""The name under which the lean handler's function receives the request, where the route's
own function does not take it (no route's parameter is called so)."""


def _request_name(node: Dependant) -> str | None:
    """The name of the node's only parameter, the request (as a `Request` or as the
    `HTTPConnection` a security scheme takes); None if it takes anything else."""
    if node.request_param_name is not None and node.http_connection_param_name is not None:
        return None
    name = node.request_param_name or node.http_connection_param_name
    return name if _takes_nothing_else(node) else None


def _takes_nothing_else(node: Dependant) -> bool:
    return (
        not node.dependencies
        and not node.path_params
        and not node.query_params
        and not node.header_params
        and not node.cookie_params
        and not node.body_params
        and node.websocket_param_name is None
        and node.response_param_name is None
        and node.background_tasks_param_name is None
        and node.security_scopes_param_name is None
    )


def _declaration(node: Dependant) -> Dependant | None:
    """The route's `Allowed` as one node (its bearer scheme solved inside it), if `node` is
    an `Access` taking the request and one security scheme that takes only the request."""
    access = node.call
    if not isinstance(access, Access) or len(node.dependencies) != 1:
        return None
    scheme_node = node.dependencies[0]
    scheme = scheme_node.call
    scheme_request = _request_name(scheme_node)
    credentials = scheme_node.name
    if (
        not isinstance(scheme, SecurityBase)
        or scheme_request is None
        or credentials is None
        or scheme_node.own_oauth_scopes
    ):
        return None
    leaf = dataclasses.replace(node, dependencies=[])
    access_request = _request_name(leaf)
    if access_request is None:
        return None

    allowed = _Allowed(access, access_request, scheme, scheme_request, credentials)
    return dataclasses.replace(
        leaf, call=allowed, request_param_name="request", http_connection_param_name=None
    )


class _Allowed:
    """A route's declaration with its security scheme: the scheme's credentials of the
    request passed to `Access` as FastAPI passes them."""

    def __init__(
        self,
        access: Access,
        access_request: str,
        scheme: SecurityBase,
        scheme_request: str,
        credentials: str,
    ) -> None:
        self.access = access
        self.access_request = access_request
        self.scheme: Any = scheme
        self.scheme_request = scheme_request
        self.credentials = credentials

    async def __call__(self, request: Request) -> Any:
        found = await self.scheme(**{self.scheme_request: request})
        return await self.access(**{self.access_request: request, self.credentials: found})


def lean_app(route: APIRoute) -> ASGIApp:
    """The route's handler with its declaration, context and caller solved as the module
    says; the route's own (`route.app`) where that does not fit."""
    dependant = route.dependant
    lean = lean_dependant(route)
    if lean is None:
        return route.app
    # Errors name the route's function (its file and line), not the wrapper.
    contexts = getattr(fastapi.routing, "_endpoint_context_cache", None)
    extract = getattr(fastapi.routing, "_extract_endpoint_context", None)
    if isinstance(contexts, dict) and extract is not None:
        contexts[id(lean.call)] = extract(route.endpoint)
    # A route without a body solves nothing before its dependencies: its declaration, when
    # its first, may as well answer before FastAPI's handler starts (one node fewer to solve).
    first = lean.dependencies[0].call if lean.dependencies else None
    declared = first if isinstance(first, _Allowed) and route.body_field is None else None
    if declared is not None:
        lean.dependencies = lean.dependencies[1:]
    # FastAPI's own handler, made of the lean tree (`get_route_handler` reads the route's).
    route.dependant = lean
    try:
        solved = route.get_route_handler()
    finally:
        route.dependant = dependant
    if declared is None:
        return request_response(solved)

    async def handler(request: Request) -> Response:
        await declared(request)
        return await solved(request)

    return request_response(handler)


def lean_dependant(route: APIRoute) -> Dependant | None:
    """The route's dependency tree as its lean handler solves it, its function a wrapper
    handing the route's own the context and the caller; None where the rewrite does not fit
    or changes nothing."""
    dependant = route.dependant
    endpoint = dependant.call
    if (
        endpoint is None
        or endpoint is not route.endpoint
        or not inspect.iscoroutinefunction(endpoint)
        or getattr(route, "max_body_size", None) is not None
        or _REQUEST in inspect.signature(endpoint).parameters
    ):
        return None
    nodes: list[Dependant] = []
    handed: list[tuple[str, Callable[[Request], Awaitable[Any]]]] = []
    declared = False
    for node in dependant.dependencies:
        if not declared and (leaf := _declaration(node)) is not None:
            nodes.append(leaf)
            declared = True
        elif (
            node.name is not None
            and _request_name(node) is not None
            and (node.call is get_context or (node.call is current_principal and declared))
        ):
            handed.append((node.name, node.call))
        else:
            nodes.append(node)
    if not declared and not handed:
        return None
    request_name = dependant.request_param_name or _REQUEST
    keeps_request = dependant.request_param_name is not None

    async def call(**values: Any) -> Any:
        request = values[request_name] if keeps_request else values.pop(request_name)
        for name, solve in handed:
            values[name] = await solve(request)
        return await endpoint(**values)

    return dataclasses.replace(
        dependant, dependencies=nodes, call=call, request_param_name=request_name
    )
