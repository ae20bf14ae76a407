"""Two services, two databases, one Kafka: REV-07 opinion (4) becomes a referral draft (REF-01)
without anybody retyping the case."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from legal_review.main import SPEC as REVIEW
from referral.main import SPEC as REFERRAL
from xietong_common.events.registry import registry
from xietong_devtools.files_corpus import pdf_bytes
from xietong_devtools.testing import Servers, create_database, running_service, start_group_at_end

pytestmark = pytest.mark.integration

POINTS = [
    "lawful-body",
    "jurisdiction",
    "facts-and-evidence",
    "law-applied",
    "discretion",
    "within-powers",
    "procedure",
    "documents",
    "no-crime",
]


async def test_rev_07_opinion_4_from_legal_review_drafts_the_referral_in_the_referral_service(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    referral_group = f"referral-x-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(
        kafka_bootstrap, referral_group, (registry.spec_for(m).topic for m in REFERRAL.handlers)
    )
    review_db = await create_database(servers, "x_review")
    referral_db = await create_database(servers, "x_referral")
    async with (
        running_service(
            REVIEW,
            database_url=review_db,
            kafka_bootstrap=kafka_bootstrap,
            blob_dir=tmp_path / "r",
            run_jobs=False,
            run_consumer=False,  # it only produces here: no group to share
        ) as review,
        running_service(
            REFERRAL,
            database_url=referral_db,
            kafka_bootstrap=kafka_bootstrap,
            blob_dir=tmp_path / "f",
            run_jobs=False,
            service_name=referral_group,
        ) as referral,
    ):
        handler = review.auth("town:lizhi", "handler", user="li")
        reviewer = review.auth("town:lizhi", "reviewer", user="wang")
        submitted = await review.client.post(
            "/reviews",
            headers=handler,
            json={
                "matter_code": "ENV-001",
                "place_town": "town:lizhi",
                "found_at": "2024-03-04T09:00:00+08:00",
                "facts": "企业向长江支流直排未经处理的废水",
                "party": {"name": "某化工公司", "kind": "legal-person"},
                "decision": {"fine": "80000"},
                "proposal": "拟罚款80000元",
            },
        )
        assert submitted.status_code == 201, submitted.text
        rid = submitted.json()["id"]
        for kind in ("investigation-report", "proposed-decision", "evidence"):  # REV-04
            uploaded = await review.client.post(
                f"/reviews/{rid}/materials",
                data={"kind": kind},
                files={"file": (f"{kind}.pdf", pdf_bytes(kind), "application/pdf")},
                headers=handler,
            )
            assert uploaded.status_code == 201, uploaded.text
        taken = await review.client.post(f"/reviews/{rid}/take", headers=reviewer)
        assert taken.status_code == 200, taken.text
        for point in POINTS:
            await review.client.put(
                f"/reviews/{rid}/points/{point}",
                json={"passed": point != "jurisdiction", "note": "水污染物排放不属乡镇赋权事项"},
                headers=reviewer,
            )
        opinion = await review.client.post(
            f"/reviews/{rid}/opinion",
            headers=reviewer,
            json={
                "opinion": "transfer-to-competent-agency",
                "reasons": "不属于本机关执法权限",
                "transfer_to": "dept:ecology-environment",
            },
        )
        assert opinion.status_code == 200, opinion.text

        town = referral.auth("town:lizhi", "handler", user="li")
        draft = None
        for _ in range(150):
            page = (
                await referral.client.get(
                    "/referrals/outbox", headers=town, params={"page_size": 100}
                )
            ).json()
            for item in page["items"]:
                detail = (
                    await referral.client.get(f"/referrals/{item['id']}", headers=town)
                ).json()
                if detail.get("source_id") == f"{rid}:1":
                    draft = detail
            if draft:
                break
            await asyncio.sleep(0.2)
        assert draft is not None, "the referral service drafted nothing from the opinion"
        assert draft["state"]["value"] == "draft"
        assert draft["receiver"] == "dept:ecology-environment"
        assert draft["matter_code"] == "ENV-001"
        assert draft["facts"] == "企业向长江支流直排未经处理的废水"


async def test_insp_08_a_violation_outside_jurisdiction_reaches_the_referral_service_as_a_draft(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """INSP-08 → REF-01: joint inspection finds an ecology-bureau violation in 荔枝街道 with
    no ecology officer taking part; `inspection.finding` drafts the town's referral."""
    from joint_inspection.main import SPEC as INSPECTION
    from xietong_common.parties import uscc_check_character

    referral_group = f"referral-x-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(
        kafka_bootstrap, referral_group, (registry.spec_for(m).topic for m in REFERRAL.handlers)
    )
    inspection_db = await create_database(servers, "x_inspection")
    referral_db = await create_database(servers, "x_referral")
    async with (
        running_service(
            INSPECTION,
            database_url=inspection_db,
            kafka_bootstrap=kafka_bootstrap,
            blob_dir=tmp_path / "i",
            run_jobs=False,
            service_name=f"joint-inspection-x-{uuid.uuid4().hex[:8]}",
        ) as inspection,
        running_service(
            REFERRAL,
            database_url=referral_db,
            kafka_bootstrap=kafka_bootstrap,
            blob_dir=tmp_path / "f",
            run_jobs=False,
            service_name=referral_group,
        ) as referral,
    ):
        town = inspection.auth("town:lizhi", "handler", "leader", user="li")
        body = f"91500102MA{uuid.uuid4().int % 10**7:07d}"
        target = await inspection.client.post(
            "/targets",
            headers=town,
            json={
                "name": "某化工公司",
                "party_kind": "legal-person",
                "id_number": body + uscc_check_character(body),
                "industry": "化工",
                "supervision_level": "c",
                "town": "town:lizhi",
            },
        )
        assert target.status_code == 201, target.text
        tid = target.json()["id"]
        order = await inspection.client.post(
            "/orders",
            headers=town,
            json={
                "title": "沿江企业联合检查",
                "method": "on-site",
                "matter_codes": ["ENV-001", "WAT-001"],
                "planned_start": "2024-03-04T09:00:00+08:00",
                "planned_end": "2024-03-04T18:00:00+08:00",
                "target_ids": [tid],
            },
        )
        assert order.status_code == 201, order.text
        oid = order.json()["id"]
        inspectors = []
        for n in range(2):
            r = await inspection.client.post(
                f"/orders/{oid}/inspectors",
                headers=town,
                json={"kind": "brigade", "officer_id": f"lz-{n}", "name": f"队员{n}"},
            )
            inspectors.append(r.json()["id"])
        await inspection.client.put(
            f"/orders/{oid}/notice-policy",
            headers=town,
            json={
                "policy": "law-forbids",
                "reason": "涉嫌违法排污线索，依法不予公开",
                "legal_basis": "《中华人民共和国保守国家秘密法》",
            },
        )
        issued = await inspection.client.post(f"/orders/{oid}/issue", headers=town)
        assert issued.status_code == 200, issued.text
        now = issued.json()["issued_at"]
        await inspection.client.post(
            f"/orders/{oid}/targets/{tid}/on-site",
            headers=town,
            json={"inspected_at": now, "inspector_ids": inspectors, "record": "排污口有污水排出"},
        )
        outcome = await inspection.client.post(
            f"/orders/{oid}/targets/{tid}/outcome",
            headers=town,
            json={
                "outcome": "violation",
                "description": "企业向长江支流直排废水",
                "matter_code": "ENV-001",
            },
        )
        assert outcome.status_code == 200, outcome.text
        assert outcome.json()["within_jurisdiction"] is False
        finding = outcome.json()["finding_id"]

        sender = referral.auth("town:lizhi", "handler", user="li")
        draft = None
        for _ in range(150):
            page = (
                await referral.client.get(
                    "/referrals/outbox", headers=sender, params={"page_size": 100}
                )
            ).json()
            for item in page["items"]:
                detail = (
                    await referral.client.get(f"/referrals/{item['id']}", headers=sender)
                ).json()
                if detail.get("source_id") == finding:
                    draft = detail
            if draft:
                break
            await asyncio.sleep(0.2)
        assert draft is not None, "the referral service drafted nothing from the finding"
        assert draft["state"]["value"] == "draft"
        assert draft["source_kind"] == "inspection-finding"
        assert draft["receiver"] == "dept:ecology-environment"
        assert draft["matter_code"] == "ENV-001"
        assert draft["facts"] == "企业向长江支流直排废水"
        assert draft["party"]["name"] == "某化工公司"


async def test_sec_04_a_roster_imported_in_secondment_is_what_joint_inspection_checks(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """The roster travels as `secondment.roster-changed` (compacted, the whole team) into the
    joint inspection service's projection, whose SEC-04 answer is the secondment service's."""
    from joint_inspection.main import SPEC as INSPECTION
    from secondment.main import SPEC as SECONDMENT
    from xietong_common.mechanisms.roster import eligibility

    group = f"inspection-x-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(
        kafka_bootstrap, group, (registry.spec_for(m).topic for m in INSPECTION.handlers)
    )
    async with (
        running_service(
            SECONDMENT,
            database_url=await create_database(servers, "x_secondment"),
            kafka_bootstrap=kafka_bootstrap,
            blob_dir=tmp_path / "s",
            run_jobs=False,
        ) as secondment,
        running_service(
            INSPECTION,
            database_url=await create_database(servers, "x_inspection"),
            kafka_bootstrap=kafka_bootstrap,
            blob_dir=tmp_path / "i",
            run_jobs=False,
            service_name=group,
            inspection_identity_key="x" * 32,
        ) as inspection,
    ):
        water = secondment.auth("dept:water", "admin", user="water/admin")
        name = f"区水利局联调片区指导队{uuid.uuid4().hex[:4]}"
        team = await secondment.client.post(
            "/teams",
            json={
                "name": name,
                "towns": ["town:lizhi", "town:jiangbei"],
                "valid_from": "2024-01-05",
            },
            headers=water,
        )
        assert team.status_code == 201, team.text
        certificate = f"X{uuid.uuid4().hex[:10].upper()}"
        sheet = f"姓名,执法证号,执法证有效期,所属队伍,服务乡镇\n陈一,{certificate},2030-12-31,{name},荔枝街道\n"
        imported = await secondment.client.post(
            "/rosters/imports",
            files={"file": ("roster.csv", sheet.encode(), "text/csv")},
            headers=water,
        )
        assert imported.status_code == 201, imported.text
        officers = await secondment.client.get(
            "/officers", params={"department": "dept:water"}, headers=water
        )
        (officer,) = [o for o in officers.json()["items"] if o["certificate_number"] == certificate]
        cases = [("WAT-001", "town:lizhi"), ("WAT-001", "town:jiangbei"), ("URB-001", "town:lizhi")]
        said = {}
        for matter, town in cases:
            r = await secondment.client.get(
                "/eligibility",
                params={"officer": officer["officer_id"], "matter": matter, "town": town},
                headers=water,
            )
            assert r.status_code == 200, r.text
            said[(matter, town)] = r.json()["eligible"]
        assert said == {
            ("WAT-001", "town:lizhi"): True,
            ("WAT-001", "town:jiangbei"): False,  # his team serves it, he does not
            ("URB-001", "town:lizhi"): False,  # not his department's matter
        }
        for _ in range(100):  # the event crosses Kafka into the projection
            async with inspection.ctx.db.session() as session:
                seen = {
                    case: (
                        await eligibility(
                            session,
                            catalogue=inspection.ctx.catalogue,
                            officer_id=officer["officer_id"],
                            matter_code=case[0],
                            town=case[1],
                            at=inspection.ctx.clock.now(),
                        )
                    ).eligible
                    for case in cases
                }
            if seen == said:
                break
            await asyncio.sleep(0.2)
        assert seen == said


async def test_sup_02_a_referral_left_unanswered_is_the_departments_breach_in_oversight(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """The referral service's own deadline facts reach the oversight ledger: REF-03 met on
    time by the town, REF-06 met by the department, REF-07 left unanswered past its five
    working days and swept as a breach — then answered late, still one breach — and REF-09
    (filing the accepted case) open, each once,
    under the organisation that owed it, in the period it fell due."""
    from datetime import UTC, datetime, timedelta

    from oversight.main import SPEC as OVERSIGHT

    from xietong_common.clock import FakeClock
    from xietong_common.jobs import run_job_once

    town, dept = "town:lizhi", "dept:ecology-environment"
    oversight_group = f"oversight-x-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(
        kafka_bootstrap, oversight_group, (registry.spec_for(m).topic for m in OVERSIGHT.handlers)
    )
    clock = FakeClock(datetime(2024, 3, 4, 2, 0, tzinfo=UTC))  # Mon 2024-03-04 10:00 CST
    async with (
        running_service(
            REFERRAL,
            database_url=await create_database(servers, "x_referral_sup"),
            kafka_bootstrap=kafka_bootstrap,
            blob_dir=tmp_path / "f",
            run_jobs=False,
            run_consumer=False,  # it only produces here: no group to share
            clock=clock,
        ) as referral,
        running_service(
            OVERSIGHT,
            database_url=await create_database(servers, "x_oversight"),
            kafka_bootstrap=kafka_bootstrap,
            run_jobs=False,
            service_name=oversight_group,
        ) as oversight,
    ):
        sender = referral.auth(town, "handler", user="town-handler")
        drafted = await referral.client.post(
            "/referrals",
            headers=sender,
            json={
                "matter_code": "ENV-001",
                "place_town": town,
                "found_at": clock.now().isoformat(),
                "facts": "巡查发现企业向河道直排污水",
                "party": {"name": "某某化工有限公司", "kind": "legal-person"},
            },
        )
        assert drafted.status_code == 201, drafted.text
        rid = drafted.json()["id"]
        for kind in ("letter", "item-list"):
            uploaded = await referral.client.post(
                f"/referrals/{rid}/materials",
                data={"kind": kind},
                files={"file": (f"{kind}.pdf", pdf_bytes(kind), "application/pdf")},
                headers=sender,
            )
            assert uploaded.status_code == 201, uploaded.text
        sent = await referral.client.post(f"/referrals/{rid}/send", headers=sender)
        assert sent.status_code == 200, sent.text
        assert sent.json()["receiver"] == dept
        received = await referral.client.post(
            f"/referrals/{rid}/receive",
            json={"signer_name": "王芳"},
            headers=referral.auth(dept, "clerk", user="dept-clerk"),
        )
        assert received.status_code == 200, received.text
        clock.advance(timedelta(days=10))  # past REF-07's five working days, unanswered
        (job,) = [j for j in REFERRAL.jobs if j.name == "deadline-sweep"]
        assert await run_job_once(referral.ctx.db, "deadline-sweep", job.job(referral.ctx))
        answered = await referral.client.post(
            f"/referrals/{rid}/answer",
            json={"decision": "accept", "reasons": "属本局管辖，决定受理"},
            headers=referral.auth(dept, "handler", user="dept-handler"),
        )
        assert answered.status_code == 200, answered.text
        await referral.outbox_drained(timeout_s=120)

        overseer = oversight.auth("justice-bureau", "handler", user="bureau")

        async def rows() -> dict[str, dict[str, object]]:
            r = await oversight.client.get(
                "/assessment", params={"period": "2024-03"}, headers=overseer
            )
            assert r.status_code == 200, r.text
            return {row["organisation"]: row for row in r.json()["items"]}

        loop = asyncio.get_running_loop()
        until = loop.time() + 120
        # Each deadline's facts are keyed by the deadline, so they reach oversight over
        # different partitions in any order: wait for all of them, not for the last one sent.
        while not (
            (found := await rows()).get(dept, {}).get("met_late") == 1
            and found[dept]["due"] == 3
            and found.get(town, {}).get("met_on_time") == 1
        ):
            assert loop.time() < until, f"oversight never saw every fact: {found}"
            await asyncio.sleep(0.2)
        by_rule = {r["rule"]: r for r in found[dept]["by_rule"]}  # type: ignore[attr-defined]
        assert (by_rule["REF-07"]["due"], by_rule["REF-07"]["breached"]) == (1, 1)
        assert by_rule["REF-07"]["met_late"] == 1
        assert (by_rule["REF-06"]["due"], by_rule["REF-06"]["met_on_time"]) == (1, 1)
        assert (by_rule["REF-09"]["due"], by_rule["REF-09"]["open"]) == (1, 1)  # file, now
        assert (found[dept]["due"], found[dept]["breached"]) == (3, 1)
        assert (found[town]["due"], found[town]["met_on_time"]) == (1, 1)  # REF-03
        # The department sees its own row only; the town is 404 to it.
        own = await oversight.client.get(
            "/breaches", params={"period": "2024-03"}, headers=oversight.auth(dept, "handler")
        )
        assert [b["rule"] for b in own.json()["items"]] == ["REF-07"]
        assert own.json()["items"][0]["counterparty"] == town
        hidden = await oversight.client.get(
            f"/assessment/organisations/{town}",
            params={"period": "2024-03"},
            headers=oversight.auth(dept, "handler"),
        )
        assert hidden.status_code == 404


async def test_sup_02_an_onward_referral_hold_is_counted_against_the_sender(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """REF-08 through the referral service's REST API and Kafka into the oversight ledger: a
    department that received a case sends a resembling referral with a reason; it is held for
    the district government, which bars it. Oversight counts the hold once as a flag against
    the department that sent it (not the town it was addressed to) and shows the decision."""
    from datetime import UTC, datetime

    from oversight.main import SPEC as OVERSIGHT

    from xietong_common.clock import FakeClock
    from xietong_common.reference import DISTRICT_GOV
    from xietong_devtools.testing import sample_codes

    oversight_group = f"oversight-x-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(
        kafka_bootstrap, oversight_group, (registry.spec_for(m).topic for m in OVERSIGHT.handlers)
    )
    clock = FakeClock(datetime(2024, 5, 6, 2, 0, tzinfo=UTC))  # Mon 2024-05-06 10:00 CST
    party = {"name": "某某化工有限公司", "kind": "legal-person", "id_number": "91500102MA5U7YBX2G"}
    async with (
        running_service(
            REFERRAL,
            database_url=await create_database(servers, "x_referral_onward"),
            kafka_bootstrap=kafka_bootstrap,
            blob_dir=tmp_path / "f",
            run_jobs=False,
            run_consumer=False,  # it only produces here: no group to share
            clock=clock,
        ) as referral,
        running_service(
            OVERSIGHT,
            database_url=await create_database(servers, "x_oversight_onward"),
            kafka_bootstrap=kafka_bootstrap,
            run_jobs=False,
            service_name=oversight_group,
        ) as oversight,
    ):
        codes = sample_codes(referral.ctx)
        town, dept = codes["town_a"], codes["dept"]

        def h(org: str, role: str = "handler") -> dict[str, str]:
            return referral.auth(org, role, user=f"{org}/{role}")

        async def send(org: str, body: dict[str, object]) -> dict[str, object]:
            drafted = await referral.client.post("/referrals", headers=h(org), json=body)
            assert drafted.status_code == 201, drafted.text
            rid = drafted.json()["id"]
            for kind in ("letter", "item-list"):
                uploaded = await referral.client.post(
                    f"/referrals/{rid}/materials",
                    data={"kind": kind},
                    files={"file": (f"{kind}.pdf", pdf_bytes(kind), "application/pdf")},
                    headers=h(org),
                )
                assert uploaded.status_code == 201, uploaded.text
            sent = await referral.client.post(f"/referrals/{rid}/send", headers=h(org))
            assert sent.status_code == 200, sent.text
            return dict(sent.json())

        # The town refers a case to the department, which signs for it and keeps it open.
        first = await send(
            town,
            {
                "matter_code": codes["dept_matter"],
                "place_town": town,
                "found_at": clock.now().isoformat(),
                "facts": "巡查发现某某化工有限公司通过暗管向麻溪河直排生产废水",
                "party": party,
            },
        )
        assert first["receiver"] == dept
        received = await referral.client.post(
            f"/referrals/{first['id']}/receive",
            json={"signer_name": "王芳"},
            headers=h(dept, "clerk"),
        )
        assert received.status_code == 200, received.text
        # The department sends a referral about the same party, with its reason: held.
        held = await send(
            dept,
            {
                "matter_code": codes["town_matter"],
                "place_town": codes["town_b"],
                "found_at": clock.now().isoformat(),
                "facts": "另案：该公司另一处厂区油烟污染",
                "party": party,
                "distinct_case_reason": "该公司另一处厂区的油烟污染，与已受理的废水案件系不同违法行为",
            },
        )
        assert held["state"]["value"] == "held"  # type: ignore[index]
        barred = await referral.client.post(
            f"/referrals/{held['id']}/onward-decision",
            json={
                "decision": "bar",
                "reason": "经核查系同一违法行为，不得再行移送，由原受移送单位依法处理",
            },
            headers=h(DISTRICT_GOV),
        )
        assert barred.status_code == 200, barred.text
        await referral.outbox_drained(timeout_s=120)

        overseer = oversight.auth("justice-bureau", "handler", user="bureau")

        async def rows() -> dict[str, dict[str, object]]:
            r = await oversight.client.get(
                "/assessment", params={"period": "2024-05"}, headers=overseer
            )
            assert r.status_code == 200, r.text
            return {row["organisation"]: row for row in r.json()["items"]}

        loop = asyncio.get_running_loop()
        until = loop.time() + 120
        while not (
            (found := await rows()).get(dept, {}).get("flags") == 1
            and found[dept]["records_by_kind"].get(  # type: ignore[attr-defined]
                "referral.onward-referral-decided:barred"
            )
            == 1
        ):
            assert loop.time() < until, f"oversight never saw the hold and its decision: {found}"
            await asyncio.sleep(0.2)
        flags = found[dept]["flags_by_kind"]
        assert flags["referral.onward-referral-suspected"] == 1  # type: ignore[index]
        assert found.get(town, {}).get("flags", 0) == 0
        assert found.get(codes["town_b"], {}).get("flags", 0) == 0
        facts = await oversight.client.get(
            f"/assessment/organisations/{dept}",
            params={"period": "2024-05"},
            headers=oversight.auth(dept, "handler"),
        )
        by_kind = {f["kind"]: f for f in facts.json()["facts"]}
        suspected = by_kind["referral.onward-referral-suspected"]
        assert (suspected["source"], suspected["rule"]) == ("referral", "REF-08")
        assert suspected["subject"] == f"referral:{held['id']}"
        assert suspected["detail"]["resembles"] == [first["id"]]
        decided = by_kind["referral.onward-referral-decided"]
        assert decided["detail"]["outcome"] == "barred"
        assert decided["detail"]["decided_by"] == f"{DISTRICT_GOV}/handler"


async def test_sup_02_four_mechanisms_facts_reach_the_town_and_the_department_once_each(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Issue 19's "done when", through each producer's REST API and real Kafka: a referral left
    unanswered past REF-07, an assistance refusal, a shared item left unread past INFO-03's
    setting and an inspection consultation (INSP-04) the town let lapse all appear once each,
    under the town or the department that owed them, in the period they fell due, with the
    denominators the deadlines give (what was met counted beside what was missed)."""
    from datetime import UTC, datetime, timedelta

    from oversight.main import SPEC as OVERSIGHT

    from assistance.main import SPEC as ASSISTANCE
    from info_sharing.main import SPEC as INFO
    from info_sharing.main import UNREAD_REPORT
    from joint_inspection.main import SPEC as INSPECTION
    from xietong_common.clock import FakeClock
    from xietong_common.jobs import run_job_once
    from xietong_common.parties import uscc_check_character

    town, dept, fire = "town:lizhi", "dept:ecology-environment", "dept:fire-rescue"
    groups = {}
    for spec in (REFERRAL, ASSISTANCE, INFO, INSPECTION, OVERSIGHT):
        groups[spec.name] = f"{spec.name}-x-{uuid.uuid4().hex[:8]}"
        await start_group_at_end(
            kafka_bootstrap, groups[spec.name], (registry.spec_for(m).topic for m in spec.handlers)
        )
    clock = FakeClock(datetime(2024, 3, 4, 2, 0, tzinfo=UTC))  # Mon 2024-03-04 10:00 CST

    def service(spec: Any, database: str) -> Any:
        return running_service(
            spec,
            database_url=database,
            kafka_bootstrap=kafka_bootstrap,
            blob_dir=tmp_path / spec.name,
            run_jobs=False,
            clock=clock,
            service_name=groups[spec.name],
        )

    async with (
        service(REFERRAL, await create_database(servers, "x4_referral")) as referral,
        service(ASSISTANCE, await create_database(servers, "x4_assistance")) as assistance,
        service(INFO, await create_database(servers, "x4_info", migrated_for=INFO)) as info,
        service(
            INSPECTION, await create_database(servers, "x4_inspection", migrated_for=INSPECTION)
        ) as inspection,
        running_service(
            OVERSIGHT,
            database_url=await create_database(servers, "x4_oversight"),
            kafka_bootstrap=kafka_bootstrap,
            run_jobs=False,
            service_name=groups["oversight"],
        ) as oversight,
    ):

        def h(svc: Any, org: str, *roles: str) -> dict[str, str]:
            return dict(svc.auth(org, *(roles or ("handler",)), user=f"{org}/officer"))

        # REF-03 met by the town, REF-06 met by the department, REF-07 left unanswered.
        drafted = await referral.client.post(
            "/referrals",
            headers=h(referral, town),
            json={
                "matter_code": "ENV-001",
                "place_town": town,
                "found_at": clock.now().isoformat(),
                "facts": "巡查发现企业向河道直排污水",
                "party": {"name": "某某化工有限公司", "kind": "legal-person"},
            },
        )
        assert drafted.status_code == 201, drafted.text
        rid = drafted.json()["id"]
        for kind in ("letter", "item-list"):
            uploaded = await referral.client.post(
                f"/referrals/{rid}/materials",
                data={"kind": kind},
                files={"file": (f"{kind}.pdf", pdf_bytes(kind), "application/pdf")},
                headers=h(referral, town),
            )
            assert uploaded.status_code == 201, uploaded.text
        sent = await referral.client.post(f"/referrals/{rid}/send", headers=h(referral, town))
        assert sent.status_code == 200, sent.text
        assert sent.json()["receiver"] == dept
        received = await referral.client.post(
            f"/referrals/{rid}/receive",
            json={"signer_name": "王芳"},
            headers=h(referral, dept, "clerk"),
        )
        assert received.status_code == 200, received.text

        # ASSIST-04 met by the department, by refusing (ASSIST-03) a matter it owns.
        matter = next(m for m in assistance.ctx.catalogue.all() if m.town_level and m.owner == dept)
        asked = await assistance.client.post(
            "/assistance-requests",
            headers=h(assistance, town),
            json={
                "matter_code": matter.code,
                "ground": "technical-support",
                "needed": "请协助对焚烧残留物取样检测，出具检测报告",
            },
        )
        assert asked.status_code == 201, asked.text
        aid = asked.json()["id"]
        submitted = await assistance.client.post(
            f"/assistance-requests/{aid}/submit", json={}, headers=h(assistance, town)
        )
        assert submitted.status_code == 200, submitted.text
        refused = await assistance.client.post(
            f"/assistance-requests/{aid}/refuse",
            headers=h(assistance, dept),
            json={
                "ground": "forbidden-by-law",
                "law": "《中华人民共和国保守国家秘密法》",
                "article": "第二十八条",
                "reason": "所需监测数据已定密为秘密级，依法不得提供",
            },
        )
        assert refused.status_code == 200, refused.text

        # INFO-03: the department shares an item the town subscribed to; the town never reads it.
        subscribed = await info.client.post(
            "/subscriptions", json={}, headers=h(info, town, "clerk")
        )
        assert subscribed.status_code == 201, subscribed.text
        shared = await info.client.post(
            "/items",
            headers=h(info, dept, "clerk"),
            json={
                "category": "other",
                "title": "关于开展夏季夜市占道经营联合整治的情况通报",
                "body": "近期荔枝街道夜市存在占道经营现象，现将联合整治情况通报如下。",
                "publish": True,
            },
        )
        assert shared.status_code == 201, shared.text

        # INSP-04: a department proposes an inspection; the town never answers.
        body = "91500102MA" + f"{uuid.uuid4().int % 10**7:07d}"
        target = await inspection.client.post(
            "/targets",
            headers=h(inspection, town, "handler", "leader"),
            json={
                "name": "涪陵区测试餐饮店",
                "party_kind": "legal-person",
                "id_number": body + uscc_check_character(body),
                "industry": "餐饮",
                "supervision_level": "b",
                "town": town,
                "supervised_since": "2020-01-01",
            },
        )
        assert target.status_code == 201, target.text
        start = clock.now() + timedelta(days=3)
        proposed = await inspection.client.post(
            "/orders",
            headers=h(inspection, fire, "handler", "leader"),
            json={
                "title": "消防联合检查",
                "method": "on-site",
                "matter_codes": ["FIR-001"],
                "planned_start": start.isoformat(),
                "planned_end": (start + timedelta(days=1)).isoformat(),
                "target_ids": [target.json()["id"]],
                "town": town,
                "proposal": "拟请街道大队负责占道经营检查",
            },
        )
        assert proposed.status_code == 201, proposed.text
        assert proposed.json()["deadlines"][0]["rule"] == "INSP-04"

        # Ten days on: each service's sweep records what lapsed.
        clock.advance(timedelta(days=10))  # Thu 2024-03-14
        for svc, spec in ((referral, REFERRAL), (assistance, ASSISTANCE), (inspection, INSPECTION)):
            (job,) = [j for j in spec.jobs if j.name == "deadline-sweep"]
            await run_job_once(svc.ctx.db, "deadline-sweep", job.job(svc.ctx))
        assert await run_job_once(info.ctx.db, UNREAD_REPORT.name, UNREAD_REPORT.job(info.ctx))
        for svc in (referral, assistance, info, inspection):
            await svc.outbox_drained(timeout_s=120)

        overseer = h(oversight, "justice-bureau")

        async def rows(period: str) -> dict[str, dict[str, Any]]:
            r = await oversight.client.get(
                "/assessment", params={"period": period}, headers=overseer
            )
            assert r.status_code == 200, r.text
            return {row["organisation"]: row for row in r.json()["items"]}

        loop = asyncio.get_running_loop()
        until = loop.time() + 120
        while not (
            (found := await rows("2024-03")).get(dept, {}).get("breached") == 1
            and found[dept]["due"] == 3
            and found[dept]["refusals"] == 1
            and found.get(town, {}).get("breached") == 1
            and found[town]["due"] == 2
            and found[town]["unread_overdue"] == 1
        ):
            assert loop.time() < until, f"oversight never saw every fact: {found}"
            await asyncio.sleep(0.2)
        await asyncio.sleep(2)  # anything told twice would have arrived by now
        found = await rows("2024-03")
        d, t = found[dept], found[town]
        # The department: REF-06 and ASSIST-04 met on time, REF-07 missed; one refusal.
        assert (d["due"], d["met_on_time"], d["breached"], d["open"]) == (3, 2, 1, 0)
        assert (d["on_time_rate"], d["breach_rate"]) == (round(2 / 3, 4), round(1 / 3, 4))
        by_rule = {r["rule"]: r for r in d["by_rule"]}
        assert set(by_rule) == {"REF-06", "REF-07", "ASSIST-04"}
        assert (by_rule["REF-07"]["due"], by_rule["REF-07"]["breached"]) == (1, 1)
        assert (by_rule["ASSIST-04"]["due"], by_rule["ASSIST-04"]["met_on_time"]) == (1, 1)
        assert (d["refusals"], d["refusals_owned_matter"], d["flags"]) == (1, 1, 0)
        assert d["refusals_by_kind"]["assistance.refused"] == 1
        assert d["unread_overdue"] == 0
        # The town: REF-03 met on time, INSP-04 missed; one item left unread.
        assert (t["due"], t["met_on_time"], t["breached"], t["open"]) == (2, 1, 1, 0)
        assert (t["on_time_rate"], t["breach_rate"]) == (0.5, 0.5)
        assert {r["rule"] for r in t["by_rule"]} == {"REF-03", "INSP-04"}
        assert (t["unread_overdue"], t["refusals"], t["flags"]) == (1, 0, 0)
        # Nothing else, and nothing of it in another period.
        assert fire not in found or found[fire]["due"] == 0
        assert (await rows("2024-02")) == {}
        april = await rows("2024-04")
        assert all(r["breached"] == 0 and r["refusals"] == 0 for r in april.values())
        # Each unit sees its own row and is 404 to the other's.
        for own, other in ((dept, town), (town, dept)):
            mine = await oversight.client.get(
                f"/assessment/organisations/{own}",
                params={"period": "2024-03"},
                headers=h(oversight, own),
            )
            assert mine.status_code == 200, mine.text
            theirs = await oversight.client.get(
                f"/assessment/organisations/{other}",
                params={"period": "2024-03"},
                headers=h(oversight, own),
            )
            assert theirs.status_code == 404


async def test_insp_08_a_finding_needing_review_waits_for_the_towns_review_in_legal_review(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """INSP-08 → REV-01 → INSP-07: joint inspection finds a fire-escape violation the town
    handles itself, with a proposed 30,000 CNY fine on a company (REV-01 (6));
    `inspection.review-requested` becomes the town's review request in legal review; the
    target's loop stays open until the town's brigade submits the review naming it and the
    head decides (`review.decided` naming the finding); then the feedback closes it."""
    from joint_inspection.main import SPEC as INSPECTION

    inspection_group = f"joint-inspection-x-{uuid.uuid4().hex[:8]}"
    review_group = f"legal-review-x-{uuid.uuid4().hex[:8]}"
    for group, spec in ((inspection_group, INSPECTION), (review_group, REVIEW)):
        await start_group_at_end(
            kafka_bootstrap, group, (registry.spec_for(m).topic for m in spec.handlers)
        )
    inspection_db = await create_database(servers, "x_inspection")
    review_db = await create_database(servers, "x_review")
    async with (
        running_service(
            INSPECTION,
            database_url=inspection_db,
            kafka_bootstrap=kafka_bootstrap,
            blob_dir=tmp_path / "i",
            run_jobs=False,
            service_name=inspection_group,
        ) as inspection,
        running_service(
            REVIEW,
            database_url=review_db,
            kafka_bootstrap=kafka_bootstrap,
            blob_dir=tmp_path / "r",
            run_jobs=False,
            service_name=review_group,
        ) as review,
    ):
        town = inspection.auth("town:lizhi", "handler", "leader", user="li")
        oid, tid, finding, credit_code = await _violation_needing_the_towns_review(inspection, town)

        handler = review.auth("town:lizhi", "handler", user="li.handler")
        reviewer = review.auth("town:lizhi", "reviewer", user="wang.reviewer")
        head = review.auth("town:lizhi", "head", user="zhao.head")
        request = None
        for _ in range(150):
            page = (await review.client.get("/review-requests", headers=handler)).json()
            request = next((x for x in page["items"] if x["finding_id"] == finding), None)
            if request:
                break
            await asyncio.sleep(0.2)
        assert request is not None, "legal review kept no request from the finding"
        assert request["state"]["value"] == "pending"
        assert request["party"]["id_number"] == credit_code
        assert [t["trigger"] for t in request["triggers"]] == ["amount"]

        result = {"result": "经法制审核，已依法作出罚款决定并督促整改到位"}
        r = await inspection.client.post(
            f"/orders/{oid}/targets/{tid}/feedback", headers=town, json=result
        )
        assert r.status_code == 409, r.text  # the review has not decided yet

        submitted = await review.client.post(
            "/reviews",
            headers=handler,
            json={
                "request_id": request["id"],
                "matter_code": "FIR-001",
                "place_town": "town:lizhi",
                "found_at": request["found_at"],
                "facts": request["facts"],
                "party": {"name": "某商场", "kind": "legal-person", "id_number": credit_code},
                "decision": {"fine": "30000"},
                "proposal": "拟罚款30000元",
            },
        )
        assert submitted.status_code == 201, submitted.text
        rid = submitted.json()["id"]
        for kind in ("investigation-report", "proposed-decision", "evidence"):
            uploaded = await review.client.post(
                f"/reviews/{rid}/materials",
                data={"kind": kind},
                files={"file": (f"{kind}.pdf", pdf_bytes(kind), "application/pdf")},
                headers=handler,
            )
            assert uploaded.status_code == 201, uploaded.text
        assert (await review.client.post(f"/reviews/{rid}/take", headers=reviewer)).is_success
        for point in POINTS:
            await review.client.put(
                f"/reviews/{rid}/points/{point}",
                json={"passed": True, "note": "符合规定"},
                headers=reviewer,
            )
        opinion = await review.client.post(
            f"/reviews/{rid}/opinion",
            headers=reviewer,
            json={"opinion": "agree", "reasons": "事实清楚，证据确凿，适用法律正确"},
        )
        assert opinion.status_code == 200, opinion.text
        decided = await review.client.post(
            f"/reviews/{rid}/decision",
            headers=head,
            json={"outcome": "decided-as-proposed", "decision_number": "涪荔综执罚决〔2024〕9号"},
        )
        assert decided.status_code == 200, decided.text

        visit = None
        for _ in range(150):
            detail = (await inspection.client.get(f"/orders/{oid}", headers=town)).json()
            visit = next(v for v in detail["visits"] if v["target_id"] == tid)
            if visit["loop_returned_at"]:
                break
            await asyncio.sleep(0.2)
        assert visit is not None
        assert visit["loop_returned_at"], "joint inspection never heard the decision"
        assert "涪荔综执罚决〔2024〕9号" in visit["loop_result"]
        r = await inspection.client.post(
            f"/orders/{oid}/targets/{tid}/feedback", headers=town, json=result
        )
        assert r.status_code == 200, r.text
        closed = await inspection.client.post(f"/orders/{oid}/close", headers=town)
        assert closed.status_code == 200, closed.text
        done = (await review.client.get(f"/review-requests/{request['id']}", headers=head)).json()
        assert done["state"]["value"] == "decided"
        assert done["review_id"] == rid


async def _violation_needing_the_towns_review(
    inspection: Any, town: dict[str, str]
) -> tuple[str, str, str, str]:
    """A fire-escape violation the town handles itself, with a proposed 30,000 CNY fine on a
    company (REV-01 (6)): (order id, target id, finding id, the company's credit code)."""
    from xietong_common.parties import uscc_check_character

    body = f"91500102MA{uuid.uuid4().int % 10**7:07d}"
    credit_code = body + uscc_check_character(body)
    target = await inspection.client.post(
        "/targets",
        headers=town,
        json={
            "name": "某商场",
            "party_kind": "legal-person",
            "id_number": credit_code,
            "industry": "商场",
            "supervision_level": "b",
            "town": "town:lizhi",
        },
    )
    assert target.status_code == 201, target.text
    tid = target.json()["id"]
    order = await inspection.client.post(
        "/orders",
        headers=town,
        json={
            "title": "商场消防联合检查",
            "method": "on-site",
            "matter_codes": ["FIR-001", "WAT-001"],
            "planned_start": "2024-03-04T09:00:00+08:00",
            "planned_end": "2024-03-04T18:00:00+08:00",
            "target_ids": [tid],
        },
    )
    assert order.status_code == 201, order.text
    oid = order.json()["id"]
    inspectors = []
    for n in range(2):
        r = await inspection.client.post(
            f"/orders/{oid}/inspectors",
            headers=town,
            json={"kind": "brigade", "officer_id": f"lz-{n}", "name": f"队员{n}"},
        )
        inspectors.append(r.json()["id"])
    await inspection.client.put(
        f"/orders/{oid}/notice-policy",
        headers=town,
        json={
            "policy": "law-forbids",
            "reason": "举报线索核查，依法不予事先告知",
            "legal_basis": "《中华人民共和国保守国家秘密法》",
        },
    )
    issued = await inspection.client.post(f"/orders/{oid}/issue", headers=town)
    assert issued.status_code == 200, issued.text
    await inspection.client.post(
        f"/orders/{oid}/targets/{tid}/on-site",
        headers=town,
        json={
            "inspected_at": issued.json()["issued_at"],
            "inspector_ids": inspectors,
            "record": "安全出口被货物堵塞",
        },
    )
    outcome = await inspection.client.post(
        f"/orders/{oid}/targets/{tid}/outcome",
        headers=town,
        json={
            "outcome": "violation",
            "description": "商场安全出口被货物堵塞",
            "matter_code": "FIR-001",
            "handling": "责令立即改正，拟立案处罚",
            "proposed_decision": {"fine": "30000"},
        },
    )
    assert outcome.status_code == 200, outcome.text
    assert outcome.json()["awaits"]["value"] == "review"
    return oid, tid, outcome.json()["finding_id"], credit_code


async def test_insp_07_a_review_request_the_town_withdraws_closes_the_inspections_loop(
    servers: Servers, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """INSP-08 → REV-01 → INSP-07: after the finding the town lawfully decides not to pursue a
    penalty decision at all; its leader withdraws the review request in legal review with a
    reason, `review.request-withdrawn` reaches joint inspection, and the target's loop, which
    waited for the review, returns with that reason: the feedback and the closing go on."""
    from joint_inspection.main import SPEC as INSPECTION

    inspection_group = f"joint-inspection-x-{uuid.uuid4().hex[:8]}"
    review_group = f"legal-review-x-{uuid.uuid4().hex[:8]}"
    for group, spec in ((inspection_group, INSPECTION), (review_group, REVIEW)):
        await start_group_at_end(
            kafka_bootstrap, group, (registry.spec_for(m).topic for m in spec.handlers)
        )
    inspection_db = await create_database(servers, "x_inspection")
    review_db = await create_database(servers, "x_review")
    async with (
        running_service(
            INSPECTION,
            database_url=inspection_db,
            kafka_bootstrap=kafka_bootstrap,
            blob_dir=tmp_path / "i",
            run_jobs=False,
            service_name=inspection_group,
        ) as inspection,
        running_service(
            REVIEW,
            database_url=review_db,
            kafka_bootstrap=kafka_bootstrap,
            blob_dir=tmp_path / "r",
            run_jobs=False,
            service_name=review_group,
        ) as review,
    ):
        town = inspection.auth("town:lizhi", "handler", "leader", user="li")
        oid, tid, finding, _ = await _violation_needing_the_towns_review(inspection, town)
        leader = review.auth("town:lizhi", "leader", user="li.leader")
        request = None
        for _ in range(150):
            page = (await review.client.get("/review-requests", headers=leader)).json()
            request = next((x for x in page["items"] if x["finding_id"] == finding), None)
            if request:
                break
            await asyncio.sleep(0.2)
        assert request is not None, "legal review kept no request from the finding"
        reason = "经复核违法事实不成立，不予处罚"
        withdrawn = await review.client.post(
            f"/review-requests/{request['id']}/withdraw", headers=leader, json={"reason": reason}
        )
        assert withdrawn.status_code == 200, withdrawn.text
        assert withdrawn.json()["state"]["value"] == "withdrawn"

        visit = None
        for _ in range(150):
            detail = (await inspection.client.get(f"/orders/{oid}", headers=town)).json()
            visit = next(v for v in detail["visits"] if v["target_id"] == tid)
            if visit["loop_returned_at"]:
                break
            await asyncio.sleep(0.2)
        assert visit is not None
        assert visit["loop_returned_at"], "joint inspection never heard of the withdrawal"
        assert reason in visit["loop_result"]
        r = await inspection.client.post(
            f"/orders/{oid}/targets/{tid}/feedback",
            headers=town,
            json={"result": "经复核违法事实不成立，不予处罚，已告知当事人"},
        )
        assert r.status_code == 200, r.text
        closed = await inspection.client.post(f"/orders/{oid}/close", headers=town)
        assert closed.status_code == 200, closed.text
