"""The web side of documents: a record's document routes (`add_document_routes`: each
document as PDF, and its corrections), the PDF response, the OpenAPI of a document route, and
the verification route every issuing service serves (`GET /documents/{digest}`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse

from xietong_common.documents import issuing
from xietong_common.documents.errors import DocumentNotFound
from xietong_common.documents.issuing import SHA256_HEX, DraftOf, IssuedDocument
from xietong_common.documents.kinds import DocumentKind
from xietong_common.documents.schemas import (
    CorrectionIn,
    DocumentOut,
    DocumentVerificationOut,
    document_out,
    verification_out,
)
from xietong_common.errors import NotFound
from xietong_common.materials import blob_store
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import Context, CurrentPrincipal, IdempotencyKey
from xietong_common.web.problems import problem_responses

PDF_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        "description": "the document (PDF/A), the same bytes on every download; headers: "
        "`ETag` and `X-Content-SHA256` (its SHA-256)",
    }
}
# 409 document-not-available (the record has not reached the act), document-not-issued
# (only the issuer issues it), document-issuer-incomplete (directory); 422 document-too-long;
# 503 document-render-failed / document-render-busy.
DOCUMENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PDF_OK,
    **problem_responses(401, 403, 404, 409, 422, 503),
}
CORRECTION_RESPONSES = problem_responses(401, 403, 404, 409, 422, 503)

DOCUMENT_PROBLEMS = (
    "Problems: 404 (not a party of the record, or no such version); 409 "
    "`document-not-available` (the record has not reached the act the document records), "
    "`document-not-issued` (the issuing organisation issues it first; its caller's first "
    "download issues it), `document-issuer-incomplete` (the directory lacks the issuer's "
    "full name or 代字); 422 `document-too-long`; 503 `document-render-busy`, "
    "`document-render-failed` (nothing issued)."
)

VersionQuery = Annotated[
    str | None,
    Query(
        alias="version",
        pattern=SHA256_HEX,
        description="the SHA-256 of an earlier (superseded) version of this document; "
        "omitted: the version in force",
    ),
]


def base_url(request: Request) -> str:
    """The address the request came to: the QR code's base when no public URL is set."""
    return str(request.base_url)


async def pdf_response(ctx: Any, doc: IssuedDocument) -> StreamingResponse:
    """The stored bytes of the document, streamed, named by its title and number."""
    store = blob_store(ctx)
    if not await store.exists(doc.sha256):
        raise NotFound("the stored document is missing", zh="所存公文文件缺失")
    ascii_name = f"{doc.kind.value}-{doc.sha256[:12]}.pdf"
    disposition = f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(doc.filename)}"
    return StreamingResponse(
        store.stream(doc.sha256),
        media_type=doc.media_type,
        headers={
            "Content-Disposition": disposition,
            "ETag": f'"{doc.sha256}"',
            "X-Content-SHA256": doc.sha256,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-cache",
        },
    )


def verification_router() -> APIRouter:
    """`GET /documents/{digest}`: which record and organisation issued a document, when, and
    whether it is still in force, for the SHA-256 of its file or of its content (the QR code
    on a 送达回证)."""
    router = APIRouter(prefix="/documents", tags=["documents"])

    @router.get(
        "/{digest}",
        response_model=DocumentVerificationOut,
        summary="Verify an official document by its SHA-256 (file or content)",
        responses=problem_responses(401, 403, 404, 422),
        dependencies=[Allowed(roles=ANY)],
    )
    async def verify(
        digest: Annotated[str, Path(pattern=SHA256_HEX, description="64 lower-case hex digits")],
        ctx: Context,
        principal: CurrentPrincipal,
    ) -> DocumentVerificationOut:
        """Any organisation of the directory may check a copy it holds: the digest is known
        only to whoever has the document. Problems: 404 `document-not-found`."""
        async with ctx.db.session() as session:
            doc = await issuing.by_digest(session, digest)
        if doc is None:
            raise DocumentNotFound(
                "no document of this service has this digest", zh="本服务未出具过此摘要的公文"
            )
        return verification_out(doc, digest)

    return router


@dataclass(frozen=True)
class DocumentRoute:
    """One document of a record, served as `GET <record>/documents/<kind>.pdf`."""

    kind: DocumentKind
    name: str  # the endpoint's name, hence its operationId: an API, kept
    summary: str
    description: str  # what the document is and when it exists; the problems are added


@dataclass(frozen=True)
class CorrectionRoute:
    """`POST <record>/documents/{kind}/corrections` for the kinds of a set of routes."""

    issuer: str  # who may correct, as the description says it: "the town", "the department"
    name: str = "correct_document"
    what: str = "the record"  # "Rendered again from <what> as it stands now"
    summary: str = "A corrected document under a new number, superseding the one in force"


def add_document_routes(
    router: APIRouter,
    *,
    record: str,
    draft_of: Callable[..., DraftOf],
    routes: Sequence[DocumentRoute],
    correction: CorrectionRoute,
) -> None:
    """A record's documents, alike in every issuing service: each as PDF (its issuer's first
    download issues it; `version` reads an earlier one) and a corrected one under a new
    number. `record` is the record's path under the router (`/{referral_id:uuid}`);
    `draft_of` a dependency taking that path's parameters (and any of its own, such as a
    review's round) and returning how to draw the record's drafts."""
    drafts = Annotated[DraftOf, Depends(draft_of)]
    for route in routes:
        router.add_api_route(
            f"{record}/documents/{route.kind.value}.pdf",
            _pdf_endpoint(route.kind, drafts),
            methods=["GET"],
            name=route.name,
            response_class=StreamingResponse,
            summary=route.summary,
            description=f"{route.description}\n\n{DOCUMENT_PROBLEMS}",
            responses=DOCUMENT_RESPONSES,
            dependencies=[Allowed(roles=ANY)],
        )
    # One kind: its own path (`…/documents/work-order/corrections`); more: the kind in the path.
    kinds = tuple(route.kind.value for route in routes)
    router.add_api_route(
        f"{record}/documents/{kinds[0] if len(kinds) == 1 else '{kind}'}/corrections",
        _correction_endpoint(kinds, drafts, correction.what),
        methods=["POST"],
        name=correction.name,
        status_code=201,
        response_model=DocumentOut,
        summary=correction.summary,
        description=f"Only {correction.issuer} that issued it (403 `document-not-the-issuer`); "
        "409 `document-not-issued` when there is nothing to correct. The old document is kept "
        f"and verifies as superseded.\n\n{DOCUMENT_PROBLEMS}",
        responses=CORRECTION_RESPONSES,
        dependencies=[Allowed(roles=ANY)],
    )


# The endpoints' annotations are strings (this module's `from __future__ import annotations`)
# that FastAPI resolves in the module; the ones made per record (its drafts' dependency, its
# kinds) are set as objects on each endpoint instead.


def _version(version: VersionQuery = None) -> str | None:
    """`version`, after the record's own parameters (a review's round) as a dependency: what
    dependencies declare comes after the endpoint's own parameters."""
    return version


def _pdf_endpoint(kind: DocumentKind, drafts: Any) -> Callable[..., Awaitable[StreamingResponse]]:
    async def endpoint(
        request: Request,
        ctx: Context,
        principal: CurrentPrincipal,
        draft_of: DraftOf,
        version: Annotated[str | None, Depends(_version)],
    ) -> StreamingResponse:
        async with ctx.db.uow(actor=principal) as uow:
            draft = await draft_of(uow, ctx, kind, principal)
            issued = await issuing.obtain(
                uow, ctx, draft=draft, actor=principal, base_url=base_url(request), version=version
            )
        return await pdf_response(ctx, issued)

    endpoint.__annotations__["draft_of"] = drafts
    return endpoint


def _correction_endpoint(
    kinds: tuple[str, ...], drafts: Any, what: str
) -> Callable[..., Awaitable[DocumentOut]]:
    async def endpoint(
        draft_of: DraftOf,
        kind: str,
        data: CorrectionIn,
        request: Request,
        ctx: Context,
        principal: CurrentPrincipal,
        idempotency_key: IdempotencyKey = None,
    ) -> DocumentOut:
        async with ctx.db.uow(actor=principal) as uow:
            draft = await draft_of(uow, ctx, DocumentKind(kind), principal)
            issued = await issuing.correct(
                uow,
                ctx,
                draft=draft,
                actor=principal,
                base_url=base_url(request),
                reason=data.reason,
                idempotency_key=idempotency_key,
            )
        return document_out(issued)

    def kind_of(kind: str) -> str:
        return kind

    def only_kind() -> str:
        return kinds[0]

    # The kind as a dependency after the record's: parameters that dependencies declare come
    # after the endpoint's own, and the record's id is the first in the path.
    kind_of.__annotations__["kind"] = Literal[kinds]
    endpoint.__annotations__["draft_of"] = drafts
    endpoint.__annotations__["kind"] = Annotated[
        str, Depends(kind_of if len(kinds) > 1 else only_kind)
    ]
    endpoint.__doc__ = f"Rendered again from {what} as it stands now."
    return endpoint
