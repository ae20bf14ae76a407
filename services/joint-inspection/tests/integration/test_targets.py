"""INSP-02 on the running service: the register, its import, signals and risk."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook

from .conftest import OTHER_TOWN, TOWN, WATER, Insp, credit_code, refused

pytestmark = pytest.mark.integration


async def test_insp_02_a_bad_credit_code_is_a_422_naming_the_position(insp: Insp) -> None:
    before = await insp.counts()
    good = credit_code()
    body = {
        "name": "某公司",
        "party_kind": "legal-person",
        "industry": "餐饮",
        "supervision_level": "b",
        "town": TOWN,
    }
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    r = await insp.client.post("/targets", json={**body, "id_number": wrong}, headers=insp.h(TOWN))
    problem = await refused(insp, r, 422, "invalid-input", before)
    assert problem["errors"][0]["loc"][-1] == "id_number"
    assert "第 18 位" in problem["errors"][0]["msg"]
    r = await insp.client.post(
        "/targets",
        json={**body, "id_number": wrong},
        headers={**insp.h(TOWN), "Accept-Language": "en"},
    )
    assert "character 18" in r.json()["detail"]
    r = await insp.client.post("/targets", json={**body, "id_number": good}, headers=insp.h(TOWN))
    assert r.status_code == 201, r.text
    assert r.json()["credit_code"] == good
    r = await insp.client.post("/targets", json={**body, "id_number": good}, headers=insp.h(TOWN))
    assert r.status_code == 409
    assert r.json()["type"].endswith("inspection-target-already-registered")


async def test_insp_02_a_person_is_shown_masked_and_recognised_again(insp: Insp) -> None:
    body = {
        "name": "张某（个体）",
        "party_kind": "citizen",
        "id_number": "11010519491231002X",
        "industry": "流动摊贩",
        "supervision_level": "c",
        "town": TOWN,
    }
    r = await insp.client.post("/targets", json=body, headers=insp.h(TOWN))
    assert r.status_code == 201, r.text
    assert r.json()["identity_masked"] == "110105********002X"
    assert "11010519491231002X" not in r.text
    async with insp.svc.ctx.db.session() as s:
        import sqlalchemy as sa

        dump = (await s.execute(sa.text("SELECT row_to_json(t)::text FROM targets t"))).scalar_one()
    assert "19491231" not in dump
    again = await insp.client.post(
        "/targets", json={**body, "id_number": "11010519491231002x"}, headers=insp.h(TOWN)
    )
    assert again.status_code == 409


async def test_insp_02_towns_keep_their_own_register(insp: Insp) -> None:
    mine = await insp.target()
    r = await insp.client.get(f"/targets/{mine['id']}", headers=insp.h(OTHER_TOWN))
    assert r.status_code == 404
    page = (await insp.client.get("/targets", headers=insp.h(OTHER_TOWN))).json()
    assert page["total"] == 0
    before = await insp.counts()
    r = await insp.client.post(
        "/targets",
        json={
            "name": "某公司",
            "party_kind": "legal-person",
            "id_number": credit_code(),
            "industry": "餐饮",
            "supervision_level": "b",
            "town": TOWN,
        },
        headers=insp.h(OTHER_TOWN),
    )
    await refused(insp, r, 403, "forbidden", before)
    # a department registers and reads across towns
    theirs = await insp.target(town=OTHER_TOWN, org=WATER)
    assert (
        await insp.client.get(f"/targets/{theirs['id']}", headers=insp.h(WATER))
    ).status_code == 200


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = [
    "名称",
    "类型",
    "统一社会信用代码或证件号码",
    "行业",
    "监管等级",
    "乡镇(街道)",
    "纳入监管日期",
]


async def test_insp_02_import_is_all_or_nothing_with_row_errors(insp: Insp) -> None:
    codes = [credit_code() for _ in range(3)]
    bad = codes[1][:-1] + ("0" if codes[1][-1] != "0" else "1")
    before = await insp.counts()
    content = xlsx(
        [
            HEADER,
            ["甲餐馆", "法人", codes[0], "餐饮", "B类", "荔枝街道", date(2021, 5, 1)],
            ["乙餐馆", "法人", bad, "餐饮", "b", "town:lizhi", "2021年5月1日"],
            ["丙餐馆", "法人", codes[2], "餐饮", "x", "白涛街道", None],
            ["丁餐馆", "法人", codes[0], "餐饮", "a", "town:lizhi", None],
        ]
    )
    r = await insp.client.post(
        "/targets/import",
        files={"file": ("targets.xlsx", content, "application/octet-stream")},
        headers=insp.h(TOWN),
    )
    problem = await refused(insp, r, 422, "table-invalid", before)
    rows = {(e["row"], e["column"]) for e in problem["errors"]}
    assert (3, "统一社会信用代码或证件号码") in rows
    assert (4, "监管等级") in rows
    fixed = xlsx(
        [
            HEADER,
            ["甲餐馆", "法人", codes[0], "餐饮", "B类", "荔枝街道", date(2021, 5, 1)],
            ["乙餐馆", "其他组织", codes[1], "餐饮", "b", "town:lizhi", "2021/5/1"],
        ]
    )
    r = await insp.client.post(
        "/targets/import",
        files={"file": ("targets.xlsx", fixed, "application/octet-stream")},
        headers={**insp.h(TOWN), "Idempotency-Key": "import-1"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == 2
    again = await insp.client.post(
        "/targets/import",
        files={"file": ("targets.xlsx", fixed, "application/octet-stream")},
        headers={**insp.h(TOWN), "Idempotency-Key": "import-1"},
    )
    assert again.json() == r.json()
    csv = (
        "名称,类型,统一社会信用代码或证件号码,行业,监管等级,乡镇(街道)\n"
        f"戊餐馆,法人,{codes[2]},餐饮,d,town:lizhi\n"
    ).encode("gb18030")
    r = await insp.client.post(
        "/targets/import", files={"file": ("t.csv", csv, "text/csv")}, headers=insp.h(TOWN)
    )
    assert r.status_code == 201, r.text
    # a town imports only its own
    other = (
        "名称,类型,统一社会信用代码或证件号码,行业,监管等级,乡镇(街道)\n"
        f"己餐馆,法人,{credit_code()},餐饮,d,town:lizhi\n"
    ).encode()
    before = await insp.counts()
    r = await insp.client.post(
        "/targets/import", files={"file": ("t.csv", other, "text/csv")}, headers=insp.h(OTHER_TOWN)
    )
    await refused(insp, r, 422, "table-invalid", before)


async def test_insp_02_signals_raise_the_risk_and_end_the_clean_record(insp: Insp) -> None:
    target = await insp.target(since=date(2020, 1, 1))
    assert target["law_abiding"] is False  # not watched here for the clean period yet
    insp.clock.advance(timedelta(days=366))
    target = (await insp.client.get(f"/targets/{target['id']}", headers=insp.h(TOWN))).json()
    assert target["law_abiding"] is True
    assert target["risk"] == 0
    signal = await insp.signal(target["id"], weight=7)
    detail = (await insp.client.get(f"/targets/{target['id']}", headers=insp.h(TOWN))).json()
    assert detail["risk"] == 7
    assert detail["law_abiding"] is False
    # a department records one too; only the recorder withdraws it, with a reason
    await insp.signal(target["id"], weight=3, org=WATER)
    r = await insp.client.post(
        f"/targets/{target['id']}/signals/{signal['id']}/withdraw",
        json={"reason": "重复登记"},
        headers=insp.h(WATER),
    )
    assert r.status_code == 403
    r = await insp.client.post(
        f"/targets/{target['id']}/signals/{signal['id']}/withdraw",
        json={"reason": "重复登记"},
        headers=insp.h(TOWN),
    )
    assert r.status_code == 200
    assert r.json()["withdrawn_reason"] == "重复登记"
    detail = (await insp.client.get(f"/targets/{target['id']}", headers=insp.h(TOWN))).json()
    assert detail["risk"] == 3
    signals = (
        await insp.client.get(f"/targets/{target['id']}/signals", headers=insp.h(TOWN))
    ).json()
    assert signals["total"] == 2
    before = await insp.counts()
    r = await insp.client.post(
        f"/targets/{target['id']}/signals",
        json={
            "kind": "media",
            "source": "x",
            "observed_on": (insp.clock.now().date() + timedelta(days=2)).isoformat(),
            "weight": 5,
            "description": "x",
        },
        headers=insp.h(TOWN),
    )
    await refused(insp, r, 422, "inspection-implausible-time", before)
    for weight in (0, 101, "lots"):
        r = await insp.client.post(
            f"/targets/{target['id']}/signals",
            json={
                "kind": "media",
                "source": "x",
                "observed_on": "2024-02-01",
                "weight": weight,
                "description": "x",
            },
            headers=insp.h(TOWN),
        )
        await refused(insp, r, 422, "invalid-input", before)


async def test_insp_02_a_new_target_has_no_clean_record_yet(insp: Insp) -> None:
    fresh = await insp.target(since=None)
    assert fresh["supervised_since"] == "2024-03-01"
    assert fresh["law_abiding"] is False
