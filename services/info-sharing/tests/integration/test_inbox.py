"""INFO-03 on the running service: subscriptions notify once per item, unread counts, read
receipts for the publisher, items unread past the setting for oversight, the events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from info_sharing.main import UNREAD_REPORT
from xietong_common.jobs import run_job_once
from xietong_devtools.testing import topic_reader

from .conftest import PROBLEM, Info, item_body

pytestmark = pytest.mark.integration


async def test_info_03_a_subscription_is_notified_exactly_once_per_item(info: Info) -> None:
    c = info.codes
    # two of town A's subscriptions match the same item: its inbox gets it once
    await info.subscribe(c.town_a, categories=["other"])
    await info.subscribe(c.town_a, publishers=[c.dept], name="规划局发布的信息")
    await info.subscribe(c.town_b, towns=[c.town_b])  # not about town B: not notified
    await info.subscribe(c.other_dept, matter_codes=[c.dept_matter], categories=["other"])
    await info.subscribe(c.dept)  # everything, but not its own items

    item = await info.publish(c.dept, matter_codes=[c.dept_matter], towns=[c.town_a])
    assert (await info.inbox(c.town_a))["total"] == 1
    assert (await info.inbox(c.town_b))["total"] == 0
    assert (await info.inbox(c.other_dept))["total"] == 1
    assert (await info.inbox(c.dept))["total"] == 0
    entry = (await info.inbox(c.town_a))["items"][0]
    assert entry["item"]["id"] == item["id"]
    assert entry["reason"] == "subscription"
    assert entry["read_due"]["due_label_zh"] == "2024年3月6日24时前"  # 3 working days
    assert item["receipts"] == {"delivered": 2, "read": 0, "unread_overdue": 0}

    # category, matter, town and publisher each filter
    await info.publish(c.other_dept, category="dynamic", towns=[c.town_b])
    assert (await info.inbox(c.town_a))["total"] == 1
    assert (await info.inbox(c.town_b))["total"] == 1
    assert (await info.inbox(c.dept))["total"] == 1

    summary = (await info.svc.client.get("/inbox/summary", headers=info.h(c.town_a))).json()
    assert summary == {
        "unread": 1,
        "unread_overdue": 0,
        "unread_by_category": {"other": 1},
        "read_working_days": 3,
    }


async def test_info_03_restricted_items_reach_the_named_and_no_other_subscriber(
    info: Info,
) -> None:
    c = info.codes
    await info.subscribe(c.town_b)  # everything it may see
    await info.subscribe("justice-bureau")
    item = await info.publish(c.town_a, audience=[c.dept])  # dept did not subscribe
    assert (await info.inbox(c.dept))["items"][0]["reason"] == "addressed"
    assert (await info.inbox(c.town_b))["total"] == 0
    assert (await info.inbox("justice-bureau"))["total"] == 1
    assert (await info.get(item["id"], c.town_a)).json()["receipts"]["delivered"] == 2


async def test_info_03_read_receipts_show_the_publisher_who_has_seen_it(
    info: Info, kafka_bootstrap: str
) -> None:
    c = info.codes
    await info.subscribe(c.town_a)
    await info.subscribe(c.town_b)
    async with topic_reader(kafka_bootstrap, "info.published", "info.read") as reader:
        item = await info.publish(c.dept, title="回执测试")
        r = await info.svc.client.post(f"/items/{item['id']}/read", headers=info.h(c.town_a))
        assert r.status_code == 200
        assert r.json()["read_by"] == f"{c.town_a}/reader"
        again = await info.svc.client.post(
            f"/items/{item['id']}/read", headers=info.h(c.town_a, "clerk")
        )
        assert again.json()["read_at"] == r.json()["read_at"]  # the first read is the receipt
        assert again.json()["read_by"] == r.json()["read_by"]
        # an organisation that found it without a notification signs for it too
        opened = await info.svc.client.post(
            f"/items/{item['id']}/read", headers=info.h(c.other_dept)
        )
        assert opened.json()["reason"] == "opened"
        events = await reader.collect(
            lambda es: (
                sum(e["type"] == "xietong.info.read.v1" for e in es) >= 2
                and any(e["type"] == "xietong.info.published.v1" for e in es)
            )
        )
    published = next(e for e in events if e["type"] == "xietong.info.published.v1")
    assert published["data"]["item_id"] == item["id"]
    assert sorted(published["data"]["recipients"]) == sorted([c.town_a, c.town_b])
    assert published["source"] == "/xietong/info-sharing"
    reads = [e["data"] for e in events if e["type"] == "xietong.info.read.v1"]
    assert sorted(r["reader_org"] for r in reads) == sorted([c.town_a, c.other_dept])

    receipts = (
        await info.svc.client.get(f"/items/{item['id']}/receipts", headers=info.h(c.dept))
    ).json()
    by_org = {r["org"]: r for r in receipts["items"]}
    assert by_org[c.town_a]["read_by"] == f"{c.town_a}/reader"
    assert by_org[c.town_b]["read_at"] is None
    assert by_org[c.other_dept]["reason"] == "opened"
    unread = (
        await info.svc.client.get(
            f"/items/{item['id']}/receipts", params={"read": "false"}, headers=info.h(c.dept)
        )
    ).json()
    assert [r["org"] for r in unread["items"]] == [c.town_b]
    # receipts are the publisher's (and oversight's), not every reader's
    r = await info.svc.client.get(f"/items/{item['id']}/receipts", headers=info.h(c.town_a))
    assert r.status_code == 404
    r = await info.svc.client.get(f"/items/{item['id']}/receipts", headers=info.h("justice-bureau"))
    assert r.status_code == 200
    r = await info.svc.client.post(f"/items/{item['id']}/read", headers=info.h(c.dept))
    assert r.status_code == 422  # the publisher does not sign for its own item
    read_inbox = await info.inbox(c.town_a, unread="false")
    assert read_inbox["total"] == 1
    assert read_inbox["items"][0]["read_at"]


async def test_info_03_unread_past_the_setting_is_listed_and_reported_once(
    info: Info, kafka_bootstrap: str
) -> None:
    c = info.codes
    await info.subscribe(c.town_a)
    await info.subscribe(c.town_b)
    item = await info.publish(c.dept)  # Fri 1 Mar 2024: due by Wed 6 Mar 24:00
    await info.svc.client.post(f"/items/{item['id']}/read", headers=info.h(c.town_b))
    oversight = info.h("justice-bureau")
    r = await info.svc.client.get("/oversight/unread", headers=oversight)
    assert r.json()["total"] == 0

    info.clock.set(datetime(2024, 3, 7, 2, 0, tzinfo=UTC))  # Thu 7 Mar
    listed = (await info.svc.client.get("/oversight/unread", headers=oversight)).json()
    assert [(x["org"], x["item"]["id"]) for x in listed["items"]] == [(c.town_a, item["id"])]
    assert listed["items"][0]["due"]["due_label_zh"] == "2024年3月6日24时前"
    counts = (
        await info.svc.client.get("/oversight/unread/by-organisation", headers=oversight)
    ).json()
    assert counts == [{"org": c.town_a, "org_name": counts[0]["org_name"], "unread_overdue": 1}]
    assert (await info.inbox(c.town_a, overdue="true"))["items"][0]["overdue"] is True
    summary = (await info.svc.client.get("/inbox/summary", headers=info.h(c.town_a))).json()
    assert summary["unread_overdue"] == 1
    assert (await info.get(item["id"], c.dept)).json()["receipts"]["unread_overdue"] == 1
    r = await info.svc.client.get("/oversight/unread", headers=info.h(c.town_a))
    assert r.status_code == 403

    job = UNREAD_REPORT.job(info.svc.ctx)
    async with topic_reader(kafka_bootstrap, "info.unread-overdue") as reader:
        assert await run_job_once(info.svc.ctx.db, UNREAD_REPORT.name, job)
        assert await run_job_once(info.svc.ctx.db, UNREAD_REPORT.name, job)  # nothing new
        events = await reader.collect(lambda es: len(es) >= 1)
        await reader.poll(1.0)
    reported = [json.loads(r.value or b"{}")["data"] for r in reader.records]
    reported = [d for d in reported if d["item_id"] == item["id"]]
    assert len(reported) == 1
    assert events
    assert reported[0]["organisation"] == c.town_a
    assert reported[0]["working_days"] == 3

    # a late read is still a receipt, marked late
    async with topic_reader(kafka_bootstrap, "info.read") as reader:
        await info.svc.client.post(f"/items/{item['id']}/read", headers=info.h(c.town_a))
        late = await reader.collect(lambda es: any(e["data"]["item_id"] == item["id"] for e in es))
    assert late[-1]["data"]["late"] is True


async def test_info_03_subscriptions_are_checked_bounded_and_cancelled(info: Info) -> None:
    c = info.codes
    before = await info.counts()
    for bad, problem in (
        ({"matter_codes": ["NO-SUCH"]}, "unknown-matter"),
        ({"towns": [c.dept]}, "unknown-organisation"),
        ({"publishers": ["dept:nowhere"]}, "unknown-organisation"),
        ({"categories": ["tenth"]}, "invalid-input"),
    ):
        r = await info.svc.client.post("/subscriptions", json=bad, headers=info.clerk(c.town_a))
        assert r.status_code == 422
        assert r.json()["type"] == PROBLEM + problem
    assert await info.counts() == before
    mine = await info.subscribe(c.town_a, categories=["laws-norms"])
    listed = (await info.svc.client.get("/subscriptions", headers=info.h(c.town_a))).json()
    assert [s["id"] for s in listed["items"]] == [mine["id"]]
    assert (await info.svc.client.get("/subscriptions", headers=info.h(c.town_b))).json()[
        "total"
    ] == 0
    r = await info.svc.client.delete(f"/subscriptions/{mine['id']}", headers=info.h(c.town_b))
    assert r.status_code == 404
    r = await info.svc.client.delete(f"/subscriptions/{mine['id']}", headers=info.h(c.town_a))
    assert r.status_code == 204
    # (a town's norm: a department's would be due to town A whatever it subscribed)
    await info.publish(c.town_b, category="laws-norms", details=laws())
    assert (await info.inbox(c.town_a))["total"] == 0

    info.svc.ctx.settings.info_max_subscriptions_per_org = 2  # type: ignore[attr-defined]
    await info.subscribe(c.town_b)
    await info.subscribe(c.town_b)
    r = await info.svc.client.post("/subscriptions", json={}, headers=info.clerk(c.town_b))
    assert r.status_code == 409
    assert r.json()["type"] == PROBLEM + "info-too-many-subscriptions"


def laws() -> dict[str, Any]:
    return {"level": "rule", "issuing_body": "重庆市人民政府", "effective_from": "2024-01-01"}


async def test_lists_and_problem_documents_in_english_on_request(info: Info) -> None:
    c = info.codes
    r = await info.svc.client.get(
        "/items/00000000-0000-0000-0000-000000000000",
        headers={**info.h(c.town_a), "Accept-Language": "en"},
    )
    assert r.status_code == 404
    assert r.json()["title"] == "No such information item"
    r = await info.svc.client.post(
        "/items",
        json=item_body(title="机密★ x"),
        headers={**info.clerk(c.town_a), "Accept-Language": "en"},
    )
    assert r.json()["detail"].startswith("marked as a state secret")


async def test_info_03_a_department_s_supervision_items_reach_the_towns_unsubscribed(
    info: Info,
) -> None:
    """The review's walk-around: a town that subscribes to nothing was never counted unread.
    A department's licensing/supervision and inspection items (INFO-01 (2)(3), about the
    empowered matters) are due to the towns they name — or every town — subscribed or not,
    and unread past the setting they count against the town."""
    c = info.codes
    licensing = await info.publish(
        c.dept,
        category="licensing-supervision",
        towns=[c.town_a],
        details={"kind": "licensing", "decided_on": "2024-02-20", "subject_name": "某公司"},
    )
    entry = (await info.inbox(c.town_a))["items"][0]
    assert (entry["item"]["id"], entry["reason"]) == (licensing["id"], "duty")
    assert (await info.inbox(c.town_b))["total"] == 0  # it names town A only
    everywhere = await info.publish(
        c.dept,
        category="inspection-records",
        details={"inspected_from": "2024-02-01", "targets": 12, "problems_found": 3},
    )
    assert everywhere["id"] in [x["item"]["id"] for x in (await info.inbox(c.town_b))["items"]]
    # other categories still follow subscriptions only
    await info.publish(c.dept)
    assert (await info.inbox(c.town_b))["total"] == 1

    info.clock.set(datetime(2024, 3, 7, 2, 0, tzinfo=UTC))  # past the 3 working days
    oversight = info.h("justice-bureau")
    listed = (await info.svc.client.get("/oversight/unread", headers=oversight)).json()
    late = {(x["org"], x["item"]["id"]) for x in listed["items"]}
    assert (c.town_a, licensing["id"]) in late
    assert (c.town_b, everywhere["id"]) in late


async def test_info_03_every_item_the_notice_makes_due_reaches_its_organisation_unsubscribed(
    info: Info,
) -> None:
    """Beyond a department's categories 2 and 3: the norms of the empowered matters (1) and
    the discretion benchmarks and workflows of the towns' penalty matters (6), issued by a
    department, the justice bureau or the district government, and a department's dynamic
    information (7) are due to the towns they name, or every town; a town's penalty decision
    (4) is due to the department that asked for the feedback. None of them subscribed; each
    unread past the setting counts against it. Statistics (5) and other items (9) name
    nobody the notice makes them due to: subscriptions and audience only."""
    c = info.codes
    norms = await info.publish(c.dept, category="laws-norms", details=laws())
    workflow = await info.publish(
        "justice-bureau", category="discretion-workflows", details={"kind": "workflow"}
    )
    benchmark = await info.publish(
        c.other_dept, category="discretion-workflows", details={"kind": "benchmark"}
    )
    dynamic = await info.publish(
        c.dept, category="dynamic", towns=[c.town_a], details={"occurred_on": "2024-02-28"}
    )
    # not due: a town's copy of a norm to the other towns; another department's items
    await info.publish(c.town_b, category="laws-norms", details=laws())
    await info.publish(c.dept, category="other")

    def due_items(page: dict[str, Any]) -> set[str]:
        return {e["item"]["id"] for e in page["items"] if e["reason"] == "duty"}

    assert due_items(await info.inbox(c.town_a)) == {
        norms["id"],
        workflow["id"],
        benchmark["id"],
        dynamic["id"],
    }
    town_b = await info.inbox(c.town_b)
    assert due_items(town_b) == {norms["id"], workflow["id"], benchmark["id"]}
    assert town_b["total"] == 3  # not its own norm, not the department's "other" item
    assert (await info.inbox(c.other_dept))["total"] == 0

    matter = info.svc.ctx.catalogue.get(c.town_matter)
    assert matter is not None
    r = await info.svc.client.post(
        "/feedback-requests", json={"matter_code": matter.code}, headers=info.clerk(matter.owner)
    )
    assert r.status_code == 201, r.text
    decision = await info.publish(
        c.town_a,
        category="penalty-decisions",
        matter_codes=[matter.code],
        details={
            "decision_number": "涪荔综执罚决〔2024〕12号",
            "party_name": "某某餐饮有限公司",
            "party_kind": "legal-person",
            "decided_on": "2024-02-28",
            "fine": "5000.00",
            "execution": "in-progress",
        },
    )
    owner = (await info.inbox(matter.owner))["items"]
    assert [(e["item"]["id"], e["reason"]) for e in owner] == [(decision["id"], "addressed")]

    info.clock.set(datetime(2024, 3, 7, 2, 0, tzinfo=UTC))  # past the 3 working days
    late: set[tuple[str, str]] = set()
    for org in (c.town_a, c.town_b, matter.owner):
        listed = await info.svc.client.get(
            "/oversight/unread", params={"org": org}, headers=info.h("justice-bureau")
        )
        late |= {(x["org"], x["item"]["id"]) for x in listed.json()["items"]}
    assert {
        (c.town_a, norms["id"]),
        (c.town_a, dynamic["id"]),
        (c.town_b, workflow["id"]),
        (c.town_b, benchmark["id"]),
        (matter.owner, decision["id"]),
    } <= late


async def test_issue_25_updated_since_lists_the_entries_delivered_or_read_since_a_poll(
    info: Info,
) -> None:
    """A poller's inbox: an entry delivered, or read, at or after `updated_since` comes again;
    one untouched since does not. The publisher's receipts and the items list say the same."""
    c = info.codes
    await info.subscribe(c.town_a)
    old = await info.publish(c.dept, title="较早发布的信息")
    info.clock.advance(timedelta(hours=1))
    poll = info.clock.now()
    new = await info.publish(c.dept, title="轮询之后发布的信息")

    def listed(page: dict[str, Any]) -> list[str]:
        return [e["item"]["id"] for e in page["items"]]

    assert listed(await info.inbox(c.town_a, updated_since=poll.isoformat())) == [new["id"]]
    items = await info.svc.client.get(
        "/items", params={"updated_since": poll.isoformat()}, headers=info.h(c.town_a)
    )
    assert [x["id"] for x in items.json()["items"]] == [new["id"]]

    info.clock.advance(timedelta(hours=1))
    later = info.clock.now()
    assert (await info.inbox(c.town_a, updated_since=later.isoformat()))["total"] == 0
    r = await info.svc.client.post(f"/items/{old['id']}/read", headers=info.h(c.town_a))
    assert r.status_code == 200, r.text
    assert listed(await info.inbox(c.town_a, updated_since=later.isoformat())) == [old["id"]]
    receipts = await info.svc.client.get(
        f"/items/{old['id']}/receipts",
        params={"updated_since": later.isoformat()},
        headers=info.h(c.dept),
    )
    assert [x["org"] for x in receipts.json()["items"]] == [c.town_a]
    assert (await info.inbox(c.town_a))["total"] == 2  # without it, the whole inbox

    naive = await info.svc.client.get(
        "/inbox", params={"updated_since": "2024-03-01T10:00:00"}, headers=info.h(c.town_a)
    )
    assert naive.status_code == 422, naive.text
