"""The app factory every service uses: a `ServiceSpec` in, a FastAPI app with its lifespan
(migrations, messaging, jobs), problem+json errors, ops routes, logs and metrics out."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import json
import logging
from collections.abc import AsyncIterator, Collection, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

import xietong_common.contracts  # noqa: F401  (registers every event type)
from xietong_common.attestation.checkpoints import audit_checkpoint_job
from xietong_common.attestation.verification import audit_verify_job
from xietong_common.clock import Clock
from xietong_common.context import build_context
from xietong_common.documents.render import Fonts, pool_for
from xietong_common.documents.settings import DocumentSettings
from xietong_common.files.worker import preload as worker_preload
from xietong_common.files.worker import warm as warm_file_workers
from xietong_common.import_jobs import stop_background
from xietong_common.jobs import PeriodicJob, housekeeping_job, run_periodically
from xietong_common.logs import configure_logging
from xietong_common.messaging import Handlers, run_messaging, service_topics
from xietong_common.migrations import upgrade_to_head_async
from xietong_common.settings import ServiceSettings
from xietong_common.telemetry import instrument_database, tracer_provider
from xietong_common.todo import RecordLink
from xietong_common.web.access import declare_access
from xietong_common.web.examples import complete_examples
from xietong_common.web.middleware import (
    BodyLimitMiddleware,
    HeadLimitMiddleware,
    RequestContextMiddleware,
)
from xietong_common.web.ops import ops_router
from xietong_common.web.problems import document_problems, install_problem_handlers
from xietong_common.web.solving import lean_app
from xietong_common.web.todo import TODO_TAG, todo_router

log = logging.getLogger(__name__)


_started: list[bool] = []


def _freeze_what_started() -> None:
    """The first service started in this process: what it and the imports built (modules,
    mappers, schemas, its context) lives as long as the process, so it is moved out of the
    cyclic collector's way (`gc.freeze`): each full collection then scans only what was made
    since, not the whole heap again (in the oversight consumer, full collections cost 39 µs
    of the ~300 µs of CPU a fact took, 16 µs with the start frozen). Freed by reference
    counting as before; only cycles among these objects are never collected. Once per
    process, so that a test run starting many apps never freezes an earlier app's garbage."""
    if not _started:
        _started.append(True)
        gc.freeze()


@dataclass(frozen=True)
class ServiceSpec:
    """Everything that differs between services (`main.py`); `create_app` does the rest."""

    name: str
    title: str
    description: str
    routers: Sequence[APIRouter]
    migrations_dir: Path
    handlers: Handlers = field(default_factory=dict)
    jobs: Sequence[PeriodicJob] = ()
    version: str = "0.1.0"
    openapi_tags: Sequence[dict[str, Any]] = ()
    settings_class: type[ServiceSettings] = ServiceSettings
    # The records its deadlines are about: how `GET /todo` links and titles them.
    records: Sequence[RecordLink] = ()
    # Modules its file workers use (row models, screens): imported once by the fork server.
    worker_modules: Sequence[str] = ()

    @property
    def topics(self) -> list[str]:
        return service_topics(self.name, self.handlers)


def periodic_jobs(spec: ServiceSpec) -> list[PeriodicJob]:
    """The periodic jobs a replica of the service runs: its own and those every service runs
    (each under an advisory lock keyed by its name, so never on two replicas at once)."""
    return [*spec.jobs, housekeeping_job(), audit_checkpoint_job(), audit_verify_job()]


def _named(document: dict[str, Any], *, public: set[str]) -> dict[str, Any]:
    """What a gateway reads as it is: the ops routes say they need no token (`security: []`),
    and a body FastAPI names after its route (`Body_referrals_upload_material`) is named
    like the other schemas (`ReferralsUploadMaterialBody`)."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") in public:
                operation["security"] = []
    schemas = document.get("components", {}).get("schemas", {})
    renames = {
        name: "".join(part.capitalize() for part in name.removeprefix("Body_").split("_")) + "Body"
        for name in schemas
        if name.startswith("Body_")
    }
    if not renames:
        return document
    text = json.dumps(document, ensure_ascii=False)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    document = json.loads(text)
    schemas = document["components"]["schemas"]
    for old, new in renames.items():
        schemas[new] = {**schemas.pop(old), "title": new}
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    return document


def operation_id(route: APIRoute) -> str:
    """Readable operation ids for client generators: `referrals_send`, `reviews_decide`; a
    route named like its tag does not say it twice (`inbox_summary`, not
    `inbox_inbox_summary`; `inbox_list`, not `inbox_inbox`). They are an API: a test keeps
    them from changing by accident (tests/test_contracts.py)."""
    tag = (str(route.tags[0]) if route.tags else "service").replace("-", "_")
    if route.name == tag:
        verb = "list" if "GET" in (route.methods or ()) and "{" not in route.path else "call"
        return f"{tag}_{verb}"
    if route.name.startswith(f"{tag}_"):
        return route.name
    return f"{tag}_{route.name}"


def api_routes(router: APIRouter) -> Iterator[APIRoute]:
    """The API routes of a router, routers included in it too (before it is included in
    the app, so that changes made to them show in the app's routes and its OpenAPI)."""
    for route in router.routes:
        included = getattr(route, "original_router", None)
        if isinstance(included, APIRouter):
            yield from api_routes(included)
        elif isinstance(route, APIRoute):
            yield route


class FlatDispatch:
    """The app's router, dispatching a request over its routes in one list: every route of
    every included router, in the order FastAPI tries them (issue 22).

    FastAPI (≥ 0.165) keeps an included router as a branch and matches a request through
    each branch's effective routes, twice (to choose, then to handle), moving its own keys
    in and out of the scope for every route it tries: with the app's routes behind two
    levels of routers, a third of a GET's C calls and a tenth of its CPU went to finding the
    route. Our routers are included as they are (no prefix, tags, dependencies, responses or
    limits at inclusion: each route carries its own), so the route FastAPI would choose
    answers the same from its own handler. A request no route matches fully (a 404, a 405,
    a redirect to the path with or without its slash), any other scope (lifespan), an app
    with dependency overrides and routers included with arguments go through FastAPI's own
    dispatch, as before. The routes are listed at the first request: a service's routes are
    all included by then (`create_app`). A route is tried only if the request's path starts
    with the route's literal beginning (`/referrals/` of `/referrals/{referral_id:uuid}`, which
    its pattern requires) and its method is one the route takes: the others could not match
    fully, and a GET by id tried some fifteen patterns before its own."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.router = app.router
        self.fallback = app.router.middleware_stack
        self._routes: list[tuple[str, Collection[str] | None, BaseRoute, ASGIApp]] | None = None

    def routes(self) -> list[BaseRoute] | None:
        """Every route in FastAPI's order; None where a router is included with arguments
        (its routes answer differently through the inclusion)."""
        if self.router.form_limits:
            return None
        flat: list[BaseRoute] = []
        pending = list(reversed(self.router.routes))
        while pending:
            route = pending.pop()
            included = getattr(route, "original_router", None)
            if isinstance(included, APIRouter):
                if not _included_as_it_is(route, included):
                    return None
                pending.extend(reversed(included.routes))
            else:
                flat.append(route)
        return flat

    def _candidates(self) -> list[tuple[str, Collection[str] | None, BaseRoute, ASGIApp]]:
        """Each route with the literal beginning of its path, its methods (None: any) and
        what answers it once matched: an API route's lean handler (`solving.lean_app`; it
        is only tried for its own methods, so no 405 is left to its `handle`), any other
        route's `handle`."""
        listed: list[tuple[str, Collection[str] | None, BaseRoute, ASGIApp]] = []
        for route in self.routes() or []:
            if isinstance(route, APIRoute):
                listed.append((route.path.partition("{")[0], route.methods, route, lean_app(route)))
            elif isinstance(route, Route):
                listed.append((route.path.partition("{")[0], route.methods, route, route.handle))
            else:
                listed.append(("", None, route, route.handle))
        return listed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.app.dependency_overrides:
            routes = self._routes
            if routes is None:
                routes = self._routes = self._candidates()
            # Under a root path a route matches the path after it: every route is tried.
            path = None if scope.get("root_path") else scope["path"]
            method = scope["method"]
            for prefix, methods, route, answer in routes:
                if (path is not None and not path.startswith(prefix)) or (
                    methods is not None and method not in methods
                ):
                    continue
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self.router)
                    scope.update(child_scope)
                    await answer(scope, receive, send)
                    return
        await self.fallback(scope, receive, send)


def _included_as_it_is(branch: Any, router: APIRouter) -> bool:
    context = getattr(branch, "include_context", None)
    return (
        context is not None
        and not context.prefix
        and not context.tags
        and not context.dependencies
        and not context.responses
        and not context.callbacks
        and not context.deprecated
        and context.include_in_schema
        and context.max_body_size is None
        and not context.form_limits
        and not router.form_limits
    )


# FastAPI's own telemetry (FastAPI ≥ 0.165) would trace each request a second time, its
# dependencies and its serialisation too, whenever a tracer provider is set: the server span
# is ours (telemetry.start_server_span), metrics are Prometheus', logs are ours.
NO_NATIVE_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI).parameters
    else {}
)


def create_app(
    spec: ServiceSpec,
    *,
    settings: ServiceSettings | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    settings = settings or spec.settings_class(service_name=spec.name)
    if settings.service_name == "xietong":
        settings = settings.model_copy(update={"service_name": spec.name})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(spec.name, level=settings.log_level, json_output=settings.log_json)
        if settings.migrate_on_start:
            await upgrade_to_head_async(spec.migrations_dir, settings.database_url)
        ctx = build_context(settings, service=spec.name, clock=clock)
        app.state.ctx = ctx
        # Everything that can refuse to start (a missing audit key, a bad setting) runs before
        # the first background task exists: a service that fails to start leaves no relay or
        # consumer behind in the process.
        try:
            jobs = (
                [(job.name, job.job(ctx), job.interval(settings)) for job in periodic_jobs(spec)]
                if settings.run_jobs
                else []
            )
        except BaseException:
            await ctx.db.dispose()
            raise
        tasks = [
            asyncio.create_task(
                run_messaging(ctx, service=spec.name, handlers=spec.handlers),
                name=f"{spec.name}-messaging",
            ),
            *(
                asyncio.create_task(
                    run_periodically(ctx.db, name, job, every_s=every_s),
                    name=f"{spec.name}-{name}",
                )
                for name, job, every_s in jobs
            ),
        ]
        app.state.tasks = tasks
        # The file workers' fork server, started in the background: the first upload does
        # not wait for it to import the parsing libraries.
        warming = asyncio.create_task(asyncio.to_thread(warm_file_workers), name="warm-workers")
        # Likewise the document worker of a service that issues documents (its first
        # document would otherwise wait for WeasyPrint and the fonts to load).
        warming_documents = None
        if isinstance(settings, DocumentSettings) and settings.document_render_warm:
            warming_documents = asyncio.create_task(
                pool_for(settings).warm(Fonts.of(settings)), name="warm-documents"
            )
        _freeze_what_started()
        log.info("service started", extra={"topics": spec.topics})
        try:
            yield
        finally:
            await stop_background(ctx)  # import jobs: each marks itself failed
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(warming), timeout=30)
            if warming_documents is not None:
                warming_documents.cancel()
                await asyncio.wait([warming_documents], timeout=15)
            for task in tasks:
                task.cancel()
            _, stuck = await asyncio.wait(tasks, timeout=15)
            for task in stuck:
                log.error("background task %s did not stop within 15 s", task.get_name())
            await ctx.db.dispose()

    worker_preload(spec.worker_modules)
    app = FastAPIOffline(
        title=spec.title,
        description=spec.description,
        version=spec.version,
        lifespan=lifespan,
        openapi_tags=[*spec.openapi_tags, TODO_TAG] if spec.openapi_tags else None,
        generate_unique_id_function=operation_id,
        **NO_NATIVE_TELEMETRY,
    )
    install_problem_handlers(app)
    provider = tracer_provider(settings, spec.name) if settings.tracing else None
    if provider is not None:
        instrument_database(provider)
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_request_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(HeadLimitMiddleware, max_head_bytes=settings.http_max_head_bytes)
    app.add_middleware(RequestContextMiddleware, service=spec.name, tracing=provider is not None)
    # /metrics on the API's port only when it has no port of its own (`xietong serve`).
    ops = ops_router(spec.name, serve_metrics=settings.metrics_port is None)
    app.include_router(ops)
    for router in [*spec.routers, todo_router(spec.records)]:
        for route in api_routes(router):
            declare_access(route)
        app.include_router(router)
    app.router.middleware_stack = FlatDispatch(app)
    routes = {
        route.operation_id or operation_id(route): route
        for router in [ops, *spec.routers]
        for route in api_routes(router)
    }
    public = {operation_id(route) for route in api_routes(ops)}

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _named(
                complete_examples(document_problems(generate(), routes)), public=public
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
