"""SEC-05: a town confirms a guidance activity it received — the department's record of
guiding the towns is no longer only its own word."""

from __future__ import annotations

import pytest

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
