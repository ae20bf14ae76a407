"""Inbox and outbox: filters, pagination, sorting; access by party."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import pytest

pytestmark = pytest.mark.integration


async def ids(case: Any, path: str, org: str, **params: Any) -> list[str]:
    r = await case.svc.client.get(path, params=params, headers=case.h(org, "handler"))
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()["items"]]


async def test_inbox_and_outbox_filters_pagination_and_sorting(case: Any) -> None:
    c = case.codes
    urgent = await case.sent(urgent=True)
    case.clock.advance(timedelta(hours=1))
    to_town = await case.sent(matter_code=c.town_matter, place_town=c.town_b)
    case.clock.advance(timedelta(hours=1))
    draft = await case.draft()
    case.clock.advance(timedelta(minutes=5))
    received = await case.received()

    assert await ids(case, "/referrals/outbox", c.town_a) == [
        received["id"],
        draft["id"],
        to_town["id"],
        urgent["id"],
    ]
    assert await ids(case, "/referrals/outbox", c.town_a, sort="created_at") == [
        urgent["id"],
        to_town["id"],
        draft["id"],
        received["id"],
    ]
    assert await ids(case, "/referrals/outbox", c.town_a, state="draft") == [draft["id"]]
    assert set(await ids(case, "/referrals/outbox", c.town_a, state=["sent", "received"])) == {
        urgent["id"],
        to_town["id"],
        received["id"],
    }
    assert await ids(case, "/referrals/outbox", c.town_a, matter_code=c.town_matter) == [
        to_town["id"]
    ]
    assert await ids(case, "/referrals/outbox", c.town_a, counterparty=c.town_b) == [to_town["id"]]
    assert await ids(case, "/referrals/outbox", c.town_a, urgent="true") == [urgent["id"]]

    page = await case.svc.client.get(
        "/referrals/outbox", params={"page": 2, "page_size": 3}, headers=case.sender
    )
    assert page.json()["total"] == 4
    assert [x["id"] for x in page.json()["items"]] == [urgent["id"]]

    # the receiver's inbox: sent cases only, never drafts
    inbox = await ids(case, "/referrals/inbox", c.dept)
    assert set(inbox) == {urgent["id"], received["id"]}
    assert await ids(case, "/referrals/inbox", c.town_b) == [to_town["id"]]
    # due_before: the urgent case's receipt deadline is the earliest
    soon = (case.clock.now() + timedelta(days=1)).isoformat()
    assert await ids(case, "/referrals/inbox", c.dept, due_before=soon) == []
    by_due = await ids(case, "/referrals/inbox", c.dept, sort="due_at")
    assert by_due[0] == urgent["id"]
    case.clock.advance(timedelta(days=30))
    assert set(await ids(case, "/referrals/inbox", c.dept, overdue="true")) == {
        urgent["id"],
        received["id"],
    }
    assert await ids(case, "/referrals/outbox", c.town_a, overdue="false") == []

    listed = (
        await case.svc.client.get("/referrals/inbox", headers=case.h(c.dept, "handler"))
    ).json()["items"]
    assert all(x["next_due"] and x["overdue"] for x in listed)


async def test_only_parties_and_oversight_see_a_case(case: Any) -> None:
    c = case.codes
    draft = await case.draft()
    sent = await case.sent()
    assert (await case.get(draft["id"], c.dept)).status_code == 404  # a draft is the sender's own
    assert (await case.get(sent["id"], c.dept)).status_code == 200
    assert (await case.get(sent["id"], c.town_b)).status_code == 404
    assert (await case.get(sent["id"], "district-gov")).status_code == 404
    assert (await case.get(sent["id"], "justice-bureau")).status_code == 200
    everything = await ids(case, "/referrals", "justice-bureau")
    assert set(everything) == {draft["id"], sent["id"]}
    assert await ids(case, "/referrals", c.town_b) == []
    r = await case.svc.client.get(
        f"/referrals/{sent['id']}/timeline", headers=case.h(c.town_b, "handler")
    )
    assert r.status_code == 404


async def test_openapi_documents_models_examples_and_errors(case: Any) -> None:
    spec = (await case.svc.client.get("/openapi.json")).json()
    send = spec["paths"]["/referrals/{referral_id}/send"]["post"]
    assert send["tags"] == ["referrals"]
    assert {"401", "403", "404", "409", "422"} <= set(send["responses"])
    assert "examples" in spec["components"]["schemas"]["ReferralCreate"]
    upload = spec["paths"]["/referrals/{referral_id}/materials"]["post"]
    assert {"413", "415"} <= set(upload["responses"])


async def test_ref_03_a_withdrawn_draft_is_in_nobodys_inbox(case: Any) -> None:
    """A draft never sent was never the receiver's: not in its inbox, not in its list, not
    to be read (the list and GET agree)."""
    c = case.codes
    draft = await case.draft()
    r = await case.act(draft["id"], "withdraw", c.town_a, "handler", reason="不再移送")
    assert r.status_code == 200, r.text
    assert draft["id"] not in await ids(case, "/referrals/inbox", c.dept)
    assert draft["id"] not in await ids(case, "/referrals", c.dept)
    assert (await case.get(draft["id"], c.dept)).status_code == 404
    assert draft["id"] in await ids(case, "/referrals/outbox", c.town_a)
    assert draft["id"] in await ids(case, "/referrals", "justice-bureau")


async def test_issue_25_updated_since_lists_only_the_cases_changed_since_a_poll(case: Any) -> None:
    """A platform that polls instead of consuming the events asks for what changed since its
    last poll: a case changed at or after `updated_since` is listed, in the list's own order;
    an untouched one is not; a time without its offset is refused."""
    c = case.codes
    first = await case.draft()
    case.clock.advance(timedelta(hours=1))
    poll = case.clock.now()
    second = await case.draft()  # created exactly at the poll: at or after it
    case.clock.advance(timedelta(hours=1))
    later = case.clock.now()

    assert await ids(case, "/referrals/outbox", c.town_a, updated_since=poll.isoformat()) == [
        second["id"]
    ]
    assert await ids(case, "/referrals/outbox", c.town_a, updated_since=later.isoformat()) == []
    r = await case.act(first["id"], "withdraw", c.town_a, "handler", reason="不再移送此案件")
    assert r.status_code == 200, r.text
    # the same moment in China time: the offset is read, not dropped
    china = later.astimezone(timezone(timedelta(hours=8))).isoformat()
    assert china.endswith("+08:00")
    for since in (later.isoformat(), china):
        assert await ids(case, "/referrals/outbox", c.town_a, updated_since=since) == [first["id"]]
        assert await ids(case, "/referrals", "justice-bureau", updated_since=since) == [first["id"]]
    # both, newest first as the list always sorts; the page and its total agree
    page = await case.svc.client.get(
        "/referrals/outbox",
        params={"updated_since": poll.isoformat(), "page_size": 1},
        headers=case.sender,
    )
    assert page.json()["total"] == 2
    assert [x["id"] for x in page.json()["items"]] == [second["id"]]

    naive = await case.svc.client.get(
        "/referrals/outbox", params={"updated_since": "2024-03-01T10:00:00"}, headers=case.sender
    )
    assert naive.status_code == 422, naive.text
    assert "updated_since" in naive.text


async def test_issue_22_pages_by_cursor_follow_the_pages_by_number(case: Any) -> None:
    """`next_cursor` reads the rows after a page's last, in the list's order (ties in the sort
    key broken by id, as the pages by number): the same rows, each once, and no empty page after a full last one; the count is exact
    and says so; a cursor with a page number, or one no list gave, is refused (422)."""
    for n in range(6):
        if n % 2:
            case.clock.advance(timedelta(minutes=1))  # pairs created at the same moment
        await case.draft()
    by_number: list[str] = []
    for page in (1, 2, 3):
        by_number += await ids(case, "/referrals/outbox", case.codes.town_a, page=page, page_size=2)
    by_cursor: list[str] = []
    params: dict[str, Any] = {"page_size": 2}
    while True:
        r = await case.svc.client.get("/referrals/outbox", params=params, headers=case.sender)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["total"], body["total_exact"]) == (6, True)
        by_cursor += [x["id"] for x in body["items"]]
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert by_cursor == by_number  # the last full page says there is no next one
    assert len(set(by_cursor)) == 6

    for bad in ({"cursor": params["cursor"], "page": 2}, {"cursor": "bm90LWEtY3Vyc29y"}):
        r = await case.svc.client.get("/referrals/outbox", params=bad, headers=case.sender)
        assert r.status_code == 422, r.text
        assert r.json()["type"].endswith("invalid-input")
