"""INSP-02 → INFO-04: a town's draw (双随机一公开) becomes a public category 3 item without
retyping, once per draw, with what anyone needs to check it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from xietong_common.contracts.inspection import DrawnTarget, InspectionSelectionDrawn

from .conftest import Info
from .test_sourced import INSPECTION, eventually, handled

pytestmark = pytest.mark.integration


async def test_insp_02_a_draw_is_published_as_a_category_3_item_without_retyping(
    info: Info, publish_event: Any
) -> None:
    c = info.codes
    selection = str(uuid.uuid4())
    plan = str(uuid.uuid4())
    event = InspectionSelectionDrawn(
        plan_id=plan,
        selection_id=selection,
        town=c.town_a,
        scenario="沿街餐饮店综合查一次",
        plan_title="2024年沿街餐饮店检查计划",
        round=1,
        matter_codes=[c.dept_matter],
        algorithm="insp-02/md5-priority-v1",
        seed="0f" * 16,
        seed_commitment="a" * 64,
        snapshot_digest="b" * 64,
        committed_at=datetime(2024, 3, 1, 2, tzinfo=UTC),
        candidates=40,
        drawn=2,
        digest="c" * 64,
        drawn_at=datetime(2024, 3, 8, 2, tzinfo=UTC),
        targets=[
            DrawnTarget(
                target_id=str(uuid.uuid4()),
                name="某某餐饮有限公司",
                kind="legal-person",
                id_number="91500102MA5U7YBX2B",
                rule_position=0,
                rank=1,
            ),
            DrawnTarget(
                target_id=str(uuid.uuid4()),
                name="张某某",
                kind="natural-person",
                id_number="500102********1234",
                rule_position=0,
                rank=2,
            ),
        ],
    )
    first = await publish_event(event, key=plan, source=INSPECTION)
    await publish_event(event, key=plan, source=INSPECTION, event_id=first)
    await publish_event(event, key=plan, source=INSPECTION)  # re-published: a new id
    await handled(info, 2)

    async def made() -> bool:
        r = await info.svc.client.get("/items", headers=info.h(c.town_b))
        return bool(r.json()["items"])

    await eventually(made)
    assert await info.count("items") == 1
    listed = (await info.svc.client.get("/items", headers=info.h(c.dept))).json()
    item = (await info.get(listed["items"][0]["id"], c.dept)).json()
    assert item["category"]["number"] == 3
    assert item["publisher"] == c.town_a
    assert item["state"]["value"] == "published"
    assert item["source"] == {"kind": "inspection-selection", "id": selection}
    assert item["details"]["seed"] == event.seed
    assert item["details"]["seed_commitment"] == event.seed_commitment
    assert item["details"]["snapshot_digest"] == event.snapshot_digest
    assert item["details"]["targets"] == 2
    assert "某某餐饮有限公司" in item["body"]
    assert "500102********1234" in item["body"]
    assert event.seed_commitment in item["body"]
