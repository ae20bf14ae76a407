"""SEC-04 and INSP-03 on the running service: who may inspect what, judged on the roster
whatever the label, at the time of the visit, counting officers and not rows."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from .conftest import ECOLOGY, FIRE, TOWN, URBAN, WATER, Insp, refused

pytestmark = pytest.mark.integration

ECO_CERT = "50010220249999"


async def _issue(insp: Insp, order_id: str, org: str = TOWN) -> None:
    r = await insp.client.put(
        f"/orders/{order_id}/notice-policy",
        json={
            "policy": "law-forbids",
            "reason": "依法不予公开的检查事项",
            "legal_basis": "《中华人民共和国安全生产法》第六十五条",
        },
        headers=insp.h(org),
    )
    assert r.status_code == 200, r.text
    r = await insp.act(order_id, "issue", org)
    assert r.status_code == 200, r.text


async def _on_site(
    insp: Insp, order_id: str, target_id: str, inspectors: list[str], **extra: Any
) -> Any:
    body = {
        "inspected_at": insp.clock.now().isoformat(),
        "inspector_ids": inspectors,
        "record": "现场检查记录",
        **extra,
    }
    return await insp.act(order_id, f"targets/{target_id}/on-site", TOWN, body)


async def test_sec_04_a_seconded_officer_cannot_be_passed_off_as_brigade_or_department_staff(
    insp: Insp,
) -> None:
    target = await insp.target()
    order = await insp.order([target["id"]], matters=("URB-001",))
    await insp.roster("off-eco", department=ECOLOGY, towns=(TOWN,), certificate=ECO_CERT)
    before = await insp.counts()
    # his roster id, labelled brigade: he is still 区生态环境局's seconded officer
    for body in (
        {
            "kind": "brigade",
            "officer_id": "off-eco",
            "name": "王五",
            "certificate_number": ECO_CERT,
        },
        {"kind": "brigade", "officer_id": "off-eco", "name": "王五"},
        # another id, his certificate
        {"kind": "brigade", "officer_id": "b-wang", "name": "王五", "certificate_number": ECO_CERT},
    ):
        r = await insp.client.post(
            f"/orders/{order['id']}/inspectors",
            json=body,
            headers={**insp.h(TOWN), "Accept-Language": "en"},
        )
        problem = await refused(insp, r, 422, "inspection-officer-ineligible", before)
        assert problem["rule"] == "SEC-04", problem
    # as a department's own staff: a seconded officer is the town's to command
    r = await insp.act(
        order["id"], "dispatch", "justice-bureau", {"agency": ECOLOGY, "instructions": "派员"}
    )
    assert r.status_code == 200, r.text
    before = await insp.counts()
    r = await insp.act(
        order["id"],
        "inspectors",
        ECOLOGY,
        {"kind": "department", "officer_id": "e-1", "name": "王五", "certificate_number": ECO_CERT},
    )
    problem = await refused(insp, r, 403, "inspection-town-command", before)
    assert problem["rule"] == "INSP-03"
    # an officer on a roster for these matters, labelled brigade, is checked and kept as seconded
    await insp.roster("off-urb", department=URBAN, towns=(TOWN,), certificate="50010220248888")
    r = await insp.act(
        order["id"],
        "inspectors",
        TOWN,
        {"kind": "brigade", "officer_id": "off-urb", "name": "赵六"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["kind"]["value"] == "seconded"
    assert r.json()["org"] == URBAN
    assert r.json()["certificate_number"] == "50010220248888"  # the roster's, not the caller's
    assert r.json()["eligibility"][0]["eligible"] is True
    # a brigade officer who is on a roster by the day of the visit is judged as seconded then
    r = await insp.act(
        order["id"],
        "inspectors",
        TOWN,
        {"kind": "brigade", "officer_id": "b-late", "name": "钱七", "certificate_number": "C-77"},
    )
    assert r.status_code == 201, r.text
    late = r.json()["id"]
    await _issue(insp, order["id"])
    insp.clock.advance(timedelta(days=2))
    await insp.roster(
        "off-late",
        department=ECOLOGY,
        towns=(TOWN,),
        certificate="C-77",
        team="team-eco-2",
        effective=date(2024, 3, 2),
    )
    detail = (await insp.client.get(f"/orders/{order['id']}", headers=insp.h(TOWN))).json()
    urb = next(i["id"] for i in detail["inspectors"] if i["officer_id"] == "off-urb")
    before = await insp.counts()
    r = await _on_site(insp, order["id"], target["id"], [urb, late])
    problem = await refused(insp, r, 422, "inspection-officer-ineligible", before)
    assert problem["rule"] == "SEC-04"


async def test_insp_03_a_department_officer_acts_only_on_his_own_departments_matters(
    insp: Insp,
) -> None:
    target = await insp.target()
    order = await insp.order([target["id"]], matters=("WAT-001", "FIR-001"))
    r = await insp.act(
        order["id"], "dispatch", "justice-bureau", {"agency": FIRE, "instructions": "派员"}
    )
    assert r.status_code == 200, r.text
    before = await insp.counts()
    r = await insp.act(
        order["id"],
        "inspectors",
        FIRE,
        {"kind": "department", "officer_id": "f-0", "name": "消防员", "matter_codes": ["WAT-001"]},
    )
    problem = await refused(insp, r, 422, "inspection-matter-not-own", before)
    assert problem["rule"] == "INSP-03"
    fire = []
    for i in range(2):
        r = await insp.act(
            order["id"],
            "inspectors",
            FIRE,
            {"kind": "department", "officer_id": f"f-{i + 1}", "name": f"消防员{i + 1}"},
        )
        assert r.status_code == 201, r.text
        assert r.json()["matter_codes"] == ["FIR-001"]  # his department's, not the order's all
        fire.append(r.json()["id"])
    await _issue(insp, order["id"])
    before = await insp.counts()
    r = await _on_site(insp, order["id"], target["id"], fire, matters_checked=["WAT-001"])
    problem = await refused(insp, r, 422, "inspection-matter-not-own", before)
    assert problem["rule"] == "INSP-03"
    r = await _on_site(insp, order["id"], target["id"], fire, matters_checked=["FIR-001"])
    assert r.status_code == 200, r.text


async def test_sec_04_eligibility_is_judged_at_the_time_of_the_visit(insp: Insp) -> None:
    # valid on the day of the visit, recorded after his certificate ran out: accepted
    await insp.roster("off-1", department=WATER, until=date(2024, 3, 5), certificate="C-1")
    # lapsed on the day of the visit, renewed before it was recorded: refused
    await insp.roster("off-2", department=WATER, until=date(2024, 3, 3), certificate="C-2")
    orders = []
    for officer in ("off-1", "off-2"):
        target = await insp.target()
        order = await insp.order([target["id"]], matters=("WAT-001",))
        r = await insp.act(
            order["id"], "inspectors", TOWN, {"kind": "seconded", "officer_id": officer}
        )
        assert r.status_code == 201, r.text
        inspectors = [r.json()["id"], *await insp.staff(order["id"], n=1)]
        await _issue(insp, order["id"])
        orders.append((order, target, inspectors))
    insp.clock.advance(timedelta(days=8))  # 9 March
    await insp.roster(
        "off-2",
        department=WATER,
        until=date(2024, 12, 31),
        certificate="C-2",
        version=2,
        effective=date(2024, 3, 8),
    )
    (order, target, inspectors) = orders[0]
    r = await _on_site(
        insp,
        order["id"],
        target["id"],
        inspectors,
        inspected_at=(insp.clock.now() - timedelta(days=6)).isoformat(),  # 3 March
    )
    assert r.status_code == 200, r.text
    (order, target, inspectors) = orders[1]
    before = await insp.counts()
    r = await _on_site(
        insp,
        order["id"],
        target["id"],
        inspectors,
        inspected_at=(insp.clock.now() - timedelta(days=4)).isoformat(),  # 5 March
    )
    problem = await refused(insp, r, 422, "inspection-officer-ineligible", before)
    assert problem["rule"] == "SEC-04"


async def test_insp_03_the_two_officer_minimum_counts_distinct_officers(insp: Insp) -> None:
    target = await insp.target()
    order = await insp.order([target["id"]], matters=("WAT-001",))
    r = await insp.act(
        order["id"],
        "inspectors",
        TOWN,
        {"kind": "brigade", "officer_id": "b-1", "name": "孙八", "certificate_number": "C-8"},
    )
    assert r.status_code == 201, r.text
    before = await insp.counts()
    # the same officer (one certificate) under a second id is not a second officer
    r = await insp.act(
        order["id"],
        "inspectors",
        TOWN,
        {"kind": "brigade", "officer_id": "b-2", "name": "孙八", "certificate_number": "C-8"},
    )
    problem = await refused(insp, r, 409, "conflict", before)
    assert problem["rule"] == "INSP-03"
