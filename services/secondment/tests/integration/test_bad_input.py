"""Bad input gets a clear 4xx problem+json and changes nothing; no input produces a 500."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import pytest

from secondment.main import SPEC
from xietong_common.clock import FakeClock
from xietong_devtools.testing import Servers, create_database, running_service

from .conftest import BAITAO, HEADER, LIZHI, WATER, Svc, officer_row, refused, xlsx

pytestmark = pytest.mark.integration


def team_body(**change: Any) -> dict[str, Any]:
    return {"name": "某队", "towns": [LIZHI, BAITAO], "valid_from": "2024-01-05", **change}


async def test_bad_team_bodies_are_refused_and_change_nothing(svc: Svc) -> None:
    before = await svc.counts()
    bodies = [
        team_body(name="坏\x00名字"),
        team_body(name="长" * 201),
        team_body(name=" "),
        team_body(valid_from="9999-01-01"),
        team_body(valid_from="2024-02-30"),
        team_body(valid_until="2024-01-01"),
        team_body(towns=[LIZHI] * 61),
        team_body(towns=["town:LiZhi"]),
        team_body(towns="town:lizhi"),
        team_body(leader="王\n五"),
        team_body(effective_from="1999-12-31"),
        team_body(colour="red"),
        {"towns": [LIZHI, BAITAO]},
    ]
    for body in bodies:
        r = await svc.client.post("/teams", json=body, headers=svc.admin(WATER))
        refused(r, 422, "invalid-input")
    r = await svc.client.post(
        "/teams",
        content=b"{not json",
        headers={**svc.admin(WATER), "content-type": "application/json"},
    )
    refused(r, 422, "invalid-input")
    assert await svc.counts() == before


async def test_bad_edits_and_lookups(svc: Svc) -> None:
    team = await svc.team()
    before = await svc.counts()
    for body in ({"name": None}, {"towns": None}, {"valid_from": None}, {"towns": []}):
        r = await svc.client.patch(f"/teams/{team['id']}", json=body, headers=svc.admin(WATER))
        refused(r, 422, "invalid-input")
    r = await svc.client.patch(
        f"/teams/{team['id']}", json={"valid_until": "2023-12-31"}, headers=svc.admin(WATER)
    )
    refused(r, 422, "invalid-input")
    r = await svc.client.patch(
        f"/teams/{team['id']}", json={"effective_from": "2024-02-01"}, headers=svc.admin(WATER)
    )
    refused(r, 422, "secondment-effective-date-refused")
    # an id that is no UUID names nothing (paths match UUIDs only)
    refused(await svc.client.get("/teams/not-a-uuid", headers=svc.admin(WATER)), 404, "not-found")
    refused(
        await svc.client.get(f"/teams/{uuid.uuid4()}", headers=svc.admin(WATER)), 404, "not-found"
    )
    refused(
        await svc.client.get(f"/teams/{team['id']}/versions/0", headers=svc.admin(WATER)),
        422,
        "invalid-input",
    )
    refused(
        await svc.client.get(f"/teams/{team['id']}/versions/7", headers=svc.admin(WATER)),
        404,
        "not-found",
    )
    refused(
        await svc.client.get("/teams", params={"page_size": 100000}, headers=svc.admin(WATER)),
        422,
        "invalid-input",
    )
    refused(
        await svc.client.get("/officers", params={"on": "3000-01-01"}, headers=svc.admin(WATER)),
        422,
        "invalid-input",
    )
    refused(
        await svc.client.get(
            "/eligibility",
            params={
                "officer": "x",
                "matter": "WAT-001",
                "town": LIZHI,
                "at": "2024-03-01T10:00:00",
            },
            headers=svc.admin(WATER),
        ),
        422,
        "invalid-input",
    )
    refused(
        await svc.client.get(
            "/rosters/diff", params={"base": -1, "target": 1}, headers=svc.admin(WATER)
        ),
        422,
        "invalid-input",
    )
    r = await svc.client.patch(
        f"/officers/{uuid.uuid4()}/personnel", json={}, headers=svc.admin(WATER)
    )
    refused(r, 422, "invalid-input")
    assert await svc.counts() == before


async def test_tokens_that_act_for_nobody(svc: Svc) -> None:
    before = await svc.counts()
    refused(await svc.client.get("/teams"), 401, "unauthorized")
    refused(
        await svc.client.get("/teams", headers={"Authorization": "Bearer not-a-token"}),
        401,
        "unauthorized",
    )
    r = await svc.client.post("/teams", json=team_body(), headers=svc.admin("dept:no-such-dept"))
    refused(r, 403, "forbidden")
    assert await svc.counts() == before


async def test_files_that_are_not_rosters(svc: Svc) -> None:
    await svc.team()
    before = await svc.counts()
    # A file that cannot be read is `file-unreadable`; a table without what a roster needs
    # is `table-invalid`.
    for content, name, slug in (
        (b"PK\x03\x04 not really a zip", "roster.xlsx", "file-unreadable"),
        (b"", "roster.csv", "table-invalid"),
        (b"\x00\x01\x02binary", "roster.csv", "file-unreadable"),
        ("姓名,执法证号\n张\x00三,A1234\n".encode(), "roster.csv", "file-unreadable"),
        (b"just,some\ncolumns,here\n", "roster.csv", "table-invalid"),
        ("序号\n1\n".encode("gb18030"), "roster.csv", "table-invalid"),
    ):
        r = await svc.upload(WATER, content, filename=name)
        refused(r, 422, slug)
    r = await svc.upload(
        WATER, xlsx([HEADER, officer_row(1, "张三", "A0001")]), effective_from="2024-13-01"
    )
    refused(r, 422, "invalid-input")
    r = await svc.client.post("/rosters/imports", headers=svc.admin(WATER))
    refused(r, 422, "invalid-input")
    assert await svc.counts() == before
    # a raw multipart body whose file name carries NUL and a path: stored cleaned, never a 500
    sheet = xlsx([HEADER, officer_row(1, "张三", "A0001")])
    boundary = "xietong-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="../../ro\x00ster.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + sheet
        + f"\r\n--{boundary}--\r\n".encode()
    )
    r = await svc.client.post(
        "/rosters/imports",
        content=body,
        headers={**svc.admin(WATER), "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["version"]["filename"] == "roster.xlsx"


@pytest.fixture
async def small(servers: Servers, kafka_bootstrap: str, tmp_path: Any) -> AsyncIterator[Svc]:
    """The service with small bounds, to hit them cheaply."""
    from datetime import UTC, datetime

    clock = FakeClock(datetime(2024, 3, 1, 2, 0, tzinfo=UTC))
    url = await create_database(servers, "secondment_small")
    async with running_service(
        SPEC,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        clock=clock,
        blob_dir=tmp_path / "blobs",
        run_jobs=False,
        secondment_roster_max_bytes=8192,
        secondment_roster_max_rows=3,
    ) as running:
        yield Svc(run=running, clock=clock)


async def test_roster_files_past_the_bounds(small: Svc) -> None:
    await small.team()
    before = await small.counts()
    rows = [HEADER, *(officer_row(n, f"人{n}", f"A{n:04d}") for n in range(1, 5))]
    problem = refused(await small.upload(WATER, xlsx(rows)), 422, "table-invalid")
    assert "最多导入 3 行" in problem["detail"]
    big = b"\xe5\xa7\x93\xe5\x90\x8d," * 2000
    refused(await small.upload(WATER, big, filename="r.csv"), 413, "payload-too-large")
    archive = io.BytesIO()  # a workbook whose parts claim far more than they hold
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    refused(await small.upload(WATER, archive.getvalue()), 422, "file-unreadable")
    assert await small.counts() == before
