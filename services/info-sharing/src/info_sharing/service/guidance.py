"""INFO-04 from SEC-05: a department's guidance document shared as an information item —
category 1 (a normative document) or 6 (a discretion benchmark or an enforcement workflow) —
from `secondment.guidance-recorded`, so nobody types it again."""

from __future__ import annotations

from typing import Any

from info_sharing.domain.categories import Category, DiscretionKind, NormLevel
from info_sharing.models import Item
from info_sharing.schemas.requests import DiscretionDetails, LawsNormsDetails
from info_sharing.service.common import publish
from info_sharing.service.sourced import SYSTEM, find_source, insert_sourced, withheld
from xietong_common.context import ServiceContext
from xietong_common.contracts.secondment import GuidanceRecorded, GuidanceSharedAs
from xietong_common.reference import OrgKind
from xietong_common.uow import UnitOfWork

GUIDANCE = "guidance"


def _category(event: GuidanceRecorded, issuing_body: str) -> tuple[Category, dict[str, Any]]:
    if event.shared_as is GuidanceSharedAs.NORMATIVE_DOCUMENT:
        return Category.LAWS_NORMS, LawsNormsDetails(
            level=NormLevel.NORMATIVE_DOCUMENT,
            issuing_body=issuing_body,
            document_number=event.document_number,
            issued_on=event.held_on,
            effective_from=event.held_on,
        ).model_dump(mode="json")
    return Category.DISCRETION_WORKFLOWS, DiscretionDetails(
        kind=DiscretionKind(event.shared_as.value if event.shared_as else "workflow"),
        document_number=event.document_number,
        effective_from=event.held_on,
    ).model_dump(mode="json")


async def from_guidance_recorded(
    uow: UnitOfWork, *, ctx: ServiceContext, event: GuidanceRecorded, event_id: str | None
) -> Item | None:
    """SEC-05 → INFO-04: the guidance document the department marked for sharing becomes
    one published item (unique on the activity), for the towns it reached and every
    subscriber of its category."""
    if event.shared_as is None:
        return None
    source_id = event.activity_id
    if withheld(
        uow,
        event,
        via="secondment.guidance-recorded",
        source_kind=GUIDANCE,
        source_id=source_id,
        event_id=event_id,
    ):
        return None
    department = ctx.directory.require(event.department, OrgKind.DEPARTMENT)
    towns = ctx.directory.require_all(event.towns, OrgKind.TOWN)
    category, details = _category(event, department.name_zh)
    body = "\n".join(
        x
        for x in (
            event.description or event.title,
            f"文号：{event.document_number}" if event.document_number else None,
        )
        if x
    )
    item = await insert_sourced(
        uow,
        source_kind=GUIDANCE,
        source_id=source_id,
        created_by=SYSTEM,
        category=category.value,
        publisher=event.department,
        title=event.title,
        body=body,
        details=details,
        matter_codes=[],
        towns=towns,
        restricted=False,
        audience=[],
    )
    if item is None:
        return await find_source(uow, GUIDANCE, source_id)
    await publish(uow, ctx, item, by=SYSTEM, rule="INFO-04")
    return item
