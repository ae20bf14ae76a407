"""SEC-02: a department's roster imported from its sheet — every row checked, all or nothing,
versions with effective dates, earlier versions readable, two versions compared."""

from __future__ import annotations

from datetime import date, timedelta
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
    csv_bytes,
    officer_row,
    refused,
    xlsx,
)

pytestmark = pytest.mark.integration

FIRST = "区水利局第一片区指导队"
SECOND = "区水利局第二片区指导队"


async def two_teams(svc: Svc) -> tuple[dict[str, Any], dict[str, Any]]:
    return await svc.team(WATER, FIRST), await svc.team(WATER, SECOND, [BAITAO, CHONGYI])


def first_sheet() -> list[list[Any]]:
    return [
        HEADER,
        officer_row(1, "张三", "50010220240001", position="队长"),
        officer_row(2, "李四", "50010220240002", towns="荔枝街道、江北"),
        officer_row(3, "王五", "50010220240003", SECOND),
        officer_row(4, "赵六", "50010220240004", SECOND, towns="白涛街道"),
    ]


async def test_sec_02_a_good_sheet_becomes_a_roster_version(svc: Svc) -> None:
    first, second = await two_teams(svc)
    sheet = xlsx(first_sheet(), title="附件6 区水利局划片指导队伍清单")
    result = await svc.imported(WATER, sheet, filename="附件6.xlsx")
    assert result["outcome"]["value"] == "created"
    version = result["version"]
    assert (version["number"], version["kind"]["value"], version["rows"]) == (3, "imported", 4)
    assert version["effective_from"] == "2024-03-01"
    assert version["filename"] == "附件6.xlsx"
    assert len(version["file_sha256"]) == 64
    assert result["counts"]["joined"] == 4
    assert result["ignored_columns"] == ["序号"]
    assert sorted(
        (t["name"], t["version"], t["officer_count"]) for t in result["teams_changed"]
    ) == [
        (FIRST, 2, 2),
        (SECOND, 2, 2),
    ]
    team = (await svc.client.get(f"/teams/{first['id']}", headers=svc.admin(WATER))).json()
    assert {o["name"]: o["towns"] for o in team["officers"]} == {
        "张三": sorted([LIZHI, BAITAO, JIANGBEI]),
        "李四": [JIANGBEI, LIZHI],
    }
    entries = (
        await svc.client.get(f"/rosters/{version['id']}/officers", headers=svc.admin(WATER))
    ).json()
    assert entries["total"] == 4
    assert {e["team_name"] for e in entries["items"]} == {FIRST, SECOND}
    assert second["id"] in {e["team_id"] for e in entries["items"]}


async def test_sec_02_three_bad_rows_store_nothing_and_are_all_reported(svc: Svc) -> None:
    await two_teams(svc)
    rows = [
        *first_sheet(),
        officer_row(5, "钱七", "50010220240005", "第九片区指导队"),  # no such team (row 6)
        officer_row(6, "孙八", "证号 有误!"),  # not a certificate number (row 7)
        officer_row(7, "周九", "50010220240007", until="下个月"),  # not a date (row 8)
    ]
    before = await svc.counts()
    r = await svc.upload(WATER, xlsx(rows))
    problem = refused(r, 422, "table-invalid")
    assert problem["error_count"] == 3
    assert [(e["row"], e["column"], e["column_letter"]) for e in problem["errors"]] == [
        (6, "所属队伍", "E"),
        (7, "执法证号", "C"),
        (8, "执法证有效期", "D"),
    ]
    assert all(e["message_zh"] and e["message_en"] for e in problem["errors"])
    assert "未导入任何数据" in problem["detail"]
    r = await svc.upload(WATER, xlsx(rows), headers={**svc.admin(WATER), "Accept-Language": "en"})
    assert "Nothing was imported" in r.json()["detail"]
    assert await svc.counts() == before


async def test_sec_02_a_reimport_produces_a_diff(svc: Svc) -> None:
    await two_teams(svc)
    # 人员编号 (the department's staff number) carries an officer across a new certificate
    numbered = [[*row, "人员编号" if n == 0 else f"S{n}"] for n, row in enumerate(first_sheet())]
    v1 = await svc.imported(WATER, xlsx(numbered))
    svc.clock.advance(timedelta(days=10))
    again = [
        [*HEADER, "人员编号"],
        [*officer_row(1, "张三", "50010220240001", position="队长"), "S1"],
        [*officer_row(2, "李四", "50010220240002", SECOND), "S2"],  # moved team
        [*officer_row(3, "王五", "50010220240099", SECOND), "S3"],  # new certificate
        [*officer_row(4, "钱七", "50010220240005", FIRST), None],  # joined; 赵六 left
    ]
    v2 = await svc.imported(WATER, xlsx(again))
    assert v2["version"]["effective_from"] == "2024-03-11"
    assert v2["counts"] == {
        "joined": 1,
        "left": 1,
        "moved-team": 1,
        "towns-changed": 1,
        "certificate-changed": 1,
        "details-changed": 0,
    }
    base, target = v1["version"]["number"], v2["version"]["number"]
    r = await svc.client.get(
        "/rosters/diff", params={"base": base, "target": target}, headers=svc.admin(WATER)
    )
    assert r.status_code == 200, r.text
    diff = r.json()
    changes = {o["name"]: [c["value"] for c in o["changes"]] for o in diff["officers"]["items"]}
    assert changes == {
        "钱七": ["joined"],
        "赵六": ["left"],
        "李四": ["moved-team", "towns-changed"],
        "王五": ["certificate-changed"],
    }
    moved = next(o for o in diff["officers"]["items"] if o["name"] == "李四")
    assert (moved["before"]["team_name"], moved["after"]["team_name"]) == (FIRST, SECOND)
    joined = (
        await svc.client.get(
            "/rosters/diff",
            params={"base": base, "target": target, "change": "joined"},
            headers=svc.admin(WATER),
        )
    ).json()
    assert [o["name"] for o in joined["officers"]["items"]] == ["钱七"]
    # from nothing (0) to the first import: everyone joined, and the teams were added
    start = (
        await svc.client.get(
            "/rosters/diff", params={"base": 0, "target": base}, headers=svc.admin(WATER)
        )
    ).json()
    assert start["counts"]["joined"] == 4
    assert {t["changes"][0]["value"] for t in start["teams"]} == {"added"}
    # the earlier version stays readable
    old = (
        await svc.client.get(f"/rosters/{v1['version']['id']}/officers", headers=svc.admin(WATER))
    ).json()
    assert sorted(e["name"] for e in old["items"]) == ["张三", "李四", "王五", "赵六"]
    # the officer keeps his id across versions
    assert await svc.officer_id(WATER, "50010220240099") == next(
        e["officer_id"] for e in old["items"] if e["name"] == "王五"
    )
    r = await svc.client.get(
        "/rosters/diff", params={"base": 0, "target": 99}, headers=svc.admin(WATER)
    )
    refused(r, 422, "secondment-unknown-version")
    for org in (LIZHI, ECOLOGY):
        r = await svc.client.get(
            "/rosters/diff",
            params={"base": 0, "target": 1, "department": WATER},
            headers=svc.admin(org),
        )
        refused(r, 404, "not-found")
    r = await svc.client.get(
        "/rosters/diff",
        params={"base": base, "target": target, "department": WATER},
        headers=svc.h("justice-bureau"),
    )
    assert r.status_code == 200
    r = await svc.client.get(
        "/rosters/diff", params={"base": 0, "target": 1}, headers=svc.h("justice-bureau")
    )
    refused(r, 422, "unknown-organisation")


async def test_sec_02_the_same_content_again_is_recognised_as_unchanged(svc: Svc) -> None:
    await two_teams(svc)
    created = await svc.imported(WATER, xlsx(first_sheet()))
    before = await svc.counts()
    # the same list saved as CSV by Chinese Excel (other bytes, same content), a day later
    svc.clock.advance(timedelta(days=1))
    sheet = [[str(c) if c is not None else "" for c in row] for row in first_sheet()]
    r = await svc.upload(WATER, csv_bytes(sheet, encoding="gb18030"), filename="名单.csv")
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["outcome"]["value"] == "unchanged"
    assert result["version"]["number"] == created["version"]["number"]
    assert result["teams_changed"] == []
    after = await svc.counts()
    assert {k: after[k] - before[k] for k in after} == {
        **{k: 0 for k in after},
        "audit": 1,  # the attempt is on record; nothing else changed
    }


async def test_sec_02_a_dry_run_shows_the_changes_and_stores_nothing(svc: Svc) -> None:
    await two_teams(svc)
    before = await svc.counts()
    r = await svc.upload(WATER, xlsx(first_sheet()), dry_run=True)
    assert r.status_code == 200, r.text
    assert (r.json()["outcome"]["value"], r.json()["counts"]["joined"], r.json()["version"]) == (
        "preview",
        4,
        None,
    )
    assert await svc.counts() == before


async def test_an_import_retried_with_its_idempotency_key_is_imported_once(svc: Svc) -> None:
    await two_teams(svc)
    headers = {**svc.admin(WATER), "Idempotency-Key": "import-2024-03-01"}
    sheet = xlsx(first_sheet())  # a retry sends the same bytes
    first = await svc.imported(WATER, sheet, headers=headers)
    before = await svc.counts()
    again = await svc.imported(WATER, sheet, headers=headers)
    assert again["version"]["id"] == first["version"]["id"]
    assert again["outcome"]["value"] == "created"
    assert await svc.counts() == before
    other = xlsx([*first_sheet(), officer_row(9, "钱七", "50010220240005")])
    refused(await svc.upload(WATER, other, headers=headers), 422, "idempotency-key-reused")


async def test_no_id_card_number_is_stored(svc: Svc) -> None:
    await two_teams(svc)
    id_number = "500102199001011234"
    rows = [[*row, id_number if n else "身份证号"] for n, row in enumerate(first_sheet())]
    result = await svc.imported(WATER, xlsx(rows))
    assert "身份证号" in result["ignored_columns"]
    async with svc.run.ctx.db.session() as s:
        for table in ("officers", "team_members", "roster_versions", "outbox", "audit_log"):
            found = (
                await s.execute(
                    sa.text(f"SELECT count(*) FROM {table} t WHERE t::text LIKE :id"),
                    {"id": f"%{id_number}%"},
                )
            ).scalar_one()
            assert found == 0, table


async def test_sec_02_one_officer_is_on_one_departments_list(svc: Svc) -> None:
    await two_teams(svc)
    await svc.imported(WATER, xlsx(first_sheet()))
    await svc.team(ECOLOGY, "生态环境第一片区", [LIZHI, CHONGYI])
    before = await svc.counts()
    rows = [HEADER, officer_row(1, "张三", "50010220240001", "生态环境第一片区")]
    problem = refused(await svc.upload(ECOLOGY, xlsx(rows)), 422, "table-invalid")
    assert problem["errors"][0]["column"] == "执法证号"
    assert "其他部门" in problem["errors"][0]["message_zh"]
    # and a sheet of another department is refused row by row
    rows = [["姓名", "执法证号", "执法证有效期", "所属队伍", "所属部门"]]
    rows.append(["吴十", "B0001", date(2026, 1, 1), "生态环境第一片区", "区水利局"])
    problem = refused(await svc.upload(ECOLOGY, xlsx(rows)), 422, "table-invalid")
    assert problem["errors"][0]["column"] == "所属部门"
    assert await svc.counts() == before


async def test_sec_04_rosters_are_neither_back_dated_nor_out_of_order(svc: Svc) -> None:
    await two_teams(svc)
    before = await svc.counts()
    r = await svc.upload(WATER, xlsx(first_sheet()), effective_from="2024-02-29")
    assert refused(r, 422, "secondment-effective-date-refused")["rule"] == "SEC-04"
    assert await svc.counts() == before
    await svc.imported(WATER, xlsx(first_sheet()), effective_from="2024-04-01")
    rows = [*first_sheet(), officer_row(5, "钱七", "50010220240005")]
    r = await svc.upload(WATER, xlsx(rows), effective_from="2024-03-15")
    problem = refused(r, 422, "secondment-effective-date-refused")
    assert problem["earliest"] == "2024-04-01"


async def test_only_a_department_imports_its_roster(svc: Svc) -> None:
    await two_teams(svc)
    before = await svc.counts()
    for headers, status, slug in (
        (svc.admin(LIZHI), 403, "forbidden"),  # not a department: refused for its kind
        (svc.admin("justice-bureau"), 403, "forbidden"),
        (svc.h(WATER, "handler"), 403, "forbidden"),
    ):
        refused(await svc.upload(WATER, xlsx(first_sheet()), headers=headers), status, slug)
    # a department's sheet naming another department's team finds no such team of its own
    problem = refused(await svc.upload(URBAN, xlsx(first_sheet())), 422, "table-invalid")
    assert {e["column"] for e in problem["errors"]} == {"所属队伍"}
    assert await svc.counts() == before
    for org in (LIZHI, ECOLOGY):
        listed = (await svc.client.get("/rosters", headers=svc.admin(org))).json()
        assert listed["total"] == 0


async def test_sec_02_a_reused_staff_number_does_not_turn_one_officer_into_another(
    svc: Svc,
) -> None:
    await two_teams(svc)
    numbered = [[*row, "人员编号" if n == 0 else f"S{n}"] for n, row in enumerate(first_sheet())]
    await svc.imported(WATER, xlsx(numbered))
    zhang = await svc.officer_id(WATER, "50010220240001")
    svc.clock.advance(timedelta(days=10))
    before = await svc.counts()
    reused = [
        [*HEADER, "人员编号"],
        # 张三's staff number on another person: another name and another certificate
        [*officer_row(1, "孙八", "50010220240088", position="队长"), "S1"],
        # 王五's staff number with 李四's certificate: two officers would share one
        [*officer_row(2, "王五", "50010220240002", SECOND), "S3"],
        [*officer_row(3, "赵六", "50010220240004", SECOND), "S4"],
    ]
    r = await svc.upload(WATER, xlsx(reused))
    problem = refused(r, 422, "table-invalid")
    assert [(e["row"], e["column"]) for e in problem["errors"]] == [
        (2, "人员编号"),
        (3, "人员编号"),
    ], problem["errors"]
    assert "张三" in problem["errors"][0]["message_zh"]
    assert await svc.counts() == before
    assert await svc.officer_id(WATER, "50010220240001") == zhang  # still 张三's
    # a renewed certificate, or a corrected name, keeps the officer (one changes, not both)
    fixed = [
        [*HEADER, "人员编号"],
        [*officer_row(1, "张叁", "50010220240001", position="队长"), "S1"],
        [*officer_row(2, "王五", "50010220240033", SECOND), "S3"],
        [*officer_row(3, "孙八", "50010220240088", SECOND), None],
    ]
    await svc.imported(WATER, xlsx(fixed))
    assert await svc.officer_id(WATER, "50010220240001") == zhang
    assert await svc.officer_id(WATER, "50010220240088") != zhang
