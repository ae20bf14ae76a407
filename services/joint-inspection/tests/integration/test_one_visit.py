"""One visit instead of many (进一次门、查多项事): overlapping inspections of a target by
different agencies are proposed for merging; figures per town and period; re-inspections
by another party within the window are flagged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .conftest import FIRE, OTHER_TOWN, TOWN, WATER, Insp, refused

pytestmark = pytest.mark.integration


async def test_two_overlapping_plans_are_proposed_for_merging_and_merge_into_one_visit(
    insp: Insp,
) -> None:
    shared, only_fire, far = await insp.target(), await insp.target(), await insp.target()
    start = insp.clock.now() + timedelta(days=5)
    town_order = await insp.order([shared["id"], far["id"]], start=start, matters=("WAT-001",))
    fire_order = await insp.order(
        [shared["id"], only_fire["id"]],
        org=FIRE,
        town=TOWN,
        matters=("FIR-001",),
        start=start + timedelta(days=20),
        proposal="消防检查",
    )
    # a third, 60 days later: 40 days after the nearest, outside the 30-day window
    await insp.order(
        [shared["id"]], org=WATER, town=TOWN, start=start + timedelta(days=60), proposal="水利检查"
    )
    proposals = (await insp.client.get("/merge-proposals", headers=insp.h(TOWN))).json()
    assert proposals["total"] == 1
    proposal = proposals["items"][0]
    assert {proposal["org_a"], proposal["org_b"]} == {TOWN, FIRE}
    assert proposal["target_ids"] == [shared["id"]]
    assert proposal["state"]["value"] == "proposed"
    assert (await insp.client.get("/merge-proposals", headers=insp.h(OTHER_TOWN))).json()[
        "total"
    ] == 0
    before = await insp.counts()
    r = await insp.client.post(
        f"/merge-proposals/{proposal['id']}/decision",
        json={"choice": "decline"},
        headers=insp.h(FIRE),
    )
    await refused(insp, r, 422, "invalid-input", before)  # a decline gives its reason
    r = await insp.client.post(
        f"/merge-proposals/{proposal['id']}/decision",
        json={"choice": "accept"},
        headers=insp.h(WATER),
    )
    assert r.status_code in (403, 404)
    r = await insp.client.post(
        f"/merge-proposals/{proposal['id']}/decision",
        json={"choice": "accept"},
        headers=insp.h(FIRE),
    )
    assert r.json()["state"]["value"] == "proposed"
    assert r.json()["accepted_by"] == [FIRE]
    r = await insp.client.post(
        f"/merge-proposals/{proposal['id']}/decision",
        json={"choice": "accept"},
        headers=insp.h(TOWN),
    )
    assert r.status_code == 200, r.text
    merged = r.json()
    assert merged["state"]["value"] == "merged"
    assert merged["kept_order"] == town_order["id"]
    kept = (await insp.client.get(f"/orders/{town_order['id']}", headers=insp.h(TOWN))).json()
    assert set(kept["matter_codes"]) == {"WAT-001", "FIR-001"}
    assert FIRE in [p["org"] for p in kept["participants"]]
    absorbed = (await insp.client.get(f"/orders/{fire_order['id']}", headers=insp.h(FIRE))).json()
    assert absorbed["state"]["value"] == "proposed"  # it keeps its other target
    moved = next(v for v in absorbed["visits"] if v["target_id"] == shared["id"])
    assert moved["state"]["value"] == "merged"
    assert moved["merged_into"] == town_order["id"]
    figures = (
        await insp.client.get(
            "/figures/visits",
            params={"start": "2024-03-01", "end": "2024-06-30"},
            headers=insp.h(TOWN),
        )
    ).json()
    march = next(f for f in figures if f["period_start"] == "2024-03-01")
    assert march["planned"] == 4
    assert march["merged"] == 1
    assert march["saved"] == 1
    assert march["merges"] == 1
    # joint: the town's two visits (the fire brigade joined) and the fire order's own visit
    # (a department always inspects with the town's brigade)
    assert march["joint"] == 3


async def test_the_justice_bureau_may_decide_a_merge_for_both(insp: Insp) -> None:
    shared = await insp.target()
    water = await insp.order(
        [shared["id"]], org=WATER, town=TOWN, proposal="水利", matters=("WAT-001",)
    )
    fire = await insp.order(
        [shared["id"]], org=FIRE, town=TOWN, proposal="消防", matters=("FIR-001",)
    )
    proposal = (await insp.client.get("/merge-proposals", headers=insp.h("justice-bureau"))).json()[
        "items"
    ][0]
    r = await insp.client.post(
        f"/merge-proposals/{proposal['id']}/decision",
        json={"choice": "accept", "reason": "统筹为一次联合检查"},
        headers=insp.h("justice-bureau", "handler"),
    )
    assert r.json()["state"]["value"] == "merged"
    kept_id = r.json()["kept_order"]
    absorbed_id = water["id"] if kept_id == fire["id"] else fire["id"]
    absorbed = (
        await insp.client.get(f"/orders/{absorbed_id}", headers=insp.h("justice-bureau"))
    ).json()
    assert absorbed["state"]["value"] == "merged"
    assert absorbed["merged_into"] == kept_id
    kept = (await insp.client.get(f"/orders/{kept_id}", headers=insp.h("justice-bureau"))).json()
    assert kept["state"]["value"] == "proposed"  # the town is consulted on the joint one


async def test_a_re_inspection_by_another_party_within_the_window_is_flagged(insp: Insp) -> None:
    target = await insp.target()
    first = await insp.issued([target["id"]])
    assert (await insp.visit(first, target["id"])).status_code == 200
    insp.clock.advance(timedelta(days=10))
    second = await insp.order(
        [target["id"]], org=FIRE, town=TOWN, proposal="消防", matters=("FIR-001",)
    )
    await insp.act(
        second["id"], "consultation", TOWN, {"decision": "agree", "brigade_tasks": "配合"}
    )
    inspectors = [
        (
            await insp.act(
                second["id"],
                "inspectors",
                FIRE,
                {"kind": "department", "officer_id": f"f{i}", "name": "消防员"},
            )
        ).json()["id"]
        for i in range(2)
    ]
    await insp.client.put(
        f"/orders/{second['id']}/notice-policy",
        json={
            "policy": "law-forbids",
            "reason": "依法不予公开的检查事项",
            "legal_basis": "《中华人民共和国保守国家秘密法》",
        },
        headers=insp.h(FIRE),
    )
    assert (await insp.act(second["id"], "issue", FIRE)).status_code == 200
    r = await insp.act(
        second["id"],
        f"targets/{target['id']}/on-site",
        FIRE,
        {"inspected_at": insp.clock.now().isoformat(), "inspector_ids": inspectors, "record": "x"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["repeat_of"] is not None
    flagged = (await insp.client.get("/reinspections", headers=insp.h("justice-bureau"))).json()
    assert flagged["total"] == 1
    row = flagged["items"][0]
    assert (row["org"], row["earlier_org"]) == (FIRE, TOWN)
    history = (
        await insp.client.get(f"/targets/{target['id']}/visits", headers=insp.h("justice-bureau"))
    ).json()
    assert [v["repeat_of"] is not None for v in history["items"]] == [True, False]
    own = (await insp.client.get(f"/targets/{target['id']}/visits", headers=insp.h(FIRE))).json()
    assert own["total"] == 1  # a department sees the inspections it takes part in


async def test_insp_04_a_merge_into_an_issued_order_re_consults_the_town(insp: Insp) -> None:
    """A department's proposal the town never agreed, merged into an issued order, does not
    carry its matters past the town: they wait for the town's consent, and no visit or
    outcome may cover a matter the town has not agreed."""
    target = await insp.target()
    issued = await insp.issued([target["id"]], matters=("WAT-001",))
    await insp.order([target["id"]], org=FIRE, town=TOWN, proposal="消防检查", matters=("FIR-001",))
    proposal = (await insp.client.get("/merge-proposals", headers=insp.h("justice-bureau"))).json()[
        "items"
    ][0]
    r = await insp.client.post(
        f"/merge-proposals/{proposal['id']}/decision",
        json={"choice": "accept", "reason": "统筹为一次联合检查"},
        headers=insp.h("justice-bureau", "handler"),
    )
    assert r.json()["state"]["value"] == "merged", r.text
    assert r.json()["kept_order"] == issued["id"]
    kept = (await insp.client.get(f"/orders/{issued['id']}", headers=insp.h(TOWN))).json()
    assert kept["state"]["value"] == "issued"
    assert kept["matter_codes"] == ["WAT-001", "FIR-001"]
    assert kept["agreed_matters"] == ["WAT-001"]  # FIR-001 waits for the town
    owed = [d for d in kept["deadlines"] if d["rule"] == "INSP-04" and not d["satisfied_at"]]
    assert owed
    assert owed[0]["organisation"] == TOWN
    firemen = [
        (
            await insp.act(
                issued["id"],
                "inspectors",
                FIRE,
                {"kind": "department", "officer_id": f"f{i}", "name": f"消防员{i}"},
            )
        ).json()["id"]
        for i in range(2)
    ]
    body: dict[str, Any] = {
        "inspected_at": insp.clock.now().isoformat(),
        "inspector_ids": firemen,
        "record": "消防检查",
        "matters_checked": ["FIR-001"],
    }
    before = await insp.counts()
    r = await insp.act(issued["id"], f"targets/{target['id']}/on-site", FIRE, body)
    problem = await refused(insp, r, 409, "inspection-consultation-required", before)
    assert problem["rule"] == "INSP-04"
    assert problem["matter_codes"] == ["FIR-001"]
    # the town agrees the joint content; the order stays issued
    r = await insp.act(
        issued["id"],
        "consultation",
        TOWN,
        {"decision": "agree", "brigade_tasks": "大队配合消防检查"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"]["value"] == "issued"
    assert r.json()["agreed_matters"] == ["WAT-001", "FIR-001"]
    r = await insp.act(issued["id"], f"targets/{target['id']}/on-site", FIRE, body)
    assert r.status_code == 200, r.text
    # an outcome on a matter the town never agreed is refused
    before = await insp.counts()
    r = await insp.act(
        issued["id"],
        f"targets/{target['id']}/outcome",
        FIRE,
        {
            "outcome": "guidance",
            "description": "占道经营",
            "guidance": "当场劝导",
            "matter_code": "URB-001",
        },
    )
    problem = await refused(insp, r, 409, "inspection-consultation-required", before)
    assert problem["rule"] == "INSP-04"
