"""The whole mechanism once, as a town would use it: register, plan, draw, order, inspect,
handle, feed back, close and archive (INSP-01..INSP-08)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .conftest import TOWN, Insp

pytestmark = pytest.mark.integration


async def test_insp_01_to_07_a_plan_round_from_draw_to_archive(insp: Insp) -> None:
    targets = [await insp.target(level=level) for level in ("a", "b", "c", "d", "d")]
    for t in targets[2:]:
        await insp.signal(t["id"], weight=20)
    plan = await insp.client.post(
        "/plans",
        json={
            "title": "2024年荔枝街道综合查一次计划",
            "scenario": "沿街餐饮店综合查一次",
            "scenario_code": "food-street",
            "period_start": "2024-03-01",
            "period_end": "2024-12-31",
            "basis": "level",
            "rules": [
                {"value": "d", "frequency": 4, "proportion": "100"},
                {"value": None, "frequency": 1, "proportion": "50"},
            ],
            "clean_proportion": "0",
            "matter_codes": ["WAT-001", "FIR-001"],
        },
        headers=insp.h(TOWN),
    )
    assert plan.status_code == 201, plan.text
    pid = plan.json()["id"]
    adopted = await insp.client.post(f"/plans/{pid}/adopt", headers=insp.h(TOWN, "leader"))
    assert adopted.status_code == 200, adopted.text
    drawn = await insp.client.post(
        f"/plans/{pid}/selections", json={"round": 1}, headers=insp.h(TOWN)
    )
    assert drawn.status_code == 201, drawn.text
    selection = drawn.json()
    assert selection["candidates"] == 5
    entries = (
        await insp.client.get(f"/selections/{selection['id']}/entries", headers=insp.h(TOWN))
    ).json()
    assert entries["total"] == 5
    rerun = await insp.client.post(f"/selections/{selection['id']}/rerun", headers=insp.h(TOWN))
    assert rerun.status_code == 200, rerun.text
    assert rerun.json()["matches"] is True, rerun.json()
    start = insp.clock.now() + timedelta(days=3)
    created = await insp.client.post(
        f"/selections/{selection['id']}/orders",
        json={
            "title": "第一轮检查",
            "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(days=1)).isoformat(),
        },
        headers=insp.h(TOWN),
    )
    assert created.status_code == 201, created.text
    order: dict[str, Any] = created.json()
    oid = order["id"]
    inspectors = await insp.staff(oid)
    r = await insp.client.put(
        f"/orders/{oid}/notice-policy", json={"policy": "notify"}, headers=insp.h(TOWN)
    )
    assert r.status_code == 200, r.text
    r = await insp.client.post(f"/orders/{oid}/issue", headers=insp.h(TOWN))
    assert r.status_code == 200, r.text
    assert r.json()["number"].startswith("荔枝街道综查〔2024〕")
    for visit in r.json()["visits"]:
        tid = visit["target_id"]
        r = await insp.act(
            oid,
            f"targets/{tid}/advance-notice",
            TOWN,
            {
                "notified_at": insp.clock.now().isoformat(),
                "inspection_time": (insp.clock.now() + timedelta(hours=1)).isoformat(),
                "basis": "检查计划",
                "method": "现场检查",
                "channel": "电话",
            },
        )
        assert r.status_code == 200, r.text
        r = await insp.act(
            oid,
            f"targets/{tid}/on-site",
            TOWN,
            {
                "inspected_at": insp.clock.now().isoformat(),
                "inspector_ids": inspectors,
                "record": "正常",
                # the scenario's checklist (一张检查单), item by item (INSP-01)
                "checklist": [
                    {"code": c["code"], "result": "compliant"} for c in adopted.json()["checklist"]
                ],
            },
        )
        assert r.status_code == 200, r.text
        r = await insp.act(
            oid,
            f"targets/{tid}/outcome",
            TOWN,
            {"outcome": "no-problem", "description": "未发现问题"},
        )
        assert r.status_code == 200, r.text
        r = await insp.act(
            oid,
            f"targets/{tid}/feedback",
            TOWN,
            {"result": "未发现问题，检查结果已告知当事人并归档"},
        )
        assert r.status_code == 200, r.text
    closed = await insp.act(oid, "close", TOWN, None, "leader")
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"]["value"] == "closed"
    archive = (await insp.client.get(f"/orders/{oid}/archive", headers=insp.h(TOWN))).json()
    assert len(archive["digest"]) == 64
