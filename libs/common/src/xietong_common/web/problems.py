"""RFC 9457 problem+json: every 4xx/5xx a service answers, and how the OpenAPI declares it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from xietong_common.errors import AppError, InvalidInput, Lang, Unauthorized, problem_type
from xietong_common.i18n import describe_error

PROBLEM_JSON = "application/problem+json"

log = logging.getLogger(__name__)


def problem_response(
    body: dict[str, Any], headers: dict[str, str] | None = None, *, lang: Lang = "zh"
) -> JSONResponse:
    return JSONResponse(
        body,
        status_code=int(body["status"]),
        media_type=PROBLEM_JSON,
        headers={**(headers or {}), "Content-Language": "zh-CN" if lang == "zh" else "en"},
    )


def language(request: Request) -> Lang:
    """Chinese unless the caller prefers English (`Accept-Language: en…` ranked above zh)."""
    best: tuple[float, Lang] | None = None
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        lang: Lang | None = "en" if tag.startswith("en") else "zh" if tag.startswith("zh") else None
        if lang is not None and quality > 0 and (best is None or quality > best[0]):
            best = (quality, lang)
    return best[1] if best else "zh"


def _where(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc if part not in ("body",)) or "body"


def install_problem_handlers(app: FastAPI) -> None:
    """Every 4xx/5xx leaves the service as problem+json, in the caller's language."""

    def respond(
        request: Request, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> JSONResponse:
        return problem_response(body, headers, lang=language(request))

    async def on_app_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        body = exc.to_problem(str(request.url.path), lang=language(request))
        return respond(request, body, headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        chinese = language(request) == "zh"
        errors = []
        for e in exc.errors():
            entry = {
                "loc": list(e.get("loc", ())),
                "msg": describe_error(dict(e), "zh") if chinese else str(e.get("msg")),
                "type": str(e.get("type")),
            }
            errors.append(entry)
        detail = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in errors)
        return respond(
            request,
            {
                "type": InvalidInput.type_uri(),
                "title": InvalidInput.title_zh if chinese else InvalidInput.title,
                "status": 422,
                "detail": detail,
                "instance": str(request.url.path),
                "errors": errors,
            },
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        chinese = language(request) == "zh"
        slug = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized"}.get(
            exc.status_code, f"http-{exc.status_code}"
        )
        title_zh = {404: "未找到", 405: "不支持此请求方法", 401: "需要身份认证"}.get(
            exc.status_code, "请求有误"
        )
        return respond(
            request,
            {
                "type": problem_type(slug),
                "title": title_zh if chinese else HTTPStatus(exc.status_code).phrase,
                "status": exc.status_code,
                "detail": str(exc.detail),
                "instance": str(request.url.path),
            },
            dict(exc.headers) if exc.headers else None,
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        chinese = language(request) == "zh"
        return respond(
            request,
            {
                "type": problem_type("internal-error"),
                "title": "内部错误" if chinese else "Internal error",
                "status": 500,
                "detail": "服务未能处理此请求，未作任何更改。"
                if chinese
                else "The service failed to handle this request; nothing was changed.",
                "instance": str(request.url.path),
            },
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
