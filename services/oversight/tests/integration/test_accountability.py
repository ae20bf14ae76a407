"""SUP-01/SUP-02 through Kafka and the REST API: the ledger holds every accountability fact,
not only deadlines — refusals of assistance and of inspection support, how assistance
refusals were contested and ruled, referrals held as suspected onward referrals and the
district government's decision, disputes of jurisdiction, serious findings reported, guidance
given — each once, under the organisation it concerns, only from the service that owns it,
counted in the assessment by kind and in the `.xlsx` download.

Each test counts facts of a month of its own, so the module shares one service."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from openpyxl import load_workbook

from xietong_common.contracts.assistance import (
    AssistanceRefusalContested,
    AssistanceRefusalRuled,
    AssistanceRefused,
)
from xietong_common.contracts.base import IntegrationEvent
from xietong_common.contracts.inspection import InspectionSeriousReported, InspectionSupportRefused
from xietong_common.contracts.referral import (
    CaseAssigned,
    CaseConclusionPeriodChanged,
    CaseCooperationNotGiven,
    CaseEscalated,
    CaseOnwardReferralDecided,
    CaseOnwardReferralSuspected,
    PeriodChange,
)
from xietong_common.contracts.review import ReviewRequestWithdrawn
from xietong_common.contracts.secondment import GuidanceRecorded

from .conftest import Ledger, dump

DEPT = "dept:ecology-environment"
WATER = "dept:water"
TOWN = "town:lizhi"
OTHER_TOWN = "town:baitao"
DISTRICT_GOV = "district-gov"


def at(month: int, day: int = 3) -> datetime:
    return datetime(2026, month, day, 2, 0, tzinfo=UTC)  # 10:00 China time


def assistance_facts(when: datetime) -> list[IntegrationEvent]:
    """A refusal of a matter the catalogue assigns to the department, contested by the town
    and ruled not upheld in assistance."""
    request_id = str(uuid.uuid4())
    common: dict[str, Any] = {
        "request_id": request_id,
        "town": TOWN,
        "department": WATER,
        "matter_code": "WAT-001",
        "ground": "forbidden-by-law",
    }
    return [
        AssistanceRefused(
            **common,
            proposed_department=WATER,
            law="《中华人民共和国保守国家秘密法》",
            article="第二十八条",
            reason="所需材料属于国家秘密，依法不得提供",
            after_acceptance=False,
            refused_at=when,
            late=False,
            owned_matter=True,
        ),
        AssistanceRefusalContested(
            **common,
            owned_matter=True,
            reason="所引条款不禁止提供监测数据，拒绝协助没有法律依据",
            contested_at=when + timedelta(hours=2),
        ),
        AssistanceRefusalRuled(
            **common,
            owned_matter=True,
            contested=True,
            decision="not-upheld",
            reason="所引条款规定的是定密程序，并不禁止向执法机关提供监测数据",
            ruled_at=when + timedelta(days=1),
        ),
    ]


def onward_facts(when: datetime, *, decision: str = "barred") -> list[IntegrationEvent]:
    """The town sent a referral resembling a case it received; the district government bars
    (or releases) it."""
    referral_id = uuid.uuid4()
    return [
        CaseOnwardReferralSuspected(
            referral_id=referral_id,
            sender=TOWN,
            receiver=DEPT,
            resembles=[str(uuid.uuid4())],
            grounds=["same-party"],
            distinct_case_reason="该公司另一处厂区的油烟污染，系不同违法行为",
            sent_at=when,
        ),
        CaseOnwardReferralDecided(
            referral_id=referral_id,
            sender=TOWN,
            receiver=DEPT,
            decision=decision,
            reason="经核查系同一违法行为，不得再行移送，由原受移送单位依法处理",
            decided_by="district-gov/office",
            held_at=when,
            decided_at=when + timedelta(days=2),
        ),
    ]


def cooperation_not_given(when: datetime) -> CaseCooperationNotGiven:
    """REF-10: the department handling the town's referred case recorded that the town did not
    cooperate."""
    return CaseCooperationNotGiven(
        referral_id=uuid.uuid4(),
        request_id=uuid.uuid4(),
        requesting_org=DEPT,
        requested_org=TOWN,
        request="请提供现场照片原件",
        reason="多次电话催要现场照片原件，至今未提供",
        requested_at=when - timedelta(days=5),
        recorded_at=when,
        recorded_by=f"{DEPT}/handler",
    )


def escalation_facts(when: datetime) -> list[IntegrationEvent]:
    """The department disputed jurisdiction; the district government assigned it back."""
    referral_id = uuid.uuid4()
    return [
        CaseEscalated(
            referral_id=referral_id,
            sender=OTHER_TOWN,
            receiver=DEPT,
            reasons="该事项已赋权乡镇，不属本局管辖",
            reported_at=when,
        ),
        CaseAssigned(
            referral_id=referral_id,
            sender=OTHER_TOWN,
            receiver=DEPT,
            assignee=DEPT,
            reasons="该事项未赋权乡镇，由区生态环境局管辖",
            assigned_at=when + timedelta(days=3),
            decided_by="district-gov/office",
        ),
    ]


def inspection_facts(when: datetime) -> list[IntegrationEvent]:
    """The water department refused to support the town's inspection; the town reported a
    serious finding to the district government."""
    order_id = str(uuid.uuid4())
    return [
        InspectionSupportRefused(
            inspection_id=order_id,
            order_number=None,
            request_id=str(uuid.uuid4()),
            department=WATER,
            initiating_org=TOWN,
            town=TOWN,
            request="请派员协助检查河道排污口",
            reason="本周人员已全部安排其他检查任务",
            requested_at=when - timedelta(days=1),
            refused_at=when,
            late=False,
        ),
        InspectionSeriousReported(
            inspection_id=order_id,
            order_number="涪综查〔2026〕7号",
            finding_id=str(uuid.uuid4()),
            initiating_org=TOWN,
            town=TOWN,
            scope="regional",
            description="辖区多家企业夜间偷排",
            report="关于辖区多家企业夜间偷排的报告",
            competent_authority=DEPT,
            authority_notified_at=when,
            found_at=when - timedelta(hours=3),
            reported_at=when + timedelta(hours=1),
            due_at=when + timedelta(days=1),
            late=False,
        ),
    ]


def guidance(held_on: date) -> GuidanceRecorded:
    return GuidanceRecorded(
        activity_id=str(uuid.uuid4()),
        department=WATER,
        kind="training",
        title="河道管理执法业务培训",
        held_on=held_on,
        towns=[TOWN, OTHER_TOWN],
        attendance=40,
        recorded_at=datetime.combine(held_on, datetime.min.time(), tzinfo=UTC),
    )


SOURCES = {
    "assistance": "assistance",
    "case": "referral",
    "inspection": "joint-inspection",
    "secondment": "secondment",
    "review": "legal-review",
}


async def tell(ledger: Ledger, *events: IntegrationEvent) -> list[str]:
    """Each event as its own service publishes it, keyed as it keys it."""
    ids = []
    for e in events:
        source = SOURCES[type(e).spec.topic.split(".")[0]]
        key = str(
            getattr(e, "request_id", None)
            if source == "assistance"
            else getattr(e, "referral_id", None)
            or getattr(e, "inspection_id", None)
            or getattr(e, "activity_id", None)
        )
        ids.append(await ledger.publish(e, source=source, key=key))
    return ids


async def facts(ledger: Ledger, org: str, period: str, *, as_org: str) -> list[dict[str, Any]]:
    r = await ledger.svc.client.get(
        f"/assessment/organisations/{org}", params={"period": period}, headers=ledger.h(as_org)
    )
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["facts"]
    return found


async def test_sup_02_refusals_and_flags_of_every_mechanism_are_counted_by_kind(
    ledger: Ledger,
) -> None:
    """Each refusal and flag under the organisation it concerns, with its counterparty, case,
    rule and UTC time; refusals and flags by kind; the records beside them."""
    when = at(7)
    events = [
        *assistance_facts(when),
        *onward_facts(when),
        *escalation_facts(when),
        *inspection_facts(when),
        guidance(when.date()),
        cooperation_not_given(when),
    ]
    await ledger.until_handled(*await tell(ledger, *events))

    water = await ledger.assessment(WATER, period="2026-07")
    assert water["refusals"] == 2, dump(water)  # ASSIST-03 and INSP-03
    assert water["refusals_owned_matter"] == 1
    assert water["refusals_by_kind"] == {
        "assistance.refused": 1,
        "inspection.support-refused": 1,
        "referral.cooperation-not-given": 0,
    }
    assert water["flags"] == 0
    assert water["records_by_kind"]["assistance.refusal-contested"] == 1
    assert water["records_by_kind"]["assistance.refusal-ruled:not-upheld"] == 1
    assert water["records_by_kind"]["assistance.refusal-ruled:upheld"] == 0
    assert water["records_by_kind"]["secondment.guidance-recorded"] == 1
    assert (water["due"], water["not_ruled"]) == (0, 2)  # records are not ruled on

    town = await ledger.assessment(TOWN, period="2026-07")
    assert town["flags_by_kind"] == {
        "assistance.obstruction-flagged": 0,
        "referral.onward-referral-suspected": 1,
        "referral.escalated": 0,
    }, dump(town)
    assert town["flags"] == 1
    assert town["records_by_kind"]["referral.onward-referral-decided:barred"] == 1
    assert town["records_by_kind"]["referral.onward-referral-decided:released"] == 0
    assert town["records_by_kind"]["inspection.serious-reported"] == 1
    assert town["refusals"] == 1  # REF-10: the cooperation it did not give
    assert town["refusals_by_kind"]["referral.cooperation-not-given"] == 1
    [not_given] = [
        f
        for f in await facts(ledger, TOWN, "2026-07", as_org=TOWN)
        if f["kind"] == "referral.cooperation-not-given"
    ]
    assert (not_given["rule"], not_given["counterparty"]) == ("REF-10", DEPT)

    dept = await ledger.assessment(DEPT, period="2026-07")
    assert dept["flags_by_kind"]["referral.escalated"] == 1, dump(dept)
    assert dept["records_by_kind"]["referral.assigned"] == 1

    # The facts behind the figures: organisation, counterparty, case, rule, time (UTC).
    rows = {f["kind"]: f for f in await facts(ledger, WATER, "2026-07", as_org=WATER)}
    assert set(rows) == {
        "assistance.refused",
        "assistance.refusal-contested",
        "assistance.refusal-ruled",
        "inspection.support-refused",
        "secondment.guidance-recorded",
    }
    refused = rows["assistance.refused"]
    assert (refused["source"], refused["rule"], refused["counterparty"]) == (
        "assistance",
        "ASSIST-03",
        TOWN,
    )
    assert refused["detail"]["owned_matter"] is True
    assert refused["subject"] == f"assistance:{events[0].request_id}"  # type: ignore[attr-defined]
    ruled = rows["assistance.refusal-ruled"]
    assert ruled["subject"] == refused["subject"]
    assert ruled["detail"]["outcome"] == "not-upheld"  # its ruling shown beside it
    support = rows["inspection.support-refused"]
    assert (support["rule"], support["counterparty"]) == ("INSP-03", TOWN)
    assert datetime.fromisoformat(support["occurred_at"]) == when
    assert rows["secondment.guidance-recorded"]["detail"]["towns"] == [TOWN, OTHER_TOWN]
    # A refusal is ruled on by the justice bureau (SUP-01); a record is not.
    bureau = ledger.h("justice-bureau")
    item = await ledger.svc.client.get(f"/items/{support['id']}", headers=bureau)
    assert item.json()["rulable"] is True
    record = await ledger.svc.client.get(f"/items/{ruled['id']}", headers=bureau)
    assert record.json()["rulable"] is False

    # Another unit sees none of it.
    hidden = await ledger.svc.client.get(
        f"/assessment/organisations/{WATER}", params={"period": "2026-07"}, headers=ledger.h(TOWN)
    )
    assert hidden.status_code == 404


async def test_sup_02_an_accountability_fact_told_twice_is_counted_once(ledger: Ledger) -> None:
    """A redelivered or re-published event (a new event id) adds nothing."""
    when = at(8)
    events = [*assistance_facts(when), *onward_facts(when), *inspection_facts(when)]
    first = await tell(ledger, *events)
    again = await tell(ledger, *events)  # re-published: new event ids, the same facts
    await ledger.until_handled(*first, *again)
    water = await ledger.assessment(WATER, period="2026-08")
    assert water["refusals_by_kind"] == {
        "assistance.refused": 1,
        "inspection.support-refused": 1,
        "referral.cooperation-not-given": 0,
    }, dump(water)
    assert water["records_by_kind"]["assistance.refusal-ruled:not-upheld"] == 1
    town = await ledger.assessment(TOWN, period="2026-08")
    assert town["flags"] == 1
    assert town["records_by_kind"]["referral.onward-referral-decided:barred"] == 1


async def test_sup_01_a_fact_from_a_service_that_does_not_own_it_is_refused(
    ledger: Ledger,
) -> None:
    """Only joint inspection reports a support refusal, only referral a held referral, only
    secondment guidance: the same facts from another service are dead-lettered."""
    when = at(9)
    support, _ = inspection_facts(when)
    suspected, _ = onward_facts(when)
    given = guidance(when.date())
    forged = [
        await ledger.publish(support, source="assistance", key="k"),
        await ledger.publish(suspected, source="joint-inspection", key="k"),
        await ledger.publish(given, source="referral", key="k"),
        await ledger.publish(support, source="workbench", key="k"),
        await ledger.publish(cooperation_not_given(when), source="assistance", key="k"),
    ]
    # Genuine facts after them on the same partitions: once they are in, the forged were seen.
    genuine = [
        await ledger.publish(support, source="joint-inspection", key="k"),
        await ledger.publish(suspected, source="referral", key="k"),
        await ledger.publish(given, source="secondment", key="k"),
        await ledger.publish(cooperation_not_given(when), source="referral", key="k"),
    ]
    await ledger.until_handled(*genuine)
    for event_id in forged:
        assert not await ledger.handled(event_id)
    water = await ledger.assessment(WATER, period="2026-09")
    assert water["refusals_by_kind"]["inspection.support-refused"] == 1, dump(water)
    assert water["records_by_kind"]["secondment.guidance-recorded"] == 1
    town = await ledger.assessment(TOWN, period="2026-09")
    assert (town["flags"], town["refusals"]) == (1, 1), dump(town)  # the genuine ones only


async def test_sup_02_the_xlsx_counts_refusals_flags_and_records_by_kind(ledger: Ledger) -> None:
    when = at(10)
    events = [*assistance_facts(when), *onward_facts(when, decision="released")]
    events += [*inspection_facts(when), guidance(when.date())]
    await ledger.until_handled(*await tell(ledger, *events))
    r = await ledger.svc.client.get(
        "/assessment.xlsx", params={"period": "2026-10"}, headers=ledger.h("justice-bureau")
    )
    assert r.status_code == 200, r.text
    book = load_workbook(io.BytesIO(r.content))

    def rows_of(sheet: str, org: str) -> list[list[Any]]:
        """The organisation's rows of a sheet, without its name and kind."""
        rows = ([c.value for c in row] for row in book[sheet].iter_rows())
        return [[r[0], *r[3:5]] for r in rows if r[0] == org]

    assistance = rows_of("执法协助", WATER)
    assert [WATER, "拒绝协助（ASSIST-03）", 1] in assistance
    assert [WATER, "拒绝协助经司法局认定不成立", 1] in assistance
    assert [WATER, "拒绝配合检查（INSP-03）", 1] in rows_of("联合检查", WATER)
    assert rows_of("案件移送", TOWN) == [
        [TOWN, "涉嫌再行移送、报区政府决定（REF-08）", 1],
        [TOWN, "区政府决定：非再行移送，放行", 1],
    ]
    assert [WATER, "业务指导（SEC-05）", 1] in rows_of("人员借调", WATER)
    summary = [[c.value for c in row] for row in book["汇总"].iter_rows()]
    header = next(r for r in summary if r[0] == "单位代码")
    water = next(r for r in summary if r[0] == WATER)
    assert water[header.index("拒绝（协助、检查支持、移送配合）")] == 2
    assert water[header.index("其中：拒绝本部门职责事项协助")] == 1


async def test_sup_02_a_conclusion_period_suspended_resumed_or_extended_is_recorded_ref_09(
    ledger: Ledger,
) -> None:
    """REF-09: each change the handling party makes to a referred case's conclusion period is
    one record under it, counted by what it did, only from referral and once however often it
    is told; the sender's row holds none of them."""
    when = at(11)
    referral_id = uuid.uuid4()

    def change(kind: str, n: int, suspensions: int, extensions: int) -> CaseConclusionPeriodChanged:
        return CaseConclusionPeriodChanged(
            referral_id=referral_id,
            handler=DEPT,
            sender=TOWN,
            case_number="涪环罚立〔2026〕15号",
            change=PeriodChange(kind),
            reason="案件需等待司法鉴定结论，暂无法继续调查",
            law=None if kind == "resumed" else "《生态环境行政处罚办法》",
            article=None if kind == "resumed" else "第五十八条",
            days=10,
            changed_at=when + timedelta(days=n),
            changed_by=f"{DEPT}/handler",
            due_before=when + timedelta(days=30),
            due_at=when + timedelta(days=40),
            suspensions=suspensions,
            extensions=extensions,
        )

    events = [change("suspended", 0, 1, 0), change("resumed", 5, 1, 0), change("extended", 8, 1, 1)]
    forged = await ledger.publish(events[0], source="assistance", key=str(referral_id))
    told = await tell(ledger, *events)
    again = await tell(ledger, *events)
    await ledger.until_handled(*told, *again)
    assert not await ledger.handled(forged)
    dept = await ledger.assessment(DEPT, period="2026-11")
    records = dept["records_by_kind"]
    for kind in ("suspended", "resumed", "extended"):
        assert records[f"referral.conclusion-period-changed:{kind}"] == 1, dump(dept)
    town = await ledger.assessment(TOWN, period="2026-11")
    assert not any(
        k.startswith("referral.conclusion-period") and v
        for k, v in town.get("records_by_kind", {}).items()
    )


def review_request_withdrawn(when: datetime, town: str = TOWN) -> ReviewRequestWithdrawn:
    return ReviewRequestWithdrawn(
        request_id=uuid.uuid4(),
        finding_id=str(uuid.uuid4()),
        inspection_id=str(uuid.uuid4()),
        town=town,
        reason="经复核违法事实不成立，不予处罚",
        withdrawn_by="li.leader",
        withdrawn_at=when,
    )


async def test_sup_02_a_towns_withdrawn_review_requests_are_recorded_under_it(
    ledger: Ledger,
) -> None:
    """INSP-08/REV-01: each review request a town withdrew (no penalty decision pursued after
    a joint inspection's finding), with its reason, is a record under the town, counted by
    kind, so that a town withdrawing every request is visible to the justice bureau; told
    twice it is counted once; only legal review tells it; it is a record, not ruled on;
    another unit does not see it."""
    when = at(12)
    withdrawals = [review_request_withdrawn(when), review_request_withdrawn(when)]
    other = review_request_withdrawn(when, town=OTHER_TOWN)
    # claimed by joint inspection (not the owner): dead-lettered, nothing recorded
    forged = review_request_withdrawn(when)
    forged_id = await ledger.publish(forged, source="joint-inspection", key="k")
    first = await tell(ledger, *withdrawals, other)
    again = await tell(ledger, withdrawals[0])  # re-published: a new event id, the same fact
    genuine_after = await ledger.publish(other, source="legal-review", key="k")
    await ledger.until_handled(*first, *again, genuine_after)
    assert not await ledger.handled(forged_id)
    town = await ledger.assessment(TOWN, period="2026-12")
    assert town["records_by_kind"]["review.request-withdrawn"] == 2, dump(town)
    assert (town["refusals"], town["flags"]) == (0, 0)
    rows = [
        f
        for f in await facts(ledger, TOWN, "2026-12", as_org="justice-bureau")
        if f["kind"] == "review.request-withdrawn"
    ]
    assert len(rows) == 2
    row = next(f for f in rows if f["subject"] == f"review-request:{withdrawals[0].request_id}")
    assert (row["source"], row["rule"]) == ("legal-review", "REV-01")
    assert row["detail"]["reason"] == "经复核违法事实不成立，不予处罚"
    assert row["detail"]["finding_id"] == withdrawals[0].finding_id
    assert datetime.fromisoformat(row["occurred_at"]) == when
    bureau = ledger.h("justice-bureau")
    item = await ledger.svc.client.get(f"/items/{row['id']}", headers=bureau)
    assert item.json()["rulable"] is False
    baitao = await ledger.assessment(OTHER_TOWN, period="2026-12")
    assert baitao["records_by_kind"]["review.request-withdrawn"] == 1
    hidden = await ledger.svc.client.get(
        f"/assessment/organisations/{TOWN}",
        params={"period": "2026-12"},
        headers=ledger.h(OTHER_TOWN),
    )
    assert hidden.status_code == 404
