"""Issuing official documents: numbered once, rendered once, stored once, never changed.

A document is issued inside the use case's unit of work, under a transaction-scoped lock on
(record, kind, instance): the number comes from the organisation's series for the kind and
year (an upsert on `document_counters`, so two issuers of one series wait for each other and
a rolled-back issue gives its number back: no gap, no number twice), the PDF is laid out in
a worker process, its bytes are stored by SHA-256, and the row and the audit row (with both
digests) commit with the rest. Downloading again returns the stored bytes. A correction is
a new document with a new number that supersedes the old one; both are kept.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext, settings_of
from xietong_common.documents.content import DocumentDraft, Issuer, document_number
from xietong_common.documents.errors import (
    DocumentIssuerIncomplete,
    DocumentNotFound,
    DocumentNotIssued,
    NotTheIssuer,
)
from xietong_common.documents.kinds import DocumentKind
from xietong_common.documents.render import PDF, Fonts, RenderJob, pool_for
from xietong_common.documents.settings import DocumentSettings
from xietong_common.materials import blob_store
from xietong_common.reference import OrganisationDirectory
from xietong_common.tables import document_counters, documents
from xietong_common.uow import UnitOfWork

DraftOf = Callable[[UnitOfWork, ServiceContext, DocumentKind, Principal], Awaitable[DocumentDraft]]
"""How a record's documents are drawn: the draft of a kind for a caller, the record loaded
(and hidden from non-parties) the way its service loads it. A service's document routes
(`xietong_common.web.documents.add_document_routes`) issue, serve and correct from it."""

SHA256_HEX = r"^[0-9a-f]{64}$"


@dataclass(frozen=True)
class IssuedDocument:
    """A document as issued: what it is, where it belongs, how to find its file."""

    id: uuid.UUID
    kind: DocumentKind
    subject: str
    instance: str
    org: str
    number: str
    title: str
    signed_on: date
    content: dict[str, object]
    content_digest: str
    sha256: str
    size: int
    media_type: str
    pages: int
    issued_at: datetime
    issued_by: str
    supersedes: str | None  # the number it corrects
    correction_reason: str | None
    superseded_by: str | None  # the number that corrects it
    superseded_at: datetime | None

    @property
    def current(self) -> bool:
        return self.superseded_by is None

    @property
    def filename(self) -> str:
        return f"{self.title}（{self.number}）.pdf"


def issuer(directory: OrganisationDirectory, code: str) -> Issuer:
    """The issuing organisation as its documents name it (directory: full name, 代字)."""
    org = directory.get(code)
    if org is None or org.doc_prefix is None or org.full_name_zh is None:
        raise DocumentIssuerIncomplete(
            f"the organisation directory gives {code} no full_name_zh or doc_prefix "
            "(data/organisations.yaml): it cannot issue documents",
            zh=f"机构名录未载明 {code} 的发文机关全称(full_name_zh)或发文机关代字(doc_prefix)，"
            "不能出具公文",
            organisation=code,
        )
    return Issuer(
        code=code, name=org.full_name_zh, signature=org.full_name_zh, prefix=org.doc_prefix
    )


def name_of(directory: OrganisationDirectory, code: str) -> str:
    """How a document names an organisation: its full name where the directory gives one."""
    org = directory.get(code)
    if org is None:
        return code
    return org.full_name_zh or org.name_zh


# ---- reading ----------------------------------------------------------------------------------

_successor = documents.alias("successor")
_predecessor = documents.alias("predecessor")
_SELECT = (
    sa.select(
        documents,
        _predecessor.c.number.label("supersedes_number"),
        _successor.c.number.label("superseded_by_number"),
    )
    .outerjoin(_predecessor, _predecessor.c.id == documents.c.supersedes)
    .outerjoin(_successor, _successor.c.id == documents.c.superseded_by)
)


# Built once (a record's page reads it on every GET): neither built nor keyed again.
_OF_SUBJECTS = _SELECT.where(
    documents.c.subject.in_(sa.bindparam("subjects", expanding=True))
).order_by(documents.c.issued_at)
# One record's: an equality (an expanding IN is rewritten on every execution).
_OF_SUBJECT = _SELECT.where(documents.c.subject == sa.bindparam("subject")).order_by(
    documents.c.issued_at
)


def _issued(row: sa.RowMapping) -> IssuedDocument:
    return IssuedDocument(
        id=row["id"],
        kind=DocumentKind(row["kind"]),
        subject=row["subject"],
        instance=row["instance"],
        org=row["org"],
        number=row["number"],
        title=row["title"],
        signed_on=row["signed_on"],
        content=dict(row["content"]),
        content_digest=row["content_digest"],
        sha256=row["sha256"],
        size=row["size"],
        media_type=row["media_type"],
        pages=row["pages"],
        issued_at=row["issued_at"],
        issued_by=row["issued_by"],
        supersedes=row["supersedes_number"],
        correction_reason=row["correction_reason"],
        superseded_by=row["superseded_by_number"],
        superseded_at=row["superseded_at"],
    )


async def current(
    session: AsyncSession, *, subject: str, kind: DocumentKind, instance: str = ""
) -> IssuedDocument | None:
    """The record's document of this kind in force (not superseded), if it was issued."""
    row = (
        (
            await session.execute(
                _SELECT.where(
                    documents.c.subject == subject,
                    documents.c.kind == kind.value,
                    documents.c.instance == instance,
                    documents.c.superseded_by.is_(None),
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    return _issued(row) if row else None


async def _by_id(session: AsyncSession, document_id: uuid.UUID) -> IssuedDocument | None:
    row = (
        (await session.execute(_SELECT.where(documents.c.id == document_id)))
        .mappings()
        .one_or_none()
    )
    return _issued(row) if row else None


async def by_digest(session: AsyncSession, digest: str) -> IssuedDocument | None:
    """The document whose file (SHA-256) or content digest this is."""
    row = (
        (
            await session.execute(
                _SELECT.where(
                    sa.or_(documents.c.sha256 == digest, documents.c.content_digest == digest)
                )
            )
        )
        .mappings()
        .one_or_none()
    )
    return _issued(row) if row else None


async def of_subjects(
    session: AsyncSession, subjects: Iterable[str]
) -> dict[str, list[IssuedDocument]]:
    """Every document of each record, superseded ones too, in the order they were issued."""
    wanted = list(subjects)
    if not wanted:
        return {}
    rows = (
        await session.execute(_OF_SUBJECT, {"subject": wanted[0]})
        if len(wanted) == 1
        else await session.execute(_OF_SUBJECTS, {"subjects": wanted})
    ).mappings()
    found: dict[str, list[IssuedDocument]] = {}
    for row in rows:
        found.setdefault(row["subject"], []).append(_issued(row))
    return found


# ---- issuing ----------------------------------------------------------------------------------


async def allocate_serial(session: AsyncSession, *, org: str, kind: DocumentKind, year: int) -> int:
    """The next number of the organisation's series for the kind and year. The row stays
    locked to the end of the transaction: a concurrent issuer of the same series waits, and
    a rollback gives the number back."""
    statement = (
        insert(document_counters)
        .values(org=org, kind=kind.value, year=year, last=1)
        .on_conflict_do_update(
            index_elements=[
                document_counters.c.org,
                document_counters.c.kind,
                document_counters.c.year,
            ],
            set_={"last": document_counters.c.last + 1},
        )
        .returning(document_counters.c.last)
    )
    return int((await session.execute(statement)).scalar_one())


async def _lock(session: AsyncSession, subject: str, kind: DocumentKind, instance: str) -> None:
    """One issuer at a time per record, kind and instance (till the transaction ends)."""
    key = f"xietong.document:{subject}:{kind.value}:{instance}"
    await session.execute(
        sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0)))
    )


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def verification_url(base_url: str, digest: str) -> str:
    return f"{base_url.rstrip('/')}/documents/{digest}"


async def _issue(
    uow: UnitOfWork,
    ctx: ServiceContext,
    *,
    draft: DocumentDraft,
    actor: Principal,
    base_url: str,
    corrects: IssuedDocument | None = None,
    reason: str | None = None,
) -> IssuedDocument:
    settings = settings_of(ctx, DocumentSettings)
    kind = draft.kind
    year = draft.signed_on.year
    serial = await allocate_serial(uow.session, org=draft.issuer.code, kind=kind, year=year)
    doc = draft.numbered(
        document_number(draft.issuer.prefix, kind, year, serial), year=year, serial=serial
    )
    digest = doc.content_digest()
    url = None
    if kind.spec.verification_qr:
        url = verification_url(settings.document_public_base_url or base_url, digest)
    rendered = await pool_for(settings).render(
        RenderJob(
            document=doc.model_dump(mode="json"),
            fonts=Fonts.of(settings),
            issued_at=uow.now,
            verification_url=url,
            pdf_variant=None
            if settings.document_pdf_variant == "none"
            else settings.document_pdf_variant,
            max_pages=settings.document_max_pages,
        )
    )
    sha = hashlib.sha256(rendered.pdf).hexdigest()
    # Our own rendering, not an upload: stored as it is (no file-worker inspection, and the
    # document settings, not the upload limit, bound its size).
    stored = await blob_store(ctx).put_stream(
        _one_chunk(rendered.pdf), content_type=PDF, max_bytes=len(rendered.pdf)
    )
    assert stored.sha256 == sha
    new_id = uuid.uuid4()
    if corrects is not None:  # first, so that one document of the kind is in force at a time
        await uow.session.execute(
            sa.update(documents)
            .where(documents.c.id == corrects.id)
            .values(superseded_by=new_id, superseded_at=uow.now)
        )
    await uow.session.execute(
        sa.insert(documents).values(
            id=new_id,
            kind=kind.value,
            subject=draft.subject,
            instance=draft.instance,
            org=draft.issuer.code,
            year=year,
            serial=serial,
            number=doc.number,
            title=doc.title,
            signed_on=doc.signed_on,
            content=doc.model_dump(mode="json"),
            content_digest=digest,
            sha256=sha,
            size=len(rendered.pdf),
            media_type=PDF,
            pages=rendered.pages,
            issued_at=uow.now,
            issued_by=actor.user,
            supersedes=corrects.id if corrects else None,
            correction_reason=reason,
        )
    )
    uow.audit(
        action="document.corrected" if corrects else "document.issued",
        subject=draft.subject,
        rule=kind.spec.rule,
        detail={
            "kind": kind.value,
            "instance": draft.instance,
            "number": doc.number,
            "sha256": sha,
            "content_digest": digest,
            "pages": rendered.pages,
            **({"supersedes": corrects.number, "reason": reason} if corrects else {}),
        },
        actor=actor,
    )
    issued = await current(uow.session, subject=draft.subject, kind=kind, instance=draft.instance)
    assert issued is not None
    assert issued.id == new_id
    return issued


async def obtain(
    uow: UnitOfWork,
    ctx: ServiceContext,
    *,
    draft: DocumentDraft,
    actor: Principal,
    base_url: str,
    version: str | None = None,
) -> IssuedDocument:
    """The record's document of this kind: the one in force, or (`version`: the SHA-256 of
    its file) an earlier one it superseded. Not issued yet: the issuing organisation's caller
    issues it now; anyone else is told it is not issued (409)."""
    if version is not None:
        found = await by_digest(uow.session, version)
        if (
            found is None
            or found.sha256 != version
            or (found.subject, found.kind, found.instance)
            != (draft.subject, draft.kind, draft.instance)
        ):
            raise DocumentNotFound("no such version of this document", zh="未找到该公文的此版本")
        return found
    existing = await current(
        uow.session, subject=draft.subject, kind=draft.kind, instance=draft.instance
    )
    if existing is not None:
        return existing
    if actor.org != draft.issuer.code:
        raise DocumentNotIssued(
            f"{draft.issuer.code} has not issued its {draft.kind.label_en} yet",
            zh=f"{draft.issuer.name}尚未出具{draft.kind.label_zh}",
            issuer=draft.issuer.code,
            kind=draft.kind.value,
        )
    await _lock(uow.session, draft.subject, draft.kind, draft.instance)
    existing = await current(
        uow.session, subject=draft.subject, kind=draft.kind, instance=draft.instance
    )
    if existing is not None:  # issued by a concurrent request while we waited
        return existing
    return await _issue(uow, ctx, draft=draft, actor=actor, base_url=base_url)


CORRECTION_SCOPE = "document.correct"


async def correct(
    uow: UnitOfWork,
    ctx: ServiceContext,
    *,
    draft: DocumentDraft,
    actor: Principal,
    base_url: str,
    reason: str,
    idempotency_key: str | None = None,
) -> IssuedDocument:
    """A corrected document: rendered again from the record as it stands, under a new number,
    superseding the one in force (which is kept, and still verifies as superseded). A retry
    with the same Idempotency-Key returns the correction the first request made."""
    if actor.org != draft.issuer.code:
        raise NotTheIssuer(
            f"only {draft.issuer.code} corrects its {draft.kind.label_en}",
            zh=f"只有{draft.issuer.name}可以更正其{draft.kind.label_zh}",
            issuer=draft.issuer.code,
        )
    replay = await idempotency.claim(
        uow,
        scope=CORRECTION_SCOPE,
        org=actor.org,
        key=idempotency_key,
        request={
            "subject": draft.subject,
            "kind": draft.kind.value,
            "instance": draft.instance,
            "reason": reason,
        },
    )
    if replay is not None:
        found = await _by_id(uow.session, uuid.UUID(replay))
        assert found is not None
        return found
    await _lock(uow.session, draft.subject, draft.kind, draft.instance)
    existing = await current(
        uow.session, subject=draft.subject, kind=draft.kind, instance=draft.instance
    )
    if existing is None:
        raise DocumentNotIssued(
            "there is no issued document to correct",
            zh=f"尚未出具{draft.kind.label_zh}，无可更正",
            issuer=draft.issuer.code,
            kind=draft.kind.value,
        )
    corrected = await _issue(
        uow, ctx, draft=draft, actor=actor, base_url=base_url, corrects=existing, reason=reason
    )
    await idempotency.remember(
        uow,
        scope=CORRECTION_SCOPE,
        org=actor.org,
        key=idempotency_key,
        resource_id=str(corrected.id),
    )
    return corrected
