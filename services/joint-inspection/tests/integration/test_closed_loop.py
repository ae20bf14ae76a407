"""INSP-07..INSP-09 on the running service: the closed loop, outcomes, archive, shortcomings."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from xietong_devtools.files_corpus import mp4
from xietong_devtools.testing import topic_reader

from .conftest import ECOLOGY, FIRE, PDF, TOWN, URBAN, Insp, refused

pytestmark = pytest.mark.integration


async def done(
    insp: Insp, order: dict[str, Any], target_id: str, outcome: dict[str, Any] | None = None
) -> None:
    assert (await insp.visit(order, target_id)).status_code == 200
    r = await insp.act(
        order["id"],
        f"targets/{target_id}/outcome",
        TOWN,
        outcome or {"outcome": "no-problem", "description": "未发现问题"},
    )
    assert r.status_code == 200, r.text
    r = await insp.act(
        order["id"],
        f"targets/{target_id}/feedback",
        TOWN,
        {"result": "未发现问题，检查结果已告知当事人并归档"},
    )
    assert r.status_code == 200, r.text


async def test_insp_07_closes_only_when_every_target_has_outcome_and_feedback_then_is_immutable(
    insp: Insp, kafka_bootstrap: str
) -> None:
    a, b = await insp.target(), await insp.target()
    order = await insp.issued([a["id"], b["id"]])
    oid = order["id"]
    await done(insp, order, a["id"])
    assert (await insp.visit(order, b["id"])).status_code == 200
    before = await insp.counts()
    r = await insp.act(oid, "close", TOWN, None, "leader")
    problem = await refused(insp, r, 409, "inspection-targets-open", before)
    assert problem["targets"] == [{"target_id": b["id"], "state": "inspected"}]
    r = await insp.act(oid, f"targets/{b['id']}/feedback", TOWN, {"result": "x"})
    await refused(insp, r, 409, "inspection-invalid-transition", before)  # no outcome yet
    r = await insp.client.post(
        f"/orders/{oid}/materials",
        data={"kind": "audio-visual", "target_id": b["id"]},
        files={"file": ("现场.mp4", mp4(), "video/mp4")},
        headers=insp.h(TOWN),
    )
    assert r.status_code == 201, r.text
    material = r.json()
    await insp.act(
        oid,
        f"targets/{b['id']}/outcome",
        TOWN,
        {"outcome": "guidance", "description": "台账不全", "guidance": "现场普法，指导建立台账"},
    )
    await insp.act(
        oid,
        f"targets/{b['id']}/feedback",
        TOWN,
        {"result": "当事人已按要求整改完毕，结果已书面告知"},
    )
    async with topic_reader(kafka_bootstrap, "inspection.closed") as reader:
        closed = await insp.act(oid, "close", TOWN, None, "leader")
        assert closed.status_code == 200, closed.text
        events = await reader.collect(lambda es: any(e["subject"] == oid for e in es))
    event = next(e for e in events if e["subject"] == oid)["data"]
    assert {t["outcome"] for t in event["targets"]} == {"no-problem", "guidance"}
    assert event["archive_digest"] == closed.json()["archive_digest"]
    archive = (await insp.client.get(f"/orders/{oid}/archive", headers=insp.h(TOWN))).json()
    canonical = json.dumps(
        archive["manifest"], sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    assert hashlib.sha256(canonical.encode()).hexdigest() == archive["digest"]
    assert material["sha256"] in canonical
    # archived: every later change is refused with the same clear problem, nothing changes
    before = await insp.counts()
    attempts = [
        insp.client.patch(f"/orders/{oid}", json={"title": "改"}, headers=insp.h(TOWN)),
        insp.act(oid, "targets", TOWN, {"target_ids": [a["id"]]}),
        insp.act(oid, "inspectors", TOWN, {"kind": "brigade", "officer_id": "late", "name": "x"}),
        insp.act(oid, "dispatch", "justice-bureau", {"agency": ECOLOGY, "instructions": "x"}),
        insp.act(oid, "cancel", TOWN, {"reason": "x"}, "leader"),
        insp.act(
            oid, f"targets/{a['id']}/outcome", TOWN, {"outcome": "no-problem", "description": "x"}
        ),
        insp.act(oid, f"targets/{a['id']}/feedback", TOWN, {"result": "x"}),
        insp.act(oid, "close", TOWN, None, "leader"),
        insp.client.put(
            f"/orders/{oid}/notice-policy", json={"policy": "notify"}, headers=insp.h(TOWN)
        ),
        insp.client.post(
            f"/orders/{oid}/materials",
            data={"kind": "text"},
            files={"file": ("a.pdf", PDF, "application/pdf")},
            headers=insp.h(TOWN),
        ),
        insp.act(oid, "shortcomings", TOWN, {"departments": [URBAN], "description": "x"}),
    ]
    for attempt in attempts:
        await refused(insp, await attempt, 409, "inspection-order-archived", before)
    # …and the database refuses it too, whoever asks
    async with insp.svc.ctx.db.engine.connect() as conn:
        for statement in (
            f"UPDATE work_orders SET title = 'x' WHERE id = '{oid}'",
            f"UPDATE visits SET feedback = 'x' WHERE order_id = '{oid}'",
            f"DELETE FROM order_materials WHERE order_id = '{oid}'",
            f"DELETE FROM work_orders WHERE id = '{oid}'",
        ):
            with pytest.raises(DBAPIError, match="archived"):
                await conn.execute(sa.text(statement))
            await conn.rollback()
    download = await insp.client.get(
        f"/orders/{oid}/materials/{material['id']}/content", headers=insp.h(TOWN)
    )
    assert download.status_code == 200
    assert download.content == mp4()


async def test_insp_07_materials_are_checked_and_filed(insp: Insp) -> None:
    a = await insp.target()
    order = await insp.issued([a["id"]])
    before = await insp.counts()
    r = await insp.client.post(
        f"/orders/{order['id']}/materials",
        data={"kind": "evidence"},
        files={"file": ("x.exe", b"MZ\x90\x00", "application/x-msdownload")},
        headers=insp.h(TOWN),
    )
    await refused(insp, r, 415, "unsupported-media-type", before)
    r = await insp.client.post(
        f"/orders/{order['id']}/materials",
        data={"kind": "no-such-kind"},
        files={"file": ("a.pdf", PDF, "application/pdf")},
        headers=insp.h(TOWN),
    )
    await refused(insp, r, 422, "invalid-input", before)
    r = await insp.client.post(
        f"/orders/{order['id']}/materials",
        data={"kind": "e-document", "title": "现场检查笔录"},
        files={"file": ("笔录.pdf", PDF, "application/pdf")},
        headers=insp.h(ECOLOGY),
    )
    assert r.status_code == 404  # not a participant: not even told the order exists
    r = await insp.client.post(
        f"/orders/{order['id']}/materials",
        data={"kind": "e-document", "title": "现场检查笔录"},
        files={"file": ("笔录.pdf", PDF, "application/pdf")},
        headers=insp.h(TOWN),
    )
    assert r.status_code == 201
    assert r.json()["kind"]["label_zh"] == "电子执法文件"


async def test_insp_08_violations_become_findings_within_or_outside_jurisdiction(
    insp: Insp, kafka_bootstrap: str
) -> None:
    inside, outside, plain = await insp.target(), await insp.target(), await insp.target()
    order = await insp.issued(
        [inside["id"], outside["id"], plain["id"]], matters=("FIR-001", "ENV-001")
    )
    oid = order["id"]
    for t in (inside, outside, plain):
        assert (await insp.visit(order, t["id"])).status_code == 200
    before = await insp.counts()
    r = await insp.act(
        oid,
        f"targets/{inside['id']}/outcome",
        TOWN,
        {"outcome": "violation", "description": "安全出口堵塞", "matter_code": "FIR-001"},
    )
    problem = await refused(insp, r, 422, "inspection-outcome-incomplete", before)
    assert problem["missing"] == ["proposed_decision", "handling"]
    r = await insp.act(
        oid, f"targets/{plain['id']}/outcome", TOWN, {"outcome": "guidance", "description": "x"}
    )
    assert (await refused(insp, r, 422, "inspection-outcome-incomplete", before))["missing"] == [
        "guidance"
    ]
    async with topic_reader(kafka_bootstrap, "inspection.finding") as reader:
        r = await insp.act(
            oid,
            f"targets/{inside['id']}/outcome",
            TOWN,
            {
                "outcome": "violation",
                "description": "安全出口堵塞",
                "matter_code": "FIR-001",
                "handling": "责令改正，拟立案处罚",
                "proposed_decision": {"fine": "30000"},
            },
        )
        assert r.status_code == 200, r.text
        assert r.json()["within_jurisdiction"] is True
        assert r.json()["review_required"] is True
        assert r.json()["review_triggers"][0]["trigger"] == "amount"
        r = await insp.act(
            oid,
            f"targets/{outside['id']}/outcome",
            TOWN,
            {"outcome": "violation", "description": "向河道排放污水", "matter_code": "ENV-001"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["within_jurisdiction"] is False
        assert r.json()["handling_org"] == ECOLOGY
        r = await insp.act(
            oid,
            f"targets/{plain['id']}/outcome",
            TOWN,
            {"outcome": "no-problem", "description": "未发现问题"},
        )
        events = await reader.collect(lambda es: len([e for e in es if e["subject"] == oid]) >= 2)
    findings = {e["data"]["target_id"]: e["data"] for e in events if e["subject"] == oid}
    assert set(findings) == {inside["id"], outside["id"]}  # no finding for no problem
    assert findings[inside["id"]]["within_jurisdiction"] is True
    assert findings[inside["id"]]["inspecting_org"] == TOWN
    assert findings[inside["id"]]["review_triggers"][0]["label_zh"] == "罚款或没收数额达到法定标准"
    out = findings[outside["id"]]
    assert out["within_jurisdiction"] is False
    assert out["inspecting_org"] == TOWN
    assert out["matter_code"] == "ENV-001"
    assert out["target"]["id_number"] == outside["credit_code"]
    # INSP-02: what was found is a signal on the target now
    detail = (await insp.client.get(f"/targets/{outside['id']}", headers=insp.h(TOWN))).json()
    assert detail["risk"] == 10
    assert detail["law_abiding"] is False


async def test_insp_08_serious_findings_are_reported_to_the_district_government_promptly(
    insp: Insp, kafka_bootstrap: str
) -> None:
    a = await insp.target()
    order = await insp.issued([a["id"]], org=TOWN)
    oid = order["id"]
    await insp.visit(order, a["id"])
    before = await insp.counts()
    r = await insp.act(
        oid, f"targets/{a['id']}/outcome", TOWN, {"outcome": "serious", "description": "燃气泄漏"}
    )
    assert (await refused(insp, r, 422, "inspection-outcome-incomplete", before))["missing"] == [
        "serious_scope",
        "competent_authority",
    ]
    r = await insp.act(
        oid,
        f"targets/{a['id']}/outcome",
        TOWN,
        {
            "outcome": "serious",
            "description": "片区多家餐馆使用不合格燃气软管",
            "serious_scope": "major-hazard",
            "competent_authority": "dept:emergency",
        },
    )
    assert r.status_code == 200, r.text
    deadline = next(
        d
        for d in (await insp.client.get(f"/orders/{oid}", headers=insp.h(TOWN))).json()["deadlines"]
        if d["rule"] == "INSP-08"
    )
    assert deadline["organisation"] == TOWN
    assert (
        await insp.client.get(f"/orders/{oid}", headers=insp.h("district-gov"))
    ).status_code == 200
    before = await insp.counts()
    r = await insp.act(oid, f"targets/{a['id']}/feedback", TOWN, {"result": "x"})
    await refused(insp, r, 409, "inspection-serious-report-missing", before)
    insp.clock.advance(timedelta(hours=30))  # past the 24-hour setting
    async with topic_reader(
        kafka_bootstrap, "inspection.serious-reported", "deadline.breached"
    ) as reader:
        r = await insp.act(
            oid,
            f"targets/{a['id']}/serious-report",
            TOWN,
            {"report": "已通报区应急局，现报告区政府"},
        )
        assert r.status_code == 200, r.text
        events = await reader.collect(
            lambda es: (
                {e["type"] for e in es if e["subject"] in (oid, f"inspection:{oid}")}
                >= {"xietong.inspection.serious-reported.v1", "xietong.deadline.breached.v1"}
            )
        )
    report = next(e for e in events if e["type"] == "xietong.inspection.serious-reported.v1")[
        "data"
    ]
    assert report["reported_to"] == "district-gov"
    assert report["late"] is True
    assert report["scope"] == "major-hazard"
    assert report["competent_authority"] == "dept:emergency"
    r = await insp.act(
        oid,
        f"targets/{a['id']}/feedback",
        TOWN,
        {"result": "当事人已按要求整改完毕，结果已书面告知"},
    )
    assert r.status_code == 200


async def test_insp_09_shortcomings_go_to_the_departments_concerned_who_acknowledge(
    insp: Insp, kafka_bootstrap: str
) -> None:
    a = await insp.target()
    order = await insp.issued([a["id"]])
    before = await insp.counts()
    r = await insp.act(
        order["id"], "shortcomings", TOWN, {"departments": ["dept:nope"], "description": "x"}
    )
    await refused(insp, r, 422, "unknown-organisation", before)
    async with topic_reader(kafka_bootstrap, "inspection.shortcoming-reported") as reader:
        r = await insp.act(
            order["id"],
            "shortcomings",
            TOWN,
            {
                "departments": [URBAN, FIRE],
                "description": "招牌审批往返三次",
                "suggestion": "一次告知",
                "target_id": a["id"],
            },
        )
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        events = await reader.collect(lambda es: any(e["subject"] == sid for e in es))
    assert next(e for e in events if e["subject"] == sid)["data"]["departments"] == [URBAN, FIRE]
    assert {d["rule"] for d in r.json()["deadlines"]} == {"INSP-09"}
    assert (
        await insp.client.get(f"/shortcomings/{sid}", headers=insp.h(ECOLOGY))
    ).status_code == 404
    pending = (
        await insp.client.get(
            "/shortcomings", params={"acknowledged": False}, headers=insp.h(URBAN)
        )
    ).json()
    assert [s["id"] for s in pending["items"]] == [sid]
    r = await insp.client.post(
        f"/shortcomings/{sid}/acknowledge", json={"response": "推行一窗受理"}, headers=insp.h(URBAN)
    )
    assert r.status_code == 200
    acks = {x["department"]: x["response"] for x in r.json()["acknowledgements"]}
    assert acks == {URBAN: "推行一窗受理", FIRE: None}
    assert (
        await insp.client.post(
            f"/shortcomings/{sid}/acknowledge", json={"response": "x"}, headers=insp.h(URBAN)
        )
    ).status_code == 409
    assert (
        await insp.client.post(
            f"/shortcomings/{sid}/acknowledge", json={"response": "x"}, headers=insp.h(TOWN)
        )
    ).status_code == 403
    done_ = (
        await insp.client.get(
            "/shortcomings",
            params={"department": URBAN, "acknowledged": True},
            headers=insp.h(URBAN),
        )
    ).json()
    assert done_["total"] == 1
