"""INSP-03..INSP-06 on the running service: work orders, consultation, people, notice."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from xietong_devtools.testing import topic_reader

from .conftest import ECOLOGY, FIRE, OTHER_TOWN, TOWN, URBAN, WATER, Insp, refused

pytestmark = pytest.mark.integration


async def test_insp_04_a_department_order_is_refused_before_the_town_agrees(insp: Insp) -> None:
    target = await insp.target()
    before = await insp.counts()
    body = {
        "title": "消防联合检查",
        "method": "on-site",
        "matter_codes": ["FIR-001"],
        "planned_start": (insp.clock.now() + timedelta(days=5)).isoformat(),
        "planned_end": (insp.clock.now() + timedelta(days=6)).isoformat(),
        "target_ids": [target["id"]],
    }
    r = await insp.client.post("/orders", json={**body, "town": TOWN}, headers=insp.h(FIRE))
    problem = await refused(insp, r, 409, "inspection-order-incomplete", before)
    assert problem["missing"] == ["proposal"]
    order = await insp.order(
        [target["id"]],
        org=FIRE,
        town=TOWN,
        matters=("FIR-001",),
        proposal="拟请街道大队负责占道经营检查",
    )
    assert order["state"]["value"] == "proposed"
    assert order["deadlines"][0]["rule"] == "INSP-04"
    assert order["deadlines"][0]["organisation"] == TOWN
    await insp.staff(order["id"], org=TOWN)
    await insp.client.put(
        f"/orders/{order['id']}/notice-policy", json={"policy": "notify"}, headers=insp.h(FIRE)
    )
    before = await insp.counts()
    r = await insp.act(order["id"], "issue", FIRE)
    problem = await refused(insp, r, 409, "inspection-consultation-required", before)
    assert problem["rule"] == "INSP-04"
    # the department may not answer for the town
    r = await insp.act(
        order["id"], "consultation", FIRE, {"decision": "agree", "brigade_tasks": "x"}
    )
    await refused(insp, r, 403, "forbidden", before)
    r = await insp.act(
        order["id"],
        "consultation",
        TOWN,
        {
            "decision": "counter-propose",
            "brigade_tasks": "大队负责油烟检查",
            "counter_proposal": "改为下周",
        },
    )
    assert r.json()["state"]["value"] == "counter-proposed"
    assert (await insp.act(order["id"], "issue", FIRE)).status_code == 409
    r = await insp.act(order["id"], "accept-counter", FIRE)
    assert r.json()["state"]["value"] == "agreed"
    assert r.json()["brigade_tasks"] == "大队负责油烟检查"
    # changing the agreed content sends it back to the town (no agree-then-swap)
    r = await insp.act(order["id"], "revise", FIRE, {"proposal": "增加两家"})
    assert r.json()["state"]["value"] == "proposed"
    assert (await insp.act(order["id"], "issue", FIRE)).status_code == 409
    r = await insp.act(
        order["id"], "consultation", TOWN, {"decision": "agree", "brigade_tasks": "大队全程参加"}
    )
    assert r.json()["state"]["value"] == "agreed"
    issued = await insp.act(order["id"], "issue", FIRE)
    assert issued.status_code == 200, issued.text
    assert issued.json()["number"].startswith("区消防救援支队综查〔2024〕")


async def test_sec_04_an_ineligible_seconded_officer_is_refused_with_the_reason(insp: Insp) -> None:
    target = await insp.target()
    order = await insp.order([target["id"]], matters=("WAT-001", "FIR-001"))
    await insp.roster("off-water", department=WATER, towns=(TOWN,))
    await insp.roster("off-elsewhere", department=WATER, towns=(OTHER_TOWN,))
    await insp.roster("off-expired", department=WATER, towns=(TOWN,), until=date(2024, 2, 1))
    before = await insp.counts()
    for officer, reason in (
        ("off-elsewhere", "does not serve town:lizhi"),
        ("off-expired", "certificate is not valid"),
        ("off-nobody", "not on the roster"),
    ):
        r = await insp.client.post(
            f"/orders/{order['id']}/inspectors",
            json={"kind": "seconded", "officer_id": officer},
            headers={**insp.h(TOWN), "Accept-Language": "en"},
        )
        problem = await refused(insp, r, 422, "inspection-officer-ineligible", before)
        assert reason in problem["detail"], problem
        assert problem["rule"] == "SEC-04"
    # named for a matter not his department's: refused, the reason in Chinese by default
    r = await insp.client.post(
        f"/orders/{order['id']}/inspectors",
        json={"kind": "seconded", "officer_id": "off-water", "matter_codes": ["FIR-001"]},
        headers=insp.h(TOWN),
    )
    problem = await refused(insp, r, 422, "inspection-officer-ineligible", before)
    assert "不属于本部门" in problem["detail"]
    # his department cannot put him in: the town commands seconded officers
    r = await insp.client.post(
        f"/orders/{order['id']}/inspectors",
        json={"kind": "seconded", "officer_id": "off-water"},
        headers=insp.h(WATER),
    )
    assert r.status_code in (403, 404)
    r = await insp.client.post(
        f"/orders/{order['id']}/inspectors",
        json={"kind": "seconded", "officer_id": "off-water"},
        headers=insp.h(TOWN),
    )
    assert r.status_code == 201, r.text
    assert r.json()["matter_codes"] == ["WAT-001"]
    assert r.json()["org"] == WATER
    assert {c["matter_code"]: c["eligible"] for c in r.json()["eligibility"]} == {
        "WAT-001": True,
        "FIR-001": False,
    }


async def test_sec_04_checked_again_when_the_order_is_issued(insp: Insp) -> None:
    target = await insp.target()
    order = await insp.order([target["id"]], matters=("WAT-001",))
    await insp.roster("off-1", towns=(TOWN,), until=date(2024, 3, 5))
    r = await insp.client.post(
        f"/orders/{order['id']}/inspectors",
        json={"kind": "seconded", "officer_id": "off-1"},
        headers=insp.h(TOWN),
    )
    assert r.status_code == 201
    await insp.staff(order["id"], n=1)
    await insp.client.put(
        f"/orders/{order['id']}/notice-policy", json={"policy": "notify"}, headers=insp.h(TOWN)
    )
    insp.clock.advance(timedelta(days=10))  # his certificate ran out on 5 March
    r = await insp.act(order["id"], "issue", TOWN)
    assert r.status_code == 422
    assert r.json()["type"].endswith("inspection-officer-ineligible")


async def test_insp_03_support_asked_of_another_department_is_answered_with_a_reason(
    insp: Insp,
) -> None:
    target = await insp.target()
    order = await insp.order([target["id"]])
    r = await insp.act(
        order["id"], "support-requests", TOWN, {"department": URBAN, "request": "请派员协助"}
    )
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    # the department sees the order it is asked about; another does not
    assert (
        await insp.client.get(f"/orders/{order['id']}", headers=insp.h(URBAN))
    ).status_code == 200
    assert (
        await insp.client.get(f"/orders/{order['id']}", headers=insp.h(ECOLOGY))
    ).status_code == 404
    before = await insp.counts()
    r = await insp.act(order["id"], f"support-requests/{rid}/answer", URBAN, {"accept": False})
    await refused(insp, r, 422, "invalid-input", before)  # no reason, no answer
    r = await insp.act(
        order["id"], f"support-requests/{rid}/answer", URBAN, {"accept": True, "reason": "派2人"}
    )
    assert r.status_code == 200
    assert r.json()["accepted"] is True
    detail = (await insp.client.get(f"/orders/{order['id']}", headers=insp.h(TOWN))).json()
    assert {"org": URBAN, "role": "support"} in [
        {"org": p["org"], "role": p["role"]["value"]} for p in detail["participants"]
    ]
    assert any(d["rule"] == "INSP-03" and d["satisfied_at"] for d in detail["deadlines"])
    r = await insp.act(
        order["id"],
        "inspectors",
        URBAN,
        {"kind": "department", "officer_id": "u-1", "name": "王五"},
    )
    assert r.status_code == 201, r.text


async def test_insp_03_a_refusal_to_support_is_published_for_oversight(
    insp: Insp, kafka_bootstrap: str
) -> None:
    """SUP-01: a department that will not support is held to account, so its refusal is
    published (inspection.support-refused) with who asked, who refused and why; an
    acceptance publishes nothing."""
    target = await insp.target()
    order = await insp.order([target["id"]])
    asked = {}
    for department in (URBAN, WATER):
        r = await insp.act(
            order["id"],
            "support-requests",
            TOWN,
            {"department": department, "request": "请派员协助"},
        )
        assert r.status_code == 201, r.text
        asked[department] = r.json()["id"]
    async with topic_reader(kafka_bootstrap, "inspection.support-refused") as reader:
        r = await insp.act(
            order["id"],
            f"support-requests/{asked[URBAN]}/answer",
            URBAN,
            {"accept": True, "reason": "派2人"},
        )
        assert r.status_code == 200, r.text
        r = await insp.act(
            order["id"],
            f"support-requests/{asked[WATER]}/answer",
            WATER,
            {"accept": False, "reason": "本周人员已全部安排其他检查任务"},
        )
        assert r.status_code == 200, r.text
        events = await reader.collect(lambda es: any(e["subject"] == order["id"] for e in es))
    [refusal] = [e for e in events if e["subject"] == order["id"]]
    assert refusal["source"].endswith("/joint-inspection")
    data = refusal["data"]
    assert (data["department"], data["request_id"], data["inspection_id"]) == (
        WATER,
        asked[WATER],
        order["id"],
    )
    assert (data["initiating_org"], data["town"]) == (order["initiating_org"], TOWN)
    assert data["reason"] == "本周人员已全部安排其他检查任务"
    assert data["late"] is False


async def test_insp_05_the_justice_bureau_sees_all_and_dispatches_an_agency(insp: Insp) -> None:
    target = await insp.target()
    order = await insp.order([target["id"]])
    listed = (await insp.client.get("/orders", headers=insp.h("justice-bureau"))).json()
    assert order["id"] in [o["id"] for o in listed["items"]]
    assert (await insp.client.get("/orders", headers=insp.h(OTHER_TOWN))).json()["total"] == 0
    before = await insp.counts()
    r = await insp.act(order["id"], "dispatch", TOWN, {"agency": ECOLOGY, "instructions": "x"})
    await refused(insp, r, 403, "forbidden", before)
    r = await insp.act(
        order["id"], "dispatch", "justice-bureau", {"agency": OTHER_TOWN, "instructions": "x"}
    )
    await refused(insp, r, 422, "invalid-input", before)
    r = await insp.act(
        order["id"],
        "dispatch",
        "justice-bureau",
        {"agency": ECOLOGY, "instructions": "请生态环境局派员参加"},
    )
    assert r.status_code == 200, r.text
    dispatched = next(p for p in r.json()["participants"] if p["org"] == ECOLOGY)
    assert dispatched["role"]["value"] == "dispatched"
    assert (
        await insp.client.get(f"/orders/{order['id']}", headers=insp.h(ECOLOGY))
    ).status_code == 200
    timeline = (
        await insp.client.get(f"/orders/{order['id']}/timeline", headers=insp.h("justice-bureau"))
    ).json()
    assert any(
        e["action"] == "inspection.order.agency-dispatched" and e["rule"] == "INSP-05"
        for e in timeline
    )


async def test_insp_06_advance_notice_unless_exempt_with_its_reason(
    insp: Insp, kafka_bootstrap: str
) -> None:
    a, b = await insp.target(), await insp.target()
    order = await insp.order([a["id"], b["id"]])
    inspectors = await insp.staff(order["id"])
    before = await insp.counts()
    r = await insp.client.put(
        f"/orders/{order['id']}/notice-policy",
        json={"policy": "superior-instruction", "reason": "暗查暗访"},
        headers=insp.h(TOWN),
    )
    problem = await refused(insp, r, 422, "invalid-input", before)
    # INSP-06: four characters are not a reason, and the superior's document is named too
    assert problem["missing"] == ["reason", "instructing_authority", "instructing_document"]
    r = await insp.act(order["id"], "issue", TOWN)
    problem = await refused(insp, r, 409, "inspection-order-incomplete", before)
    assert problem["missing"] == ["notice_policy"]
    r = await insp.client.put(
        f"/orders/{order['id']}/notice-policy", json={"policy": "notify"}, headers=insp.h(TOWN)
    )
    assert r.status_code == 200
    async with topic_reader(kafka_bootstrap, "inspection.order-issued") as reader:
        r = await insp.act(order["id"], "issue", TOWN)
        assert r.status_code == 200
        events = await reader.collect(lambda es: any(e["subject"] == order["id"] for e in es))
    issued = next(e for e in events if e["subject"] == order["id"])["data"]
    assert issued["advance_notice"] is True
    assert issued["target_count"] == 2
    # notify: the visit waits for the notice
    before = await insp.counts()
    body: dict[str, Any] = {
        "inspected_at": insp.clock.now().isoformat(),
        "inspector_ids": inspectors,
        "record": "x",
    }
    r = await insp.act(order["id"], f"targets/{a['id']}/on-site", TOWN, body)
    await refused(insp, r, 409, "inspection-advance-notice-required", before)
    notice = {
        "notified_at": insp.clock.now().isoformat(),
        "inspection_time": (insp.clock.now() + timedelta(days=1)).isoformat(),
        "basis": "《重庆市消防条例》",
        "method": "现场检查",
        "channel": "书面告知",
    }
    r = await insp.act(order["id"], f"targets/{a['id']}/advance-notice", TOWN, notice)
    assert r.status_code == 200
    assert r.json()["notice_basis"] == "《重庆市消防条例》"
    r = await insp.act(order["id"], f"targets/{a['id']}/on-site", TOWN, body)
    assert r.status_code == 200, r.text
    # an exempt order: no notice may be given, and none is needed
    c = await insp.target()
    secret = await insp.order([c["id"]])
    await insp.staff(secret["id"])
    r = await insp.client.put(
        f"/orders/{secret['id']}/notice-policy",
        json={
            "policy": "superior-instruction",
            "reason": "区安委办要求“四不两直”",
            "instructing_authority": "区安委办",
            "instructing_document": "涪安委办〔2024〕12号",
        },
        headers=insp.h(TOWN),
    )
    assert r.json()["notice_exemption_reason"] == "区安委办要求“四不两直”"
    await insp.act(secret["id"], "issue", TOWN)
    before = await insp.counts()
    r = await insp.act(secret["id"], f"targets/{c['id']}/advance-notice", TOWN, notice)
    await refused(insp, r, 409, "inspection-advance-notice-forbidden", before)
    r = await insp.act(secret["id"], f"targets/{c['id']}/on-site", TOWN, body)
    await refused(insp, r, 422, "invalid-input", before)  # the first order's inspectors
    detail = (await insp.client.get(f"/orders/{secret['id']}", headers=insp.h(TOWN))).json()
    own = [i["id"] for i in detail["inspectors"]]
    r = await insp.act(
        secret["id"], f"targets/{c['id']}/on-site", TOWN, {**body, "inspector_ids": own[:1]}
    )
    assert r.status_code == 422
    assert r.json()["type"].endswith("inspection-too-few-inspectors")
    r = await insp.act(
        secret["id"], f"targets/{c['id']}/on-site", TOWN, {**body, "inspector_ids": own}
    )
    assert r.status_code == 200, r.text


async def test_insp_03_a_town_orders_only_its_own_targets(insp: Insp) -> None:
    mine, theirs = await insp.target(), await insp.target(town=OTHER_TOWN)
    before = await insp.counts()
    body = {
        "title": "x",
        "method": "on-site",
        "matter_codes": ["WAT-001"],
        "planned_start": insp.clock.now().isoformat(),
        "planned_end": insp.clock.now().isoformat(),
        "target_ids": [theirs["id"]],
    }
    r = await insp.client.post("/orders", json=body, headers=insp.h(TOWN))
    await refused(insp, r, 422, "inspection-unknown-target", before)
    r = await insp.client.post(
        "/orders",
        json={**body, "target_ids": [theirs["id"]], "town": OTHER_TOWN},
        headers=insp.h(TOWN),
    )
    await refused(insp, r, 403, "forbidden", before)
    r = await insp.client.post(
        "/orders",
        json={**body, "target_ids": [mine["id"], theirs["id"]], "town": TOWN, "proposal": "x"},
        headers=insp.h(WATER),
    )
    await refused(insp, r, 422, "inspection-target-outside-town", before)
    r = await insp.client.post(
        "/orders", json={**body, "target_ids": [mine["id"]]}, headers=insp.h("justice-bureau")
    )
    await refused(insp, r, 403, "forbidden", before)
    r = await insp.client.post(
        "/orders",
        json={**body, "target_ids": [mine["id"]], "planned_end": "2024-01-01T00:00:00+08:00"},
        headers=insp.h(TOWN),
    )
    await refused(insp, r, 422, "inspection-implausible-time", before)
    r = await insp.client.post(
        "/orders",
        json={**body, "target_ids": [mine["id"]]},
        headers={**insp.h(TOWN), "Idempotency-Key": "o-1"},
    )
    again = await insp.client.post(
        "/orders",
        json={**body, "target_ids": [mine["id"]]},
        headers={**insp.h(TOWN), "Idempotency-Key": "o-1"},
    )
    assert again.json()["id"] == r.json()["id"]
    r = await insp.client.post(
        "/orders", json={**body, "title": "y"}, headers={**insp.h(TOWN), "Idempotency-Key": "o-1"}
    )
    assert r.status_code == 422
    assert r.json()["type"].endswith("idempotency-key-reused")
