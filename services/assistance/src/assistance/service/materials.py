"""Files on a request: the town's attachments (ASSIST-01) and the department's result
(ASSIST-02), stored by SHA-256 after the size and type checks."""

from __future__ import annotations

import uuid

from assistance.domain import MaterialKind, Step
from assistance.models import AssistanceMaterial
from assistance.service.common import ACTING_ROLES, REQUEST
from xietong_common import materials
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.errors import Forbidden
from xietong_common.uow import UnitOfWork

MATERIAL_SCOPE = "assistance.material"


async def add_material(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    request_id: uuid.UUID,
    actor: Principal,
    title: str | None,
    upload: materials.Upload,
    idempotency_key: str | None = None,
) -> AssistanceMaterial:
    """The town attaches materials to its request (until the result is delivered); the
    department uploads its result while the assistance is under way. Which it is follows
    from who uploads."""
    r = await REQUEST.load_for(uow, request_id, actor)
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
    REQUEST.check(r, step)
    # The file is stored by its SHA-256 whatever happens; the key decides whether this is a
    # retry of an upload already recorded (same file and title) or a new one.
    stored = await materials.store_material(ctx, upload, fallback=f"{kind.value}.bin")
    material, added = await materials.add_material(
        uow,
        AssistanceMaterial(
            request_id=r.id, kind=kind.value, title=title or stored.filename, uploaded_org=actor.org
        ),
        stored,
        by=actor,
        claim=materials.Claim(
            f"{MATERIAL_SCOPE}:{r.id}",
            idempotency_key,
            {"filename": stored.filename, "title": title},
        ),
    )
    if not added:
        return material
    r.materials.append(material)  # the request loaded with its files shows this one too
    r.updated_at = uow.now
    REQUEST.audit(
        uow,
        r,
        step.value,
        rule=step.rule,
        material_id=str(material.id),
        kind=kind.value,
        sha256=stored.sha256,
        size=stored.size,
    )
    return material
