"""FastAPI dependencies every route uses: the service's context and the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.errors import Unauthorized


def get_context(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


Context = Annotated[ServiceContext, Depends(get_context)]

_bearer = HTTPBearer(auto_error=False, description="JWT carrying `org`, `sub` and `roles`")


async def authenticate(
    ctx: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer token is required", reason="missing")
    return ctx.tokens.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
