"""One visit instead of many, counted: a new order warns when its target was inspected
within the window and shows that record (一次检查、结果互认); visits saved are
Σ(agencies at a joint visit − 1) per town and period; 入企检查次数 per target and year is
counted against a cap (a setting)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .conftest import FIRE, TOWN, WATER, Insp

pytestmark = pytest.mark.integration

RESULT = "未发现问题，检查结果已书面告知当事人并归档"


async def _inspected(insp: Insp, target_id: str, **kw: Any) -> dict[str, Any]:
    order = await insp.issued([target_id], **kw)
    assert (await insp.visit(order, target_id, org=kw.get("org", TOWN))).status_code == 200
    r = await insp.act(
        order["id"],
        f"targets/{target_id}/outcome",
        kw.get("org", TOWN),
        {"outcome": "guidance", "description": "消防台账不全", "guidance": "现场指导建立台账"},
    )
    assert r.status_code == 200, r.text
    return order


async def test_one_visit_a_new_order_shows_the_recent_inspection_of_its_target(
    insp: Insp,
) -> None:
    a, fresh = await insp.target(), await insp.target()
    first = await _inspected(insp, a["id"])
    insp.clock.advance(timedelta(days=20))
    second = await insp.order(
        [a["id"], fresh["id"]], org=FIRE, town=TOWN, matters=("FIR-001",), proposal="消防检查"
    )
    [prior] = second["prior_inspections"]
    assert prior["target_id"] == a["id"]
    assert prior["order_id"] == first["id"]
    assert prior["org"] == TOWN
    assert prior["outcome"]["value"] == "guidance"
    assert prior["description"] == "消防台账不全"  # the first visit's result, to recognise
    # outside the window (a setting) it is history, not a warning
    insp.clock.advance(timedelta(days=200))
    third = await insp.order([a["id"]], org=WATER, town=TOWN, proposal="水利检查")
    assert third["prior_inspections"] == []


async def test_one_visit_visits_saved_and_entries_per_target_against_the_cap(
    insp: Insp,
) -> None:
    a = await insp.target()
    # a department's visit with the town's brigade: two agencies at one visit, one saved
    proposal = await insp.order(
        [a["id"]], org=FIRE, town=TOWN, matters=("FIR-001",), proposal="消防联合检查"
    )
    r = await insp.act(
        proposal["id"], "consultation", TOWN, {"decision": "agree", "brigade_tasks": "大队配合"}
    )
    assert r.status_code == 200, r.text
    inspectors = await insp.staff(proposal["id"], org=TOWN)
    r = await insp.client.put(
        f"/orders/{proposal['id']}/notice-policy",
        json={
            "policy": "town-discretion",
            "reason": "该店多次被投诉夜间违规经营，事先通知将无法查实",
        },
        headers=insp.h(TOWN),
    )
    assert r.status_code == 200, r.text
    assert (await insp.act(proposal["id"], "issue", FIRE)).status_code == 200
    r = await insp.act(
        proposal["id"],
        f"targets/{a['id']}/on-site",
        TOWN,
        {
            "inspected_at": insp.clock.now().isoformat(),
            "inspector_ids": inspectors,
            "record": "现场检查记录",
        },
    )
    assert r.status_code == 200, r.text
    # the town's own visit alone: one agency, nothing saved
    await _inspected(insp, a["id"])
    await _inspected(insp, a["id"])
    figures = (
        await insp.client.get(
            "/figures/visits",
            params={"start": "2024-03-01", "end": "2024-03-31"},
            headers=insp.h(TOWN),
        )
    ).json()
    [march] = figures
    assert march["visits_saved"] == 1
    entries = (
        await insp.client.get("/figures/entries", params={"year": 2024}, headers=insp.h(TOWN))
    ).json()
    [row] = [e for e in entries if e["target_id"] == a["id"]]
    assert row["entries"] == 3
    assert row["cap"] == 2
    assert row["over_cap"] is True
    # the next order for this target is warned that the cap is reached
    nxt = await insp.order([a["id"]])
    assert [c["target_id"] for c in nxt["entry_cap_reached"]] == [a["id"]]
