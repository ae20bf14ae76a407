"""INSP-06 on the running service: the target *may* be told (可) — a town may choose not to
notify, with a reason; and the planned times of an order not announced in advance are not
published to integrators before the visit."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from xietong_common.tables import outbox

from .conftest import FIRE, TOWN, Insp, refused

pytestmark = pytest.mark.integration

DISCRETION = {
    "policy": "town-discretion",
    "reason": "该餐饮店多次被投诉夜间违规经营，事先通知将无法查实",
}


async def _issued_events(insp: Insp, order_id: str) -> list[dict[str, Any]]:
    """What the outbox holds for integrators about the order's issue."""
    async with insp.svc.ctx.db.session() as s:
        rows = (
            await s.execute(
                sa.select(outbox.c.envelope).where(
                    outbox.c.topic == "inspection.order-issued", outbox.c.key == order_id
                )
            )
        ).scalars()
        return [dict(r["data"]) for r in rows]


async def test_insp_06_the_town_may_choose_not_to_notify_with_a_reason(insp: Insp) -> None:
    target = await insp.target()
    proposal = await insp.order(
        [target["id"]], org=FIRE, town=TOWN, matters=("FIR-001",), proposal="消防检查"
    )
    url = f"/orders/{proposal['id']}/notice-policy"
    before = await insp.counts()
    # the town's discretion is the town's: the department does not exercise it for the town
    r = await insp.client.put(url, json=DISCRETION, headers=insp.h(FIRE))
    await refused(insp, r, 403, "forbidden", before)
    # one character is not a reason
    r = await insp.client.put(url, json={**DISCRETION, "reason": "暗查"}, headers=insp.h(TOWN))
    problem = await refused(insp, r, 422, "invalid-input", before)
    assert problem["missing"] == ["reason"]
    assert problem["rule"] == "INSP-06"
    r = await insp.client.put(url, json=DISCRETION, headers=insp.h(TOWN))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["notice_policy"]["value"] == "town-discretion"
    assert out["notice_exemption_reason"] == DISCRETION["reason"]
    timeline = (
        await insp.client.get(f"/orders/{proposal['id']}/timeline", headers=insp.h(TOWN))
    ).json()
    set_by_town = [e for e in timeline if e["action"] == "inspection.order.notice-policy"]
    assert set_by_town[-1]["org"] == TOWN
    assert set_by_town[-1]["detail"]["policy"] == "town-discretion"
    # an order not to be announced: no notice may be given to its targets
    r = await insp.client.put(url, json={"policy": "notify"}, headers=insp.h(FIRE))
    assert r.json()["notice_policy"]["value"] == "notify"


async def test_insp_06_planned_times_of_a_no_notice_order_are_not_published_before_the_visit(
    insp: Insp,
) -> None:
    a, b = await insp.target(), await insp.target()
    announced = await insp.issued([a["id"]], notice="notify")
    assert [e["planned_start"] for e in await _issued_events(insp, announced["id"])] != []
    order = await insp.order([b["id"]])
    inspectors = await insp.staff(order["id"])
    r = await insp.client.put(
        f"/orders/{order['id']}/notice-policy", json=DISCRETION, headers=insp.h(TOWN)
    )
    assert r.status_code == 200, r.text
    r = await insp.act(order["id"], "issue", TOWN)
    assert r.status_code == 200, r.text
    # issued, but integrators learn nothing of when the unannounced visit comes
    assert await _issued_events(insp, order["id"]) == []
    r = await insp.act(
        order["id"],
        f"targets/{b['id']}/on-site",
        TOWN,
        {
            "inspected_at": insp.clock.now().isoformat(),
            "inspector_ids": inspectors,
            "record": "现场检查记录",
        },
    )
    assert r.status_code == 200, r.text
    published = await _issued_events(insp, order["id"])
    assert len(published) == 1
    assert published[0]["advance_notice"] is False
    assert published[0]["planned_start"] is not None
