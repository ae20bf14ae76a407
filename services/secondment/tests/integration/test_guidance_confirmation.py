"""SEC-05: a town confirms a guidance activity it received — the department's record of
guiding the towns is no longer only its own word."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from xietong_common.tables import outbox

from .conftest import BAITAO, CHONGYI, LIZHI, WATER, Svc, refused
from .test_guidance import record

pytestmark = pytest.mark.integration


async def test_sec_05_a_town_confirms_a_guidance_activity_it_received(svc: Svc) -> None:
    activity = await record(svc, WATER, towns=[LIZHI, BAITAO])
    assert activity["confirmations"] == []
    assert activity["unconfirmed_towns"] == [BAITAO, LIZHI]
    url = f"/guidance/{activity['id']}/confirmation"
    body = {"note": "已组织大队12人参加培训"}
    # a town it did not reach learns nothing; the department does not confirm for a town
    r = await svc.client.post(url, json=body, headers=svc.h(CHONGYI, "handler"))
    assert r.status_code == 404, r.text
    r = await svc.client.post(url, json=body, headers=svc.h(WATER, "handler"))
    assert r.status_code == 403, r.text
    r = await svc.client.post(url, json=body, headers=svc.h(LIZHI, "handler"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert [c["town"] for c in out["confirmations"]] == [LIZHI]
    assert out["confirmations"][0]["note"] == body["note"]
    assert out["unconfirmed_towns"] == [BAITAO]
    r = await svc.client.post(url, json=body, headers=svc.h(LIZHI, "handler"))
    refused(r, 409, "conflict")
    # the department sees who confirmed
    seen = (
        await svc.client.get(f"/guidance/{activity['id']}", headers=svc.h(WATER, "handler"))
    ).json()
    assert [c["town"] for c in seen["confirmations"]] == [LIZHI]


async def test_sec_05_a_guidance_document_is_shared_as_an_information_item(svc: Svc) -> None:
    r = await svc.client.post(
        "/guidance",
        json={
            "kind": "training",
            "title": "业务培训",
            "held_on": "2024-02-28",
            "towns": [LIZHI],
            "attendance": 20,
            "shared_as": "normative-document",
        },
        headers=svc.h(WATER, "handler"),
    )
    problem = refused(r, 422, "invalid-input")
    assert problem["rule"] == "SEC-05"
    document = await record(
        svc,
        WATER,
        kind="guidance-document",
        attendance=None,
        document_number="涪水发〔2024〕3号",
        description="明确河道管理范围内违法行为的认定标准和办理流程",
        shared_as="normative-document",
    )
    assert document["shared_as"] == "normative-document"
    async with svc.run.ctx.db.session() as s:
        envelopes = (
            await s.execute(
                sa.select(outbox.c.envelope).where(
                    outbox.c.topic == "secondment.guidance-recorded",
                    outbox.c.key == document["id"],
                )
            )
        ).scalars()
        [data] = [e["data"] for e in envelopes]
    assert data["shared_as"] == "normative-document"
    assert data["description"] == "明确河道管理范围内违法行为的认定标准和办理流程"
