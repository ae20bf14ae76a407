"""SUP-01/SUP-02 through Kafka and the REST API: the ledger counts each deadline once, under
the organisation that owed it, from the service that tracks it; a breach stays a breach.

Each test counts deadlines due in a month of its own, so the module shares one service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from oversight.models import Base
from sqlalchemy.engine import Connection

from xietong_common.contracts.assistance import AssistanceObstructionFlagged, AssistanceRefused
from xietong_common.contracts.deadlines import BreachKind, DeadlineBreached, LifecycleKind
from xietong_common.tables import backbone_metadata

from .conftest import Deadline, Ledger, dump

BACKBONE = {*backbone_metadata.tables, "alembic_version"}
DEPT = "dept:ecology-environment"
OTHER_DEPT = "dept:water"
TOWN = "town:lizhi"
OTHER_TOWN = "town:baitao"


def due_in(month: int, day: int = 10) -> tuple[datetime, datetime]:
    """A due moment in 2025-<month> (16:00 UTC: 24:00 China time) and a start a week before."""
    due = datetime(2025, month, day, 16, 0, tzinfo=UTC)
    return due, due - timedelta(days=7)


def deadline(month: int, org: str = DEPT, *, rule: str = "REF-07", day: int = 10) -> Deadline:
    due, started = due_in(month, day)
    mechanism = {"REF": "referral", "ASSIST": "assistance", "INSP": "joint-inspection"}[
        rule.split("-")[0]
    ]
    return Deadline(
        mechanism=mechanism,
        rule=rule,
        organisation=org,
        counterparty=TOWN,
        due_at=due,
        started_at=started,
    )


async def test_sup_02_each_deadline_counted_once_by_what_became_of_it(ledger: Ledger) -> None:
    on_time, late, never, running, ended = (deadline(1, day=d) for d in (3, 6, 9, 12, 15))
    ids = [
        *await ledger.tell(
            on_time, on_time.started(), on_time.met(on_time.due_at - timedelta(days=1), late=False)
        ),
        *await ledger.tell(
            late,
            late.started(),
            late.breached(),
            late.met(late.due_at + timedelta(days=2), late=True),
        ),
        *await ledger.tell(never, never.started(), never.breached()),
        *await ledger.tell(running, running.started()),
        # Ended before its date passed (the town withdrew): not owed, shown as ended.
        *await ledger.tell(
            ended,
            ended.started(),
            ended.ended(
                LifecycleKind.CLOSED, "request-withdrawn", ended.due_at - timedelta(days=3)
            ),
        ),
    ]
    await ledger.until_handled(*ids)
    row = await ledger.assessment(DEPT, period="2025-01")
    figures = {k: row[k] for k in ("due", "met_on_time", "met_late", "breached", "open", "ended")}
    assert figures == {
        "due": 4,
        "met_on_time": 1,
        "met_late": 1,
        "breached": 2,
        "open": 1,
        "ended": 1,
    }, dump(row)
    assert row["on_time_rate"] == 0.25
    assert row["breach_rate"] == 0.5
    assert row["open_overdue"] == 1  # `running` is past due (2025) and no breach was told yet
    assert row["organisation_name"] == "区生态环境局"
    assert [r["rule"] for r in row["by_rule"]] == ["REF-07"]
    assert row["by_rule"][0]["due"] == 4
    # Another period counts none of them.
    assert await ledger.assessment(DEPT, period="2025-02") == {}


async def test_sup_02_a_breach_later_met_or_closed_is_still_a_breach(ledger: Ledger) -> None:
    met_after, closed_after = deadline(2, day=5), deadline(2, day=8)
    ids = [
        *await ledger.tell(
            met_after,
            met_after.started(),
            met_after.breached(),
            # The producer says late; even one saying on time cannot undo the breach.
            met_after.met(met_after.due_at + timedelta(days=1), late=False),
        ),
        *await ledger.tell(
            closed_after,
            closed_after.started(),
            closed_after.breached(),
            closed_after.ended(
                LifecycleKind.CANCELLED,
                "completion-date-extended",
                closed_after.due_at + timedelta(days=2),
            ),
        ),
    ]
    await ledger.until_handled(*ids)
    row = await ledger.assessment(DEPT, period="2025-02")
    assert (row["due"], row["breached"], row["met_on_time"], row["met_late"], row["ended"]) == (
        2,
        2,
        0,
        1,
        0,
    ), dump(row)
    stored = await ledger.ledger_row(met_after)
    assert stored is not None
    assert stored.met_late is True
    assert stored.breached_at is not None


async def test_sup_02_a_replayed_event_is_counted_once(ledger: Ledger) -> None:
    d = deadline(3)
    started, breached = d.started(), d.breached()
    ids = await ledger.tell(d, started, breached)
    # The same event again (a redelivery), the same facts under new ids (the service's
    # replay of earlier rows), and the breach alert of the other topic: one breach.
    again = await ledger.publish(started, source="referral", key=d.deadline_id, event_id=ids[0])
    replayed = await ledger.tell(
        d,
        d.fact(LifecycleKind.STARTED, recorded_at=d.started_at, replayed=True),
        d.fact(LifecycleKind.BREACHED, breach_kind=BreachKind.NO_ACTION, replayed=True),
        d.alert(),
        d.alert(),
    )
    await ledger.until_handled(*ids, again, *replayed)
    assert await ledger.facts_of(d.deadline_id) == 2  # started, breached
    row = await ledger.assessment(DEPT, period="2025-03")
    assert (row["due"], row["breached"], row["started"]) == (1, 1, 1), dump(row)
    breaches = await ledger.svc.client.get(
        "/breaches", params={"period": "2025-03"}, headers=ledger.h("justice-bureau")
    )
    assert breaches.json()["total"] == 1


async def test_sup_02_a_breach_alert_told_first_is_one_breach_its_facts_complete(
    ledger: Ledger,
) -> None:
    """`deadline.breached` is a topic of its own, so its alert may arrive before the deadline's
    lifecycle facts, and a v1 alert kept on the topic names no length or start: it is
    counted at once, and the lifecycle's facts complete the same deadline."""
    d = deadline(7)
    bare = DeadlineBreached(
        deadline_id=d.deadline_id,
        mechanism=d.mechanism,
        rule=d.rule,
        action="answer",
        organisation=d.organisation,
        subject=d.subject,
        due_at=d.due_at,
        kind=BreachKind.NO_ACTION,
    )
    first = await ledger.publish(bare, source="referral", key=d.deadline_id)
    await ledger.until_handled(first)
    row = await ledger.assessment(DEPT, period="2025-07")
    assert (row["due"], row["breached"]) == (1, 1), dump(row)
    later = await ledger.tell(d, d.started(), d.breached())
    await ledger.until_handled(*later)
    stored = await ledger.ledger_row(d)
    assert stored is not None
    assert (stored.unit, stored.amount, stored.started_at) == ("working_days", 5, d.started_at)
    assert await ledger.facts_of(d.deadline_id) == 2  # breached (once), started
    row = await ledger.assessment(DEPT, period="2025-07")
    assert (row["due"], row["breached"], row["started"]) == (1, 1, 1), dump(row)


async def test_sup_01_a_forged_deadline_fact_is_refused(ledger: Ledger) -> None:
    """A service that does not track a deadline cannot report it: not as another mechanism,
    not under another mechanism's rule, not from outside the six services."""
    victim = deadline(4, OTHER_DEPT)
    # Assistance tries to pin a referral breach on another department.
    forged_as_referral = await ledger.publish(
        victim.breached(), source="assistance", key=victim.deadline_id
    )
    # The referral service reports an assistance rule under its own name.
    wrong_rule = deadline(4, OTHER_DEPT, rule="REF-07")
    wrong_rule.rule = "ASSIST-04"
    forged_rule = await ledger.publish(
        wrong_rule.breached(), source="referral", key=victim.deadline_id
    )
    # Something that is none of the six services.
    outsider = await ledger.publish(victim.breached(), source="workbench", key=victim.deadline_id)
    # A genuine fact after them on the same partition: once it is in, they were handled.
    genuine = deadline(4, DEPT)
    genuine_id = await ledger.publish(genuine.started(), source="referral", key=victim.deadline_id)
    await ledger.until_handled(genuine_id)
    for forged in (forged_as_referral, forged_rule, outsider):
        assert not await ledger.handled(forged)
    assert await ledger.assessment(OTHER_DEPT, period="2025-04") == {}
    assert (await ledger.assessment(DEPT, period="2025-04"))["open"] == 1


async def test_sup_01_a_unit_sees_its_own_figures_others_get_404(ledger: Ledger) -> None:
    mine, theirs = deadline(5, DEPT), deadline(5, OTHER_DEPT)
    ids = [*await ledger.tell(mine, mine.started()), *await ledger.tell(theirs, theirs.started())]
    await ledger.until_handled(*ids)
    client = ledger.svc.client
    own = await client.get("/assessment", params={"period": "2025-05"}, headers=ledger.h(DEPT))
    assert [r["organisation"] for r in own.json()["items"]] == [DEPT]
    for path, params in (
        ("/assessment", {"period": "2025-05", "organisation": OTHER_DEPT}),
        (f"/assessment/organisations/{OTHER_DEPT}", {"period": "2025-05"}),
        ("/breaches", {"period": "2025-05", "organisation": OTHER_DEPT}),
    ):
        r = await client.get(path, params=params, headers=ledger.h(DEPT))
        assert r.status_code == 404, (path, r.text)
    other_row = await ledger.ledger_row(theirs)
    assert other_row is not None
    hidden = await client.get(f"/deadlines/{other_row.id}", headers=ledger.h(DEPT))
    assert hidden.status_code == 404
    seen = await client.get(f"/deadlines/{other_row.id}", headers=ledger.h(OTHER_DEPT))
    assert seen.status_code == 200
    assert seen.json()["organisation"] == OTHER_DEPT
    for overseer in ("justice-bureau", "district-gov"):
        everyone = await client.get(
            "/assessment", params={"period": "2025-05"}, headers=ledger.h(overseer)
        )
        assert {r["organisation"] for r in everyone.json()["items"]} == {DEPT, OTHER_DEPT}
    towns = await client.get(
        "/assessment",
        params={"period": "2025-05", "organisation_kind": "town"},
        headers=ledger.h("justice-bureau"),
    )
    assert towns.json()["items"] == []
    assert (await client.get("/assessment", params={"period": "2025-05"})).status_code == 401


async def test_sup_01_refusals_and_flags_count_against_the_department(ledger: Ledger) -> None:
    request_id = "7d1f4c52-7a2e-4a55-9b0e-3f3a8d1c2b11"
    at = datetime(2025, 6, 3, 2, 0, tzinfo=UTC)
    refused = AssistanceRefused(
        request_id=request_id,
        town=TOWN,
        department=OTHER_DEPT,
        matter_code="ENV-002",
        proposed_department=OTHER_DEPT,
        ground="outside-powers",
        reason="不属于本部门职权",
        after_acceptance=False,
        refused_at=at,
        late=False,
    )
    flag = AssistanceObstructionFlagged(
        request_id=request_id,
        flag_id="0b7c8e0e-3f6d-4b1e-a1f2-6c1d2e3f4a5b",
        town=TOWN,
        department=OTHER_DEPT,
        kind="shirking",
        reason="多次催办无答复",
        state="requested",
        flagged_at=at,
        source="assistance",
        updated_at=at,
    )
    ids = [
        await ledger.publish(refused, source="assistance", key=request_id),
        await ledger.publish(flag, source="assistance", key=request_id),
        await ledger.publish(flag, source="assistance", key=request_id),  # a re-publication
    ]
    await ledger.until_handled(*ids)
    row = await ledger.assessment(OTHER_DEPT, period="2025-06")
    assert (row["refusals"], row["flags"], row["due"]) == (1, 1, 0), dump(row)
    detail = await ledger.svc.client.get(
        f"/assessment/organisations/{OTHER_DEPT}",
        params={"period": "2025-06"},
        headers=ledger.h(OTHER_DEPT),
    )
    assert detail.status_code == 200, detail.text
    kinds = sorted(f["kind"] for f in detail.json()["facts"])
    assert kinds == ["assistance.obstruction-flagged", "assistance.refused"]


async def test_sup_02_bad_periods_are_refused(ledger: Ledger) -> None:
    for params in (
        {"period": "2025-Q5"},
        {"period": "1999"},
        {"period": "2025-13"},
        {"from": "2025-03-02", "to": "2025-03-01"},
        {"from": "2025-03-02"},
        {"period": "2025", "from": "2025-01-01", "to": "2025-01-02"},
        {"from": "1900-01-01", "to": "2025-01-02"},
    ):
        r = await ledger.svc.client.get(
            "/assessment", params=params, headers=ledger.h("justice-bureau")
        )
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    ok = await ledger.svc.client.get(
        "/assessment",
        params={"from": "2025-01-01", "to": "2025-06-30", "rule": "REF-07"},
        headers=ledger.h("justice-bureau"),
    )
    assert ok.status_code == 200
    assert ok.json()["period"]["label"] == "2025-01-01..2025-06-30"


async def test_migrations_match_the_models(ledger: Ledger) -> None:
    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [
            d
            for d in compare_metadata(context, Base.metadata)
            if not (d[0] == "remove_table" and d[1].name in BACKBONE)
            and not (d[0] == "remove_index" and d[1].table.name in BACKBONE)
        ]

    async with ledger.svc.ctx.db.engine.connect() as connection:
        found = await connection.run_sync(diff)
    assert found == [], "\n".join(map(repr, found))


async def test_openapi_documents_every_route(ledger: Ledger) -> None:
    spec = (await ledger.svc.client.get("/openapi.json")).json()
    ours = {
        p: m
        for p, m in spec["paths"].items()
        if not p.startswith(("/healthz", "/readyz", "/metrics"))
    }
    assert {"/assessment", "/breaches", "/assessment/organisations/{organisation}"} <= set(ours)
    for path, methods in ours.items():
        for method, op in methods.items():
            assert op.get("summary"), (method, path)
            assert "401" in op["responses"], (method, path)
            assert "422" in op["responses"] or path.startswith("/todo"), (method, path)
