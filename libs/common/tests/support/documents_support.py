"""A tiny service issuing one kind of document from a tiny record, to prove the document
facility on the real stack without any real service's rules."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import create_async_engine

from xietong_common import documents
from xietong_common.auth import Principal, ensure_party
from xietong_common.context import ServiceContext
from xietong_common.documents.content import china_date, china_day_of
from xietong_common.documents.schemas import DocumentOut, document_out
from xietong_common.errors import NotFound
from xietong_common.reference import OrgKind
from xietong_common.uow import UnitOfWork
from xietong_common.web import Context, CurrentPrincipal, ServiceSpec
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey
from xietong_common.web.documents import (
    CORRECTION_RESPONSES,
    DOCUMENT_RESPONSES,
    VersionQuery,
    base_url,
    pdf_response,
    verification_router,
)

letters_metadata = sa.MetaData()
letters = sa.Table(
    "letters",
    letters_metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("sender", sa.Text, nullable=False),
    sa.Column("receiver", sa.Text, nullable=False),
    sa.Column("facts", sa.Text, nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
)
KIND = documents.DocumentKind.REFERRAL_LETTER


async def create_letters_table(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(letters_metadata.create_all)
    await engine.dispose()


def draft_of(ctx: ServiceContext, row: sa.RowMapping) -> documents.DocumentDraft:
    sent = row["sent_at"]
    return documents.DocumentDraft(
        kind=KIND,
        subject=f"letter:{row['id']}",
        issuer=documents.issuer(ctx.directory, row["sender"]),
        title=KIND.label_zh,
        addressees=(documents.name_of(ctx.directory, row["receiver"]),),
        body=(
            documents.Paragraph(text=row["facts"]),
            documents.Paragraph(text=f"发送时间：{china_date(china_day_of(sent))}"),
        ),
        signed_on=china_day_of(sent),
    )


async def load(uow: UnitOfWork, letter_id: uuid.UUID, actor: Principal) -> sa.RowMapping:
    row = (
        (await uow.session.execute(sa.select(letters).where(letters.c.id == letter_id)))
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFound("no such letter", zh="未找到该函件")
    ensure_party(actor, [row["sender"], row["receiver"]], what="letter")
    if row["sent_at"] is None:
        raise documents.DocumentNotAvailable("the letter is not sent", zh="函件尚未发送")
    return row


class CorrectionIn(BaseModel):
    reason: str


def documents_service_spec(migrations_dir: Path) -> ServiceSpec:
    router = APIRouter(prefix="/letters", tags=["letters"])
    parties = (OrgKind.TOWN, OrgKind.DEPARTMENT)

    @router.get(
        "/{letter_id}/documents/letter.pdf",
        response_class=StreamingResponse,
        responses=DOCUMENT_RESPONSES,
        dependencies=[Allowed(roles=ANY, orgs=parties)],
    )
    async def letter_pdf(
        letter_id: uuid.UUID,
        request: Request,
        ctx: Context,
        principal: CurrentPrincipal,
        version: VersionQuery = None,
    ) -> StreamingResponse:
        async with ctx.db.uow(actor=principal) as uow:
            row = await load(uow, letter_id, principal)
            issued = await documents.obtain(
                uow,
                ctx,
                draft=draft_of(ctx, row),
                actor=principal,
                base_url=base_url(request),
                version=version,
            )
        return await pdf_response(ctx, issued)

    @router.post(
        "/{letter_id}/documents/letter/corrections",
        status_code=201,
        response_model=DocumentOut,
        responses=CORRECTION_RESPONSES,
        dependencies=[Allowed(roles=ANY, orgs=parties)],
    )
    async def correct(
        letter_id: uuid.UUID,
        data: CorrectionIn,
        request: Request,
        ctx: Context,
        principal: CurrentPrincipal,
        idempotency_key: IdempotencyKey = None,
    ) -> DocumentOut:
        async with ctx.db.uow(actor=principal) as uow:
            row = await load(uow, letter_id, principal)
            issued = await documents.correct(
                uow,
                ctx,
                draft=draft_of(ctx, row),
                actor=principal,
                base_url=base_url(request),
                reason=data.reason,
                idempotency_key=idempotency_key,
            )
        return document_out(issued)

    return ServiceSpec(
        name="documents-test",
        title="documents test service",
        description="test only",
        routers=[router, verification_router()],
        migrations_dir=migrations_dir,
        handlers={},
        settings_class=documents.DocumentSettings,
    )


async def add_letter(
    url: str, *, sender: str, receiver: str, facts: str, sent_at: datetime | None
) -> uuid.UUID:
    engine = create_async_engine(url)
    letter_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(letters).values(
                id=letter_id, sender=sender, receiver=receiver, facts=facts, sent_at=sent_at
            )
        )
    await engine.dispose()
    return letter_id
