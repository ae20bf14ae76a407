"""SEC-01 共用共管: who sees which seconded officers; SEC-03: the department's records stay
the department's; a town's notes on daily work under its command."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from .conftest import (
    BAITAO,
    CHONGYI,
    ECOLOGY,
    HEADER,
    JIANGBEI,
    LIZHI,
    URBAN,
    WATER,
    Svc,
    officer_row,
    refused,
    xlsx,
)

pytestmark = pytest.mark.integration


async def three_departments(svc: Svc) -> None:
    """区水利局 (zone: 荔枝, 白涛, 江北), 区城市管理局 (stationed in 荔枝), 区生态环境局
    (zone: 白涛, 崇义), each with its roster."""
    await svc.team(WATER, "水利第一片区", [LIZHI, BAITAO, JIANGBEI])
    await svc.team(URBAN, "城管派驻荔枝组", [LIZHI])
    await svc.team(ECOLOGY, "生态第一片区", [BAITAO, CHONGYI])
    await svc.imported(
        WATER,
        xlsx(
            [
                HEADER,
                officer_row(1, "张三", "W0001", "水利第一片区"),
                officer_row(2, "李四", "W0002", "水利第一片区", towns="江北街道"),
            ]
        ),
    )
    await svc.imported(URBAN, xlsx([HEADER, officer_row(1, "王五", "U0001", "城管派驻荔枝组")]))
    await svc.imported(ECOLOGY, xlsx([HEADER, officer_row(1, "赵六", "E0001", "生态第一片区")]))


def names(officers: list[dict[str, Any]]) -> list[str]:
    return sorted(o["name"] for o in officers)


async def test_sec_01_a_town_sees_every_officer_serving_it_from_all_departments(svc: Svc) -> None:
    await three_departments(svc)
    lizhi = await svc.officers(LIZHI)
    assert names(lizhi) == ["张三", "王五"]
    by_name = {o["name"]: o for o in lizhi}
    assert by_name["王五"]["mode"]["label_zh"] == "派驻"
    assert by_name["张三"]["mode"]["label_zh"] == "划片"
    assert by_name["张三"]["team_name"] == "水利第一片区"
    assert [m["code"] for m in by_name["张三"]["matters"]] == ["WAT-001"]
    assert {m["code"] for m in by_name["王五"]["matters"]} == {"URB-001", "URB-002"}
    assert names(await svc.officers(BAITAO)) == ["张三", "赵六"]
    assert names(await svc.officers(JIANGBEI)) == ["张三", "李四"]
    assert names(await svc.officers("town:dunren")) == []
    # a department sees its own across towns, and may narrow by town
    assert names(await svc.officers(WATER)) == ["张三", "李四"]
    assert names(await svc.officers(WATER, town=JIANGBEI)) == ["张三", "李四"]
    assert names(await svc.officers(WATER, town=CHONGYI)) == []
    # the justice bureau and the district government see all
    for org in ("justice-bureau", "district-gov"):
        assert names(await svc.officers(org)) == ["张三", "李四", "王五", "赵六"]
        assert names(await svc.officers(org, mode="stationed")) == ["王五"]
    # others see nobody; a town asking about another town sees only who also serves it
    assert await svc.officers("justice-office:lizhi") == []
    assert names(await svc.officers(LIZHI, town=BAITAO)) == ["张三"]
    assert await svc.officers(LIZHI, department=ECOLOGY) == []
    # on a day before the rosters took effect, nobody served
    assert await svc.officers(LIZHI, on="2024-02-29") == []


async def test_sec_01_an_officer_is_seen_by_his_department_his_towns_and_oversight(
    svc: Svc,
) -> None:
    await three_departments(svc)
    zhang = await svc.officer_id(WATER, "W0001")
    for org in (WATER, LIZHI, BAITAO, "justice-bureau", "district-gov"):
        r = await svc.client.get(f"/officers/{zhang}", headers=svc.h(org, "handler"))
        assert r.status_code == 200, (org, r.text)
        body = r.json()
        assert body["serving"]["team_name"] == "水利第一片区"
        assert (body["personnel"] is None) == org.startswith("town:"), org
    for org in (CHONGYI, URBAN, "justice-office:lizhi"):
        r = await svc.client.get(f"/officers/{zhang}", headers=svc.h(org, "handler"))
        refused(r, 404, "not-found")


async def test_sec_03_a_town_cannot_edit_establishment_identity_or_assessment(svc: Svc) -> None:
    await three_departments(svc)
    zhang = await svc.officer_id(WATER, "W0001")
    change = {"establishment": "administrative", "identity": "civil-servant"}
    assessment = {"year": 2024, "grade": "excellent"}
    before = await svc.counts()
    for org in (LIZHI, "justice-bureau", "district-gov"):
        r = await svc.client.patch(
            f"/officers/{zhang}/personnel", json=change, headers=svc.h(org, "admin", "leader")
        )
        # refused for its kind of organisation (only a department records these)
        problem = refused(r, 403, "forbidden")
        assert (problem["rule"], problem["allowed_org_kinds"]) == ("SEC-03", ["dept"])
        r = await svc.client.post(
            f"/officers/{zhang}/assessments", json=assessment, headers=svc.h(org, "admin")
        )
        assert refused(r, 403, "forbidden")["rule"] == "SEC-03"
    # another department may not even see him
    r = await svc.client.patch(
        f"/officers/{zhang}/personnel", json=change, headers=svc.admin(URBAN)
    )
    refused(r, 404, "not-found")
    # a town he does not serve is refused for its kind, as for any officer: nothing learned
    for officer in (zhang, uuid.uuid4()):
        r = await svc.client.patch(
            f"/officers/{officer}/personnel", json=change, headers=svc.admin(CHONGYI)
        )
        assert refused(r, 403, "forbidden")["allowed_org_kinds"] == ["dept"]
    assert await svc.counts() == before
    async with svc.run.ctx.db.session() as s:
        row = (
            await s.execute(
                sa.text("SELECT establishment, identity FROM officers WHERE id = :i"), {"i": zhang}
            )
        ).one()
    assert tuple(row) == (None, None)
    # the department records them
    r = await svc.client.patch(
        f"/officers/{zhang}/personnel", json=change, headers=svc.admin(WATER)
    )
    assert r.status_code == 200, r.text
    personnel = r.json()["personnel"]
    assert personnel["establishment"]["label_zh"] == "行政编制"
    assert personnel["identity"]["label_zh"] == "公务员"
    assert (
        personnel["establishment_unit"] == personnel["paid_by"] == personnel["assessed_by"] == WATER
    )
    r = await svc.client.post(
        f"/officers/{zhang}/assessments",
        json=assessment,
        headers={**svc.admin(WATER), "Idempotency-Key": "assess-2024"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["grade"]["label_zh"] == "优秀"
    r = await svc.client.post(
        f"/officers/{zhang}/assessments",
        json={"year": 2024, "grade": "competent"},
        headers=svc.admin(WATER),
    )
    refused(r, 409, "secondment-assessment-exists")
    officer = (await svc.client.get(f"/officers/{zhang}", headers=svc.admin(WATER))).json()
    assert [a["year"] for a in officer["personnel"]["assessments"]] == [2024]
    # the town he serves still sees his place, not the department's records
    seen = (await svc.client.get(f"/officers/{zhang}", headers=svc.h(LIZHI, "handler"))).json()
    assert seen["personnel"] is None


async def test_sec_01_a_town_notes_his_daily_work_under_its_command(svc: Svc) -> None:
    await three_departments(svc)
    zhang = await svc.officer_id(WATER, "W0001")
    li = await svc.officer_id(WATER, "W0002")  # serves 江北 only
    note = {"day": "2024-03-01", "kind": "inspection", "text": "参加镇综合执法大队河道联合巡查"}
    r = await svc.client.post(
        f"/officers/{zhang}/work-notes",
        json=note,
        headers={**svc.h(LIZHI, "handler"), "Idempotency-Key": "note-1"},
    )
    assert r.status_code == 201, r.text
    assert (r.json()["town"], r.json()["kind"]["label_zh"]) == (LIZHI, "参与检查巡查")
    await svc.client.post(
        f"/officers/{zhang}/work-notes", json=note, headers=svc.h(BAITAO, "handler")
    )
    before = await svc.counts()
    r = await svc.client.post(f"/officers/{zhang}/work-notes", json=note, headers=svc.admin(WATER))
    assert refused(r, 403, "forbidden")["rule"] == "SEC-01"  # a department writes no note
    r = await svc.client.post(
        f"/officers/{li}/work-notes", json=note, headers=svc.h(JIANGBEI, "handler")
    )
    assert r.status_code == 201
    before = await svc.counts()
    r = await svc.client.post(
        f"/officers/{li}/work-notes", json=note, headers=svc.h(LIZHI, "handler")
    )
    refused(r, 404, "not-found")  # 李四 never served 荔枝: it cannot see him
    r = await svc.client.post(
        f"/officers/{zhang}/work-notes",
        json={**note, "day": "2024-02-20"},
        headers=svc.h(LIZHI, "handler"),
    )
    refused(r, 422, "secondment-not-serving-on-day")
    r = await svc.client.post(
        f"/officers/{zhang}/work-notes",
        json={**note, "day": "2024-03-02"},
        headers=svc.h(LIZHI, "handler"),
    )
    refused(r, 422, "invalid-input")
    assert await svc.counts() == before
    mine = (await svc.client.get(f"/officers/{zhang}/work-notes", headers=svc.h(LIZHI))).json()
    assert [n["town"] for n in mine["items"]] == [LIZHI]
    all_notes = (await svc.client.get(f"/officers/{zhang}/work-notes", headers=svc.h(WATER))).json()
    assert sorted(n["town"] for n in all_notes["items"]) == [BAITAO, LIZHI]
    assert date.fromisoformat(all_notes["items"][0]["day"]) == date(2024, 3, 1)
