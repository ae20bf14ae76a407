"""INSP-05 on the running service: the justice bureau decides a consent stalemate (原则上: the
town's consent is the rule, not an absolute veto). A department's proposal the town did not
agree — it counter-proposed, or let its consultation deadline pass — goes on or is dropped on
the bureau's decision, with a reason someone can rule on, audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .conftest import FIRE, TOWN, Insp, refused

pytestmark = pytest.mark.integration

BUREAU = "justice-bureau"
REASON = "消防安全隐患排查属区安委会年度重点任务，须按期开展"


async def _proposal(insp: Insp) -> dict[str, Any]:
    target = await insp.target()
    return await insp.order(
        [target["id"]],
        org=FIRE,
        town=TOWN,
        matters=("FIR-001",),
        proposal="拟请街道大队配合开展消防安全检查",
    )


async def test_insp_05_the_justice_bureau_decides_a_consent_stalemate(insp: Insp) -> None:
    order = await _proposal(insp)
    url = "stalemate-decision"
    # no stalemate while the town still has time to answer
    before = await insp.counts()
    body = {"decision": "proceed", "reason": REASON, "brigade_tasks": "大队派2人配合"}
    r = await insp.act(order["id"], url, BUREAU, body)
    problem = await refused(insp, r, 409, "inspection-no-stalemate", before)
    assert problem["rule"] == "INSP-05"
    r = await insp.act(
        order["id"],
        "consultation",
        TOWN,
        {"decision": "counter-propose", "brigade_tasks": "不参加", "counter_proposal": "暂缓检查"},
    )
    assert r.json()["state"]["value"] == "counter-proposed"
    before = await insp.counts()
    # neither side decides for the bureau
    for org in (TOWN, FIRE):
        r = await insp.act(order["id"], url, org, body)
        await refused(insp, r, 403, "forbidden", before)
    # one character is not a reason; proceeding sets the brigade's tasks
    r = await insp.act(order["id"], url, BUREAU, {"decision": "proceed", "reason": "同意"})
    problem = await refused(insp, r, 422, "invalid-input", before)
    assert problem["missing"] == ["reason", "brigade_tasks"]
    r = await insp.act(order["id"], url, BUREAU, body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["state"]["value"] == "agreed"
    assert out["agreed_matters"] == ["FIR-001"]
    assert out["brigade_tasks"] == "大队派2人配合"
    assert out["bureau_decision"]["value"] == "proceed"
    assert out["bureau_decision_reason"] == REASON
    assert out["bureau_decided_at"] is not None
    timeline = (
        await insp.client.get(f"/orders/{order['id']}/timeline", headers=insp.h(BUREAU))
    ).json()
    decided = [e for e in timeline if e["action"] == "inspection.order.stalemate-decided"]
    assert len(decided) == 1
    assert decided[0]["rule"] == "INSP-05"
    # decided once: the order goes on as agreed, the bureau cannot decide it again
    before = await insp.counts()
    r = await insp.act(order["id"], url, BUREAU, {**body, "decision": "drop"})
    await refused(insp, r, 409, "inspection-invalid-transition", before)
    await insp.staff(order["id"], org=TOWN)
    r = await insp.client.put(
        f"/orders/{order['id']}/notice-policy", json={"policy": "notify"}, headers=insp.h(FIRE)
    )
    assert r.status_code == 200, r.text
    assert (await insp.act(order["id"], "issue", FIRE)).status_code == 200


async def test_insp_05_a_proposal_left_unanswered_past_its_deadline_can_be_dropped(
    insp: Insp,
) -> None:
    order = await _proposal(insp)
    insp.clock.advance(timedelta(days=10))  # the town let its 3 working days pass
    r = await insp.act(
        order["id"],
        "stalemate-decision",
        BUREAU,
        {"decision": "drop", "reason": "该事项已由区消防救援支队另行专项检查，本次不再开展"},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["state"]["value"] == "cancelled"
    assert out["bureau_decision"]["value"] == "drop"
    assert out["cancel_reason"].startswith("司法局协调决定不予开展")
    # the town's missed answer stays a breach on record
    timeline = (
        await insp.client.get(f"/orders/{order['id']}/timeline", headers=insp.h(BUREAU))
    ).json()
    assert any(
        e["kind"] == "deadline-breached" and e["detail"]["organisation"] == TOWN for e in timeline
    )
    decided = [e for e in timeline if e["action"] == "inspection.order.stalemate-decided"]
    assert decided[0]["detail"]["town_answer"] == "proposed"
