"""How the API shows a record's documents and answers a verification."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from xietong_common.documents.issuing import IssuedDocument
from xietong_common.documents.kinds import DocumentKind
from xietong_common.schemas import ShortText, Strict

_EXAMPLE_DIGEST = "3f1a0c5e2b7d4f6a8c9e0b1d2f3a4c5e6b7d8f9a0c1e2b3d4f5a6c7e8b9d0f1a"


class DocumentOut(BaseModel):
    """An official document issued on the record (公文): its number and digests."""

    kind: DocumentKind
    title: str = Field(examples=["案件移送函"])
    number: str = Field(description="发文字号", examples=["涪环移〔2026〕12号"])
    instance: str = Field(
        description="which of the record's documents of this kind (empty: the record has one)",
        examples=[""],
    )
    issuer: str = Field(
        description="the issuing organisation", examples=["dept:ecology-environment"]
    )
    signed_on: date = Field(description="成文日期 (China date)", examples=["2026-01-08"])
    issued_at: datetime = Field(examples=["2026-01-08T02:00:00Z"])
    sha256: str = Field(description="SHA-256 of the PDF file", examples=[_EXAMPLE_DIGEST])
    content_digest: str = Field(
        description="SHA-256 of the document's content (canonical JSON): what its QR code carries",
        examples=[_EXAMPLE_DIGEST],
    )
    size: int = Field(description="bytes of the PDF", examples=[241_000])
    pages: int = Field(examples=[2])
    current: bool = Field(description="false once a correction superseded it")
    supersedes: str | None = Field(
        default=None, description="the number this document corrects", examples=[None]
    )
    correction_reason: str | None = Field(default=None, examples=[None])
    superseded_by: str | None = Field(
        default=None,
        description="the number of the document that corrects this one",
        examples=[None],
    )
    superseded_at: datetime | None = Field(default=None, examples=[None])


def document_out(doc: IssuedDocument) -> DocumentOut:
    return DocumentOut(
        kind=doc.kind,
        title=doc.title,
        number=doc.number,
        instance=doc.instance,
        issuer=doc.org,
        signed_on=doc.signed_on,
        issued_at=doc.issued_at,
        sha256=doc.sha256,
        content_digest=doc.content_digest,
        size=doc.size,
        pages=doc.pages,
        current=doc.current,
        supersedes=doc.supersedes,
        correction_reason=doc.correction_reason,
        superseded_by=doc.superseded_by,
        superseded_at=doc.superseded_at,
    )


class DocumentVerificationOut(DocumentOut):
    """What a paper or electronic copy is: which record and organisation issued it, and when,
    and whether a correction superseded it."""

    matched: Literal["file", "content"] = Field(
        description="`file`: the digest is the PDF's SHA-256; `content`: the content digest "
        "(the QR code of a paper copy)"
    )
    subject: str = Field(description="the record", examples=["referral:7d0c…"])
    issuer_name: str = Field(examples=["重庆市涪陵区生态环境局"])
    addressees: list[str] = Field(description="主送机关", examples=[["重庆市涪陵区荔枝街道办事处"]])


def verification_out(doc: IssuedDocument, digest: str) -> DocumentVerificationOut:
    content: dict[str, Any] = doc.content
    issuer = content.get("issuer") or {}
    return DocumentVerificationOut(
        **document_out(doc).model_dump(),
        matched="file" if digest == doc.sha256 else "content",
        subject=doc.subject,
        issuer_name=str(issuer.get("name", doc.org)) if isinstance(issuer, dict) else doc.org,
        addressees=[str(a) for a in content.get("addressees", [])],
    )


class CorrectionIn(Strict):
    """A corrected document: why the one in force is superseded (kept on both records)."""

    reason: ShortText = Field(examples=["受送达单位名称有误，予以更正"])
