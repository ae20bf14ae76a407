"""INSP-01 plans and INSP-02 the draw, done in PostgreSQL, reproducible and auditable."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from joint_inspection.domain import Candidate, draw
from xietong_devtools.testing import topic_reader

from .conftest import TOWN, WATER, Insp, credit_code, refused

pytestmark = pytest.mark.integration


async def import_targets(
    insp: Insp, n: int, *, level: str = "b", since: str = "2020-01-01"
) -> list[str]:
    lines = ["名称,类型,统一社会信用代码或证件号码,行业,监管等级,乡镇(街道),纳入监管日期"]
    lines += [f"对象{i},法人,{credit_code()},餐饮,{level},{TOWN},{since}" for i in range(n)]
    r = await insp.client.post(
        "/targets/import",
        files={"file": ("t.csv", "\n".join(lines).encode(), "text/csv")},
        headers=insp.h(TOWN),
    )
    assert r.status_code == 201, r.text
    return [str(i) for i in r.json()["target_ids"]]


async def plan(insp: Insp, *, adopt: bool = True, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "计划",
        "scenario": "沿街餐饮店综合查一次",
        "scenario_code": "food-street",
        "period_start": "2024-03-01",
        "period_end": "2024-12-31",
        "basis": "level",
        "rules": [{"value": None, "frequency": 2, "proportion": "20"}],
        "clean_proportion": "0",
        "matter_codes": ["WAT-001", "FIR-001"],
    }
    body.update(overrides)
    r = await insp.client.post("/plans", json=body, headers=insp.h(TOWN))
    assert r.status_code == 201, r.text
    if not adopt:
        return dict(r.json())
    adopted = await insp.client.post(
        f"/plans/{r.json()['id']}/adopt", headers=insp.h(TOWN, "leader")
    )
    assert adopted.status_code == 200, adopted.text
    return dict(adopted.json())


async def drawn(insp: Insp, plan_id: str, round_: int = 1) -> dict[str, Any]:
    r = await insp.client.post(
        f"/plans/{plan_id}/selections", json={"round": round_}, headers=insp.h(TOWN)
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def rerun(insp: Insp, selection_id: str, seed: str | None = None) -> dict[str, Any]:
    r = await insp.client.post(
        f"/selections/{selection_id}/rerun",
        json={"seed": seed} if seed else None,
        headers=insp.h(TOWN),
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def all_entries(insp: Insp, selection_id: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        r = await insp.client.get(
            f"/selections/{selection_id}/entries",
            params={"page": page, "page_size": 100},
            headers=insp.h(TOWN),
        )
        out += r.json()["items"]
        if len(out) >= r.json()["total"]:
            return out
        page += 1


async def test_insp_01_a_town_plans_per_scenario_and_adopting_publishes_it(
    insp: Insp, kafka_bootstrap: str
) -> None:
    before = await insp.counts()
    body = {
        "title": "计划",
        "scenario": "场景",
        "scenario_code": "food-street",  # adopted only for a catalogue scenario (INSP-01)
        "period_start": "2024-03-01",
        "period_end": "2024-12-31",
        "basis": "industry",
        "rules": [{"value": "餐饮", "frequency": 2, "proportion": "30"}],
        "clean_proportion": "5",
        "matter_codes": ["WAT-001"],
    }
    r = await insp.client.post("/plans", json=body, headers=insp.h(WATER))
    await refused(insp, r, 403, "forbidden", before)  # plans are the towns' (INSP-01)
    r = await insp.client.post(
        "/plans", json={**body, "matter_codes": ["NOPE-1"]}, headers=insp.h(TOWN)
    )
    await refused(insp, r, 422, "unknown-matter", before)
    r = await insp.client.post(
        "/plans",
        json={**body, "rules": [{"value": "餐饮", "frequency": 2, "proportion": "101"}]},
        headers=insp.h(TOWN),
    )
    await refused(insp, r, 422, "invalid-input", before)
    r = await insp.client.post(
        "/plans", json={**body, "period_end": "2023-12-31"}, headers=insp.h(TOWN)
    )
    await refused(insp, r, 422, "inspection-invalid-plan", before)
    created = await insp.client.post("/plans", json=body, headers=insp.h(TOWN))
    pid = created.json()["id"]
    edited = await insp.client.patch(
        f"/plans/{pid}",
        json={
            "rules": [
                {"value": "餐饮", "frequency": 3, "proportion": "40"},
                {"frequency": 1, "proportion": "5"},
            ]
        },
        headers=insp.h(TOWN),
    )
    assert edited.status_code == 200, edited.text
    assert [r["proportion"] for r in edited.json()["rules"]] == ["40.00", "5.00"]
    assert (
        await insp.client.post(f"/plans/{pid}/adopt", headers=insp.h(TOWN, "handler"))
    ).status_code == 403
    async with topic_reader(kafka_bootstrap, "inspection.planned") as reader:
        adopted = await insp.client.post(f"/plans/{pid}/adopt", headers=insp.h(TOWN, "leader"))
        assert adopted.json()["state"]["value"] == "adopted"
        events = await reader.collect(lambda es: any(e["subject"] == pid for e in es))
    event = next(e for e in events if e["subject"] == pid)["data"]
    assert event["scenario"] == "沿街餐饮店综合查一次"  # the catalogue scenario's name
    assert event["rules"][0]["frequency"] == 3
    # adopted: no silent edits any more, only recorded adjustments
    r = await insp.client.patch(f"/plans/{pid}", json={"title": "x"}, headers=insp.h(TOWN))
    assert r.status_code == 409
    assert (
        await insp.client.get(f"/plans/{pid}", headers=insp.h("town:baitao"))
    ).status_code == 404
    assert (
        await insp.client.get(f"/plans/{pid}", headers=insp.h("justice-bureau"))
    ).status_code == 200


async def test_insp_01_only_the_town_edits_adopts_and_adjusts_its_plan(insp: Insp) -> None:
    """The justice bureau reads every plan (INSP-05) but a plan is the town's (INSP-01): the
    bureau, another town or a department may not edit, adopt or adjust it."""
    adopted = await plan(insp)
    draft = await plan(insp, adopt=False, title="草拟计划")
    signal = await insp.signal((await import_targets(insp, 1))[0], weight=5)
    attempts = [
        ("PATCH", f"/plans/{draft['id']}", {"title": "改"}),
        ("POST", f"/plans/{draft['id']}/adopt", None),
        (
            "POST",
            f"/plans/{adopted['id']}/adjustments",
            {"kind": "add-target", "signal_id": signal["id"], "reason": "媒体报道，列入定向检查"},
        ),
    ]
    for org in ("justice-bureau", "town:baitao", "dept:planning-natural-resources"):
        for method, url, body in attempts:
            r = await insp.client.request(
                method, url, json=body, headers=insp.h(org, "handler", "leader")
            )
            assert r.status_code in (403, 404), (org, url, r.text)
            if org == "justice-bureau":
                assert r.status_code == 403, r.text
                assert "INSP-01" in r.text
    after = await insp.client.get(f"/plans/{draft['id']}", headers=insp.h(TOWN))
    assert (after.json()["title"], after.json()["state"]["value"]) == (draft["title"], "draft")
    adjustments = await insp.client.get(f"/plans/{adopted['id']}/adjustments", headers=insp.h(TOWN))
    assert (adjustments.status_code, adjustments.json()["items"]) == (200, [])


async def test_insp_02_same_seed_same_selection_different_seed_different_one(insp: Insp) -> None:
    ids = await import_targets(insp, 60)
    for tid in ids[:10]:
        await insp.signal(tid, weight=15)
    p = await plan(insp)
    selection = await drawn(insp, p["id"])
    assert selection["candidates"] == 60
    assert len(selection["seed"]) == 32  # made by the service, recorded
    same = await rerun(insp, selection["id"])
    assert same["matches"] is True
    assert same["recorded_seed"] is True
    assert same["digest"] == selection["digest"]
    again = await rerun(insp, selection["id"], seed=selection["seed"])
    assert again["drawn_targets"] == same["drawn_targets"]
    # Another seed draws other targets. Each seed is one random draw, and two of them can pick
    # the same few among the riskiest targets by chance (1 in C(10, k)); one of five seeds
    # drawing the same set as the recorded one every time would be a broken draw.
    others = [await rerun(insp, selection["id"], seed=f"another-seed-{n}") for n in range(5)]
    differing = [o for o in others if set(o["drawn_targets"]) != set(same["drawn_targets"])]
    assert differing, "five other seeds all drew the recorded targets"
    for other in differing:
        assert other["matches"] is False
        assert other["digest"] != selection["digest"]  # the digest is of the drawn targets
        assert other["differences"]
    timeline = (
        await insp.client.get(f"/plans/{p['id']}/timeline", headers=insp.h("justice-bureau"))
    ).json()
    audited = next(e for e in timeline if e["action"] == "inspection.selection.drawn")
    assert audited["rule"] == "INSP-02"
    assert audited["detail"]["seed"] == selection["seed"]
    assert audited["detail"]["digest"] == selection["digest"]


async def test_insp_02_the_database_draw_is_the_reference_rule(insp: Insp) -> None:
    ids = await import_targets(insp, 40, level="c") + await import_targets(insp, 30, level="d")
    for n, tid in enumerate(ids[:35]):
        await insp.signal(tid, weight=1 + n % 7)
    p = await plan(
        insp,
        rules=[
            {"value": "d", "frequency": 1, "proportion": "33.3"},
            {"frequency": 1, "proportion": "12.5"},
        ],
        clean_proportion="10",
        targeting_threshold=6,
    )
    selection = await drawn(insp, p["id"])
    entries = await all_entries(insp, selection["id"])
    proportion = {0: Decimal("33.3"), 1: Decimal("12.5")}
    reference = draw(
        [
            Candidate(
                e["target_id"],
                e["rule_position"],
                proportion[e["rule_position"]],
                e["risk"],
                e["law_abiding"],
            )
            for e in entries
        ],
        seed=selection["seed"],
        clean_proportion=Decimal("10"),
        threshold=6,
    )
    by_id = {e["target_id"]: e for e in entries}
    for r in reference:
        e = by_id[r.target_id]
        assert (e["rank"], e["drawn"], e["tier"], e["draw_key"]) == (
            r.rank,
            r.drawn,
            r.tier,
            r.draw_key,
        )
    assert any(e["tier"] == 1 for e in entries)
    # The entries of one rule; a position no plan can have is refused, not a server error.
    url = f"/selections/{selection['id']}/entries"
    r = await insp.client.get(url, params={"rule_position": 0}, headers=insp.h(TOWN))
    assert {e["rule_position"] for e in r.json()["items"]} == {0}
    for position in (-1, 50, 24561988223):
        r = await insp.client.get(url, params={"rule_position": position}, headers=insp.h(TOWN))
        assert r.status_code == 422, r.text


async def test_insp_02_a_law_abiding_target_beyond_the_clean_proportion_is_never_drawn(
    insp: Insp,
) -> None:
    clean = set(await import_targets(insp, 10))
    risky = await import_targets(insp, 10)
    insp.clock.advance(timedelta(days=366))  # watched here for the whole clean period
    for tid in risky:
        await insp.signal(tid, weight=2)
    never = await plan(insp, clean_proportion="0")
    selection = await drawn(insp, never["id"])
    for n in range(25):
        run = await rerun(insp, selection["id"], seed=f"seed-{n}")
        assert not clean & set(run["drawn_targets"])
        assert len(run["drawn_targets"]) == 2  # 20 % of the 10 others
    # another period: a second adopted plan for the same scenario and period is refused (INSP-02)
    some = await plan(
        insp, clean_proportion="10", period_start="2025-03-01", period_end="2025-12-31"
    )
    selection = await drawn(insp, some["id"])
    for n in range(10):
        run = await rerun(insp, selection["id"], seed=f"seed-{n}")
        assert len(clean & set(run["drawn_targets"])) == 1  # exactly ceil(10 × 10 %)


async def test_insp_02_a_rerun_later_reads_the_register_as_it_stood(insp: Insp) -> None:
    ids = await import_targets(insp, 20)
    p = await plan(insp)
    selection = await drawn(insp, p["id"])
    insp.clock.advance(timedelta(days=40))
    signal = await insp.signal(ids[0], weight=50)
    await insp.client.patch(
        f"/targets/{ids[1]}", json={"supervision_level": "d"}, headers=insp.h(TOWN)
    )
    await insp.client.patch(f"/targets/{ids[2]}", json={"active": False}, headers=insp.h(TOWN))
    await insp.client.post(
        f"/targets/{ids[0]}/signals/{signal['id']}/withdraw",
        json={"reason": "误录"},
        headers=insp.h(TOWN),
    )
    await import_targets(insp, 5)
    later = await rerun(insp, selection["id"])
    assert later["matches"] is True, later["differences"]
    # round 2 draws on the register frozen when round 1 was drawn (committed then), and
    # reports what changed since: one no longer supervised, one re-levelled, five more
    fresh = await drawn(insp, p["id"], round_=2)
    assert fresh["candidates"] == 20
    changes = fresh["register_changes"]
    assert (changes["added"], changes["removed"], changes["relevelled"]) == (5, 1, 1)


async def test_insp_02_one_draw_a_round_and_signals_adjust_the_plan(insp: Insp) -> None:
    ids = await import_targets(insp, 30)
    p = await plan(insp, rules=[{"frequency": 2, "proportion": "10"}])
    first = await drawn(insp, p["id"])
    before = await insp.counts()
    r = await insp.client.post(
        f"/plans/{p['id']}/selections", json={"round": 1}, headers=insp.h(TOWN)
    )
    problem = await refused(insp, r, 409, "inspection-selection-exists", before)
    assert problem["selection_id"] == first["id"]
    r = await insp.client.post(
        f"/plans/{p['id']}/selections", json={"round": 3}, headers=insp.h(TOWN)
    )
    await refused(insp, r, 422, "inspection-invalid-plan", before)
    entries = await all_entries(insp, first["id"])
    left_out = next(e["target_id"] for e in entries if not e["drawn"])
    media = await insp.signal(left_out, weight=1, days_ago=2)
    r = await insp.client.post(
        f"/plans/{p['id']}/adjustments",
        json={"kind": "add-target", "signal_id": media["id"], "reason": "媒体报道后厨卫生问题"},
        headers=insp.h(TOWN),
    )
    assert r.status_code == 201, r.text
    old = await insp.signal(ids[-1], weight=1, days_ago=400)
    before = await insp.counts()
    r = await insp.client.post(
        f"/plans/{p['id']}/adjustments",
        json={"kind": "add-target", "signal_id": old["id"], "reason": "旧信号"},
        headers=insp.h(TOWN),
    )
    await refused(insp, r, 422, "inspection-adjustment-invalid", before)
    r = await insp.client.post(
        f"/plans/{p['id']}/adjustments",
        json={"kind": "change-rule", "rule_position": 0, "proportion": "15", "reason": "投诉增多"},
        headers=insp.h(TOWN),
    )
    assert r.json()["before"]["proportion"] == "10.00"
    assert r.json()["after"]["proportion"] == "15.00"
    second = await drawn(insp, p["id"], round_=2)
    assert json.loads(json.dumps(second["parameters"]["adjusted"])) == [left_out]
    entry = next(e for e in await all_entries(insp, second["id"]) if e["target_id"] == left_out)
    assert entry["tier"] == 0
    assert entry["drawn"] is True
    timeline = (await insp.client.get(f"/plans/{p['id']}/adjustments", headers=insp.h(TOWN))).json()
    assert sorted(a["kind"]["value"] for a in timeline["items"]) == ["add-target", "change-rule"]


async def test_insp_03_drawn_targets_go_into_one_work_order_each(insp: Insp) -> None:
    await import_targets(insp, 20, since=date(2020, 1, 1).isoformat())
    p = await plan(insp, rules=[{"frequency": 1, "proportion": "50"}], clean_proportion="50")
    selection = await drawn(insp, p["id"])
    start = insp.clock.now() + timedelta(days=2)
    body = {
        "title": "第一批",
        "limit": 4,
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(days=1)).isoformat(),
    }
    first = await insp.client.post(
        f"/selections/{selection['id']}/orders", json=body, headers=insp.h(TOWN)
    )
    assert first.status_code == 201, first.text
    assert len(first.json()["visits"]) == 4
    assert first.json()["plan_id"] == p["id"]
    assert first.json()["matter_codes"] == ["WAT-001", "FIR-001"]
    taken = [v["target_id"] for v in first.json()["visits"]]
    before = await insp.counts()
    r = await insp.client.post(
        f"/selections/{selection['id']}/orders",
        json={**body, "target_ids": taken[:1]},
        headers=insp.h(TOWN),
    )
    await refused(insp, r, 422, "inspection-target-not-drawn", before)
    rest = await insp.client.post(
        f"/selections/{selection['id']}/orders", json={**body, "limit": 500}, headers=insp.h(TOWN)
    )
    assert len(rest.json()["visits"]) == 6


async def test_insp_02_a_class_c_or_d_target_is_never_law_abiding(insp: Insp) -> None:
    """20 class-D targets with no signal on record, watched for over a year, under a 100 %
    rule for class D: all are drawn (not the clean share of 3 %)."""
    ids = await import_targets(insp, 20, level="d")
    insp.clock.advance(timedelta(days=400))
    p = await plan(
        insp,
        rules=[{"value": "d", "frequency": 1, "proportion": "100"}],
        clean_proportion="3",
    )
    selection = await drawn(insp, p["id"])
    assert (selection["candidates"], selection["drawn"]) == (20, 20)
    entries = await all_entries(insp, selection["id"])
    assert not any(e["law_abiding"] for e in entries)
    assert {e["target_id"] for e in entries} == set(ids)
    detail = (await insp.client.get(f"/targets/{ids[0]}", headers=insp.h(TOWN))).json()
    assert detail["law_abiding"] is False  # the register says what the draw applied


async def test_insp_02_a_target_not_watched_for_the_whole_clean_period_is_not_law_abiding(
    insp: Insp,
) -> None:
    """A register imported today with old 纳入监管日期: the platform has watched none of it
    for the clean period (max(supervised_since, created_at)), so none is 守法诚信 yet."""
    await import_targets(insp, 20, level="b", since="2015-01-01")
    p = await plan(
        insp, rules=[{"value": "b", "frequency": 1, "proportion": "100"}], clean_proportion="0"
    )
    selection = await drawn(insp, p["id"])
    assert (selection["candidates"], selection["drawn"]) == (20, 20)
    # a year and a day later, with nothing on record, they are
    insp.clock.advance(timedelta(days=366))
    later = await plan(
        insp,
        rules=[{"value": "b", "frequency": 1, "proportion": "100"}],
        clean_proportion="0",
        period_start="2025-03-01",
        period_end="2025-12-31",
    )
    selection = await drawn(insp, later["id"])
    assert (selection["candidates"], selection["drawn"]) == (20, 0)


async def test_insp_02_a_drawn_target_is_dropped_from_its_order_only_with_a_reason(
    insp: Insp,
) -> None:
    await import_targets(insp, 6)
    p = await plan(insp, rules=[{"frequency": 1, "proportion": "100"}])
    selection = await drawn(insp, p["id"])
    start = insp.clock.now() + timedelta(days=2)
    r = await insp.client.post(
        f"/selections/{selection['id']}/orders",
        json={
            "title": "第一批",
            "limit": 2,
            "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(days=1)).isoformat(),
        },
        headers=insp.h(TOWN),
    )
    assert r.status_code == 201, r.text
    order = r.json()
    favoured = order["visits"][0]["target_id"]
    url = f"/orders/{order['id']}/targets/{favoured}"
    before = await insp.counts()
    for params in ({}, {"reason": "x"}):
        r = await insp.client.delete(url, params=params, headers=insp.h(TOWN))
        problem = await refused(insp, r, 422, "invalid-input", before)
        assert problem["rule"] == "INSP-02"
        assert problem["missing"] == ["reason"]
    reason = "该店已于3月停业注销，待核实后另行安排"
    r = await insp.client.delete(url, params={"reason": reason}, headers=insp.h(TOWN))
    assert r.status_code == 200, r.text
    entry = next(e for e in await all_entries(insp, selection["id"]) if e["target_id"] == favoured)
    assert entry["order_id"] is None
    assert entry["dropped_reason"] == reason  # drawn, dropped, and why: not "never ordered"
    timeline = (
        await insp.client.get(f"/orders/{order['id']}/timeline", headers=insp.h("justice-bureau"))
    ).json()
    dropped = next(e for e in timeline if e["action"] == "inspection.order.target-removed")
    assert dropped["rule"] == "INSP-02"
    assert dropped["detail"]["reason"] == reason
