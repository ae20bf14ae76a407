"""INFO-04, category 3: a department's inspection record from `inspection.finding` and
`inspection.closed` (INSP-07), one item per inspection kept up to date."""

from __future__ import annotations

from info_sharing.domain.categories import Category
from info_sharing.domain.items import Step
from info_sharing.models import Item
from info_sharing.service.common import (
    ITEM,
    org_name,
    publish,
)
from info_sharing.service.sourced import (
    INSPECTION,
    SYSTEM,
    china_day,
    china_time,
    find_source,
    insert_sourced,
    record_update,
    updated,
    withheld,
)
from xietong_common.context import ServiceContext
from xietong_common.contracts.inspection import (
    FindingOutcome,
    InspectionClosed,
    InspectionFindingRecorded,
)
from xietong_common.reference import OrgKind
from xietong_common.uow import UnitOfWork

# ---- category 3 from a department's inspection records (INSP-07) ------------------------------


def _inspection_title(ctx: ServiceContext, org: str, order_number: str | None) -> str:
    return f"{org_name(ctx, org)}执法检查情况" + (f"（{order_number}）" if order_number else "")


def _union(a: list[str], b: list[str]) -> list[str]:
    return sorted(set(a) | set(b))


async def from_inspection_finding(
    uow: UnitOfWork, *, ctx: ServiceContext, event: InspectionFindingRecorded, event_id: str | None
) -> Item | None:
    """INFO-04: a department's finding at one target adds to the inspection's record."""
    source_id = event.inspection_id
    if withheld(
        uow,
        event,
        via="inspection.finding",
        source_kind=INSPECTION,
        source_id=source_id,
        event_id=event_id,
    ):
        return None
    inspecting = ctx.directory.require(event.inspecting_org)
    ctx.directory.require(event.place_town, OrgKind.TOWN)
    item = await find_source(uow, INSPECTION, source_id)
    if item is None and inspecting.kind is not OrgKind.DEPARTMENT:
        return None  # a town's own inspection is not a department's record (二(一) 3.)
    target = f"（{event.target.name}）" if event.target else ""
    line = (
        f"{china_time(event.found_at)} {org_name(ctx, event.place_town)}{target}："
        f"{event.outcome.label_zh}。{event.description}"
    )
    problem = int(event.outcome is not FindingOutcome.NO_PROBLEM)
    towns = [event.place_town]
    matters = [m for m in (event.matter_code,) if m is not None and m in ctx.catalogue]
    if item is None:
        item = await insert_sourced(
            uow,
            source_kind=INSPECTION,
            source_id=source_id,
            created_by=SYSTEM,
            category=Category.INSPECTION_RECORDS.value,
            publisher=event.inspecting_org,
            title=_inspection_title(ctx, event.inspecting_org, None),
            body=f"检查发现：\n{line}",
            details={
                "inspected_from": china_day(event.found_at),
                "inspected_to": None,
                "order_number": None,
                "targets": 1,
                "problems_found": problem,
                "closed": False,
            },
            matter_codes=matters,
            towns=towns,
            restricted=False,
            audience=[],
        )
        if item is not None:
            await record_update(
                uow,
                item,
                change="inspection-finding",
                source_ref=event.finding_id,
                status=event.outcome.value,
                source_at=event.found_at,
            )
            await publish(uow, ctx, item, by=SYSTEM, rule="INFO-04")
            return item
        item = await find_source(uow, INSPECTION, source_id)
        assert item is not None
    if not await record_update(
        uow,
        item,
        change="inspection-finding",
        source_ref=event.finding_id,
        status=event.outcome.value,
        source_at=event.found_at,
    ):
        return item  # this finding is on the record already
    ITEM.transition(item, Step.UPDATE_FROM_SOURCE, uow.now)
    details = dict(item.details)
    if not details.get("closed"):
        # once the work order closed, its own counts are the record's (a finding delivered
        # after the closing, on another topic, adds its line but is already counted)
        details["targets"] = int(details.get("targets") or 0) + 1
        details["problems_found"] = int(details.get("problems_found") or 0) + problem
    item.details = details
    item.body = f"{item.body}\n{line}"
    item.matter_codes = _union(item.matter_codes, matters)
    item.towns = _union(item.towns, towns)
    await updated(uow, ctx, item, change="inspection-finding", finding_id=event.finding_id)
    return item


async def from_inspection_closed(
    uow: UnitOfWork, *, ctx: ServiceContext, event: InspectionClosed, event_id: str | None
) -> Item | None:
    """INFO-04: the closed, archived work order completes the department's inspection record."""
    source_id = event.inspection_id
    if withheld(
        uow,
        event,
        via="inspection.closed",
        source_kind=INSPECTION,
        source_id=source_id,
        event_id=event_id,
    ):
        return None
    problems = sum(t.outcome is not FindingOutcome.NO_PROBLEM for t in event.targets)
    summary = [
        f"检查结束（工单 {event.order_number}，{china_time(event.closed_at)}）："
        f"共检查 {len(event.targets)} 个对象，发现问题 {problems} 个。",
        *(
            f"{t.name}（{org_name(ctx, t.town)}）：{t.outcome.label_zh}。{t.summary}"
            for t in event.targets
        ),
    ]
    initiating = ctx.directory.require(event.initiating_org)
    towns = ctx.directory.require_all(event.towns, OrgKind.TOWN)
    matters = [m for m in event.matter_codes if m in ctx.catalogue]
    closed = {
        "inspected_to": china_day(event.closed_at),
        "order_number": event.order_number,
        "targets": len(event.targets),
        "problems_found": problems,
        "closed": True,
        "scenario": event.scenario,
        "participants": sorted(event.participants),
    }
    item = await find_source(uow, INSPECTION, source_id)
    if item is None:
        if initiating.kind is not OrgKind.DEPARTMENT:
            return None
        item = await insert_sourced(
            uow,
            source_kind=INSPECTION,
            source_id=source_id,
            created_by=SYSTEM,
            category=Category.INSPECTION_RECORDS.value,
            publisher=event.initiating_org,
            title=_inspection_title(ctx, event.initiating_org, event.order_number),
            body="\n".join(summary),
            details={"inspected_from": china_day(event.closed_at), **closed},
            matter_codes=matters,
            towns=towns,
            restricted=False,
            audience=[],
        )
        if item is not None:
            await record_update(
                uow,
                item,
                change="inspection-closed",
                source_ref=source_id,
                source_at=event.closed_at,
            )
            await publish(uow, ctx, item, by=SYSTEM, rule="INFO-04")
            return item
        item = await find_source(uow, INSPECTION, source_id)
        assert item is not None
    if not await record_update(
        uow, item, change="inspection-closed", source_ref=source_id, source_at=event.closed_at
    ):
        return item
    ITEM.transition(item, Step.UPDATE_FROM_SOURCE, uow.now)
    item.details = {**item.details, **closed}
    item.title = _inspection_title(ctx, item.publisher, event.order_number)
    item.body = "\n".join([item.body, *summary])
    item.matter_codes = _union(item.matter_codes, matters)
    item.towns = _union(item.towns, towns)
    await updated(uow, ctx, item, change="inspection-closed")
    return item
