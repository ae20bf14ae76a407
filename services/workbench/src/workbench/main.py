"""Wiring of the 工作台 (staff workbench): `uvicorn workbench.main:app` (port 8000)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workbench.api import ApiProblem, ServiceUnavailable
from workbench.pages import ROUTERS
from workbench.pages.account import oauth_client
from workbench.reference import Reference, Vocabulary
from workbench.settings import WorkbenchSettings, session_secret
from workbench.web import (
    CsrfRefused,
    PageNotFound,
    SignInRequired,
    StaticFiles,
    build_templates,
    http_client,
    render,
    visit,
)
from xietong_common.auth import TokenVerifier
from xietong_common.logs import configure_logging
from xietong_common.web.middleware import BodyLimitMiddleware, RequestContextMiddleware

log = logging.getLogger(__name__)

# Everything a page loads comes from here: no CDN, no inline script (htmx is configured with
# a <meta> tag, its indicator styles are in our CSS), no frames.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Headers every answer carries (plain ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                for name, value in (
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ):
                    if name not in names:
                        headers.append((name, value))
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: WorkbenchSettings | None = None) -> FastAPI:
    settings = settings or WorkbenchSettings()
    configure_logging("workbench", level=settings.log_level, json_output=settings.log_json)
    static = StaticFiles()
    reference = Reference.load(settings.data_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        http = http_client(settings)
        app.state.http = http
        app.state.vocabulary = Vocabulary(http, dict(settings.workbench_service_urls))
        try:
            yield
        finally:
            await http.aclose()

    app = FastAPI(
        title="xietong 工作台",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.static = static
    app.state.templates = build_templates(static)
    app.state.reference = reference
    app.state.oauth = oauth_client(settings)
    app.state.verifier = TokenVerifier(settings)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/static/{digest}/{path:path}", include_in_schema=False)
    async def static_file(digest: str, path: str) -> Response:
        found = static.file(path)
        if found is None:
            return Response(status_code=404)
        current = static.digests[path] == digest
        return FileResponse(
            found,
            headers={
                "Cache-Control": "public, max-age=31536000, immutable" if current else "no-cache"
            },
        )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "workbench"}

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    _install_error_pages(app)
    app.add_middleware(SessionMiddleware, **_session_options(settings))
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_request_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(RequestContextMiddleware, service="workbench")
    return app


def _session_options(settings: WorkbenchSettings) -> dict[str, Any]:
    return {
        "secret_key": session_secret(settings),
        "session_cookie": settings.session_cookie,
        "max_age": settings.workbench_session_max_age_s,
        "same_site": "lax",
        "https_only": settings.workbench_cookie_secure,
        "path": "/",
    }


def _install_error_pages(app: FastAPI) -> None:
    async def on_sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        from urllib.parse import urlencode

        query = {"next": exc.next_url}
        if exc.expired:
            query["expired"] = "1"
        if request.headers.get("hx-request"):
            # htmx follows no redirect to a full page: send the browser there itself.
            return Response(status_code=204, headers={"HX-Redirect": "/signin?" + urlencode(query)})
        return RedirectResponse("/signin?" + urlencode(query), status_code=303)

    async def on_csrf(request: Request, exc: Exception) -> Response:
        return render(visit(request), "errors/csrf.html", status=403)

    async def on_not_found(request: Request, exc: Exception) -> Response:
        return render(visit(request), "errors/404.html", status=404)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return render(visit(request), "errors/404.html", status=404)
        if exc.status_code == 405:
            return render(visit(request), "errors/404.html", status=405)
        return render(
            visit(request),
            "problem.html",
            status=exc.status_code,
            problem=ApiProblem("workbench", exc.status_code, {"detail": str(exc.detail)}),
        )

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        if exc.status == 404:
            return render(visit(request), "errors/404.html", status=404)
        if exc.status == 401:
            return await on_sign_in(request, SignInRequired(request.url.path, expired=True))
        status = 503 if isinstance(exc, ServiceUnavailable) else exc.status
        if status >= 500:
            log.warning("a service failed: %s", exc)
        return render(visit(request), "problem.html", status=status, problem=exc)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", extra={"path": request.url.path})
        try:
            return render(visit(request), "errors/500.html", status=500)
        except Exception:
            return JSONResponse({"detail": "internal error"}, status_code=500)

    async def on_bad_address(request: Request, exc: Exception) -> Response:
        # A malformed id or query in the address: no such page (the forms never reach here,
        # they are read by the pages themselves and judged by the APIs).
        return render(visit(request), "errors/404.html", status=404)

    app.add_exception_handler(RequestValidationError, on_bad_address)
    app.add_exception_handler(SignInRequired, on_sign_in)
    app.add_exception_handler(CsrfRefused, on_csrf)
    app.add_exception_handler(PageNotFound, on_not_found)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(Exception, on_unexpected)


app = create_app()
