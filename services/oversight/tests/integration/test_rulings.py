"""SUP-01 through the REST API: the justice bureau rules on breaches, refusals and flags
(confirmed, excused with a reason, referred for accountability); the organisation states its
case once before; a ruling never changes the fact, and the assessment shows the figures as
recorded and after rulings. Facts reach the ledger through real Kafka, as in test_ledger.

Each test works on facts in a month of its own, so the module shares one service."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from oversight.models import LedgerFact

from xietong_common.contracts.assistance import AssistanceRefused
from xietong_common.tables import audit_log

from .conftest import Deadline, Ledger, dump

DEPT = "dept:ecology-environment"
OTHER_DEPT = "dept:water"
TOWN = "town:lizhi"
BUREAU = "justice-bureau"
REASON = "2026年节假日安排发布晚于期限起算日，期限按旧历计算"


def breach_in(month: int, day: int, org: str = DEPT) -> Deadline:
    due = datetime(2025, month, day, 16, 0, tzinfo=UTC)
    return Deadline(
        mechanism="referral",
        rule="REF-07",
        organisation=org,
        counterparty=TOWN,
        due_at=due,
        started_at=due - timedelta(days=7),
    )


async def breached(ledger: Ledger, month: int, *days: int, org: str = DEPT) -> list[str]:
    """Breaches of `org` due in 2025-<month>, through Kafka; their breach facts' ids, by day."""
    deadlines = [breach_in(month, day, org) for day in days]
    ids: list[str] = []
    for d in deadlines:
        ids += await ledger.tell(d, d.started(), d.breached())
    await ledger.until_handled(*ids)
    page = await ledger.svc.client.get(
        "/breaches",
        params={"period": f"2025-{month:02d}", "organisation": org, "page_size": 100},
        headers=ledger.h(BUREAU),
    )
    assert page.status_code == 200, page.text
    by_deadline = {b["deadline_id"]: b["breach_fact_id"] for b in page.json()["items"]}
    return [by_deadline[d.deadline_id] for d in deadlines]


async def refused(ledger: Ledger, month: int, org: str = DEPT) -> str:
    """An ASSIST-03 refusal by `org` in 2025-<month>; its fact's id."""
    request_id = str(uuid.uuid4())
    event = AssistanceRefused(
        request_id=request_id,
        town=TOWN,
        department=org,
        matter_code="ENV-002",
        proposed_department=OTHER_DEPT,
        ground="outside-powers",
        reason="不属于本部门职权范围",
        after_acceptance=False,
        refused_at=datetime(2025, month, 5, 2, 0, tzinfo=UTC),
        late=False,
    )
    await ledger.until_handled(await ledger.publish(event, source="assistance", key=request_id))
    async with ledger.svc.ctx.db.session() as session:
        fact = (
            await session.execute(
                sa.select(LedgerFact.id).where(LedgerFact.fact_key == f"{request_id}:refused")
            )
        ).scalar_one()
    return str(fact)


async def rule(
    ledger: Ledger,
    fact_id: str,
    outcome: str,
    reason: str | None = None,
    *,
    org: str = BUREAU,
    if_match: str | None = None,
) -> Any:
    headers = ledger.h(org)
    if if_match is not None:
        headers["If-Match"] = if_match
    body: dict[str, Any] = {"outcome": outcome}
    if reason is not None:
        body["reason"] = reason
    return await ledger.svc.client.post(f"/items/{fact_id}/rulings", json=body, headers=headers)


async def reply(
    ledger: Ledger, fact_id: str, org: str, text: str = "材料不全已当日告知并补正"
) -> Any:
    return await ledger.svc.client.post(
        f"/items/{fact_id}/reply", json={"text": text}, headers=ledger.h(org)
    )


async def audited(ledger: Ledger, fact_id: str) -> list[tuple[str, str | None]]:
    async with ledger.svc.ctx.db.session() as session:
        rows = await session.execute(
            sa.select(audit_log.c.action, audit_log.c.rule)
            .where(audit_log.c.subject == f"ledger-fact:{fact_id}")
            .order_by(audit_log.c.seq)
        )
        return [(a, r) for a, r in rows.all()]


async def test_sup_01_rulings_leave_the_facts_and_show_figures_before_and_after(
    ledger: Ledger,
) -> None:
    excused, confirmed, referred, unruled = await breached(ledger, 3, 3, 6, 9, 12)
    refusal = await refused(ledger, 3)
    before = await ledger.assessment(DEPT, period="2025-03")
    assert (before["breached"], before["breached_after_rulings"], before["not_ruled"]) == (
        4,
        4,
        5,
    ), dump(before)
    fact_before = (
        await ledger.svc.client.get(f"/items/{excused}", headers=ledger.h(BUREAU))
    ).json()

    r = await rule(ledger, excused, "excused", REASON)
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"1"'
    assert (r.json()["ruling"]["outcome"], r.json()["version"]) == ("excused", 1)
    assert (await rule(ledger, confirmed, "confirmed")).status_code == 200
    assert (await rule(ledger, referred, "referred-for-accountability")).status_code == 200
    assert (await rule(ledger, refusal, "excused", "申请事项确不属于该部门职权")).status_code == 200

    after = await ledger.assessment(DEPT, period="2025-03")
    # The facts are counted as recorded; only the after-rulings figures leave out the excused.
    assert (after["breached"], after["due"], after["breach_rate"]) == (
        before["breached"],
        before["due"],
        before["breach_rate"],
    ), dump(after)
    assert (after["refusals"], after["refusals_after_rulings"]) == (1, 0), dump(after)
    assert after["breached_after_rulings"] == 3, dump(after)
    assert (after["excused"], after["confirmed"], after["referred"], after["not_ruled"]) == (
        2,
        1,
        1,
        1,
    ), dump(after)
    item = (await ledger.svc.client.get(f"/items/{excused}", headers=ledger.h(BUREAU))).json()
    assert item["fact"] | {"ruling": None} == fact_before["fact"], dump(item)
    assert item["fact"]["ruling"] == "excused"
    page = await ledger.svc.client.get(
        "/breaches", params={"period": "2025-03", "organisation": DEPT}, headers=ledger.h(BUREAU)
    )
    rulings = {b["breach_fact_id"]: b["ruling"] for b in page.json()["items"]}
    assert rulings[unruled] is None
    assert rulings[referred] == "referred-for-accountability"
    assert await audited(ledger, excused) == [("ruling.excused", "SUP-01")]
    assert await audited(ledger, referred) == [("ruling.referred-for-accountability", "SUP-01")]


async def test_sup_01_the_unit_replies_once_before_the_ruling_others_get_404(
    ledger: Ledger,
) -> None:
    first, second = await breached(ledger, 4, 3, 6)
    assert (await reply(ledger, first, OTHER_DEPT)).status_code == 404
    assert (await reply(ledger, first, TOWN)).status_code == 404  # the town kept waiting
    assert (await reply(ledger, first, BUREAU)).status_code == 403  # sees it, not its to answer
    short = await reply(ledger, first, DEPT, "不服。")
    assert short.status_code == 422, short.text
    assert short.json()["type"].endswith(":oversight-reason-required")

    r = await reply(ledger, first, DEPT)
    assert r.status_code == 201, r.text
    assert r.json()["reply"]["organisation"] == DEPT
    again = await reply(ledger, first, DEPT, "再次陈述申辩的理由与事实")
    assert again.status_code == 409, again.text
    assert again.json()["type"].endswith(":oversight-already-replied")
    assert (await ledger.svc.client.get(f"/items/{first}", headers=ledger.h(DEPT))).json()["reply"][
        "text"
    ] == "材料不全已当日告知并补正"

    # The reply comes before the ruling: once ruled, the unit has had its chance.
    assert (await rule(ledger, second, "confirmed")).status_code == 200
    late = await reply(ledger, second, DEPT)
    assert late.status_code == 409, late.text
    assert await audited(ledger, first) == [("ruling.reply", "SUP-01")]


async def test_sup_01_a_second_ruling_needs_the_current_version(ledger: Ledger) -> None:
    (fact,) = await breached(ledger, 5, 5)
    read = await ledger.svc.client.get(f"/items/{fact}", headers=ledger.h(BUREAU))
    assert read.headers["ETag"] == '"0"'
    assert (await rule(ledger, fact, "confirmed", if_match='"0"')).status_code == 200

    missing = await rule(ledger, fact, "excused", REASON)
    assert missing.status_code == 428, missing.text
    assert missing.json()["type"].endswith(":oversight-if-match-required")
    for stale in ('"0"', '"2"', "*", 'W/"1"'):
        r = await rule(ledger, fact, "excused", REASON, if_match=stale)
        assert r.status_code == 412, (stale, r.text)
        assert r.json()["type"].endswith(":oversight-ruling-changed")

    etag = (await ledger.svc.client.get(f"/items/{fact}", headers=ledger.h(BUREAU))).headers["ETag"]
    revised = await rule(ledger, fact, "excused", REASON, if_match=etag)
    assert revised.status_code == 200, revised.text
    body = revised.json()
    assert (body["version"], body["ruling"]["outcome"], revised.headers["ETag"]) == (
        2,
        "excused",
        '"2"',
    )
    assert [h["outcome"] for h in body["history"]] == ["confirmed", "excused"]
    # The reader of version 1 is now stale too.
    assert (await rule(ledger, fact, "confirmed", if_match=etag)).status_code == 412
    # Two overseers revising the version they both read: one wins, the other is told.
    both = await asyncio.gather(
        rule(ledger, fact, "confirmed", if_match='"2"'),
        rule(ledger, fact, "referred-for-accountability", if_match='"2"'),
    )
    assert sorted(r.status_code for r in both) == [200, 412], [r.text for r in both]
    audits = await audited(ledger, fact)
    assert audits[:2] == [("ruling.confirmed", "SUP-01"), ("ruling.excused", "SUP-01")]
    assert len(audits) == 3, audits  # the one that won, and nothing of the one refused
    item = (await ledger.svc.client.get(f"/items/{fact}", headers=ledger.h(BUREAU))).json()
    assert (item["version"], len(item["history"])) == (3, 3), dump(item)


async def test_sup_01_only_the_justice_bureau_rules_and_an_excuse_has_a_reason(
    ledger: Ledger,
) -> None:
    (fact,) = await breached(ledger, 6, 5)
    for org in ("district-gov", TOWN, DEPT, OTHER_DEPT, "justice-office:lizhi"):
        r = await rule(ledger, fact, "excused", REASON, org=org)
        assert r.status_code == 403, (org, r.text)
        assert r.json()["allowed_org_kinds"] == ["justice-bureau"], r.text  # not a bad token
    for reason in (None, "", "节假日。", "  x  "):
        r = await rule(ledger, fact, "excused", reason)
        assert r.status_code == 422, (reason, r.text)
    assert (await rule(ledger, fact, "pardoned", REASON)).status_code == 422
    assert (
        await ledger.svc.client.post(
            f"/items/{fact}/rulings",
            json={"outcome": "confirmed", "organisation": TOWN},
            headers=ledger.h(BUREAU),
        )
    ).status_code == 422
    # A deadline started is a fact of the ledger, but not a fault to rule on.
    async with ledger.svc.ctx.db.session() as session:
        started = (
            (
                await session.execute(
                    sa.select(LedgerFact.id).where(
                        LedgerFact.kind == "deadline.started",
                        LedgerFact.organisation == DEPT,
                        LedgerFact.occurred_at >= datetime(2025, 5, 20, tzinfo=UTC),
                    )
                )
            )
            .scalars()
            .first()
        )
    assert started is not None
    r = await rule(ledger, str(started), "confirmed")
    assert r.status_code == 409, r.text
    assert r.json()["type"].endswith(":oversight-not-rulable")
    assert (await rule(ledger, str(uuid.uuid4()), "confirmed")).status_code == 404
    assert await audited(ledger, fact) == []  # nothing refused was written
    item = (await ledger.svc.client.get(f"/items/{fact}", headers=ledger.h(BUREAU))).json()
    assert (item["version"], item["ruling"], item["history"]) == (0, None, [])


async def test_sup_01_a_unit_reads_rulings_on_itself_only(ledger: Ledger) -> None:
    (ours,) = await breached(ledger, 7, 5)
    (theirs,) = await breached(ledger, 7, 8, org=OTHER_DEPT)
    assert (await rule(ledger, ours, "confirmed")).status_code == 200
    assert (await rule(ledger, theirs, "referred-for-accountability")).status_code == 200

    client = ledger.svc.client
    assert (await client.get(f"/items/{ours}", headers=ledger.h(DEPT))).status_code == 200
    assert (await client.get(f"/items/{theirs}", headers=ledger.h(DEPT))).status_code == 404
    assert (await client.get(f"/items/{ours}", headers=ledger.h(TOWN))).status_code == 404
    own = await client.get("/rulings", headers=ledger.h(DEPT))
    assert own.status_code == 200, own.text
    assert {e["fact"]["organisation"] for e in own.json()["items"]} == {DEPT}
    assert (
        await client.get("/rulings", params={"organisation": OTHER_DEPT}, headers=ledger.h(DEPT))
    ).status_code == 404
    for overseer in (BUREAU, "district-gov"):
        every = await client.get("/rulings", params={"page_size": 100}, headers=ledger.h(overseer))
        assert {ours, theirs} <= {e["fact"]["id"] for e in every.json()["items"]}
    referred = await client.get(
        "/rulings",
        params={"outcome": "referred-for-accountability", "organisation": OTHER_DEPT},
        headers=ledger.h("district-gov"),
    )
    assert [e["fact"]["id"] for e in referred.json()["items"]] == [theirs]


async def test_sup_01_a_ruling_is_published_and_a_retry_with_its_idempotency_key_returns_it(
    ledger: Ledger,
) -> None:
    """SUP-01: each ruling is published (`oversight.ruling-made`, through the outbox); a
    retry with the same Idempotency-Key and body returns the ruling the first request gave
    (the same version and ETag), not 428 or 412, and rules nothing twice; the same key with
    another body is refused (422)."""
    from xietong_common.events.kafka import ensure_topics
    from xietong_devtools.testing import TEST_NAMESPACE, TopicReader

    bootstrap = ledger.svc.settings.kafka_bootstrap_servers
    await ensure_topics(bootstrap, ["oversight.ruling-made"], namespace=TEST_NAMESPACE)
    reader = TopicReader(bootstrap, ["oversight.ruling-made"])
    await reader.start()
    try:
        (fact,) = await breached(ledger, 11, 5)
        key = {"Idempotency-Key": f"ruling-{uuid.uuid4()}"}
        body = {"outcome": "excused", "reason": REASON}
        url = f"/items/{fact}/rulings"
        first = await ledger.svc.client.post(url, json=body, headers=ledger.h(BUREAU) | key)
        assert first.status_code == 200, first.text
        again = await ledger.svc.client.post(url, json=body, headers=ledger.h(BUREAU) | key)
        assert again.status_code == 200, again.text
        assert again.json() == first.json(), dump(again.json())
        assert again.headers["ETag"] == first.headers["ETag"] == '"1"'
        # A revision (its own key, If-Match), then the first request retried once more: the
        # first ruling as it was, not the revision, and no third ruling.
        revised = await ledger.svc.client.post(
            url,
            json={"outcome": "confirmed"},
            headers=ledger.h(BUREAU) | {"If-Match": '"1"', "Idempotency-Key": "revision-1"},
        )
        assert revised.status_code == 200, revised.text
        late = await ledger.svc.client.post(url, json=body, headers=ledger.h(BUREAU) | key)
        assert late.status_code == 200, late.text
        assert late.json()["ruling"] == first.json()["ruling"]
        assert late.json()["version"] == 1
        assert late.headers["ETag"] == '"1"'
        item = (await ledger.svc.client.get(f"/items/{fact}", headers=ledger.h(BUREAU))).json()
        assert [h["outcome"] for h in item["history"]] == ["excused", "confirmed"]
        other = await ledger.svc.client.post(
            url, json={"outcome": "confirmed"}, headers=ledger.h(BUREAU) | key
        )
        assert other.status_code == 422, other.text
        assert other.json()["type"].endswith(":idempotency-key-reused")
        assert [a for a, _ in await audited(ledger, fact)] == [
            "ruling.excused",
            "ruling.confirmed",
        ]

        await ledger.svc.outbox_drained()
        events = await reader.collect(
            lambda es: len([e for e in es if e["data"]["fact_id"] == fact]) >= 2, timeout_s=60
        )
        mine = [e["data"] for e in events if e["data"]["fact_id"] == fact]
        assert [(e["outcome"], e["version"], e["previous"]) for e in mine] == [
            ("excused", 1, None),
            ("confirmed", 2, "excused"),
        ]
        assert {e["type"] for e in events} == {"xietong.oversight.ruling-made.v1"}
        first_event = mine[0]
        assert first_event["organisation"] == DEPT
        assert first_event["fact_kind"] == "deadline.breached"
        assert first_event["fact_rule"] == "REF-07"
        assert first_event["reason"] == REASON
        assert first_event["ruled_by"] == f"{BUREAU}/officer"
    finally:
        await reader.stop()


async def test_sup_01_a_reply_retried_with_its_idempotency_key_returns_it(ledger: Ledger) -> None:
    """SUP-01: a reply retried with the same Idempotency-Key and text returns the item as the
    reply left it (201, before any ruling), not 409, even once the fact is ruled on; without
    the key a second reply is still 409, and the key with another text 422."""
    (fact,) = await breached(ledger, 12, 5)
    key = {"Idempotency-Key": f"reply-{uuid.uuid4()}"}
    body = {"text": "材料不全已当日告知并补正"}
    url = f"/items/{fact}/reply"
    first = await ledger.svc.client.post(url, json=body, headers=ledger.h(DEPT) | key)
    assert first.status_code == 201, first.text
    again = await ledger.svc.client.post(url, json=body, headers=ledger.h(DEPT) | key)
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert (await rule(ledger, fact, "confirmed")).status_code == 200
    late = await ledger.svc.client.post(url, json=body, headers=ledger.h(DEPT) | key)
    assert late.status_code == 201, late.text
    assert late.json() == first.json()
    unkeyed = await ledger.svc.client.post(url, json=body, headers=ledger.h(DEPT))
    assert unkeyed.status_code == 409, unkeyed.text
    other = await ledger.svc.client.post(
        url, json={"text": "另一段陈述申辩的理由与事实"}, headers=ledger.h(DEPT) | key
    )
    assert other.status_code == 422, other.text
    assert [a for a, _ in await audited(ledger, fact)] == ["ruling.reply", "ruling.confirmed"]
