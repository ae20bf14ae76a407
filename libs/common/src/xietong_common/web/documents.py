"""The web side of documents: the PDF response, the OpenAPI of a document route, and the
verification route every issuing service serves (`GET /documents/{digest}`)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse

from xietong_common.documents import issuing
from xietong_common.documents.errors import DocumentNotFound
from xietong_common.documents.issuing import SHA256_HEX, IssuedDocument
from xietong_common.documents.schemas import DocumentVerificationOut, verification_out
from xietong_common.errors import NotFound
from xietong_common.materials import blob_store
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import Context, CurrentPrincipal
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
