"""SEC-05: departments record the guidance they give the towns; oversight counts it."""

from __future__ import annotations

from typing import Any

import pytest

from xietong_devtools.files_corpus import pdf_bytes

from .conftest import BAITAO, CHONGYI, ECOLOGY, LIZHI, WATER, Svc, refused

pytestmark = pytest.mark.integration


async def record(svc: Svc, department: str, **body: Any) -> dict[str, Any]:
    data = {
        "kind": "training",
        "title": "业务培训",
        "held_on": "2024-02-28",
        "towns": [LIZHI],
        "attendance": 20,
        **body,
    }
    r = await svc.client.post("/guidance", json=data, headers=svc.h(department, "handler"))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_sec_05_every_kind_of_guidance_is_recorded_and_counted(svc: Svc) -> None:
    await record(
        svc, WATER, kind="guidance-document", attendance=None, document_number="涪水发〔2024〕3号"
    )
    await record(svc, WATER, kind="seminar", towns=[LIZHI, BAITAO], attendance=12)
    await record(svc, WATER, kind="typical-practice", held_on="2024-01-20", attendance=None)
    await record(svc, WATER, kind="joint-drill", towns=[BAITAO], attendance=30)
    training = await record(svc, ECOLOGY, kind="training", towns=[CHONGYI, LIZHI], attendance=40)
    await record(svc, ECOLOGY, kind="third-party", third_party="某律师事务所", attendance=None)
    assert training["kind"]["label_zh"] == "组织业务知识培训"

    def items(body: dict[str, Any]) -> dict[str, tuple[int, int]]:
        return {i["key"]: (i["activities"], i["attendance"]) for i in body["items"]}

    async def counts(org: str, **params: str) -> dict[str, Any]:
        r = await svc.client.get("/guidance/counts", params=params, headers=svc.h(org))
        assert r.status_code == 200, r.text
        return dict(r.json())

    by_department = await counts("justice-bureau")
    assert items(by_department) == {WATER: (4, 42), ECOLOGY: (2, 40)}
    assert by_department["by"]["label_zh"] == "部门"
    assert {i["label_zh"] for i in by_department["items"]} == {"区水利局", "区生态环境局"}
    assert items(await counts("district-gov", by="town")) == {
        LIZHI: (5, 52),
        BAITAO: (2, 42),
        CHONGYI: (1, 40),
    }
    assert items(await counts("justice-bureau", by="month")) == {
        "2024-01": (1, 0),
        "2024-02": (5, 82),
    }
    assert items(await counts("justice-bureau", by="quarter")) == {"2024-Q1": (6, 82)}
    kinds = await counts("justice-bureau", by="kind", held_from="2024-02-01")
    assert sum(i["activities"] for i in kinds["items"]) == kinds["total_activities"] == 5
    # a department counts its own; a town what reached it, and only its own line
    assert items(await counts(ECOLOGY)) == {ECOLOGY: (2, 40)}
    assert items(await counts(BAITAO, by="town")) == {BAITAO: (2, 42)}
    assert items(await counts("justice-office:lizhi")) == {}


async def test_sec_05_who_sees_an_activity_and_its_materials(svc: Svc) -> None:
    activity = await record(svc, WATER, towns=[LIZHI, BAITAO])
    aid = activity["id"]
    pdf = pdf_bytes("guidance")
    r = await svc.client.post(
        f"/guidance/{aid}/materials",
        data={"title": "培训课件"},
        files={"file": ("课件.pdf", pdf, "application/pdf")},
        headers=svc.h(WATER, "handler"),
    )
    assert r.status_code == 201, r.text
    material = r.json()
    for org in (WATER, LIZHI, BAITAO, "justice-bureau", "district-gov"):
        got = await svc.client.get(f"/guidance/{aid}", headers=svc.h(org))
        assert got.status_code == 200, org
        content = await svc.client.get(
            f"/guidance/{aid}/materials/{material['id']}/content", headers=svc.h(org)
        )
        assert content.content == pdf
    for org in (CHONGYI, ECOLOGY, "justice-office:lizhi"):
        refused(await svc.client.get(f"/guidance/{aid}", headers=svc.h(org)), 404, "not-found")
    listed = (
        await svc.client.get("/guidance", params={"town": BAITAO}, headers=svc.h(LIZHI))
    ).json()
    assert listed["total"] == 1
    assert (await svc.client.get("/guidance", headers=svc.h(CHONGYI))).json()["total"] == 0
    before = await svc.counts()
    r = await svc.client.post(
        f"/guidance/{aid}/materials",
        files={"file": ("x.pdf", pdf, "application/pdf")},
        headers=svc.h(LIZHI, "handler"),
    )
    refused(r, 403, "forbidden")
    odd = await svc.client.post(
        f"/guidance/{aid}/materials",
        files={"file": ("../../坏名.pdf", pdf, "application/pdf")},
        headers=svc.h(WATER, "handler"),
    )
    assert odd.status_code == 201, odd.text
    assert odd.json()["title"] == odd.json()["filename"] == "坏名.pdf"
    before = await svc.counts()
    r = await svc.client.post(
        f"/guidance/{aid}/materials",
        files={"file": ("x.exe", b"MZ...", "application/x-msdownload")},
        headers=svc.h(WATER, "handler"),
    )
    refused(r, 415, "unsupported-media-type")
    assert await svc.counts() == before


async def test_sec_05_an_incomplete_record_is_refused_and_nothing_kept(svc: Svc) -> None:
    before = await svc.counts()
    base = {"kind": "training", "title": "培训", "held_on": "2024-02-28", "towns": [LIZHI]}
    cases = [
        ({}, "secondment-guidance-incomplete"),  # training without attendance
        ({"kind": "third-party", "attendance": None}, "secondment-guidance-incomplete"),
        ({"held_on": "2024-03-02", "attendance": 5}, "secondment-guidance-incomplete"),
        ({"towns": ["town:atlantis"], "attendance": 5}, "unknown-organisation"),
        ({"towns": [], "attendance": 5}, "invalid-input"),
        ({"kind": "lecture", "attendance": 5}, "invalid-input"),
    ]
    for change, slug in cases:
        r = await svc.client.post(
            "/guidance", json={**base, **change}, headers=svc.h(WATER, "handler")
        )
        refused(r, 422, slug)
    r = await svc.client.post(
        "/guidance", json={**base, "attendance": 3}, headers=svc.h(LIZHI, "handler")
    )
    assert refused(r, 403, "forbidden")["rule"] == "SEC-05"
    assert await svc.counts() == before
    headers = {**svc.h(WATER, "handler"), "Idempotency-Key": "guidance-1"}
    first = await svc.client.post("/guidance", json={**base, "attendance": 3}, headers=headers)
    again = await svc.client.post("/guidance", json={**base, "attendance": 3}, headers=headers)
    assert first.json()["id"] == again.json()["id"]
