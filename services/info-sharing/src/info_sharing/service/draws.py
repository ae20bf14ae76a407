"""INFO-04, category 3: a town's draw of inspection targets (双随机一公开, INSP-02) from
`inspection.selection-drawn`, published as it comes, one item per draw.

The notice names district departments as the producers of category 3 when an item is typed
(INFO-01); this item is not typed by anyone: the joint inspection service publishes the town's
draw, and its publisher is the town that drew. It carries what anyone needs to check the draw
(the seed, the commitment published before it, the snapshot's digest, the result's digest).
"""

from __future__ import annotations

from info_sharing.domain.categories import Category
from info_sharing.models import Item
from info_sharing.service.common import org_name, publish
from info_sharing.service.sourced import (
    SYSTEM,
    china_day,
    china_time,
    insert_sourced,
    record_update,
    withheld,
)
from xietong_common.context import ServiceContext
from xietong_common.contracts.inspection import InspectionSelectionDrawn
from xietong_common.reference import OrgKind
from xietong_common.uow import UnitOfWork

SELECTION = "inspection-selection"


def _body(ctx: ServiceContext, event: InspectionSelectionDrawn) -> str:
    lines = [
        f"检查计划：{event.plan_title}（应用场景：{event.scenario}）",
        f"抽取时间：{china_time(event.drawn_at)}；名录快照固定于 {china_time(event.committed_at)}，"
        f"共 {event.candidates} 个检查对象，抽中 {event.drawn} 个：",
        *(
            f"{n}. {t.name}" + (f"（{t.id_number}）" if t.id_number else "")
            for n, t in enumerate(event.targets, start=1)
        ),
    ]
    if len(event.targets) < event.drawn:
        lines.append(f"（仅列前 {len(event.targets)} 个，完整名单见抽取记录导出）")
    lines += [
        "",
        "核验信息：",
        f"随机种子：{event.seed}",
        f"种子承诺（抽取前记入审计链的 SHA-256）：{event.seed_commitment}",
        f"名录快照摘要（SHA-256）：{event.snapshot_digest}",
        f"抽取结果摘要（SHA-256）：{event.digest}",
        f"算法：{event.algorithm}。任何人可用导出的快照和参考规则重新计算本次抽取"
        f"（{org_name(ctx, event.town)}）。",
    ]
    return "\n".join(lines)


async def from_selection_drawn(
    uow: UnitOfWork, *, ctx: ServiceContext, event: InspectionSelectionDrawn, event_id: str | None
) -> Item | None:
    """INFO-04: the town's draw becomes a published category 3 item, once per draw."""
    source_id = event.selection_id
    if withheld(
        uow,
        event,
        via="inspection.selection-drawn",
        source_kind=SELECTION,
        source_id=source_id,
        event_id=event_id,
    ):
        return None
    ctx.directory.require(event.town, OrgKind.TOWN)
    item = await insert_sourced(
        uow,
        source_kind=SELECTION,
        source_id=source_id,
        created_by=SYSTEM,
        category=Category.INSPECTION_RECORDS.value,
        publisher=event.town,
        title=f"{org_name(ctx, event.town)}“{event.scenario}”随机抽查结果（第{event.round}轮）",
        body=_body(ctx, event),
        details={
            "inspected_from": china_day(event.drawn_at),
            "inspected_to": None,
            "order_number": None,
            "targets": event.drawn,
            "problems_found": None,
            "plan_id": event.plan_id,
            "selection_id": event.selection_id,
            "scenario": event.scenario,
            "round": event.round,
            "candidates": event.candidates,
            "algorithm": event.algorithm,
            "seed": event.seed,
            "seed_commitment": event.seed_commitment,
            "snapshot_digest": event.snapshot_digest,
            "digest": event.digest,
        },
        matter_codes=[m for m in event.matter_codes if m in ctx.catalogue],
        towns=[event.town],
        restricted=False,
        audience=[],
    )
    if item is None:
        return None  # this draw is published already
    await record_update(
        uow, item, change="selection-drawn", source_ref=source_id, source_at=event.drawn_at
    )
    await publish(uow, ctx, item, by=SYSTEM, rule="INFO-04")
    return item
