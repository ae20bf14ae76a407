"""INFO-04: items that write themselves from what another mechanism already knows, so nobody
types a fact twice — idempotent per source record (a unique source key), whatever event id
or retry brings it.

- category 4 from `review.decided` (REV-08): a town's penalty decision, where the department
  concerned (the matter's owner in the catalogue) asked for feedback on that matter;
- category 3 from a department's `inspection.finding` / `inspection.closed` (INSP-07): one
  record per inspection, kept up to date as findings arrive and the work order closes;
- category 8 from complaint records an intake platform posts (`POST /complaints`), one item
  per platform record, its handling status kept current.

INFO-02 applies here too: content that carries a secrecy marking makes no item and is not
dead-lettered; that it was withheld is audited, without the content.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert as pg_insert

from info_sharing import events
from info_sharing.domain.categories import Category, ExecutionStatus
from info_sharing.domain.items import ItemState, Step, audience_of
from info_sharing.domain.secrecy import flatten
from info_sharing.models import Item, ItemUpdate
from info_sharing.schemas.requests import ComplaintIn
from info_sharing.service.common import (
    PLATFORM_ROLES,
    audit_item,
    check_matters,
    check_orgs,
    markings_in,
    org_name,
    publish,
    record_refused,
    refresh_search,
    refusal,
    requesting_departments,
    screen_model,
    transition,
)
from xietong_common import idempotency
from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ
from xietong_common.context import ServiceContext
from xietong_common.contracts.inspection import (
    FindingOutcome,
    InspectionClosed,
    InspectionFindingRecorded,
)
from xietong_common.contracts.review import ReviewDecided
from xietong_common.parties import PartyKind
from xietong_common.reference import OrgKind
from xietong_common.uow import UnitOfWork

REVIEW_DECIDED = "review-decided"
INSPECTION = "inspection"
COMPLAINT = "complaint"
DECIDED_AS_PROPOSED = "decided-as-proposed"
SYSTEM = "system:info-sharing"
COMPLAINT_SCOPE = "info.complaint.post"


def withheld(
    uow: UnitOfWork,
    payload: BaseModel,
    *,
    via: str,
    source_kind: str,
    source_id: str,
    event_id: str | None,
) -> bool:
    """INFO-02 on a whole event payload: True (and audited, without the content) when it is
    marked secret, so the caller makes nothing of it — and nothing is retried or
    dead-lettered with it."""
    found = markings_in(flatten(payload.model_dump(mode="json")))
    if not found:
        return False
    record_refused(
        uow,
        refusal(found),
        via=via,
        source_kind=source_kind,
        source_id=source_id,
        event_id=event_id,
    )
    return True


def _china_day(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).date().isoformat()


def _china_time(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


async def _find(uow: UnitOfWork, kind: str, source_id: str) -> Item | None:
    return (
        await uow.session.execute(
            sa.select(Item)
            .where(Item.source_kind == kind, Item.source_id == source_id)
            .with_for_update()
        )
    ).scalar_one_or_none()


async def _insert(
    uow: UnitOfWork, *, source_kind: str, source_id: str, created_by: str, **values: Any
) -> Item | None:
    """A new item for this source, or None if the source already made one (its unique key)."""
    new_id = uuid.uuid4()
    inserted = (
        await uow.session.execute(
            pg_insert(Item)
            .values(
                id=new_id,
                series_id=new_id,
                version=1,
                state=ItemState.DRAFT.value,
                source_kind=source_kind,
                source_id=source_id,
                created_at=uow.now,
                created_by=created_by,
                updated_at=uow.now,
                **values,
            )
            .on_conflict_do_nothing(
                index_elements=[Item.source_kind, Item.source_id],
                index_where=Item.source_id.is_not(None),
            )
            .returning(Item.id)
        )
    ).scalar_one_or_none()
    if inserted is None:
        return None
    return (
        await uow.session.execute(sa.select(Item).where(Item.id == new_id).with_for_update())
    ).scalar_one()


async def _record_update(
    uow: UnitOfWork,
    item: Item,
    *,
    change: str,
    source_ref: str,
    status: str | None = None,
    note: str | None = None,
    source_at: datetime | None = None,
) -> bool:
    """Note a change from the source once per source reference; False if it was seen."""
    inserted = (
        await uow.session.execute(
            pg_insert(ItemUpdate)
            .values(
                id=uuid.uuid4(),
                item_id=item.id,
                change=change,
                source_ref=source_ref,
                status=status,
                note=note,
                source_at=source_at,
                at=uow.now,
            )
            .on_conflict_do_nothing(constraint="uq_item_updates_source")
            .returning(ItemUpdate.id)
        )
    ).scalar_one_or_none()
    if inserted is not None:
        await uow.session.refresh(item, ["updates"])
    return inserted is not None


def _skip(uow: UnitOfWork, subject: str, reason: str, **detail: Any) -> None:
    """An event that cannot make an item as the REST path would not either: on record."""
    uow.audit(
        action="info.not-made", subject=subject, rule="INFO-04", detail={"reason": reason, **detail}
    )


# ---- category 4 from the head's decision (REV-08) -------------------------------------------


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


async def from_review_decided(
    uow: UnitOfWork, *, ctx: ServiceContext, event: ReviewDecided, event_id: str | None
) -> Item | None:
    """INFO-04: a town's penalty decision becomes the category-4 item for the departments
    concerned that asked for feedback on its matter — and only for them."""
    source_id = event.review_id
    if withheld(
        uow,
        event,
        via="review.decided",
        source_kind=REVIEW_DECIDED,
        source_id=source_id,
        event_id=event_id,
    ):
        return None
    if event.outcome != DECIDED_AS_PROPOSED:
        return None  # no penalty was decided here: nothing to feed back
    case = event.case
    matter = ctx.catalogue.get(case.matter_code)
    if not ctx.directory.is_town(event.town) or matter is None:
        _skip(
            uow,
            f"review:{source_id}",
            "the town or the matter is not in the reference data",
            town=event.town,
            matter_code=case.matter_code,
        )
        return None
    asked = await requesting_departments(uow, ctx, [matter.code])
    if not asked:
        return None  # 二(一) 4.: only where the department concerned asked for feedback
    restricted, audience = audience_of([], publisher=event.town, required=asked)
    number = event.decision_number or case.case_number or f"审核{event.review_id}"
    party = case.party
    kind = party.kind if party and party.kind in {k.value for k in PartyKind} else None
    money = [
        ("罚款", event.fine),
        ("没收违法所得", event.confiscated_gains),
        ("没收非法财物价值", event.confiscated_property_value),
    ]
    penalty = "；".join(f"{name}{_money(v)}元" for name, v in money if v) or "不予罚款"
    body = "\n".join(
        line
        for line in (
            f"案件事实：{case.facts}",
            f"当事人：{party.name}" if party else None,
            f"处罚决定：{penalty}",
            f"决定日期：{_china_day(event.decided_at)}（负责人：{event.decider}）",
            f"法制审核意见：{event.opinion.label_zh}",
            f"未采纳审核意见的理由：{event.reason}"
            if event.against_opinion and event.reason
            else None,
            f"执行情况：{event.execution or ExecutionStatus.NOT_STARTED.label_zh}",
        )
        if line
    )
    item = await _insert(
        uow,
        source_kind=REVIEW_DECIDED,
        source_id=source_id,
        created_by=event.decider,
        category=Category.PENALTY_DECISIONS.value,
        publisher=event.town,
        title=f"行政处罚决定 {number}（{matter.name_zh}）",
        body=body,
        details={
            "decision_number": number,
            "case_number": case.case_number,
            "party_name": party.name if party else None,
            "party_kind": kind,
            "decided_on": _china_day(event.decided_at),
            "fine": _money(event.fine),
            "confiscated_gains": _money(event.confiscated_gains),
            "confiscated_property_value": _money(event.confiscated_property_value),
            "execution": ExecutionStatus.NOT_STARTED.value,
            "execution_note": event.execution,
            "review_round": event.round,
            "against_opinion": event.against_opinion,
        },
        matter_codes=[matter.code],
        towns=[case.place_town] if ctx.directory.is_town(case.place_town) else [],
        restricted=restricted,
        audience=audience,
    )
    if item is None:
        return None  # this decision already made its item (a re-published event)
    await publish(uow, ctx, item, by=SYSTEM, rule="INFO-04")
    return item


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
    item = await _find(uow, INSPECTION, source_id)
    if item is None and not ctx.directory.is_department(event.inspecting_org):
        return None  # a town's own inspection is not a department's record (二(一) 3.)
    target = f"（{event.target.name}）" if event.target else ""
    line = (
        f"{_china_time(event.found_at)} {org_name(ctx, event.place_town)}{target}："
        f"{event.outcome.label_zh}。{event.description}"
    )
    problem = int(event.outcome is not FindingOutcome.NO_PROBLEM)
    towns = [event.place_town] if ctx.directory.is_town(event.place_town) else []
    matters = [m for m in (event.matter_code,) if m is not None and m in ctx.catalogue]
    if item is None:
        item = await _insert(
            uow,
            source_kind=INSPECTION,
            source_id=source_id,
            created_by=SYSTEM,
            category=Category.INSPECTION_RECORDS.value,
            publisher=event.inspecting_org,
            title=_inspection_title(ctx, event.inspecting_org, None),
            body=f"检查发现：\n{line}",
            details={
                "inspected_from": _china_day(event.found_at),
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
            await _record_update(
                uow,
                item,
                change="inspection-finding",
                source_ref=event.finding_id,
                status=event.outcome.value,
                source_at=event.found_at,
            )
            await publish(uow, ctx, item, by=SYSTEM, rule="INFO-04")
            return item
        item = await _find(uow, INSPECTION, source_id)
        assert item is not None
    if not await _record_update(
        uow,
        item,
        change="inspection-finding",
        source_ref=event.finding_id,
        status=event.outcome.value,
        source_at=event.found_at,
    ):
        return item  # this finding is on the record already
    transition(item, Step.UPDATE_FROM_SOURCE, uow)
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
    await _updated(uow, ctx, item, change="inspection-finding", finding_id=event.finding_id)
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
        f"检查结束（工单 {event.order_number}，{_china_time(event.closed_at)}）："
        f"共检查 {len(event.targets)} 个对象，发现问题 {problems} 个。",
        *(
            f"{t.name}（{org_name(ctx, t.town)}）：{t.outcome.label_zh}。{t.summary}"
            for t in event.targets
        ),
    ]
    towns = [t for t in event.towns if ctx.directory.is_town(t)]
    matters = [m for m in event.matter_codes if m in ctx.catalogue]
    closed = {
        "inspected_to": _china_day(event.closed_at),
        "order_number": event.order_number,
        "targets": len(event.targets),
        "problems_found": problems,
        "closed": True,
        "scenario": event.scenario,
        "participants": sorted(event.participants),
    }
    item = await _find(uow, INSPECTION, source_id)
    if item is None:
        if not ctx.directory.is_department(event.initiating_org):
            return None
        item = await _insert(
            uow,
            source_kind=INSPECTION,
            source_id=source_id,
            created_by=SYSTEM,
            category=Category.INSPECTION_RECORDS.value,
            publisher=event.initiating_org,
            title=_inspection_title(ctx, event.initiating_org, event.order_number),
            body="\n".join(summary),
            details={"inspected_from": _china_day(event.closed_at), **closed},
            matter_codes=matters,
            towns=towns,
            restricted=False,
            audience=[],
        )
        if item is not None:
            await _record_update(
                uow,
                item,
                change="inspection-closed",
                source_ref=source_id,
                source_at=event.closed_at,
            )
            await publish(uow, ctx, item, by=SYSTEM, rule="INFO-04")
            return item
        item = await _find(uow, INSPECTION, source_id)
        assert item is not None
    if not await _record_update(
        uow, item, change="inspection-closed", source_ref=source_id, source_at=event.closed_at
    ):
        return item
    transition(item, Step.UPDATE_FROM_SOURCE, uow)
    item.details = {**item.details, **closed}
    item.title = _inspection_title(ctx, item.publisher, event.order_number)
    item.body = "\n".join([item.body, *summary])
    item.matter_codes = _union(item.matter_codes, matters)
    item.towns = _union(item.towns, towns)
    await _updated(uow, ctx, item, change="inspection-closed")
    return item


async def _updated(
    uow: UnitOfWork,
    ctx: ServiceContext,
    item: Item,
    *,
    change: str,
    status: str | None = None,
    **detail: Any,
) -> None:
    await uow.session.flush()
    await refresh_search(uow, ctx, item)
    uow.publish(events.updated(item, change=change, status=status), key=str(item.id))
    audit_item(uow, item, change, "INFO-04", status=status, **detail)


# ---- category 8 from intake platforms --------------------------------------------------------


def _complaint_body(ctx: ServiceContext, data: ComplaintIn) -> str:
    lines = [
        data.content,
        "",
        f"来源：{data.platform}（{data.record_id}），{data.kind.label_zh}，"
        f"受理时间 {_china_time(data.received_at)}",
        f"办理单位：{org_name(ctx, data.handling_org)}",
        f"办理状态：{data.status.label_zh}（{_china_time(data.status_at)}）",
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
    check_orgs(ctx, [data.handling_org], kinds=[OrgKind.TOWN, OrgKind.DEPARTMENT])
    towns = check_orgs(ctx, [data.place_town] if data.place_town else [], kinds=[OrgKind.TOWN])
    matters = check_matters(ctx, data.matter_codes)
    given = check_orgs(ctx, data.audience) if data.audience is not None else None
    replay = await idempotency.claim(
        uow, scope=COMPLAINT_SCOPE, org=actor.org, key=idempotency_key, request=data
    )
    source_id = f"{actor.org}|{data.platform}|{data.record_id}"
    if replay is not None:
        item = await _find(uow, COMPLAINT, source_id)
        assert item is not None
        return item, False, False
    status_ref = f"{data.status.value}@{data.status_at.isoformat()}"
    restricted, audience = audience_of(given, publisher=actor.org)
    item = await _insert(
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
        await _record_update(
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
        item = await _find(uow, COMPLAINT, source_id)
        assert item is not None
        new = await _record_update(
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
            transition(item, Step.UPDATE_FROM_SOURCE, uow)
            item.title, item.body = data.title, _complaint_body(ctx, data)
            item.details = _complaint_details(data)
            item.matter_codes, item.towns = matters, towns
            await _updated(
                uow,
                ctx,
                item,
                change="complaint-status",
                status=data.status.value,
                record_id=data.record_id,
            )
        elif new:
            audit_item(
                uow,
                item,
                "complaint-status-history",
                "INFO-04",
                status=data.status.value,
                note="an older status than the one on record: kept in the history only",
            )
    await idempotency.remember(
        uow, scope=COMPLAINT_SCOPE, org=actor.org, key=idempotency_key, resource_id=str(item.id)
    )
    return item, created, applied
