"""The operations routes every service has: liveness, readiness, Prometheus metrics (unless
they are served on a port of their own, `metrics_port`).

Readiness says which dependency is away, never why: the exception's text (hosts, ports,
driver messages) goes to the service's log, not to whoever asks."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from xietong_common.context import ServiceContext
from xietong_common.errors import problem_type
from xietong_common.events.kafka import kafka_ping
from xietong_common.jobs import watch_calendar
from xietong_common.web.problems import problem_response

log = logging.getLogger(__name__)


def calendar_warnings(ctx: ServiceContext) -> list[dict[str, Any]]:
    """The calendar watch's warning, if next year's holiday schedule is due and missing."""
    year = watch_calendar(ctx)
    if year is None:
        return []
    return [
        {
            "code": "holiday-schedule-missing",
            "year": year,
            "detail": f"the {year} holiday schedule is not installed: every deadline reaching "
            f"into {year} is provisional and counted in no breach until it is "
            f"(`xietong calendar load`, data/calendar/README.md)",
            "detail_zh": f"{year}年节假日安排尚未导入：涉及{year}年的期限均为临时期限，"
            "导入前不计逾期（xietong calendar load）",
        }
    ]


def ops_router(service: str, *, serve_metrics: bool = True) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @router.get(
        "/readyz",
        summary="Readiness: the database and Kafka answer",
        description="200 when the database and Kafka answer, with `warnings` that do not make "
        "the service unready: `holiday-schedule-missing` from XIETONG_CALENDAR_WATCH_FROM "
        "(default 1 December) while next year's holiday schedule is not installed (every "
        "deadline reaching into it is provisional and counted in no breach until it is; "
        "`xietong calendar load`).",
        responses={503: {"description": "a dependency is not reachable"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        ctx: ServiceContext = request.app.state.ctx
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(ctx.db.ping(), 3)
            checks["database"] = "ok"
        except Exception as exc:
            log.warning("not ready: the database does not answer: %r", exc)
            checks["database"] = "unavailable"
        try:
            await asyncio.wait_for(kafka_ping(ctx.settings.kafka_bootstrap_servers, ctx.kafka), 5)
            checks["kafka"] = "ok"
        except Exception as exc:
            log.warning("not ready: Kafka does not answer: %r", exc)
            checks["kafka"] = "unavailable"
        warnings = calendar_warnings(ctx)
        if all(v == "ok" for v in checks.values()):
            return JSONResponse(
                {"status": "ready", "service": service, "checks": checks, "warnings": warnings}
            )
        return problem_response(
            {
                "type": problem_type("not-ready"),
                "title": "Not ready",
                "status": 503,
                "detail": "; ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok"),
                "checks": checks,
                "warnings": warnings,
            }
        )

    if serve_metrics:

        @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
        async def metrics() -> Response:
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
