"""As an attacker would: other organisations' tokens, bad input, forged events."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from xietong_common.contracts.secondment import RosterChanged, RosterOfficer
from xietong_common.reference import SecondmentMode
from xietong_devtools.testing import topic_reader

from .conftest import ECOLOGY, OTHER_TOWN, TOWN, WATER, Insp, refused

pytestmark = pytest.mark.integration


def roster(officer: str, version: int = 1) -> RosterChanged:
    return RosterChanged(
        team_id=f"team-{officer}",
        version=version,
        department=WATER,
        mode=SecondmentMode.ZONE,
        name="区水利局第一片区指导队",
        towns=[TOWN],
        valid_from=date(2024, 1, 1),
        effective_from=date(2024, 1, 1),
        officers=[
            RosterOfficer(
                officer_id=officer,
                name="张三",
                certificate_number="50010220240001",
                certificate_valid_until=date(2026, 12, 31),
                towns=[TOWN],
            )
        ],
        changed_at=datetime(2024, 1, 1, tzinfo=UTC),
    )


async def assign(insp: Insp, order_id: str, officer: str) -> Any:
    return await insp.client.post(
        f"/orders/{order_id}/inspectors",
        json={"kind": "seconded", "officer_id": officer},
        headers=insp.h(TOWN),
    )


async def test_sec_04_the_roster_arrives_from_the_secondment_service_only(
    insp: Insp, publish: Any, kafka_bootstrap: str
) -> None:
    target = await insp.target()
    order = await insp.order([target["id"]], matters=("WAT-001",))
    async with topic_reader(kafka_bootstrap, "secondment.roster-changed.dlq") as dlq:
        forged_id = await publish(roster("forged"), key="team-forged", source="/xietong/referral")
        await publish(roster("real"), key="team-real", source="/xietong/secondment")
        await dlq.collect(lambda es: any(e.get("id") == forged_id for e in es), timeout_s=30)
    for _ in range(100):
        if (await assign(insp, order["id"], "real")).status_code == 201:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the roster from the secondment service never arrived")
    r = await assign(insp, order["id"], "forged")
    assert r.status_code == 422
    assert r.json()["type"].endswith("inspection-officer-ineligible")


async def test_other_organisations_learn_nothing_and_change_nothing(insp: Insp) -> None:
    target = await insp.target()
    order = await insp.issued([target["id"]])
    oid = order["id"]
    before = await insp.counts()
    for org in (OTHER_TOWN, ECOLOGY, "district-gov"):
        assert (await insp.client.get(f"/orders/{oid}", headers=insp.h(org))).status_code == 404
        assert (
            await insp.client.get(f"/orders/{oid}/timeline", headers=insp.h(org))
        ).status_code == 404
        for order_id in (oid, str(uuid.uuid4())):
            r = await insp.act(
                order_id,
                f"targets/{target['id']}/on-site",
                org,
                {
                    "inspected_at": insp.clock.now().isoformat(),
                    "inspector_ids": order["inspector_ids"],
                    "record": "x",
                },
            )
            if org == "district-gov":
                # no kind of organisation that inspects: refused for its kind, whatever the
                # order (the same for one that does not exist), so nothing is learned
                await refused(insp, r, 403, "forbidden", before)
            else:
                await refused(insp, r, 404, "not-found", before)
    # a token for an organisation outside the directory acts for nobody
    r = await insp.client.get("/orders", headers=insp.h("town:atlantis"))
    assert r.status_code == 403
    r = await insp.client.get("/orders")
    assert r.status_code == 401
    # the justice bureau reads but does not inspect in a town's stead
    r = await insp.act(
        oid,
        f"targets/{target['id']}/on-site",
        "justice-bureau",
        {
            "inspected_at": insp.clock.now().isoformat(),
            "inspector_ids": order["inspector_ids"],
            "record": "x",
        },
    )
    await refused(insp, r, 403, "forbidden", before)


BAD_ORDERS: list[dict[str, Any]] = [
    {"title": "x\u0000y"},
    {"title": "x" * 501},
    {"planned_start": "2024-03-05T10:00:00"},
    {"planned_start": "9999-03-05T10:00:00+08:00"},
    {"matter_codes": []},
    {"matter_codes": ["../etc"]},
    {"target_ids": ["not-a-uuid"]},
    {"target_ids": ["00000000-0000-4000-8000-000000000000"] * 501},
    {"method": "telepathy"},
    {"colour": "red"},
]


async def test_bad_orders_get_a_clear_4xx_and_change_nothing(insp: Insp) -> None:
    start = insp.clock.now() + timedelta(days=1)
    base = {
        "title": "x",
        "method": "on-site",
        "matter_codes": ["WAT-001"],
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(hours=2)).isoformat(),
    }
    before = await insp.counts()
    for body in BAD_ORDERS:
        r = await insp.client.post("/orders", json={**base, **body}, headers=insp.h(TOWN))
        await refused(insp, r, 422, "invalid-input", before)


async def test_lists_are_bounded_and_filters_checked(insp: Insp) -> None:
    for path in (
        "/orders",
        "/targets",
        "/plans",
        "/shortcomings",
        "/merge-proposals",
        "/reinspections",
    ):
        assert (
            await insp.client.get(path, params={"page_size": 10_000}, headers=insp.h(TOWN))
        ).status_code == 422
        assert (
            await insp.client.get(path, params={"page": 0}, headers=insp.h(TOWN))
        ).status_code == 422
        ok = await insp.client.get(path, params={"page_size": 5}, headers=insp.h(TOWN))
        assert ok.status_code == 200
        assert ok.json()["page_size"] == 5
    assert (
        await insp.client.get("/orders", params={"state": "nope"}, headers=insp.h(TOWN))
    ).status_code == 422
    assert (
        await insp.client.get("/targets", params={"name": "a\u0000"}, headers=insp.h(TOWN))
    ).status_code == 422
    r = await insp.client.get(
        "/figures/visits", params={"start": "2024-05-01", "end": "2024-01-01"}, headers=insp.h(TOWN)
    )
    assert r.status_code == 422
    r = await insp.client.get("/targets", params={"name": "%_\\"}, headers=insp.h(TOWN))
    assert r.status_code == 200
    assert r.json()["total"] == 0
