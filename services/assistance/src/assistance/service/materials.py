"""Files on a request: the town's attachments (ASSIST-01) and the department's result
(ASSIST-02), stored by SHA-256 after the size and type checks."""

from __future__ import annotations

import uuid

from fastapi import UploadFile

from assistance import domain
from assistance.domain import AssistanceState, MaterialKind, Step
from assistance.models import AssistanceMaterial
from assistance.service.common import ACTING_ROLES, audit_step, load, parties
from xietong_common import idempotency
from xietong_common.auth import Principal, ensure_party
from xietong_common.context import ServiceContext
from xietong_common.errors import Forbidden, NotFound
from xietong_common.materials import store_material
from xietong_common.uow import UnitOfWork

MATERIAL_SCOPE = "assistance.material"


async def add_material(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    request_id: uuid.UUID,
    actor: Principal,
    title: str | None,
    upload: UploadFile,
    idempotency_key: str | None = None,
) -> AssistanceMaterial:
    """The town attaches materials to its request (until the result is delivered); the
    department uploads its result while the assistance is under way. Which it is follows
    from who uploads."""
    r = await load(uow, request_id)
    ensure_party(actor, parties(r).visible_to(), what="assistance request")
    if actor.org == r.town:
        step, kind = Step.ATTACH, MaterialKind.REQUEST
    elif actor.org == r.department:
        step, kind = Step.ADD_RESULT, MaterialKind.RESULT
    else:
        raise Forbidden(
            "only the town and the department of a request upload files to it",
            zh="只有提出请求的乡镇(街道)和被请求的部门可以上传材料",
        )
    actor.require_role(*ACTING_ROLES)
    domain.next_state(AssistanceState(r.state), step)
    blob = await store_material(ctx, upload, fallback=f"{kind.value}.bin")
    # The file is stored by its SHA-256 whatever happens; the key decides whether this is a
    # retry of an upload already recorded (same file and title) or a new one.
    scope = f"{MATERIAL_SCOPE}:{r.id}"
    replay = await idempotency.claim(
        uow,
        scope=scope,
        org=actor.org,
        key=idempotency_key,
        request={"sha256": blob.sha256, "filename": blob.filename, "title": title},
    )
    if replay is not None:
        found = next((m for m in r.materials if str(m.id) == replay), None)
        if found is None:
            raise NotFound("no such material", zh="未找到该材料")
        return found
    material = AssistanceMaterial(
        id=uuid.uuid4(),
        request_id=r.id,
        kind=kind.value,
        title=title or blob.filename,
        filename=blob.filename,
        content_type=blob.content_type,
        size=blob.size,
        sha256=blob.sha256,
        uploaded_at=uow.now,
        uploaded_by=actor.user,
        uploaded_org=actor.org,
    )
    r.materials.append(material)
    r.updated_at = uow.now
    await uow.session.flush()
    await idempotency.remember(
        uow, scope=scope, org=actor.org, key=idempotency_key, resource_id=str(material.id)
    )
    audit_step(
        uow,
        r,
        step,
        material_id=str(material.id),
        kind=kind.value,
        sha256=blob.sha256,
        size=blob.size,
    )
    return material
