"""INSP-08 on the running service: a serious report reaches the district government as
something it sees and acknowledges, and "competent authority notified" is a notice to an
organisation of the directory that it acknowledges — not a free-text claim."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ECOLOGY, FIRE, TOWN, Insp, refused

pytestmark = pytest.mark.integration

GOV = "district-gov"
EMERGENCY = "dept:emergency"


async def _visited(insp: Insp) -> tuple[dict[str, Any], dict[str, Any]]:
    a = await insp.target()
    order = await insp.issued([a["id"]])
    assert (await insp.visit(order, a["id"])).status_code == 200
    return order, a


async def _serious(insp: Insp, order: dict[str, Any], a: dict[str, Any], authority: str) -> Any:
    return await insp.act(
        order["id"],
        f"targets/{a['id']}/outcome",
        TOWN,
        {
            "outcome": "serious",
            "description": "燃气管道泄漏，存在重大安全隐患",
            "serious_scope": "major-hazard",
            "competent_authority": authority,
        },
    )


async def test_insp_08_the_competent_authority_is_an_organisation_not_a_free_text_claim(
    insp: Insp,
) -> None:
    order, a = await _visited(insp)
    before = await insp.counts()
    for claim in ("已通知有关部门", "dept:nowhere"):
        r = await _serious(insp, order, a, claim)
        problem = await refused(insp, r, 422, "inspection-outcome-incomplete", before)
        assert problem["rule"] == "INSP-08"
        assert problem["missing"] == ["competent_authority"]
    assert (await _serious(insp, order, a, EMERGENCY)).status_code == 200


async def test_insp_08_the_district_government_and_the_authority_acknowledge_the_report(
    insp: Insp,
) -> None:
    order, a = await _visited(insp)
    r = await _serious(insp, order, a, EMERGENCY)
    assert r.status_code == 200, r.text
    oid, url = order["id"], f"targets/{a['id']}/serious-report/acknowledgement"
    ack = {"response": "已收悉，责成区应急局牵头督促整改并跟踪"}
    before = await insp.counts()
    # nothing to acknowledge before the report is made
    r = await insp.act(oid, url, GOV, ack)
    await refused(insp, r, 409, "inspection-invalid-transition", before)
    r = await insp.act(
        oid, f"targets/{a['id']}/serious-report", TOWN, {"report": "已通报区应急局，现报告区政府"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["serious_acknowledged_at"] is None
    before = await insp.counts()
    # only the district government and the authority notified acknowledge; with a response
    for org in (TOWN, FIRE, ECOLOGY):
        r = await insp.act(oid, url, org, ack)
        assert r.status_code in (403, 404), (org, r.text)
        assert await insp.counts() == before
    r = await insp.act(oid, url, GOV, {"response": "收到"})
    problem = await refused(insp, r, 422, "invalid-input", before)
    assert problem["missing"] == ["response"]
    r = await insp.act(oid, url, GOV, ack)
    assert r.status_code == 200, r.text
    assert r.json()["serious_acknowledged_at"] is not None
    assert r.json()["serious_ack_response"] == ack["response"]
    assert r.json()["authority_acknowledged_at"] is None
    r = await insp.act(oid, url, GOV, ack)
    assert r.status_code == 409
    r = await insp.act(oid, url, EMERGENCY, {"response": "已收到通报，已派员赴现场核查"})
    assert r.status_code == 200, r.text
    assert r.json()["authority_acknowledged_at"] is not None
    timeline = (await insp.client.get(f"/orders/{oid}/timeline", headers=insp.h(GOV))).json()
    acks = [e for e in timeline if e["action"] == "inspection.visit.serious-acknowledged"]
    assert [(e["org"], e["rule"]) for e in acks] == [(GOV, "INSP-08"), (EMERGENCY, "INSP-08")]
