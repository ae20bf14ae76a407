"""REF-03/REF-07, issue 24: the referral service's `GET /todo` — what each party owes next,
with the referral it is about and where to open it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from xietong_common.calendar import CHINA_TZ


async def todo(case: Any, org: str, **params: Any) -> Any:
    r = await case.svc.client.get("/todo", params=params, headers=case.h(org, "handler"))
    assert r.status_code == 200, r.text
    return r.json()


async def test_ref_07_the_receiver_owes_its_answer_to_the_sender_in_its_todo(case: Any) -> None:
    c = case.codes
    draft = await case.draft()  # the finder owes the referral (REF-03)
    received = await case.received(facts="巡查发现企业夜间偷排污水入河")  # the receiver owes REF-07

    (owed,) = (await todo(case, c.dept))["items"]
    assert (owed["rule"], owed["action"]) == ("REF-07", "answer")
    assert (owed["organisation"], owed["counterparty"]) == (c.dept, c.town_a)
    record = owed["record"]
    assert record["link"] == f"/referrals/{received['id']}"
    assert record["kind_zh"] == "案件移送"
    assert record["reference"] == received["receipt_number"]
    assert c.dept_matter in record["title"]
    assert "某某化工有限公司" in record["title"]
    # Received Fri 2024-03-01 10:00 CST: 5 working days → Fri 03-08 24:00, 5 left.
    assert owed["due_at"] == "2024-03-08T16:00:00Z"
    assert owed["working_days_left"] == 5
    r = await case.svc.client.get(record["link"], headers=case.h(c.dept, "handler"))
    assert r.status_code == 200  # the link opens the record for the one who owes

    (sending,) = (await todo(case, c.town_a))["items"]
    assert (sending["rule"], sending["record"]["id"]) == ("REF-03", draft["id"])
    assert sending["counterparty"] == draft["receiver"] == c.dept  # routed when drafted
    assert (await todo(case, c.town_b))["total"] == 0

    # Answered: it leaves the receiver's list.
    case.clock.advance(timedelta(days=1))
    r = await case.act(
        received["id"], "answer", c.dept, "handler", decision="accept", reasons="属本局管辖"
    )
    assert r.status_code == 200, r.text
    left = await todo(case, c.dept)
    assert [i["rule"] for i in left["items"]] == ["REF-09"]  # and it owes the filing now
    # Answered on Saturday 03-02: counted from Monday, filing is due Fri 03-08 24:00 too.
    assert case.clock.now().astimezone(CHINA_TZ).weekday() == 5
    assert left["items"][0]["due_at"] == "2024-03-08T16:00:00Z"
    assert left["items"][0]["working_days_left"] == 5
