"""RFC 9457 problem+json: every 4xx/5xx a service answers, and how the OpenAPI declares it."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from xietong_common.errors import AppError, InvalidInput, Lang, Unauthorized, problem_type
from xietong_common.i18n import describe_error
from xietong_common.web.problem_types import ProblemType, problems_of

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


_DOCUMENTED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """The methods served at this path: those the OpenAPI document gives a fixed path (a
    parameterised route beside it, `/rosters/{department}`, does not serve `/rosters/imports`),
    else those some route matches, asked of the router itself (included routers too)."""
    documented = request.app.openapi().get("paths", {}).get(request.url.path)
    if documented:
        return [m for m in _DOCUMENTED_METHODS if m.lower() in documented]
    routes = request.app.router.routes
    return [
        method
        for method in _DOCUMENTED_METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]


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
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            # Starlette names the methods of the first route whose path matched; a path served
            # by several routes (GET and POST /referrals) supports all of theirs.
            headers["Allow"] = ", ".join(_allowed_methods(request))
        slug = {
            400: "bad-request",
            401: "unauthorized",
            404: "not-found",
            405: "method-not-allowed",
        }.get(exc.status_code, f"http-{exc.status_code}")
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
            headers or None,
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


# The problems a route of each sort documents (`responses=WRITE_ERRORS`); every operation also
# gets 422 and 500, 401/403 with a token, 404 with an id in its path, 413 with a body
# (`document_problems`). A route with other refusals spells its own `problem_responses(...)`.
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 422)
"""A step on a record: not the caller's (403), hidden or missing (404), not now (409)."""
CREATE_ERRORS = problem_responses(401, 403, 409, 422)
"""A new record (no id in its path)."""
UPLOAD_ERRORS = problem_responses(401, 403, 404, 409, 413, 415, 422)
"""A file added to a record: too large (413), a type not accepted (415)."""
READ_ERRORS = problem_responses(401, 404, 422)
"""One record (or its timeline, a file of it)."""
LIST_ERRORS = problem_responses(401, 422)
"""A page of a list."""

_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def document_problems(
    schema: dict[str, Any], routes: Mapping[str, APIRoute] | None = None
) -> dict[str, Any]:
    """Make the OpenAPI document say what the service sends: every error response is
    `application/problem+json` with the `Problem` schema (FastAPI documents its own 422 as
    `application/json` `HTTPValidationError`), and every operation lists each problem `type`
    it may return (`web.problem_types`: what its code raises, and what any request may meet —
    422 and 500; 401/403 when it needs a token; 404 with path parameters; 400/413 with a
    body) as a named example of its status's response: type URI, title and status.
    `routes` are the service's API routes by operationId."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    ref = {"$ref": "#/components/schemas/Problem"}
    by_id = routes or {}
    declared: dict[str, ProblemType] = {}
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            route = by_id.get(operation.get("operationId", ""))
            problems = problems_of(route, operation)
            by_status: dict[str, list[ProblemType]] = {}
            for problem in problems:
                by_status.setdefault(str(problem.status), []).append(problem)
                responses.setdefault(
                    str(problem.status), {"description": HTTPStatus(problem.status).phrase}
                )
            for code, response in responses.items():
                if code == "default" or (code[:1].isdigit() and int(code[0]) >= 4):
                    content: dict[str, Any] = {"schema": ref}
                    if by_status.get(code):
                        content["examples"] = {
                            problem.slug: {"$ref": f"#/components/examples/{problem.slug}"}
                            for problem in by_status[code]
                        }
                        declared.update((p.slug, p) for p in by_status[code])
                    response["content"] = {PROBLEM_JSON: content}
    # Each problem type once, as a named example the operations refer to.
    examples = schema["components"].setdefault("examples", {})
    for slug, problem in sorted(declared.items()):
        examples[slug] = {
            "summary": problem.title,
            "description": problem.title_zh,
            "value": {
                "type": problem.uri,
                "title": problem.title_zh,
                "status": problem.status,
                "detail": problem.title_zh,
            },
        }
    schema["paths"] = {
        path: {
            method: (
                {**operation, "responses": dict(sorted(operation["responses"].items()))}
                if method in _METHODS and "responses" in operation
                else operation
            )
            for method, operation in item.items()
        }
        for path, item in schema.get("paths", {}).items()
    }
    text = str(schema.get("paths", {}))
    for name in _FASTAPI_VALIDATION:
        if f"#/components/schemas/{name}'" not in text:
            components.pop(name, None)
    return schema
