"""RFC 9457 problem+json: every 4xx/5xx a service answers, and how the OpenAPI declares it."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from xietong_common.errors import AppError, InvalidInput, Unauthorized, problem_type

PROBLEM_JSON = "application/problem+json"

log = logging.getLogger(__name__)


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        body, status_code=int(body["status"]), media_type=PROBLEM_JSON, headers=headers
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Every 4xx/5xx leaves the service as problem+json."""

    async def on_app_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        return problem_response(exc.to_problem(str(request.url.path)), headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg")), "type": str(e.get("type"))}
            for e in exc.errors()
        ]
        return problem_response(
            {
                "type": InvalidInput.type_uri(),
                "title": InvalidInput.title,
                "status": 422,
                "detail": "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors),
                "instance": str(request.url.path),
                "errors": errors,
            }
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        slug = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized"}.get(
            exc.status_code, f"http-{exc.status_code}"
        )
        return problem_response(
            {
                "type": problem_type(slug),
                "title": HTTPStatus(exc.status_code).phrase,
                "status": exc.status_code,
                "detail": str(exc.detail),
                "instance": str(request.url.path),
            },
            dict(exc.headers) if exc.headers else None,
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(
            {
                "type": problem_type("internal-error"),
                "title": "Internal error",
                "status": 500,
                "detail": "The service failed to handle this request; nothing was changed.",
                "instance": str(request.url.path),
            }
        )

    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of every service is returned."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:xietong:problem:invalid-transition",
                    "title": "This action is not allowed in the current state",
                    "status": 409,
                    "detail": "a referral in state received cannot be sent",
                    "instance": "/referrals/7d0c…/send",
                }
            ]
        },
    )

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for routes: the listed statuses are problem+json."""
    chosen = statuses or (401, 403, 404, 409, 422)
    return {
        status: {"model": Problem, "description": HTTPStatus(status).phrase} for status in chosen
    }
