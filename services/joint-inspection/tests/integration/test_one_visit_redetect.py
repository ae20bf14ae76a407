"""One visit instead of many: overlaps are looked for again when an order's dates change and
between two orders of the same agency, and a one-line decline does not end a merge for good —
the justice bureau may overrule it (INSP-05) with its reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .conftest import FIRE, TOWN, Insp, refused

pytestmark = pytest.mark.integration

BUREAU = "justice-bureau"


async def _proposals(insp: Insp) -> list[dict[str, Any]]:
    r = await insp.client.get("/merge-proposals", headers=insp.h(BUREAU))
    return list(r.json()["items"])


async def test_one_visit_the_same_agency_twice_is_proposed_for_merging(insp: Insp) -> None:
    t = await insp.target()
    start = insp.clock.now() + timedelta(days=3)
    first = await insp.order([t["id"]], start=start, matters=("WAT-001",))
    second = await insp.order([t["id"]], start=start + timedelta(days=10), matters=("FIR-001",))
    [proposal] = await _proposals(insp)
    assert proposal["org_a"] == proposal["org_b"] == TOWN
    assert {proposal["order_a"], proposal["order_b"]} == {first["id"], second["id"]}


async def test_one_visit_a_date_change_looks_for_overlaps_again_and_the_bureau_overrules_a_decline(
    insp: Insp,
) -> None:
    t = await insp.target()
    start = insp.clock.now() + timedelta(days=3)
    await insp.order([t["id"]], start=start, matters=("WAT-001",))
    fire = await insp.order(
        [t["id"]],
        org=FIRE,
        town=TOWN,
        matters=("FIR-001",),
        start=start + timedelta(days=100),
        proposal="消防检查",
    )
    assert await _proposals(insp) == []
    r = await insp.client.patch(
        f"/orders/{fire['id']}",
        json={
            "planned_start": (start + timedelta(days=5)).isoformat(),
            "planned_end": (start + timedelta(days=6)).isoformat(),
        },
        headers=insp.h(FIRE),
    )
    assert r.status_code == 200, r.text
    [proposal] = await _proposals(insp)
    assert proposal["target_ids"] == [t["id"]]
    pid = proposal["id"]
    r = await insp.client.post(
        f"/merge-proposals/{pid}/decision",
        json={"choice": "decline", "reason": "不便"},
        headers=insp.h(FIRE),
    )
    assert r.json()["state"]["value"] == "declined", r.text
    url = f"/merge-proposals/{pid}/overrule"
    body = {"reason": "同一对象十日内两次入企，按“综合查一次”要求合并为一次联合检查"}
    before = await insp.counts()
    for org in (TOWN, FIRE):
        r = await insp.client.post(url, json=body, headers=insp.h(org))
        await refused(insp, r, 403, "forbidden", before)
    r = await insp.client.post(url, json={"reason": "合并"}, headers=insp.h(BUREAU))
    problem = await refused(insp, r, 422, "invalid-input", before)
    assert problem["missing"] == ["reason"]
    assert problem["rule"] == "INSP-05"
    r = await insp.client.post(url, json=body, headers=insp.h(BUREAU))
    assert r.status_code == 200, r.text
    assert r.json()["state"]["value"] == "merged"
    kept = (await insp.client.get(f"/orders/{r.json()['kept_order']}", headers=insp.h(TOWN))).json()
    assert FIRE in [p["org"] for p in kept["participants"]]
    timeline = (
        await insp.client.get(f"/orders/{kept['id']}/timeline", headers=insp.h(BUREAU))
    ).json()
    assert any(e["action"] == "inspection.order.merge-kept" for e in timeline)
    # decided: it cannot be overruled again
    r = await insp.client.post(url, json=body, headers=insp.h(BUREAU))
    assert r.status_code == 409
