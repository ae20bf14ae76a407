"""SEC-05: a department records the guidance it gave the towns, with its materials."""

from __future__ import annotations

import uuid

from fastapi import UploadFile

from secondment import events
from secondment.domain.guidance import check_activity
from secondment.models import GuidanceActivity, GuidanceMaterial
from secondment.schemas import GuidanceCreate
from secondment.service.common import GUIDANCE_ROLES, audit, check_towns, require_department, today
from secondment.service.queries import get_guidance
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.errors import Forbidden
from xietong_common.materials import store_material
from xietong_common.uow import UnitOfWork

CREATE_SCOPE = "secondment.guidance.create"


def subject_of_activity(activity_id: uuid.UUID) -> str:
    return f"guidance:{activity_id}"


async def record_activity(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    data: GuidanceCreate,
    idempotency_key: str | None = None,
) -> GuidanceActivity:
    """SEC-05: one guidance activity of the caller's department: kind, day, towns reached,
    attendance; published as `secondment.guidance-recorded`."""
    department = require_department(ctx, actor, *GUIDANCE_ROLES)
    replay = await idempotency.claim(
        uow, scope=CREATE_SCOPE, org=department, key=idempotency_key, request=data
    )
    if replay is not None:
        return await get_guidance(uow.session, principal=actor, activity_id=uuid.UUID(replay))
    towns = check_towns(ctx, data.towns)
    check_activity(
        kind=data.kind,
        held_on=data.held_on,
        ended_on=data.ended_on,
        attendance=data.attendance,
        third_party=data.third_party,
        today=today(uow),
    )
    activity = GuidanceActivity(
        id=uuid.uuid4(),
        department=department,
        kind=data.kind.value,
        title=data.title,
        held_on=data.held_on,
        ended_on=data.ended_on,
        towns=list(towns),
        attendance=data.attendance,
        third_party=data.third_party,
        document_number=data.document_number,
        description=data.description,
        recorded_at=uow.now,
        recorded_by=actor.user,
        materials=[],
    )
    uow.session.add(activity)
    await uow.session.flush()
    await idempotency.remember(
        uow, scope=CREATE_SCOPE, org=department, key=idempotency_key, resource_id=str(activity.id)
    )
    uow.publish(events.guidance_recorded(activity), key=str(activity.id))
    audit(
        uow,
        action="guidance.recorded",
        subject=subject_of_activity(activity.id),
        rule="SEC-05",
        kind=data.kind.value,
        towns=list(towns),
        held_on=data.held_on.isoformat(),
    )
    return activity


async def add_material(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    activity_id: uuid.UUID,
    actor: Principal,
    title: str | None,
    upload: UploadFile,
) -> GuidanceMaterial:
    """SEC-05: the document, slides or attendance sheet of an activity, by its department."""
    activity = await get_guidance(uow.session, principal=actor, activity_id=activity_id)
    if actor.org != activity.department:
        raise Forbidden(
            "only the department that gave the guidance adds its materials",
            zh="只有开展业务指导的部门可以上传其材料",
            rule="SEC-05",
        )
    actor.require_role(*GUIDANCE_ROLES)
    blob = await store_material(ctx, upload, fallback="guidance.bin")
    material = GuidanceMaterial(
        id=uuid.uuid4(),
        activity_id=activity.id,
        title=title or blob.filename,  # the cleaned file name, never the raw one
        filename=blob.filename,
        content_type=blob.content_type,
        size=blob.size,
        sha256=blob.sha256,
        uploaded_at=uow.now,
        uploaded_by=actor.user,
    )
    activity.materials.append(material)
    await uow.session.flush()
    audit(
        uow,
        action="guidance.material-added",
        subject=subject_of_activity(activity.id),
        rule="SEC-05",
        material_id=str(material.id),
        sha256=blob.sha256,
    )
    return material
