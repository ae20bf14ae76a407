"""`GET /todo` (issue 24: what this organisation, and this person, owes, earliest due first, the
same in every service) and the calendar watch on `/readyz` (issue 19, SUP-02)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from backbone_support import counter_service_spec
from xietong_common import deadlines
from xietong_common.auth import Principal
from xietong_common.calendar import CHINA_TZ, DeadlineRule
from xietong_common.clock import FakeClock
from xietong_devtools.testing import RunningService, Servers, create_database, running_service

pytestmark = pytest.mark.integration

# Mon 2024-02-05 10:00 CST, the week before the Spring Festival holiday (02-10..02-17).
NOW = datetime(2024, 2, 5, 10, tzinfo=CHINA_TZ)
WATER, LIZHI, BAITAO = "dept:water", "town:lizhi", "town:baitao"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def svc(
    servers: Servers, kafka_bootstrap: str, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[RunningService]:
    url = await create_database(servers, "todo")
    async with running_service(
        counter_service_spec(),
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        clock=clock,
        run_jobs=False,
        run_relay=False,  # the counter service is no producer of deadline events
        data_dir=_data_dir(tmp_path),
    ) as s:
        yield s


def _data_dir(tmp_path: Path) -> Path:
    """The shipped reference data, with a calendar directory of the test's own."""
    from xietong_common.settings import project_root

    data = tmp_path / "data"
    data.mkdir()
    for name in ("organisations.yaml", "matters.yaml"):
        (data / name).symlink_to(project_root() / "data" / name)
    (data / "calendar").mkdir()
    return data


async def owe(
    svc: RunningService,
    subject: str,
    rule: DeadlineRule,
    organisation: str,
    *,
    started_at: datetime = NOW,
    counterparty: str | None = LIZHI,
    assignee: str | None = None,
) -> deadlines.TrackedDeadline:
    async with svc.ctx.db.uow(actor=Principal.system("counter-test")) as uow:
        return await deadlines.start(
            uow,
            calendar=svc.ctx.calendar,
            subject=subject,
            action="answer",
            rule=rule,
            organisation=organisation,
            counterparty=counterparty,
            started_at=started_at,
            mechanism="counter-test",
            reference="涪移回〔2024〕3号",
            assignee=assignee,
        )


async def todo(svc: RunningService, org: str, user: str | None = None, **params: Any) -> Any:
    return await svc.client.get("/todo", params=params, headers=svc.auth(org, "handler", user=user))


async def test_issue_24_todo_is_what_the_callers_organisation_owes_earliest_due_first(
    svc: RunningService, clock: FakeClock
) -> None:
    five = DeadlineRule.working_days(5, rule_id="REF-07")
    hours = DeadlineRule.hours(24, rule_id="REF-03")
    later = await owe(svc, "referral:11111111-1111-4111-8111-111111111111", five, WATER)
    sooner = await owe(
        svc, "referral:22222222-2222-4222-8222-222222222222", hours, WATER, assignee="wang"
    )
    other = await owe(svc, "review:33333333-3333-4333-8333-333333333333", five, BAITAO)
    done = await owe(svc, "referral:44444444-4444-4444-8444-444444444444", five, WATER)
    ended = await owe(svc, "referral:55555555-5555-4555-8555-555555555555", five, WATER)
    async with svc.ctx.db.uow(actor=Principal.system("counter-test")) as uow:
        await deadlines.satisfy(
            uow, subject=done.subject, action="answer", at=NOW, mechanism="counter-test"
        )
        # Met, or no longer owed (withdrawn): neither is on anyone's list any more.
        await deadlines.close(
            uow,
            subject=ended.subject,
            action="answer",
            reason="draft-withdrawn",
            mechanism="counter-test",
        )

    r = await todo(svc, WATER)
    assert r.status_code == 200, r.text
    page = r.json()
    assert (page["total"], page["page"]) == (2, 1)
    first, second = page["items"]
    assert [first["deadline_id"], second["deadline_id"]] == [str(sooner.id), str(later.id)]
    # Mon 02-05 + 5 working days: 06, 07, 08, 09 (除夕, a working day in 2024), then the
    # holiday 10..17, then Sun 18 (调休): due 2024-02-18 24:00 CST.
    assert second["due_at"] == "2024-02-18T16:00:00Z"
    assert second["due_label_zh"] == "2024年2月18日24时前"
    assert second["working_days_left"] == 5
    assert (second["rule"], second["action"], second["organisation"]) == (
        "REF-07",
        "answer",
        WATER,
    )
    assert (second["counterparty"], second["overdue"], second["provisional"]) == (
        LIZHI,
        False,
        False,
    )
    assert second["record"] == {
        "subject": "referral:11111111-1111-4111-8111-111111111111",
        "kind": "referral",
        "kind_zh": None,  # the counter service names no records of its own
        "id": "11111111-1111-4111-8111-111111111111",
        "link": None,
        "title": None,
        "reference": "涪移回〔2024〕3号",
    }
    assert first["working_days_left"] == 1
    assert first["assignee"] == "wang"

    # Another organisation sees its own, never this one's.
    (theirs,) = (await todo(svc, BAITAO)).json()["items"]
    assert theirs["deadline_id"] == str(other.id)
    assert (await todo(svc, LIZHI)).json()["total"] == 0

    # The person: only what the record names them for.
    mine = (await todo(svc, WATER, user="wang", mine="true")).json()
    assert [i["deadline_id"] for i in mine["items"]] == [str(sooner.id)]
    assert (await todo(svc, WATER, user="li", mine="true")).json()["total"] == 0

    # Filters and pages, like every list.
    assert (await todo(svc, WATER, rule="REF-07")).json()["total"] == 1
    assert (await todo(svc, WATER, rule=["REF-07", "REF-03"])).json()["total"] == 2
    assert (await todo(svc, WATER, kind="review")).json()["total"] == 0
    assert (await todo(svc, WATER, counterparty=BAITAO)).json()["total"] == 0
    assert (await todo(svc, WATER, due_before="2024-02-07T00:00:00+08:00")).json()["total"] == 1
    assert (await todo(svc, WATER, overdue="true")).json()["total"] == 0
    paged = (await todo(svc, WATER, page_size=1, page=2)).json()
    assert (paged["total"], [i["deadline_id"] for i in paged["items"]]) == (2, [str(later.id)])

    # Past due: overdue, and working days since the due day count down below zero.
    clock.set(datetime(2024, 2, 20, 9, tzinfo=CHINA_TZ))
    late = (await todo(svc, WATER, overdue="true")).json()
    assert late["total"] == 2
    assert late["items"][1]["working_days_left"] == -2  # Mon 19, Tue 20 since Sun 18


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"rule": "REF-7; DROP"}, "rule"),
        ({"kind": "../x"}, "kind"),
        ({"counterparty": "nobody"}, "counterparty"),
        ({"due_before": "1700000000"}, "due_before"),
        ({"page_size": "100000"}, "page_size"),
        ({"mine": "maybe"}, "mine"),
    ],
)
async def test_issue_24_todo_refuses_bad_filters_with_a_problem(
    svc: RunningService, params: dict[str, str], field: str
) -> None:
    r = await todo(svc, WATER, **params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in r.text


async def test_issue_24_todo_needs_a_token_of_an_organisation_in_the_directory(
    svc: RunningService,
) -> None:
    assert (await svc.client.get("/todo")).status_code == 401
    r = await svc.client.get("/todo", headers=svc.auth("town:atlantis", "handler"))
    assert r.status_code == 403
    op = (await svc.client.get("/openapi.json")).json()["paths"]["/todo"]["get"]
    assert op["x-roles"] == ["*"]
    assert {"401", "403", "422"} <= set(op["responses"])


async def test_sup_02_readyz_warns_from_1_december_while_next_years_schedule_is_missing(
    svc: RunningService, clock: FakeClock
) -> None:
    """Issue 19, RULES.md "Working days": deadlines past 31 December are provisional and
    count in no breach until next year's schedule is installed; from 1 December (a setting)
    /readyz says so, without failing, and a metric says so. chinesecalendar knows 2026 but
    not 2027 (the installed schedules: none in this test's calendar directory)."""
    service = svc.settings.service_name

    def missing() -> float | None:
        return REGISTRY.get_sample_value("xietong_calendar_next_year_missing", {"service": service})

    clock.set(datetime(2026, 11, 30, 23, 59, tzinfo=CHINA_TZ))
    r = await svc.client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["warnings"] == []
    assert missing() == 0
    clock.set(datetime(2026, 11, 30, 16, 0, tzinfo=UTC))  # 1 December 00:00 China time
    r = await svc.client.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready"
    (warning,) = body["warnings"]
    assert (warning["code"], warning["year"]) == ("holiday-schedule-missing", 2027)
    assert "2027年节假日安排尚未导入" in warning["detail_zh"]
    assert missing() == 1
    # The year after a known one is not watched before its time: 2025 knows 2026.
    clock.set(datetime(2025, 12, 15, tzinfo=CHINA_TZ))
    assert (await svc.client.get("/readyz")).json()["warnings"] == []
    assert missing() == 0
    clock.set(NOW + timedelta(days=1))
