"""SEC-05 → INFO-04: a department's guidance document becomes an information item (category
1 or 6) from `secondment.guidance-recorded`, without retyping; only the secondment service
is believed; guidance not marked for sharing makes no item."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from xietong_common.contracts.secondment import GuidanceKind, GuidanceRecorded, GuidanceSharedAs
from xietong_devtools.testing import topic_reader

from .conftest import Info
from .test_sourced import eventually, handled

pytestmark = pytest.mark.integration

SECONDMENT = "/xietong/secondment"


def guidance(info: Info, shared_as: GuidanceSharedAs | None, **kw: Any) -> GuidanceRecorded:
    c = info.codes
    return GuidanceRecorded(
        activity_id=str(uuid.uuid4()),
        department=c.dept,
        kind=GuidanceKind.GUIDANCE_DOCUMENT,
        title="关于规范乡镇综合执法河道管理案件办理流程的指导意见",
        held_on=date(2024, 2, 28),
        towns=[c.town_a],
        document_number="涪水发〔2024〕3号",
        description="明确河道管理范围内违法行为的认定标准和办理流程",
        shared_as=shared_as,
        recorded_at=datetime(2024, 2, 28, 2, tzinfo=UTC),
        **kw,
    )


async def test_sec_05_a_guidance_document_becomes_an_information_item_without_retyping(
    info: Info, publish_event: Any, kafka_bootstrap: str
) -> None:
    c = info.codes
    normative = guidance(info, GuidanceSharedAs.NORMATIVE_DOCUMENT)
    workflow = guidance(info, GuidanceSharedAs.WORKFLOW, attendance=None)
    kept = guidance(info, None)
    forged = guidance(info, GuidanceSharedAs.BENCHMARK)
    async with topic_reader(kafka_bootstrap, "secondment.guidance-recorded.dlq") as dlq:
        forged_id = await publish_event(
            forged, key=forged.activity_id, source="/xietong/joint-inspection"
        )
        await dlq.collect(lambda es: any(e.get("id") == forged_id for e in es), timeout_s=30)
    first = await publish_event(normative, key=normative.activity_id, source=SECONDMENT)
    await publish_event(normative, key=normative.activity_id, source=SECONDMENT, event_id=first)
    await publish_event(workflow, key=workflow.activity_id, source=SECONDMENT)
    await publish_event(kept, key=kept.activity_id, source=SECONDMENT)
    await handled(info, 3)

    async def two() -> bool:
        return await info.count("items") == 2

    await eventually(two)
    listed = (await info.svc.client.get("/items", headers=info.h(c.town_a))).json()["items"]
    by_source = {}
    for summary in listed:
        item = (await info.get(summary["id"], c.town_a)).json()
        by_source[item["source"]["id"]] = item
    assert set(by_source) == {normative.activity_id, workflow.activity_id}
    norm = by_source[normative.activity_id]
    assert norm["category"]["number"] == 1
    assert norm["publisher"] == c.dept
    assert norm["title"] == normative.title
    assert norm["details"]["level"] == "normative-document"
    assert norm["details"]["document_number"] == "涪水发〔2024〕3号"
    assert norm["source"] == {"kind": "guidance", "id": normative.activity_id}
    assert "办理流程" in norm["body"]
    flow = by_source[workflow.activity_id]
    assert flow["category"]["number"] == 6
    assert flow["details"]["kind"] == "workflow"
