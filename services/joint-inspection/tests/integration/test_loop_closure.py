"""INSP-07 on the running service: the loop does not close on one character of feedback sent
to nobody. The feedback is a result someone can read, delivered to the target's record and
the departments concerned; a target whose violation went to a referral stays open until the
referral returns (`case.filed` / `case.concluded` from the referral service, and from no one
else); the archive keeps a snapshot of who was inspected."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from xietong_common.contracts.referral import (
    CaseConcluded,
    CaseFiled,
    CaseProcedure,
    CaseReferred,
    ReferralSource,
)
from xietong_common.contracts.review import CaseParty
from xietong_common.tables import outbox
from xietong_devtools.testing import topic_reader

from .conftest import ECOLOGY, FIRE, TOWN, WATER, Insp, refused

pytestmark = pytest.mark.integration

RESULT = "经现场指导，该店已建立消防台账，检查结果已书面告知当事人"


async def _outbox(insp: Insp, topic: str, key: str) -> list[dict[str, Any]]:
    async with insp.svc.ctx.db.session() as s:
        rows = (
            await s.execute(
                sa.select(outbox.c.envelope).where(outbox.c.topic == topic, outbox.c.key == key)
            )
        ).scalars()
        return [dict(r["data"]) for r in rows]


async def test_insp_07_feedback_is_a_result_delivered_to_the_target_and_departments_concerned(
    insp: Insp,
) -> None:
    a = await insp.target()
    order = await insp.issued([a["id"]])
    oid = order["id"]
    assert (await insp.visit(order, a["id"])).status_code == 200
    r = await insp.act(
        oid,
        f"targets/{a['id']}/outcome",
        TOWN,
        {"outcome": "guidance", "description": "消防台账不全", "guidance": "现场指导建立台账"},
    )
    assert r.status_code == 200, r.text
    before = await insp.counts()
    for short in ("x", "已归档", "同上。。。"):
        r = await insp.act(oid, f"targets/{a['id']}/feedback", TOWN, {"result": short})
        problem = await refused(insp, r, 422, "invalid-input", before)
        assert problem["missing"] == ["result"]
        assert problem["rule"] == "INSP-07"
    r = await insp.act(oid, f"targets/{a['id']}/feedback", TOWN, {"result": RESULT})
    assert r.status_code == 200, r.text
    visit = r.json()
    # the departments whose matters were checked, and the town, receive it
    assert visit["feedback_to"] == sorted([FIRE, WATER, TOWN])
    [sent] = await _outbox(insp, "inspection.fed-back", oid)
    assert sent["feedback"] == RESULT
    assert sent["recipients"] == sorted([FIRE, WATER, TOWN])
    assert sent["target_id"] == a["id"]
    assert sent["outcome"] == "guidance"
    # …and the target's record shows it to whoever reads the register (a department)
    history = (await insp.client.get(f"/targets/{a['id']}/visits", headers=insp.h(WATER))).json()[
        "items"
    ]
    assert history[0]["feedback"] == RESULT
    assert history[0]["feedback_to"] == sorted([FIRE, WATER, TOWN])
    # the archive keeps who was inspected as they were then, whatever the register says later
    r = await insp.client.patch(
        f"/targets/{a['id']}", json={"name": "改名后的餐饮店"}, headers=insp.h(TOWN)
    )
    assert r.status_code == 200, r.text
    closed = await insp.act(oid, "close", TOWN, None, "leader")
    assert closed.status_code == 200, closed.text
    archive = (await insp.client.get(f"/orders/{oid}/archive", headers=insp.h(TOWN))).json()
    [who] = archive["manifest"]["targets"]
    assert who["id"] == a["id"]
    assert who["name"] == a["name"]
    assert who["credit_code"] == a["credit_code"]


def _referred(finding_id: str, referral_id: uuid.UUID) -> CaseReferred:
    now = datetime.now(UTC)
    return CaseReferred(
        referral_id=referral_id,
        sender=TOWN,
        receiver=ECOLOGY,
        matter_code="ENV-001",
        place_town=TOWN,
        found_at=now,
        sent_at=now,
        urgent=False,
        ongoing=False,
        facts="向河道排放污水",
        party=CaseParty(name="某某化工有限公司", kind="legal-person"),
        materials=2,
        send_due_at=now,
        late=False,
        source=ReferralSource.inspection_finding(finding_id),
    )


def _filed(referral_id: uuid.UUID) -> CaseFiled:
    return CaseFiled(
        referral_id=referral_id,
        handler=ECOLOGY,
        sender=TOWN,
        case_number="涪环罚立〔2024〕15号",
        procedure=CaseProcedure.ORDINARY,
        filed_at=datetime.now(UTC),
        late=False,
    )


async def _visit(insp: Insp, oid: str, target_id: str) -> dict[str, Any]:
    order = (await insp.client.get(f"/orders/{oid}", headers=insp.h(TOWN))).json()
    return dict(next(v for v in order["visits"] if v["target_id"] == target_id))


async def test_insp_07_the_loop_stays_open_until_the_referral_it_started_returns(
    insp: Insp, publish: Callable[..., Any], kafka_bootstrap: str
) -> None:
    a = await insp.target()
    order = await insp.issued([a["id"]], matters=("FIR-001", "ENV-001"))
    oid = order["id"]
    assert (await insp.visit(order, a["id"])).status_code == 200
    r = await insp.act(
        oid,
        f"targets/{a['id']}/outcome",
        TOWN,
        {"outcome": "violation", "description": "向河道排放污水", "matter_code": "ENV-001"},
    )
    assert r.status_code == 200, r.text
    visit = r.json()
    assert visit["within_jurisdiction"] is False
    assert visit["awaits"]["value"] == "referral"
    finding_id = visit["finding_id"]
    before = await insp.counts()
    r = await insp.act(oid, f"targets/{a['id']}/feedback", TOWN, {"result": RESULT})
    problem = await refused(insp, r, 409, "inspection-loop-open", before)
    assert problem["rule"] == "INSP-07"
    assert problem["awaits"] == "referral"
    referral_id = uuid.uuid4()
    # the referral service drafts and sends the referral; anyone else claiming it was filed
    # is not believed
    async with topic_reader(kafka_bootstrap, "case.filed.dlq") as dlq:
        forged = await publish(
            _filed(referral_id), key=str(referral_id), source="/xietong/joint-inspection"
        )
        await publish(
            _referred(finding_id, referral_id), key=str(referral_id), source="/xietong/referral"
        )
        await dlq.collect(lambda es: any(e.get("id") == forged for e in es), timeout_s=30)
    for _ in range(100):
        if (await _visit(insp, oid, a["id"]))["referral_id"] == str(referral_id):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("case.referred from the referral service never arrived")
    assert (await _visit(insp, oid, a["id"]))["loop_returned_at"] is None
    r = await insp.act(oid, f"targets/{a['id']}/feedback", TOWN, {"result": RESULT})
    assert r.status_code == 409
    # the receiving department files the case: the loop may close
    await publish(_filed(referral_id), key=str(referral_id), source="/xietong/referral")
    for _ in range(100):
        returned = await _visit(insp, oid, a["id"])
        if returned["loop_returned_at"]:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("case.filed from the referral service never arrived")
    assert "涪环罚立〔2024〕15号" in returned["loop_result"]
    r = await insp.act(oid, f"targets/{a['id']}/feedback", TOWN, {"result": RESULT})
    assert r.status_code == 200, r.text
    assert ECOLOGY in r.json()["feedback_to"]  # the department that holds the case
    [sent] = await _outbox(insp, "inspection.fed-back", oid)
    assert "涪环罚立〔2024〕15号" in sent["loop_result"]
    closed = await insp.act(oid, "close", TOWN, None, "leader")
    assert closed.status_code == 200, closed.text
    # a conclusion after the archive is kept, and changes nothing archived
    await publish(
        CaseConcluded(
            referral_id=referral_id,
            handler=ECOLOGY,
            sender=TOWN,
            case_number="涪环罚立〔2024〕15号",
            outcome="罚款人民币五千元",
            concluded_at=datetime.now(UTC),
        ),
        key=str(referral_id),
        source="/xietong/referral",
    )
    async with insp.svc.ctx.db.session() as s:
        for _ in range(100):
            kinds = (
                await s.execute(
                    sa.text("SELECT kind FROM loop_returns WHERE ref_id = :r"),
                    {"r": str(referral_id)},
                )
            ).scalars()
            if "case-concluded" in set(kinds):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("case.concluded was not recorded")
    archive = (await insp.client.get(f"/orders/{oid}/archive", headers=insp.h(TOWN))).json()
    assert archive["digest"] == closed.json()["archive_digest"]
