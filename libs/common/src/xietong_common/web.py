"""The app factory every service uses: lifespan, health, metrics, logs, errors."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import xietong_common.contracts  # noqa: F401  (registers every event type)
from xietong_common import deadlines
from xietong_common.auth import TokenVerifier
from xietong_common.calendar import WorkingDayCalendar
from xietong_common.clock import Clock, SystemClock
from xietong_common.contracts.base import IntegrationEvent
from xietong_common.db import Database, inbox, outbox
from xietong_common.errors import install_problem_handlers, problem_response, problem_type
from xietong_common.events.envelope import trace_context
from xietong_common.events.inbox import Handler, InboxConsumer
from xietong_common.events.kafka import ensure_topics, kafka_ping
from xietong_common.events.outbox import OutboxRelay
from xietong_common.events.registry import registry
from xietong_common.jobs import Job, run_periodically
from xietong_common.logs import configure_logging
from xietong_common.metrics import HTTP_LATENCY, HTTP_REQUESTS
from xietong_common.migrations import upgrade_to_head_async
from xietong_common.reference import (
    MatterCatalogue,
    OrganisationDirectory,
    load_catalogue,
    load_directory,
)
from xietong_common.settings import ServiceSettings
from xietong_common.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_s: float
    job: Callable[[ServiceContext], Job]


def deadline_sweep_job(mechanism: str, *, every_s: float = 60.0) -> PeriodicJob:
    """SUP-02 for any mechanism: pick up newly loaded holiday schedules, give provisional
    deadlines their final date, then flag deadlines that passed with nothing done."""

    def make(ctx: ServiceContext) -> Job:
        async def run(uow: UnitOfWork) -> None:
            ctx.calendar.reload_if_changed()
            await deadlines.recompute_provisional(uow, calendar=ctx.calendar, mechanism=mechanism)
            await deadlines.sweep(uow, now=uow.now, mechanism=mechanism)

        return run

    return PeriodicJob(name="deadline-sweep", every_s=every_s, job=make)


def housekeeping_job(*, every_s: float = 3600.0) -> PeriodicJob:
    """Delete published outbox rows and old inbox ids past their retention."""

    def make(ctx: ServiceContext) -> Job:
        async def run(uow: UnitOfWork) -> None:
            settings = ctx.settings
            await uow.session.execute(
                sa.delete(outbox).where(
                    outbox.c.published_at < uow.now - timedelta(days=settings.outbox_retention_days)
                )
            )
            await uow.session.execute(
                sa.delete(inbox).where(
                    inbox.c.handled_at < uow.now - timedelta(days=settings.inbox_retention_days)
                )
            )

        return run

    return PeriodicJob(name="housekeeping", every_s=every_s, job=make)


@dataclass
class ServiceContext:
    """What a running service holds: settings, database, clock, tokens, reference data."""

    settings: ServiceSettings
    db: Database
    clock: Clock
    tokens: TokenVerifier
    calendar: WorkingDayCalendar
    directory: OrganisationDirectory
    catalogue: MatterCatalogue
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceSpec:
    """Everything that differs between services; `create_app` does the rest."""

    name: str
    title: str
    description: str
    routers: Sequence[APIRouter]
    migrations_dir: Path
    handlers: Mapping[type[IntegrationEvent], Handler] = field(default_factory=dict)
    jobs: Sequence[PeriodicJob] = ()
    version: str = "0.1.0"
    openapi_tags: Sequence[dict[str, Any]] = ()
    settings_class: type[ServiceSettings] = ServiceSettings


# The running service's context, for event handlers (which get only the unit of work and
# the event): set by the lifespan before the consumer and jobs start, inherited by their tasks.
current_context: ContextVar[ServiceContext | None] = ContextVar(
    "xietong_service_context", default=None
)


def service_context() -> ServiceContext:
    """The context of the running service (inside its consumer, jobs and lifespan)."""
    ctx = current_context.get()
    if ctx is None:
        raise RuntimeError("no service is running in this context")
    return ctx


S = TypeVar("S", bound=ServiceSettings)


def settings_of(ctx: ServiceContext, cls: type[S]) -> S:
    """The running service's own settings class (its `ServiceSpec.settings_class`)."""
    if not isinstance(ctx.settings, cls):
        raise TypeError(f"the service runs with {type(ctx.settings).__name__}, not {cls.__name__}")
    return ctx.settings


def build_context(settings: ServiceSettings, *, clock: Clock | None = None) -> ServiceContext:
    clock = clock or SystemClock()
    directory = load_directory(settings.data_dir / "organisations.yaml")
    return ServiceContext(
        settings=settings,
        db=Database(
            settings.database_url,
            clock=clock,
            service_name=settings.service_name,
            pool_size=settings.database_pool_size,
        ),
        clock=clock,
        tokens=TokenVerifier(settings),
        calendar=WorkingDayCalendar.load(settings.data_dir / "calendar"),
        directory=directory,
        catalogue=load_catalogue(settings.data_dir / "matters.yaml", directory),
    )


def produced_and_consumed_topics(spec: ServiceSpec) -> list[str]:
    topics = {s.topic for s in registry.all() if spec.name in s.producers}
    topics |= {registry.spec_for(model).topic for model in spec.handlers}
    return sorted(topics)


class RequestContextMiddleware:
    """Request id and W3C traceparent in, logs and metrics out (plain ASGI, no extra task)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request_id = headers.get("x-request-id") or secrets.token_hex(8)
        traceparent = (
            headers.get("traceparent") or f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
        )
        token = trace_context.set({"requestid": request_id, "traceparent": traceparent})
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(self.service, method, path, str(status)).inc()
            HTTP_LATENCY.labels(self.service, method, path).observe(elapsed)
            if path not in ("/healthz", "/metrics"):
                log.info(
                    "%s %s %d",
                    method,
                    scope.get("path", ""),
                    status,
                    extra={"status": status, "duration_ms": round(elapsed * 1000, 1)},
                )
            trace_context.reset(token)


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
        ctx = build_context(settings, clock=clock)
        app.state.ctx = ctx
        current_context.set(ctx)
        tasks = [asyncio.create_task(_start_messaging(ctx, spec), name=f"{spec.name}-messaging")]
        if settings.run_jobs:
            tasks += [
                asyncio.create_task(
                    run_periodically(ctx.db, job.name, job.job(ctx), every_s=job.every_s),
                    name=f"{spec.name}-{job.name}",
                )
                for job in [*spec.jobs, housekeeping_job()]
            ]
        app.state.tasks = tasks
        log.info("service started", extra={"topics": produced_and_consumed_topics(spec)})
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            _, stuck = await asyncio.wait(tasks, timeout=15)
            for task in stuck:
                log.error("background task %s did not stop within 15 s", task.get_name())
            await ctx.db.dispose()

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version=spec.version,
        lifespan=lifespan,
        openapi_tags=list(spec.openapi_tags) or None,
    )
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware, service=spec.name)
    app.include_router(_ops_router(spec, settings))
    for router in spec.routers:
        app.include_router(router)
    return app


async def _start_messaging(ctx: ServiceContext, spec: ServiceSpec) -> None:
    """Topics first (retrying while Kafka is away), then the relay and the consumer."""
    settings = ctx.settings
    topics = produced_and_consumed_topics(spec)
    delay = 1.0
    while topics:
        try:
            await ensure_topics(
                settings.kafka_bootstrap_servers,
                topics,
                partitions=settings.kafka_topic_partitions,
                replication_factor=settings.kafka_replication_factor,
            )
            break
        except Exception as exc:
            log.warning("Kafka not reachable yet (%s); writes still succeed, events wait", exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
    runners: list[Awaitable[None]] = []
    if settings.run_relay:
        runners.append(
            OutboxRelay(
                ctx.db,
                bootstrap=settings.kafka_bootstrap_servers,
                batch_size=settings.outbox_batch_size,
                poll_interval_s=settings.outbox_poll_interval_s,
            ).run()
        )
    if settings.run_consumer and spec.handlers:
        runners.append(
            InboxConsumer(
                ctx.db,
                bootstrap=settings.kafka_bootstrap_servers,
                handlers=spec.handlers,
                max_attempts=settings.inbox_max_attempts,
                backoff_initial_s=settings.inbox_backoff_initial_s,
                backoff_max_s=settings.inbox_backoff_max_s,
            ).run()
        )
    await asyncio.gather(*runners)


def _ops_router(spec: ServiceSpec, settings: ServiceSettings) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": spec.name}

    @router.get(
        "/readyz",
        summary="Readiness: the database and Kafka answer",
        responses={503: {"description": "a dependency is not reachable"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        ctx: ServiceContext = request.app.state.ctx
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(ctx.db.ping(), 3)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unavailable: {exc}"
        try:
            await asyncio.wait_for(kafka_ping(settings.kafka_bootstrap_servers), 5)
            checks["kafka"] = "ok"
        except Exception as exc:
            checks["kafka"] = f"unavailable: {exc}"
        if all(v == "ok" for v in checks.values()):
            return JSONResponse({"status": "ready", "service": spec.name, "checks": checks})
        return problem_response(
            {
                "type": problem_type("not-ready"),
                "title": "Not ready",
                "status": 503,
                "detail": "; ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok"),
                "checks": checks,
            }
        )

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def get_context(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


Context = Annotated[ServiceContext, Depends(get_context)]
