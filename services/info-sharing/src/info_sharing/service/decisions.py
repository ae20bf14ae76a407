"""INFO-04, category 4: a town's penalty decision from `review.decided` (REV-08), shared with
the departments concerned that asked for feedback on its matter (二(一) 4.)."""

from __future__ import annotations

from decimal import Decimal

from info_sharing.domain.categories import Category, ExecutionStatus
from info_sharing.domain.items import audience_of
from info_sharing.models import Item
from info_sharing.service.common import (
    publish,
    requesting_departments,
)
from info_sharing.service.sourced import (
    REVIEW_DECIDED,
    SYSTEM,
    china_day,
    insert_sourced,
    withheld,
)
from xietong_common.context import ServiceContext
from xietong_common.contracts.review import DecisionOutcome, ReviewDecided
from xietong_common.parties import PartyKind
from xietong_common.reference import OrgKind
from xietong_common.uow import UnitOfWork

# ---- category 4 from the head's decision (REV-08) -------------------------------------------


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


async def from_review_decided(
    uow: UnitOfWork, *, ctx: ServiceContext, event: ReviewDecided, event_id: str | None
) -> Item | None:
    """INFO-04: a town's penalty decision becomes the category-4 item for the departments
    concerned that asked for feedback on its matter — and only for them. A decision naming a
    town or a matter the reference data does not know is refused as a request would be."""
    source_id = str(event.review_id)
    if withheld(
        uow,
        event,
        via="review.decided",
        source_kind=REVIEW_DECIDED,
        source_id=source_id,
        event_id=event_id,
    ):
        return None
    if event.outcome is not DecisionOutcome.DECIDED_AS_PROPOSED:
        return None  # no penalty was decided here: nothing to feed back
    case = event.case
    ctx.directory.require(event.town, OrgKind.TOWN)
    ctx.directory.require(case.place_town, OrgKind.TOWN)
    matter = ctx.catalogue.require(case.matter_code)
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
            f"决定日期：{china_day(event.decided_at)}（负责人：{event.decider}）",
            f"法制审核意见：{event.opinion.label_zh}",
            f"未采纳审核意见的理由：{event.reason}"
            if event.against_opinion and event.reason
            else None,
            f"执行情况：{event.execution or ExecutionStatus.NOT_STARTED.label_zh}",
        )
        if line
    )
    item = await insert_sourced(
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
            "decided_on": china_day(event.decided_at),
            "fine": _money(event.fine),
            "confiscated_gains": _money(event.confiscated_gains),
            "confiscated_property_value": _money(event.confiscated_property_value),
            "execution": ExecutionStatus.NOT_STARTED.value,
            "execution_note": event.execution,
            "review_round": event.round,
            "against_opinion": event.against_opinion,
        },
        matter_codes=[matter.code],
        towns=[case.place_town],
        restricted=restricted,
        audience=audience,
    )
    if item is None:
        return None  # this decision already made its item (a re-published event)
    await publish(uow, ctx, item, by=SYSTEM, rule="INFO-04")
    return item
