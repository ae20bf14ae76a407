"""The publisher's routes: draft, replace, attach, publish, discard; the reader's receipt."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from info_sharing import service as info_service
from info_sharing.api.common import SCREENED, detail, unit_of_work
from info_sharing.schemas import AttachmentOut, ItemIn, ItemOut, ReceiptOut
from info_sharing.schemas.requests import ClassificationIn
from info_sharing.service.common import PUBLISHING_ROLES
from info_sharing.views import attachment_out, receipt_out
from xietong_common.schemas import Line
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import ANY, Allowed
from xietong_common.web.deps import IdempotencyKey
from xietong_common.web.problems import WRITE_ERRORS, problem_responses

router = APIRouter(prefix="/items", tags=["information"], dependencies=[SCREENED])


@router.post(
    "",
    response_model=ItemOut,
    status_code=status.HTTP_201_CREATED,
    summary="INFO-01: share an item (a draft, or published at once)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=PUBLISHING_ROLES)],
)
async def create(
    data: ItemIn, ctx: Context, principal: CurrentPrincipal, idempotency_key: IdempotencyKey = None
) -> ItemOut:
    """INFO-01: an item in one of the nine categories; INFO-02: one marked 绝密/机密/秘密 is
    refused and nothing of it is kept; with `publish`, INFO-03 notifies every subscriber at
    once. With `supersedes`, a newer version of the publisher's current item. A retry with
    the same Idempotency-Key returns the same item."""
    async with unit_of_work(ctx, principal, via="POST /items") as uow:
        item = await info_service.create(
            uow, ctx=ctx, actor=principal, data=data, idempotency_key=idempotency_key
        )
        return await detail(uow.session, item, ctx, principal)


@router.put(
    "/{item_id:uuid}",
    response_model=ItemOut,
    summary="Replace a draft's content",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=PUBLISHING_ROLES)],
)
async def replace(
    item_id: uuid.UUID, data: ItemIn, ctx: Context, principal: CurrentPrincipal
) -> ItemOut:
    """Replace the whole content of a draft (same category); `publish` publishes it."""
    async with unit_of_work(ctx, principal, via="PUT /items/{id}") as uow:
        item = await info_service.replace(uow, ctx=ctx, item_id=item_id, actor=principal, data=data)
        return await detail(uow.session, item, ctx, principal)


@router.delete(
    "/{item_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Discard a draft",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=PUBLISHING_ROLES)],
)
async def discard(item_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> Response:
    """Only a draft is deleted; a published item stays, and a newer version replaces it."""
    async with ctx.db.uow(actor=principal) as uow:
        await info_service.discard(uow, item_id=item_id, actor=principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{item_id:uuid}/attachments",
    response_model=AttachmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Attach a file to a draft (multipart)",
    responses=problem_responses(401, 403, 404, 409, 413, 415, 422),
    dependencies=[Allowed(roles=PUBLISHING_ROLES)],
)
async def attach(
    item_id: uuid.UUID,
    ctx: Context,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="PDF, OFD, Office, image, CSV …")],
    title: Annotated[Line | None, Form(description="defaults to the file name")] = None,
    classification: Annotated[
        ClassificationIn | None,
        Form(
            description="INFO-02: for a file whose text cannot be read (a scan, an image, an "
            "encrypted PDF, a 97-2003 Office file), the uploader's declaration that it holds no "
            "state secret: `none` (非涉密). A level (秘密, 机密, 绝密) is refused."
        ),
    ] = None,
) -> AttachmentOut:
    """INFO-01: a document or (category 5) the statistics table. INFO-02: the title, the file
    name and the file's content — the text of a PDF, .docx, .xlsx, .ofd, CSV or text file,
    in any encoding Chinese office software writes — are screened before the file is
    stored; its type is told from its bytes. A file whose text cannot be read is refused
    (`info-attachment-unscreened`) unless `classification=none` is declared for it."""
    async with unit_of_work(ctx, principal, via="POST /items/{id}/attachments") as uow:
        attachment = await info_service.add_attachment(
            uow,
            ctx=ctx,
            item_id=item_id,
            actor=principal,
            title=title,
            upload=file,
            classification=classification,
        )
        return attachment_out(attachment)


@router.delete(
    "/{item_id:uuid}/attachments/{attachment_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take a file off a draft",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=PUBLISHING_ROLES)],
)
async def detach(
    item_id: uuid.UUID, attachment_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal
) -> Response:
    """E.g. a file carried over from the version the draft replaces."""
    async with ctx.db.uow(actor=principal) as uow:
        await info_service.remove_attachment(
            uow, item_id=item_id, attachment_id=attachment_id, actor=principal
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{item_id:uuid}/publish",
    response_model=ItemOut,
    summary="INFO-03: publish a draft and notify the subscribers",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=PUBLISHING_ROLES)],
)
async def publish(item_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> ItemOut:
    """Every subscriber's inbox (and a restricted item's named organisations) gets it in the
    same transaction; `info.published` follows through the outbox."""
    async with ctx.db.uow(actor=principal) as uow:
        item = await info_service.publish_draft(uow, ctx=ctx, item_id=item_id, actor=principal)
        return await detail(uow.session, item, ctx, principal)


@router.post(
    "/{item_id:uuid}/read",
    response_model=ReceiptOut,
    summary="INFO-03: mark an item read (the read receipt)",
    responses=WRITE_ERRORS,
    dependencies=[Allowed(roles=ANY)],
)
async def mark_read(item_id: uuid.UUID, ctx: Context, principal: CurrentPrincipal) -> ReceiptOut:
    """The first read by the caller's organisation is its receipt, which the publisher sees;
    reading again changes nothing."""
    async with ctx.db.uow(actor=principal) as uow:
        delivery = await info_service.mark_read(uow, ctx=ctx, item_id=item_id, actor=principal)
        return receipt_out(delivery, ctx.directory, overdue=False)
