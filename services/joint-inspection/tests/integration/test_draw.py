"""INSP-02 the draw an outsider can verify (commit, then reveal), the register changes it
reports, the routes to a redraw it closes, and the round's drawn-vs-inspected report."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from joint_inspection.domain import selection as reference
from xietong_devtools.testing import topic_reader

from .conftest import TOWN, Insp, refused
from .test_plans import all_entries, drawn, import_targets, plan

pytestmark = pytest.mark.integration


async def timeline(insp: Insp, plan_id: str) -> list[dict[str, Any]]:
    r = await insp.client.get(f"/plans/{plan_id}/timeline", headers=insp.h("justice-bureau"))
    assert r.status_code == 200, r.text
    return list(r.json())


def committed(entries: list[dict[str, Any]], round_: int) -> dict[str, Any]:
    return next(
        e["detail"]
        for e in entries
        if e["action"] == "inspection.selection.committed" and e["detail"]["round"] == round_
    )


async def test_insp_02_an_outsider_recomputes_a_published_draw_from_its_export(
    insp: Insp,
) -> None:
    """Commit, then reveal: the adoption puts the seed's hash and the frozen register's digest
    in the signed audit chain (the seed nowhere); the draw reveals the seed; with the exported
    snapshot and the reference rule alone, anyone recomputes the digest, the commitment and
    the ranked list."""
    ids = await import_targets(insp, 40) + await import_targets(insp, 12, level="d")
    for n, tid in enumerate(ids[:14]):
        await insp.signal(tid, weight=1 + n % 5)
    p = await plan(
        insp,
        rules=[
            {"value": "d", "frequency": 2, "proportion": "50"},
            {"frequency": 2, "proportion": "20"},
        ],
        clean_proportion="5",
        targeting_threshold=4,
    )
    before_draw = await timeline(insp, p["id"])
    commitment = committed(before_draw, 1)
    assert commitment["candidates"] == 52
    assert len(commitment["seed_commitment"]) == 64
    assert "seed" not in commitment
    selection = await drawn(insp, p["id"])
    seed = selection["seed"]
    assert seed not in json.dumps(before_draw)  # nobody could know it before the draw

    r = await insp.client.get(
        f"/selections/{selection['id']}/export.json", headers=insp.h("justice-bureau")
    )
    assert r.status_code == 200, r.text
    export = r.json()
    # what an outsider does, with domain/selection.py alone
    assert hashlib.sha256(export["seed"].encode()).hexdigest() == commitment["seed_commitment"]
    assert reference.seed_commitment(export["seed"]) == export["seed_commitment"]
    snapshot = [reference.SnapshotEntry(**e["snapshot"]) for e in export["entries"]]
    header = export["snapshot_header"]
    assert reference.snapshot_digest(header, snapshot) == commitment["snapshot_digest"]
    assert all(
        s.clean
        == reference.is_clean(s, clean_from=header["clean_from"], never_clean=header["never_clean"])
        for s in snapshot
    )
    ranked = reference.draw(
        reference.candidates_of(
            snapshot,
            rules=export["rules"],
            basis=header["basis"],
            round_number=export["round"],
            adjusted=export["adjusted"],
        ),
        seed=export["seed"],
        clean_proportion=Decimal(export["clean_proportion"]),
        threshold=export["targeting_threshold"],
    )
    published = {e["target_id"]: e for e in export["entries"] if e["rank"] is not None}
    assert len(ranked) == len(published) == selection["candidates"]
    for r_ in ranked:
        e = published[r_.target_id]
        assert (e["rule_position"], e["tier"], e["draw_key"], e["rank"], e["drawn"]) == (
            r_.rule_position,
            r_.tier,
            r_.draw_key,
            r_.rank,
            r_.drawn,
        )
    assert sum(r_.drawn for r_ in ranked) == selection["drawn"]
    # the same list as CSV
    r = await insp.client.get(f"/selections/{selection['id']}/export.csv", headers=insp.h(TOWN))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["target_id"]: row["drawn"] == "true" for row in rows} == {
        e["target_id"]: e["drawn"] for e in export["entries"]
    }
    # the draw committed the next round the same way
    after = await timeline(insp, p["id"])
    assert committed(after, 2)["seed_commitment"] != commitment["seed_commitment"]
    drawn_detail = next(e for e in after if e["action"] == "inspection.selection.drawn")
    assert drawn_detail["detail"]["seed"] == seed
    assert drawn_detail["detail"]["seed_commitment"] == commitment["seed_commitment"]


async def test_insp_02_the_draw_reads_the_register_frozen_at_commitment_and_reports_changes(
    insp: Insp,
) -> None:
    """Deactivating or re-levelling a target just before the draw does not change it; the draw
    reports every target added, removed or re-levelled since the snapshot."""
    ids = await import_targets(insp, 10)
    p = await plan(insp, rules=[{"frequency": 1, "proportion": "100"}])
    await insp.client.patch(f"/targets/{ids[0]}", json={"active": False}, headers=insp.h(TOWN))
    await insp.client.patch(
        f"/targets/{ids[1]}", json={"supervision_level": "a"}, headers=insp.h(TOWN)
    )
    added = await import_targets(insp, 3)
    selection = await drawn(insp, p["id"])
    assert (selection["candidates"], selection["drawn"]) == (10, 10)
    changes = selection["register_changes"]
    assert (changes["added"], changes["removed"], changes["relevelled"]) == (3, 1, 1)
    listed = {(c["target_id"], c["change"]) for c in changes["targets"]}
    assert listed == {(ids[0], "removed"), (ids[1], "relevelled")} | {(a, "added") for a in added}
    audited = next(
        e for e in await timeline(insp, p["id"]) if e["action"] == "inspection.selection.drawn"
    )
    assert audited["detail"]["register_changes"]["removed"] == 1


async def test_insp_02_the_draw_reports_risk_only_register_changes(insp: Insp) -> None:
    """The draw weights by risk, so a target whose risk inputs changed since the snapshot (a
    signal recorded or withdrawn), and nothing else, is a register change reported with it."""
    ids = await import_targets(insp, 6)
    old = await insp.signal(ids[5], weight=10)
    p = await plan(insp, rules=[{"frequency": 1, "proportion": "100"}])
    await insp.signal(ids[0], weight=30)
    r = await insp.client.post(
        f"/targets/{ids[5]}/signals/{old['id']}/withdraw",
        json={"reason": "误录"},
        headers=insp.h(TOWN),
    )
    assert r.status_code == 200, r.text
    selection = await drawn(insp, p["id"])
    changes = selection["register_changes"]
    assert (changes["added"], changes["removed"], changes["relevelled"]) == (0, 0, 0)
    assert changes["rescored"] == 2
    listed = {c["target_id"]: c for c in changes["targets"]}
    assert set(listed) == {ids[0], ids[5]}
    assert {k: listed[ids[0]][k] for k in ("change", "risk_before", "risk_after")} == {
        "change": "rescored",
        "risk_before": 0,
        "risk_after": 30,
    }
    assert (listed[ids[5]]["risk_before"], listed[ids[5]]["risk_after"]) == (10, 0)
    assert listed[ids[5]]["level_before"] == listed[ids[5]]["level_after"] == "b"
    audited = next(
        e for e in await timeline(insp, p["id"]) if e["action"] == "inspection.selection.drawn"
    )
    assert audited["detail"]["register_changes"]["rescored"] == 2


def recompute_offline(export: dict[str, Any]) -> list[reference.Ranked]:
    """What an outsider does with the JSON export and domain/selection.py alone: the seed is
    the one committed, the snapshot the one digested, and the rule gives the published list."""
    assert reference.seed_commitment(export["seed"]) == export["seed_commitment"]
    header = export["snapshot_header"]
    assert header["seed_commitment"] == export["seed_commitment"]
    snapshot = [reference.SnapshotEntry(**e["snapshot"]) for e in export["entries"]]
    assert reference.snapshot_digest(header, snapshot) == export["snapshot_digest"]
    ranked = reference.draw(
        reference.candidates_of(
            snapshot,
            rules=export["rules"],
            basis=header["basis"],
            round_number=export["round"],
            adjusted=export["adjusted"],
        ),
        seed=export["seed"],
        clean_proportion=Decimal(export["clean_proportion"]),
        threshold=export["targeting_threshold"],
    )
    published = {e["target_id"]: e for e in export["entries"] if e["rank"] is not None}
    assert len(ranked) == len(published)
    assert all(
        (published[r.target_id]["rank"], published[r.target_id]["drawn"]) == (r.rank, r.drawn)
        for r in ranked
    )
    return ranked


async def test_insp_02_a_plan_adopted_before_rounds_were_committed_is_committed_late_then_drawn(
    insp: Insp,
) -> None:
    """A plan adopted before migration 0016 has no committed round: its draw is refused and the
    problem says what to do; its town's leader commits it late (register frozen now, a fresh
    seed's hash audited, saying so, with the catalogue scenario it draws from); then it draws,
    and the draw is verifiable from its export with the reference rule alone."""
    food = await import_targets(insp, 8)
    for _ in range(3):
        await insp.target(industry="教育培训")
    legacy = await plan(  # before 0016 a plan had no scenario_code
        insp, adopt=False, scenario_code=None, rules=[{"frequency": 2, "proportion": "50"}]
    )
    async with insp.svc.ctx.db.engine.begin() as s:  # adopted as before 0016
        await s.execute(
            sa.text(
                "UPDATE plans SET state = 'adopted', adopted_at = now(), "
                "adopted_by = 'town:lizhi/leader' WHERE id = :id"
            ),
            {"id": legacy["id"]},
        )
    before = await insp.counts()
    r = await insp.client.post(
        f"/plans/{legacy['id']}/selections", json={"round": 1}, headers=insp.h(TOWN)
    )
    problem = await refused(insp, r, 409, "inspection-round-not-committed", before)
    assert problem["rule"] == "INSP-02"
    assert problem["commit"] == f"POST /plans/{legacy['id']}/commitments"
    assert f"/plans/{legacy['id']}/commitments" in problem["detail"]
    # only the town's leader commits it, and only for a catalogue scenario
    url = f"/plans/{legacy['id']}/commitments"
    body = {"scenario_code": "food-street"}
    r = await insp.client.post(url, json=body, headers=insp.h(TOWN, "handler"))
    assert r.status_code == 403, r.text
    r = await insp.client.post(url, json=body, headers=insp.h("town:baitao", "leader"))
    assert r.status_code in (403, 404), r.text
    for empty in ({"json": {}}, {}):
        r = await insp.client.post(url, headers=insp.h(TOWN, "leader"), **empty)
        await refused(insp, r, 422, "inspection-scenario-required", before)
    r = await insp.client.post(url, json=body, headers=insp.h(TOWN, "leader"))
    assert r.status_code == 201, r.text
    late = r.json()
    assert (late["round"], late["candidates"], late["late"]) == (1, 8, True)
    assert "seed" not in late
    audited = committed(await timeline(insp, legacy["id"]), 1)
    assert audited["late"] is True
    assert audited["scenario_code"] == "food-street"
    assert audited["seed_commitment"] == late["seed_commitment"]
    assert audited["snapshot_digest"] == late["snapshot_digest"]
    # a committed round is never committed again (that would be a second seed)
    r = await insp.client.post(url, json=body, headers=insp.h(TOWN, "leader"))
    assert r.status_code == 409, r.text
    assert r.json()["type"].endswith("inspection-nothing-to-commit")

    selection = await drawn(insp, legacy["id"])
    assert selection["seed_commitment"] == late["seed_commitment"]
    r = await insp.client.get(
        f"/selections/{selection['id']}/export.json", headers=insp.h("justice-bureau")
    )
    assert r.status_code == 200, r.text
    export = r.json()
    assert export["seed_commitment"] == audited["seed_commitment"]
    ranked = recompute_offline(export)
    assert {x.target_id for x in ranked} == set(food)
    assert sum(x.drawn for x in ranked) == selection["drawn"] == 4


async def test_insp_02_a_second_adopted_plan_for_the_same_town_scenario_and_period_is_refused(
    insp: Insp,
) -> None:
    """A second adopted plan would be a second seed for the same targets: a redraw."""
    await import_targets(insp, 5)
    await plan(insp)
    again = await plan(insp, adopt=False, period_start="2024-06-01", period_end="2025-02-28")
    before = await insp.counts()
    r = await insp.client.post(f"/plans/{again['id']}/adopt", headers=insp.h(TOWN, "leader"))
    problem = await refused(insp, r, 409, "inspection-plan-duplicate", before)
    assert problem["rule"] == "INSP-02"
    # another scenario, or a period that does not overlap, is another plan
    await plan(insp, scenario_code="tutoring", matter_codes=["FIR-001"])
    await plan(insp, period_start="2025-01-01", period_end="2025-12-31")


async def test_insp_02_a_past_finding_signal_can_never_be_withdrawn(insp: Insp) -> None:
    tid = (await import_targets(insp, 1))[0]
    r = await insp.client.post(
        f"/targets/{tid}/signals",
        json={
            "kind": "past-finding",
            "source": "2023年综合查一次",
            "observed_on": (insp.clock.now().date() - timedelta(days=20)).isoformat(),
            "weight": 20,
            "description": "既往检查发现消防通道堵塞",
        },
        headers=insp.h(TOWN),
    )
    assert r.status_code == 201, r.text
    signal = r.json()
    before = await insp.counts()
    r = await insp.client.post(
        f"/targets/{tid}/signals/{signal['id']}/withdraw",
        json={"reason": "企业称已整改，申请撤回"},
        headers=insp.h(TOWN),
    )
    problem = await refused(insp, r, 409, "inspection-signal-permanent", before)
    assert problem["rule"] == "INSP-02"
    # nor by any other path: the database refuses it too
    for statement in (
        "UPDATE risk_signals SET withdrawn_at = now() WHERE id = :id",
        "UPDATE risk_signals SET kind = 'complaint' WHERE id = :id",
        "DELETE FROM risk_signals WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="INSP-02"):
            async with insp.svc.ctx.db.session(transaction=True) as s:
                await s.execute(sa.text(statement), {"id": signal["id"]})
    assert await insp.counts() == before


async def test_insp_02_the_round_report_shows_drawn_inspected_dropped_and_not_yet_inspected(
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
            "limit": 3,
            "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(days=1)).isoformat(),
        },
        headers=insp.h(TOWN),
    )
    assert r.status_code == 201, r.text
    order = r.json()
    dropped = order["visits"][0]["target_id"]
    reason = "该店已于3月停业注销，待核实后另行安排"
    r = await insp.client.delete(
        f"/orders/{order['id']}/targets/{dropped}", params={"reason": reason}, headers=insp.h(TOWN)
    )
    assert r.status_code == 200, r.text
    r = await insp.client.get(
        f"/selections/{selection['id']}/report", headers=insp.h("justice-bureau")
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["drawn"] == 6
    assert report["inspected"] == 0
    assert report["dropped"] == 1
    assert report["not_yet_inspected"] == 5
    assert report["in_no_order"] == 3
    by_target = {t["target_id"]: t for t in report["targets"]}
    assert by_target[dropped]["status"] == "dropped"
    assert by_target[dropped]["dropped_reason"] == reason
    assert sum(t["status"] == "ordered" for t in report["targets"]) == 2
    entries = await all_entries(insp, selection["id"])
    assert {t for t in by_target} == {e["target_id"] for e in entries if e["drawn"]}


async def test_insp_02_the_draw_result_is_published_for_the_public(
    insp: Insp, kafka_bootstrap: str
) -> None:
    """双随机一公开: the draw's result goes out as a versioned event (seed, commitment, digest,
    the drawn targets) for information sharing to publish."""
    await import_targets(insp, 8)
    p = await plan(insp, rules=[{"frequency": 1, "proportion": "50"}])
    async with topic_reader(kafka_bootstrap, "inspection.selection-drawn") as reader:
        selection = await drawn(insp, p["id"])
        events = await reader.collect(lambda es: any(e["subject"] == p["id"] for e in es))
    event = next(e for e in events if e["subject"] == p["id"])
    assert event["type"] == "xietong.inspection.selection-drawn.v1"
    data = event["data"]
    assert data["seed"] == selection["seed"]
    assert data["seed_commitment"] == reference.seed_commitment(selection["seed"])
    assert data["drawn"] == 4
    assert len(data["targets"]) == 4
    assert data["candidates"] == 8


async def test_insp_02_inspectors_are_drawn_at_random_from_the_eligible_pool_with_recusal(
    insp: Insp,
) -> None:
    """双随机: the inspectors too. The town names its pool; an officer who declares a conflict
    with a target is excluded with the reason, an ineligible one with his; the pool is frozen
    and only the seed's hash audited; the draw reveals the seed and anyone recomputes it."""
    targets = [(await insp.target())["id"] for _ in range(2)]
    order = await insp.order(targets)
    officers = [f"b-{n}" for n in range(6)]
    candidates: list[dict[str, Any]] = [
        {"kind": "brigade", "officer_id": o, "name": f"大队队员{n}"} for n, o in enumerate(officers)
    ]
    candidates.append({"kind": "department", "officer_id": "d-1", "name": "部门人员"})
    url = f"/orders/{order['id']}/inspector-pool"
    before = await insp.counts()
    r = await insp.client.post(
        url,
        json={
            "count": 2,
            "candidates": candidates,
            "recusals": [{"officer_id": "b-0", "target_id": targets[0], "reason": "亲属"}],
        },
        headers=insp.h(TOWN),
    )
    problem = await refused(insp, r, 422, "invalid-input", before)
    assert problem["missing"] == ["reason"]
    reason = "该队员的配偶系检查对象的股东，申请回避"
    r = await insp.client.post(
        url,
        json={
            "count": 2,
            "candidates": candidates,
            "recusals": [{"officer_id": "b-0", "target_id": targets[0], "reason": reason}],
        },
        headers=insp.h(TOWN),
    )
    assert r.status_code == 201, r.text
    pool = r.json()
    assert pool["pool"] == officers[1:]
    excluded = {e["officer_id"]: e for e in pool["excluded"]}
    assert excluded["b-0"]["reason"] == reason
    assert excluded["b-0"]["target_id"] == targets[0]
    assert excluded["d-1"]["reason"]  # a town does not assign a department's officers
    assert pool["seed"] is None
    commitment = pool["seed_commitment"]
    audited = (
        await insp.client.get(f"/orders/{order['id']}/timeline", headers=insp.h("justice-bureau"))
    ).json()
    committed_entry = next(
        e for e in audited if e["action"] == "inspection.order.inspectors-committed"
    )
    assert committed_entry["detail"]["seed_commitment"] == commitment
    assert "seed" not in committed_entry["detail"]
    r = await insp.client.post(
        url, json={"count": 2, "candidates": candidates}, headers=insp.h(TOWN)
    )
    assert r.status_code == 409, r.text  # one pool per order

    r = await insp.client.post(f"/orders/{order['id']}/inspector-draw", headers=insp.h(TOWN))
    assert r.status_code == 200, r.text
    result = r.json()
    seed = result["seed"]
    # what an outsider checks, with the reference rule alone
    assert reference.seed_commitment(seed) == commitment
    assert (
        reference.pool_digest(
            order_id=order["id"], count=2, pool=pool["pool"], seed_commitment=commitment
        )
        == pool["pool_digest"]
    )
    ranked = reference.rank_officers(seed, pool["pool"])
    assert result["drawn"] == ranked[:2]
    assert [r_["officer_id"] for r_ in result["ranked"]] == ranked
    staffed = (await insp.client.get(f"/orders/{order['id']}", headers=insp.h(TOWN))).json()
    assert sorted(i["officer_id"] for i in staffed["inspectors"]) == sorted(ranked[:2])
    r = await insp.client.post(f"/orders/{order['id']}/inspector-draw", headers=insp.h(TOWN))
    assert r.status_code == 409, r.text  # one draw


async def test_insp_01_a_catalogue_scenario_sets_the_pool_matters_and_checklist(
    insp: Insp,
) -> None:
    """The scenario (应用场景) is no longer a label: a plan made for a catalogue scenario draws
    only the scenario's target industries, inspects only its matters, carries its checklist."""
    r = await insp.client.get("/scenarios", headers=insp.h(TOWN))
    assert r.status_code == 200, r.text
    scenario = next(s for s in r.json() if s["code"] == "food-street")
    assert scenario["industries"] == ["餐饮"]
    assert scenario["checklist"]
    assert scenario["departments"]
    food = await import_targets(insp, 5)
    for _ in range(4):
        await insp.target(industry="教育培训")
    before = await insp.counts()
    for bad in ({"scenario_code": "no-such-scenario"}, {"matter_codes": ["PLN-001"]}):
        r = await insp.client.post(
            "/plans",
            json={
                "title": "计划",
                "scenario": "沿街餐饮店综合查一次",
                "scenario_code": "food-street",
                "period_start": "2024-03-01",
                "period_end": "2024-12-31",
                "basis": "level",
                "rules": [{"frequency": 1, "proportion": "100"}],
                "clean_proportion": "0",
                "matter_codes": scenario["matter_codes"],
                **bad,
            },
            headers=insp.h(TOWN),
        )
        problem = await refused(insp, r, 422, "inspection-invalid-plan", before)
        assert problem["rule"] == "INSP-01"
    p = await plan(
        insp,
        scenario_code="food-street",
        rules=[{"frequency": 1, "proportion": "100"}],
        matter_codes=scenario["matter_codes"],
    )
    assert p["scenario_code"] == "food-street"
    assert p["scenario"] == scenario["name_zh"]
    assert [c["code"] for c in p["checklist"]] == [c["code"] for c in scenario["checklist"]]
    selection = await drawn(insp, p["id"])
    assert selection["candidates"] == 5
    entries = await all_entries(insp, selection["id"])
    assert {e["target_id"] for e in entries} == set(food)


async def test_insp_01_a_plan_is_adopted_only_for_a_catalogue_scenario(insp: Insp) -> None:
    """INSP-01: plans are made per application scenario, and the catalogue scenario sets the
    draw's pool; a plan with a free-text scenario only would draw from every target of the
    town. A draft may lack it; adoption is refused (422, a declared problem type) until the
    plan names a scenario of the catalogue, and then it draws only the scenario's targets."""
    food = await import_targets(insp, 4)
    for _ in range(3):
        await insp.target(industry="教育培训")
    draft = await plan(
        insp, adopt=False, scenario_code=None, rules=[{"frequency": 1, "proportion": "100"}]
    )
    assert draft["scenario_code"] is None
    before = await insp.counts()
    r = await insp.client.post(f"/plans/{draft['id']}/adopt", headers=insp.h(TOWN, "leader"))
    problem = await refused(insp, r, 422, "inspection-scenario-required", before)
    assert problem["rule"] == "INSP-01"
    assert "GET /scenarios" in problem["detail"]
    assert (await timeline(insp, draft["id"]))[-1]["action"] != "inspection.plan.adopted"
    spec = (await insp.client.get("/openapi.json")).json()
    adopt = spec["paths"]["/plans/{plan_id}/adopt"]["post"]["responses"]["422"]
    assert (
        "inspection-scenario-required" in adopt["content"]["application/problem+json"]["examples"]
    )
    # the draft names its scenario, then is adopted and draws the scenario's targets only
    r = await insp.client.patch(
        f"/plans/{draft['id']}", json={"scenario_code": "food-street"}, headers=insp.h(TOWN)
    )
    assert r.status_code == 200, r.text
    assert (r.json()["scenario_code"], r.json()["scenario_industries"]) == ("food-street", ["餐饮"])
    r = await insp.client.post(f"/plans/{draft['id']}/adopt", headers=insp.h(TOWN, "leader"))
    assert r.status_code == 200, r.text
    selection = await drawn(insp, draft["id"])
    assert {e["target_id"] for e in await all_entries(insp, selection["id"])} == set(food)


async def test_insp_02_a_drawn_inspector_who_recuses_himself_is_replaced_by_the_next_by_lot(
    insp: Insp,
) -> None:
    """A conflict found after the draw: the officer steps out with the reason recorded, and the
    next officer in the draw's order (not one the town picks) takes his place."""
    target = (await insp.target())["id"]
    order = await insp.order([target])
    candidates = [
        {"kind": "brigade", "officer_id": f"b-{n}", "name": f"大队队员{n}"} for n in range(5)
    ]
    r = await insp.client.post(
        f"/orders/{order['id']}/inspector-pool",
        json={"count": 2, "candidates": candidates},
        headers=insp.h(TOWN),
    )
    assert r.status_code == 201, r.text
    r = await insp.client.post(f"/orders/{order['id']}/inspector-draw", headers=insp.h(TOWN))
    ranked = [x["officer_id"] for x in r.json()["ranked"]]
    url = f"/orders/{order['id']}/inspector-draw/recusals"
    before = await insp.counts()
    r = await insp.client.post(
        url,
        json={"officer_id": ranked[4], "target_id": target, "reason": "与检查对象负责人系同学关系"},
        headers=insp.h(TOWN),
    )
    await refused(insp, r, 422, "invalid-input", before)  # he was not drawn
    reason = "该队员与检查对象负责人系近亲属，依法回避"
    r = await insp.client.post(
        url,
        json={"officer_id": ranked[0], "target_id": target, "reason": reason},
        headers=insp.h(TOWN),
    )
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["drawn"] == [ranked[1], ranked[2]]
    assert any(
        e["officer_id"] == ranked[0] and e["reason"] == reason and e["why"] == "recused"
        for e in after["excluded"]
    )
    staffed = (await insp.client.get(f"/orders/{order['id']}", headers=insp.h(TOWN))).json()
    assert sorted(i["officer_id"] for i in staffed["inspectors"]) == sorted(ranked[1:3])
    timeline = (
        await insp.client.get(f"/orders/{order['id']}/timeline", headers=insp.h("justice-bureau"))
    ).json()
    recused = next(e for e in timeline if e["action"] == "inspection.order.inspector-recused")
    assert recused["detail"]["reason"] == reason
    assert recused["detail"]["replaced_by"] == ranked[2]


async def test_insp_01_the_scenarios_checklist_is_recorded_item_by_item_at_each_visit(
    insp: Insp,
) -> None:
    await import_targets(insp, 2)
    scenario = next(
        s
        for s in (await insp.client.get("/scenarios", headers=insp.h(TOWN))).json()
        if s["code"] == "food-street"
    )
    p = await plan(
        insp,
        scenario_code="food-street",
        rules=[{"frequency": 1, "proportion": "100"}],
        matter_codes=["WAT-001", "FIR-001"],
    )
    selection = await drawn(insp, p["id"])
    start = insp.clock.now() + timedelta(hours=1)
    r = await insp.client.post(
        f"/selections/{selection['id']}/orders",
        json={
            "title": "第一批",
            "limit": 1,
            "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(days=1)).isoformat(),
        },
        headers=insp.h(TOWN),
    )
    assert r.status_code == 201, r.text
    order = r.json()
    target = order["visits"][0]["target_id"]
    inspectors = await insp.staff(order["id"])
    r = await insp.client.put(
        f"/orders/{order['id']}/notice-policy",
        json={
            "policy": "law-forbids",
            "reason": "依法不予公开的检查事项",
            "legal_basis": "《中华人民共和国保守国家秘密法》",
        },
        headers=insp.h(TOWN),
    )
    assert r.status_code == 200, r.text
    r = await insp.client.post(f"/orders/{order['id']}/issue", headers=insp.h(TOWN))
    assert r.status_code == 200, r.text
    insp.clock.advance(timedelta(hours=2))
    items = [c["code"] for c in scenario["checklist"]]
    url = f"/orders/{order['id']}/targets/{target}/on-site"
    body: dict[str, Any] = {
        "inspected_at": insp.clock.now().isoformat(),
        "inspector_ids": inspectors,
        "record": "现场检查记录",
    }
    before = await insp.counts()
    partial = [{"code": items[0], "result": "compliant"}]
    for answers in (None, partial, [*partial, {"code": "XX-99", "result": "compliant"}]):
        r = await insp.client.post(
            url,
            json={**body, **({"checklist": answers} if answers is not None else {})},
            headers=insp.h(TOWN),
        )
        problem = await refused(insp, r, 422, "invalid-input", before)
        assert problem["rule"] == "INSP-01"
    answers = [
        {"code": c, "result": "non-compliant" if n == 1 else "compliant", "note": f"第{n}项"}
        for n, c in enumerate(items)
    ]
    r = await insp.client.post(url, json={**body, "checklist": answers}, headers=insp.h(TOWN))
    assert r.status_code == 200, r.text
    recorded = r.json()["checklist"]
    assert [a["code"] for a in recorded] == items
    assert recorded[1]["result"] == "non-compliant"
    assert recorded[0]["item_zh"] == scenario["checklist"][0]["item_zh"]
