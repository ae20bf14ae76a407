"""Uploading files: the town's attachments (ASSIST-01), the department's result (ASSIST-02)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status

from assistance import service as assistance_service
from assistance.api.common import PARTIES, make_router
from assistance.schemas import MaterialOut
from assistance.service.common import ACTING_ROLES
from assistance.views import material_out
from xietong_common.schemas import Line
from xietong_common.web import Context, CurrentPrincipal
from xietong_common.web.access import Allowed
from xietong_common.web.deps import IdempotencyKey
from xietong_common.web.problems import UPLOAD_ERRORS

router: APIRouter = make_router()


@router.post(
    "/{request_id:uuid}/materials",
    response_model=MaterialOut,
    status_code=status.HTTP_201_CREATED,
    summary="Upload a file: the town's attachment or the department's result (multipart)",
    responses=UPLOAD_ERRORS,
    dependencies=[Allowed(roles=ACTING_ROLES, orgs=PARTIES)],
)
async def upload_material(
    request_id: uuid.UUID,
    ctx: Context,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="the document (PDF, OFD, image, Office…)")],
    title: Annotated[Line | None, Form(description="a title; the file name if none")] = None,
    idempotency_key: IdempotencyKey = None,
) -> MaterialOut:
    """The town attaches materials to its request (draft to accepted); the department uploads
    its result (materials, appraisal or test report) while the assistance is under way. A
    retry with the same Idempotency-Key (and file) returns the first upload."""
    async with ctx.db.uow(actor=principal) as uow:
        material = await assistance_service.add_material(
            uow,
            ctx=ctx,
            request_id=request_id,
            actor=principal,
            title=title,
            upload=file,
            idempotency_key=idempotency_key,
        )
        return material_out(material)
