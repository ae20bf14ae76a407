"""FastAPI dependencies every route uses: the service's context, the caller, a page of a
list, the Idempotency-Key of a create."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.errors import Forbidden, InvalidInput, Unauthorized
from xietong_common.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, PageParams
from xietong_common.schemas import TimeBound


async def get_context(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


REQUEST: Literal["request"] = "request"
"""The scope of the dependencies every route names (`Depends(..., scope=REQUEST)`): none of
them is a generator, so a scope changes nothing in what they do, but FastAPI works out the
scope of a dependency declared without one on every request, twice per dependency (a
generator function or not), where a declared scope is read as it is (issue 22)."""

Context = Annotated[ServiceContext, Depends(get_context, scope=REQUEST)]

_bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="a JWT of the identity provider (or a local HS256 token) carrying the person "
    "(`sub`), the organisation code (`org`: town:<slug>, dept:<slug>, justice-office:<slug>, "
    "justice-bureau, district-gov) and `roles`",
)


_PRINCIPAL = "xietong.principal"
"""The request scope's key of the caller once authenticated (by the route's `Allowed`)."""

BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer, scope=REQUEST)]
"""The request's bearer token, if any: the dependency the OpenAPI documents as the
operation's security (`Allowed` takes it)."""


async def authenticate(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    """The caller of the request, from its bearer token (401 without one, 403 for an
    organisation the directory does not list); kept in the request's scope, so that the
    route's `principal: CurrentPrincipal` takes it from there."""
    principal: Principal | None = request.scope.get(_PRINCIPAL)
    if principal is None:
        principal = await _verified(request.app.state.ctx, credentials)
        request.scope[_PRINCIPAL] = principal
    return principal


async def _verified(
    ctx: ServiceContext, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer token is required", zh="需要 Bearer 令牌", reason="missing")
    principal = await ctx.tokens.verify(credentials.credentials)
    if principal.org not in ctx.directory:
        # A well-signed token for a party the directory does not list acts for nobody.
        raise Forbidden(
            f"the organisation {principal.org!r} is not in the directory",
            zh=f"机构 {principal.org} 不在机构名录中",
            reason="unknown-organisation",
        )
    return principal


async def current_principal(request: Request) -> Principal:
    """The caller, as the route's `Allowed` (solved before the route's own parameters)
    authenticated it: a dependency without dependencies of its own. FastAPI solves a
    dependency's own dependencies again wherever it is named, even when its value is cached:
    as `Depends(authenticate)` on the context and the token scheme, the caller cost the
    route's `Allowed` and each parameter naming it a subtree (issue 22). Authenticates itself
    where nothing did before it."""
    principal: Principal | None = request.scope.get(_PRINCIPAL)
    if principal is None:
        principal = await authenticate(request, await _bearer(request))
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal, scope=REQUEST)]


_PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="1 for the first page")]
_PageSize = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"items per page, at most {MAX_PAGE_SIZE} (XIETONG_MAX_PAGE_SIZE)",
    ),
]


async def page_numbers(
    page: _PageNumber = 1, page_size: _PageSize = DEFAULT_PAGE_SIZE
) -> PageParams:
    return PageParams(page=page, page_size=page_size)


PageNumbers = Annotated[PageParams, Depends(page_numbers)]
"""A page of something that is not a list of records (a comparison of two versions): no
`updated_since`. Every list of records takes `Paging`."""


async def page_params(
    page: _PageNumber = 1,
    page_size: _PageSize = DEFAULT_PAGE_SIZE,
    updated_since: Annotated[
        TimeBound | None,
        Query(
            description="only the records changed at or after this moment (RFC 3339 with its "
            "offset, e.g. 2024-03-08T16:00:00+08:00; a time without an offset is refused), for "
            "a platform that polls instead of consuming the events: ask again from the time of "
            "the last poll (a record changed exactly then comes again, so a poller keeps what "
            "it saw by id); the order is the list's own, ties broken by id, so pages are stable",
        ),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="the `next_cursor` of the page before, for the rows after it (with "
            "the same sort and filters; `page` stays 1): a deep page costs what the first does",
        ),
    ] = None,
) -> PageParams:
    if cursor is not None and page != 1:
        raise InvalidInput(
            "a cursor names its own place in the list: ask for page 1 with it",
            zh="使用游标时页码须为 1",
        )
    return PageParams(page=page, page_size=page_size, updated_since=updated_since, cursor=cursor)


Paging = Annotated[PageParams, Depends(page_params)]
"""A page of a list of records, and `updated_since` (tests/test_access_declared.py: every
route returning a `Page` declares it)."""

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="a key the client chooses per create (e.g. a UUID): a retry with the same "
        "key and body returns the first result instead of creating twice; the same key with "
        "another body is refused (IETF draft-ietf-httpapi-idempotency-key-header)",
    ),
]
