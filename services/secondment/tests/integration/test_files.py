"""Issue 17: every malformed or hostile file sent as a guidance material (SEC-05) or as a
roster sheet (SEC-02) is refused with a problem type — never a 500 — and nothing of it is
kept or imported; a fuzz step mutates a valid file of each."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import sqlalchemy as sa

from xietong_devtools import files_corpus as corpus

from .conftest import HEADER, WATER, Svc, officer_row, xlsx
from .test_guidance import record

pytestmark = pytest.mark.integration


async def _counts(svc: Svc) -> tuple[Any, ...]:
    async with svc.run.ctx.db.session() as s:
        materials = (
            await s.execute(sa.text("SELECT count(*) FROM guidance_materials"))
        ).scalar_one()
    return (int(materials), tuple(sorted((await svc.counts()).items())))


async def test_every_malformed_guidance_material_is_refused_and_nothing_is_stored(svc: Svc) -> None:
    activity = await record(svc, WATER)

    async def post(sample: corpus.Sample) -> Any:
        return await svc.client.post(
            f"/guidance/{activity['id']}/materials",
            files={"file": sample.upload()},
            headers=svc.h(WATER, "handler"),
        )

    await corpus.refuses_every_malformed_file(
        post,
        counts=lambda: _counts(svc),
        blob_dir=svc.run.settings.blob_dir,
        samples=corpus.malformed_documents(),
        fuzz=corpus.Sample(
            "签到表.xlsx", corpus.xlsx([["姓名", "单位"], ["张三", "李渡街道"]]), corpus.XLSX
        ),
    )


async def test_every_malformed_roster_sheet_is_refused_and_nothing_is_imported(svc: Svc) -> None:
    await svc.team()

    async def post(sample: corpus.Sample) -> Any:
        return await svc.client.post(
            "/rosters/imports", files={"file": sample.upload()}, headers=svc.admin(WATER)
        )

    # Files up to the sync bound are answered in the request; a larger one is a job (below).
    small = [s for s in corpus.malformed_tables() if len(s.content) <= 256 * 1024]
    await corpus.refuses_every_malformed_file(
        post,
        counts=lambda: _counts(svc),
        blob_dir=svc.run.settings.blob_dir,
        samples=small,
        fuzz=corpus.Sample(
            "名单.xlsx", xlsx([HEADER, officer_row(1, "张三", "A0001")]), corpus.XLSX
        ),
    )
    before = await _counts(svc)
    r = await post(corpus.Sample("名单.xlsx", corpus.shared_strings_bomb(), corpus.XLSX))
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 300
    while (job := (await svc.client.get(r.headers["location"], headers=svc.admin(WATER))).json())[
        "state"
    ] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.2)
    assert job["state"] == "failed"
    assert job["problem"]["type"] == "urn:xietong:problem:file-over-limits"
    assert await _counts(svc) == before
    # another department does not see the job
    other = await svc.client.get(r.headers["location"], headers=svc.admin("dept:fire-rescue"))
    assert other.status_code == 404


async def test_a_number_field_refuses_true_and_stores_nothing(svc: Svc) -> None:
    before = await _counts(svc)
    body = {
        "kind": "training",
        "title": "业务培训",
        "held_on": "2024-02-28",
        "towns": ["town:lizhi"],
        "attendance": True,
    }
    r = await svc.client.post("/guidance", json=body, headers=svc.h(WATER, "handler"))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == ["body", "attendance"]
    assert await _counts(svc) == before
