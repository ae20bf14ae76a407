"""INFO-04, category 8: complaint and report records posted by intake platforms (the 12345
hotline system …), one item per platform record, its handling status kept current."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from info_sharing.domain.categories import Category
from info_sharing.domain.items import Step, audience_of
from info_sharing.models import Item
from info_sharing.schemas.requests import ComplaintIn
from info_sharing.service.common import (
    ITEM,
    PLATFORM_ROLES,
    org_name,
    publish,
    screen_model,
)
from info_sharing.service.sourced import (
    COMPLAINT,
    china_time,
    find_source,
    insert_sourced,
    record_update,
    updated,
)
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.context import ServiceContext
from xietong_common.reference import OrgKind
from xietong_common.uow import UnitOfWork

COMPLAINT_SCOPE = "info.complaint.post"


# ---- category 8 from intake platforms --------------------------------------------------------


def _complaint_body(ctx: ServiceContext, data: ComplaintIn) -> str:
    lines = [
        data.content,
        "",
        f"来源：{data.platform}（{data.record_id}），{data.kind.label_zh}，"
        f"受理时间 {china_time(data.received_at)}",
        f"办理单位：{org_name(ctx, data.handling_org)}",
        f"办理状态：{data.status.label_zh}（{china_time(data.status_at)}）",
    ]
    if data.result:
        lines.append(f"处理结果：{data.result}")
    return "\n".join(lines)


def _complaint_details(data: ComplaintIn) -> dict[str, Any]:
    return {
        "platform": data.platform,
        "record_id": data.record_id,
        "kind": data.kind.value,
        "received_at": data.received_at.isoformat(),
        "handling_org": data.handling_org,
        "place_town": data.place_town,
        "status": data.status.value,
        "status_at": data.status_at.isoformat(),
        "result": data.result,
    }


async def post_complaint(
    uow: UnitOfWork,
    *,
    ctx: ServiceContext,
    actor: Principal,
    data: ComplaintIn,
    idempotency_key: str | None = None,
) -> tuple[Item, bool, bool]:
    """INFO-04 (category 8): the first post of a platform record makes its item and notifies
    the subscribers; a later one with a newer status brings it up to date (an older one is
    kept in the history only). Returns (item, created, status applied)."""
    screen_model(data, declared=data.classification)
    actor.require_role(*PLATFORM_ROLES)
    ctx.directory.require(data.handling_org, OrgKind.TOWN, OrgKind.DEPARTMENT)
    towns = sorted(
        ctx.directory.require_all([data.place_town] if data.place_town else [], OrgKind.TOWN)
    )
    matters = sorted(ctx.catalogue.require_all(data.matter_codes))
    given = sorted(ctx.directory.require_all(data.audience)) if data.audience is not None else None
    replay = await idempotency.claim(
        uow, scope=COMPLAINT_SCOPE, org=actor.org, key=idempotency_key, request=data
    )
    source_id = f"{actor.org}|{data.platform}|{data.record_id}"
    if replay is not None:
        item = await find_source(uow, COMPLAINT, source_id)
        assert item is not None
        return item, False, False
    status_ref = f"{data.status.value}@{data.status_at.isoformat()}"
    restricted, audience = audience_of(given, publisher=actor.org)
    item = await insert_sourced(
        uow,
        source_kind=COMPLAINT,
        source_id=source_id,
        created_by=actor.user,
        category=Category.COMPLAINTS.value,
        publisher=actor.org,
        title=data.title,
        body=_complaint_body(ctx, data),
        details=_complaint_details(data),
        matter_codes=matters,
        towns=towns,
        restricted=restricted,
        audience=audience,
    )
    created = applied = item is not None
    if item is not None:
        await record_update(
            uow,
            item,
            change="complaint-status",
            source_ref=status_ref,
            status=data.status.value,
            note=data.result,
            source_at=data.status_at,
        )
        await publish(uow, ctx, item, by=actor.user, rule="INFO-04")
    else:
        item = await find_source(uow, COMPLAINT, source_id)
        assert item is not None
        new = await record_update(
            uow,
            item,
            change="complaint-status",
            source_ref=status_ref,
            status=data.status.value,
            note=data.result,
            source_at=data.status_at,
        )
        current_at = datetime.fromisoformat(str(item.details.get("status_at")))
        applied = new and data.status_at > current_at
        if applied:
            ITEM.transition(item, Step.UPDATE_FROM_SOURCE, uow.now)
            item.title, item.body = data.title, _complaint_body(ctx, data)
            item.details = _complaint_details(data)
            item.matter_codes, item.towns = matters, towns
            await updated(
                uow,
                ctx,
                item,
                change="complaint-status",
                status=data.status.value,
                record_id=data.record_id,
            )
        elif new:
            ITEM.audit(
                uow,
                item,
                "complaint-status-history",
                rule="INFO-04",
                status=data.status.value,
                note="an older status than the one on record: kept in the history only",
            )
    await idempotency.remember(
        uow, scope=COMPLAINT_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(item.id)
    )
    return item, created, applied
