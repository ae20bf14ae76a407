"""REF-09: the conclusion period may be suspended (中止) and extended (延长) lawfully — with a
reason, a legal basis, on record, visible to the sender and told to oversight — and not
otherwise: a department dodging its deadline by endless suspensions, an extension after the
limit ran out, a suspension without a reason or of someone else's case is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from referral.settings import referral_settings
from xietong_common.tables import outbox

pytestmark = pytest.mark.integration

PROBLEM = "urn:xietong:problem:"
BASIS = {"law": "《生态环境行政处罚办法》", "article": "第五十八条"}
SUSPEND = {"reason": "案件需等待司法鉴定结论，暂无法继续调查", **BASIS}


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def conclude_due(referral: dict[str, Any]) -> datetime:
    [d] = [d for d in referral["deadlines"] if d["action"] == "conclude" and not d["satisfied_at"]]
    return utc(d["due_at"])


async def filed(case: Any) -> str:
    """A case accepted and filed (ordinary procedure) on Fri 1 Mar 2024 10:00 CST: its
    90 days end at 24:00 CST on Thu 30 May 2024."""
    c = case.codes
    referral = await case.received()
    rid = str(referral["id"])
    r = await case.act(rid, "answer", c.dept, "handler", decision="accept", reasons="受理")
    assert r.status_code == 200, r.text
    r = await case.act(rid, "file", c.dept, "handler", case_number=f"涪环立〔2024〕{rid[:6]}号")
    assert r.status_code == 200, r.text
    assert conclude_due(r.json()) == datetime(2024, 5, 30, 16, 0, tzinfo=UTC)
    return rid


async def period_events(case: Any, rid: str) -> list[dict[str, Any]]:
    async with case.svc.ctx.db.session() as s:
        rows = (
            await s.execute(
                sa.select(outbox.c.envelope)
                .where(outbox.c.topic == "case.conclusion-period-changed", outbox.c.key == rid)
                .order_by(outbox.c.id)
            )
        ).scalars()
        return [dict(e["data"]) for e in rows]


async def test_ref_09_a_suspension_pauses_the_clock_and_resuming_restarts_the_rest(
    case: Any,
) -> None:
    c = case.codes
    rid = await filed(case)
    case.clock.advance(timedelta(days=10))  # Mon 11 Mar: 80 days of the 90 left
    r = await case.act(rid, "suspend", c.dept, "handler", **SUSPEND)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["suspended_at"] is not None
    [change] = body["conclusion_period_changes"]
    assert change["kind"] == "suspended"
    assert change["reason"] == SUSPEND["reason"]
    assert (change["law"], change["article"]) == (BASIS["law"], BASIS["article"])
    # While suspended the clock stands still, but not for ever: it restarts by itself after
    # the longest suspension the setting allows (60 working days by default).
    limit = referral_settings(case.svc.ctx).referral_suspension_max_working_days
    latest = case.svc.ctx.calendar.add_working_days(datetime(2024, 3, 11).date(), limit).day
    expected = datetime.combine(latest + timedelta(days=81), datetime.min.time(), tzinfo=UTC)
    assert conclude_due(body) == expected - timedelta(hours=8)

    # The sender sees the suspension and its reason.
    seen = (await case.get(rid, c.town_a)).json()
    assert seen["suspended_at"] is not None
    assert seen["conclusion_period_changes"][0]["reason"] == SUSPEND["reason"]

    case.clock.advance(timedelta(days=20))  # Sun 31 Mar: resumed, 80 days left → 19 Jun
    r = await case.act(rid, "resume", c.dept, "handler", reason="司法鉴定结论已经送达，恢复调查")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["suspended_at"] is None
    assert conclude_due(body) == datetime(2024, 6, 19, 16, 0, tzinfo=UTC)
    assert [x["kind"] for x in body["conclusion_period_changes"]] == ["suspended", "resumed"]

    timeline = (await case.svc.client.get(f"/referrals/{rid}/timeline", headers=case.sender)).json()
    actions = {e["action"]: e for e in timeline}
    assert actions["referral.conclusion-suspended"]["rule"] == "REF-09"
    assert actions["referral.conclusion-suspended"]["detail"]["law"] == BASIS["law"]
    assert actions["referral.conclusion-resumed"]["rule"] == "REF-09"

    events = await period_events(case, rid)
    assert [e["change"] for e in events] == ["suspended", "resumed"]
    assert events[0]["reason"] == SUSPEND["reason"]
    assert events[0]["sender"] == c.town_a
    assert events[0]["handler"] == c.dept
    assert utc(events[1]["due_at"]) == datetime(2024, 6, 19, 16, 0, tzinfo=UTC)

    # The case concludes on time: no breach.
    r = await case.act(
        rid, "conclude", c.dept, "handler", outcome_kind="penalty", outcome="罚款人民币五千元"
    )
    assert r.status_code == 200, r.text
    [met] = [d for d in r.json()["deadlines"] if d["action"] == "conclude"]
    assert met["satisfied_at"]
    assert not met["breached_at"]


async def test_ref_09_a_lawful_extension_moves_the_deadline_within_the_setting(
    case: Any,
) -> None:
    c = case.codes
    rid = await filed(case)
    maximum = referral_settings(case.svc.ctx).referral_extension_max_days
    r = await case.act(
        rid,
        "extend",
        c.dept,
        "handler",
        days=maximum + 1,
        reason="案情复杂，经负责人批准延长办案期限",
        **BASIS,
    )
    assert r.status_code == 422, r.text  # bounded by the setting
    r = await case.act(
        rid,
        "extend",
        c.dept,
        "handler",
        days=30,
        reason="案情复杂，经负责人批准延长办案期限",
        **BASIS,
    )
    assert r.status_code == 200, r.text
    assert conclude_due(r.json()) == datetime(2024, 6, 29, 16, 0, tzinfo=UTC)
    [change] = r.json()["conclusion_period_changes"]
    assert (change["kind"], change["days"]) == ("extended", 30)
    assert (await case.get(rid, c.town_a)).json()["conclusion_period_changes"] == [change]
    [event] = await period_events(case, rid)
    assert (event["change"], event["days"]) == ("extended", 30)
    assert utc(event["due_before"]) == datetime(2024, 5, 30, 16, 0, tzinfo=UTC)
    # One extension per case (a setting): a second is refused.
    r = await case.act(
        rid, "extend", c.dept, "handler", days=5, reason="案情复杂，需要再次延长办案期限", **BASIS
    )
    assert r.status_code == 409, r.text
    assert r.json()["type"] == PROBLEM + "referral-conclusion-period-refused"


async def test_ref_09_a_department_dodging_the_deadline_is_refused(case: Any) -> None:
    c = case.codes
    case.svc.ctx.settings = referral_settings(case.svc.ctx).model_copy(
        update={"referral_suspension_max_count": 2}
    )
    rid = await filed(case)
    before = await case.counts()

    # Without a reason, with a one-word reason, or with 'the relevant rules' for a law.
    for body in (
        {**BASIS},
        {**BASIS, "reason": "等待"},
        {"reason": SUSPEND["reason"], "law": "有关规定", "article": "第1条"},
        {"reason": SUSPEND["reason"], "law": BASIS["law"]},
    ):
        r = await case.act(rid, "suspend", c.dept, "handler", **body)
        assert r.status_code == 422, (body, r.text)
    assert r.json()["type"] == PROBLEM + "referral-conclusion-period-unfounded"
    assert await case.counts() == before

    # Someone else's case: a stranger does not see it; the sender may not suspend it.
    r = await case.act(rid, "suspend", c.town_b, "handler", **SUSPEND)
    assert r.status_code == 404, r.text
    r = await case.act(rid, "suspend", c.town_a, "handler", **SUSPEND)
    assert r.status_code == 403, r.text
    assert await case.counts() == before

    # Endless suspensions: twice suspended and resumed, the third is refused; a suspension
    # of a suspended case too.
    for _ in range(2):
        r = await case.act(rid, "suspend", c.dept, "handler", **SUSPEND)
        assert r.status_code == 200, r.text
        r = await case.act(rid, "suspend", c.dept, "handler", **SUSPEND)
        assert r.status_code == 409, r.text
        r = await case.act(rid, "resume", c.dept, "handler", reason="鉴定结论已经送达恢复调查")
        assert r.status_code == 200, r.text
    r = await case.act(rid, "suspend", c.dept, "handler", **SUSPEND)
    assert r.status_code == 409, r.text
    assert r.json()["type"] == PROBLEM + "referral-conclusion-period-refused"
    r = await case.act(rid, "resume", c.dept, "handler", reason="并未中止的案件不能恢复")
    assert r.status_code == 409, r.text

    # Extension (or suspension) after the limit ran out: refused; the miss stays a miss.
    case.clock.advance(timedelta(days=120))
    r = await case.act(
        rid,
        "extend",
        c.dept,
        "handler",
        days=10,
        reason="案情复杂，经负责人批准延长办案期限",
        **BASIS,
    )
    assert r.status_code == 409, r.text
    assert r.json()["type"] == PROBLEM + "referral-conclusion-period-refused"
    r = await case.act(
        rid, "conclude", c.dept, "handler", outcome_kind="penalty", outcome="罚款人民币五千元"
    )
    [late] = [d for d in r.json()["deadlines"] if d["action"] == "conclude"]
    assert late["breached_at"] is not None


async def test_ref_09_a_case_without_a_clock_or_not_yet_filed_has_no_period_to_change(
    case: Any,
) -> None:
    c = case.codes
    referral = await case.received()
    rid = str(referral["id"])
    r = await case.act(rid, "suspend", c.dept, "handler", **SUSPEND)
    assert r.status_code == 409, r.text  # not filed
    await case.act(rid, "answer", c.dept, "handler", decision="accept", reasons="受理")
    await case.act(rid, "file", c.dept, "handler", case_number="s-9", procedure="summary")
    r = await case.act(rid, "suspend", c.dept, "handler", **SUSPEND)
    assert r.status_code == 409, r.text  # summary: no conclusion clock to stop
    assert r.json()["type"] == PROBLEM + "referral-conclusion-period-refused"
