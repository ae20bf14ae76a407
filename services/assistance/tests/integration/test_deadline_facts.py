"""ASSIST-04 and SUP-02: the assistance deadlines tell oversight what happened to them — the
response met, the agreed completion date replaced by an agreed extension, the request
withdrawn — naming the town kept waiting and the person who agreed to deliver; the
department's `GET /todo` shows what it owes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from xietong_common.tables import outbox


async def facts(assist: Any, rid: str) -> list[dict[str, Any]]:
    async with assist.svc.ctx.db.session() as s:
        rows = await s.execute(
            sa.select(outbox.c.envelope)
            .where(outbox.c.topic == "deadline.lifecycle")
            .order_by(outbox.c.id)
        )
        return [e["data"] for e in rows.scalars() if e["subject"] == f"assistance:{rid}"]


async def test_assist_04_sup_02_response_completion_extension_and_withdrawal_are_told(
    assist: Any,
) -> None:
    c = assist.codes
    accepted = await assist.accepted()
    rid = accepted["id"]
    owed = (await assist.svc.client.get("/todo", headers=assist.dept)).json()
    (completion,) = owed["items"]
    assert (completion["rule"], completion["action"]) == ("ASSIST-04", "complete")
    assert (completion["counterparty"], completion["assignee"]) == (c.town, f"{c.dept}/handler")
    assert completion["record"]["link"] == f"/assistance-requests/{rid}"
    assert completion["record"]["kind_zh"] == "执法协助"
    mine = await assist.svc.client.get("/todo", params={"mine": "true"}, headers=assist.dept)
    assert mine.json()["total"] == 1  # the request names the one who agreed to deliver

    r = await assist.post(
        rid,
        "extensions",
        assist.dept,
        proposed_date="2024-03-12",
        reason="检测机构排期，需顺延数日",
    )
    assert r.status_code == 201, r.text
    r = await assist.post(rid, f"extensions/{r.json()['id']}/decision", assist.town, agree=True)
    assert r.status_code == 200, r.text
    r = await assist.post(rid, "withdraw", assist.town, reason="经协商由本镇自行委托检测")
    assert r.status_code == 200, r.text

    told = await facts(assist, rid)
    assert [(f["action"], f["kind"], f.get("reason")) for f in told] == [
        ("respond", "started", None),
        ("respond", "met", None),
        ("complete", "started", None),
        ("complete", "cancelled", "completion-date-extended"),
        ("complete", "started", None),
        ("complete", "closed", "request-withdrawn"),
    ]
    assert all(f["organisation"] == c.dept and f["counterparty"] == c.town for f in told)
    assert told[1]["late"] is False
    assert told[3]["actor"] == f"{c.town}/handler"  # the town agreed to the extension
    assert told[4]["due_at"] > told[2]["due_at"]
    assert (await assist.svc.client.get("/todo", headers=assist.dept)).json()["total"] == 0
