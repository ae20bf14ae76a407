"""SUP-02 with REF-03/REF-07 on real Kafka: each referral deadline tells oversight what happened
to it — who owed it to whom, on which referral — and one missed deadline is one breach."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from referral.main import SPEC
from xietong_common.jobs import run_job_once
from xietong_devtools.testing import topic_reader

TOPICS = ("deadline.lifecycle", "deadline.breached")


async def sweep(case: Any) -> None:
    (job,) = [j for j in SPEC.jobs if j.name == "deadline-sweep"]
    assert await run_job_once(case.svc.ctx.db, "deadline-sweep", job.job(case.svc.ctx))


def of(events: list[dict[str, Any]], subject: str, topic_type: str) -> list[dict[str, Any]]:
    return [e["data"] for e in events if e["subject"] == subject and e["type"] == topic_type]


LIFECYCLE, BREACHED = "xietong.deadline.lifecycle.v1", "xietong.deadline.breached.v1"


async def test_ref_07_sup_02_the_answer_deadline_tells_its_life_and_is_breached_once(
    case: Any, kafka_bootstrap: str
) -> None:
    """REF-07 missed, swept, then answered late: `started`, `breached` (no-action), `met`
    (late), and one `deadline.breached` naming the sender kept waiting and the receipt."""
    c = case.codes
    async with topic_reader(kafka_bootstrap, *TOPICS) as reader:
        referral = await case.received()
        subject = f"referral:{referral['id']}"
        case.clock.advance(timedelta(days=10))
        await sweep(case)
        r = await case.act(
            referral["id"], "answer", c.dept, "handler", decision="accept", reasons="属本局管辖"
        )
        assert r.status_code == 200, r.text
        await sweep(case)

        def answered(evs: list[dict[str, Any]]) -> bool:
            facts = [d for d in of(evs, subject, LIFECYCLE) if d["rule"] == "REF-07"]
            return any(d["kind"] == "met" for d in facts)

        await reader.collect(answered)
        await reader.poll(1.0)  # a second breach, if any, would be right behind
        events = reader.events()
    facts = [d for d in of(events, subject, LIFECYCLE) if d["rule"] == "REF-07"]
    assert [d["kind"] for d in facts] == ["started", "breached", "met"]
    for fact in facts:
        assert (fact["organisation"], fact["counterparty"]) == (c.dept, c.town_a)
        assert fact["reference"] == referral["receipt_number"]
        assert fact["mechanism"] == "referral"
    assert facts[0]["actor"] == f"{c.dept}/clerk"  # the clerk's receipt started it
    assert facts[-1]["late"] is True
    assert facts[-1]["actor"] == f"{c.dept}/handler"
    breaches = [d for d in of(events, subject, BREACHED) if d["rule"] == "REF-07"]
    assert len(breaches) == 1
    assert (breaches[0]["kind"], breaches[0]["counterparty"]) == ("no-action", c.town_a)
    # The earlier REF-06 receipt deadline was met on time, and said so.
    receipt = [d for d in of(events, subject, LIFECYCLE) if d["rule"] == "REF-06"]
    assert [(d["kind"], d["late"]) for d in receipt] == [("started", None), ("met", False)]


async def test_ref_03_sup_02_withdrawing_a_draft_after_its_deadline_passed_keeps_the_miss(
    case: Any, kafka_bootstrap: str
) -> None:
    """The review's walk-around: a draft whose REF-03 deadline had passed, withdrawn before
    the sweep reached it, erased the miss. Withdrawing now closes the deadline with a reason
    and records the miss first; a draft withdrawn in time is closed and never a breach."""
    c = case.codes
    async with topic_reader(kafka_bootstrap, *TOPICS) as reader:
        in_time = await case.draft()
        late = await case.draft()
        r = await case.act(
            in_time["id"], "withdraw", c.town_a, "handler", reason="经核实不属违法行为"
        )
        assert r.status_code == 200, r.text
        case.clock.advance(timedelta(days=10))  # past REF-03, and no sweep ran
        r = await case.act(late["id"], "withdraw", c.town_a, "handler", reason="经核实不属违法行为")
        assert r.status_code == 200, r.text
        late_subject = f"referral:{late['id']}"

        def told(evs: list[dict[str, Any]]) -> bool:
            # Two topics: the breach may come after the lifecycle's `closed` (no order
            # across topics), so both are waited for.
            closed = any(d["kind"] == "closed" for d in of(evs, late_subject, LIFECYCLE))
            return closed and bool(of(evs, late_subject, BREACHED))

        await reader.collect(told)
        await reader.poll(1.0)  # a second breach, if any, would be right behind
        events = reader.events()
    early = of(events, f"referral:{in_time['id']}", LIFECYCLE)
    assert [(d["kind"], d["reason"]) for d in early] == [
        ("started", None),
        ("closed", "draft-withdrawn"),
    ]
    assert of(events, f"referral:{in_time['id']}", BREACHED) == []
    missed = of(events, late_subject, LIFECYCLE)
    assert [d["kind"] for d in missed] == ["started", "breached", "closed"]
    (breach,) = of(events, late_subject, BREACHED)
    assert (breach["rule"], breach["kind"], breach["organisation"]) == (
        "REF-03",
        "no-action",
        c.town_a,
    )
