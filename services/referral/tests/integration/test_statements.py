"""Statements per request (issue 22): a GET loads no collection it need not, a list no collection
at all, and each list sort reads an index in its order. Counted with an engine event listener
(the service's relay and consumer left out), so a regression shows as a count, not a timing."""

from __future__ import annotations

from typing import Any

import pytest

from referral.models import Referral, ReferralItem
from xietong_devtools.testing import flushed_inserts, outbox_settled, reading, statements

pytestmark = pytest.mark.integration

COLLECTIONS = ("referral_items", "referral_materials", "cooperation_requests")


async def test_get_by_id_queries_only_its_nonempty_collections(case: Any) -> None:
    """A GET by id is the referral's one statement: its empty collections found empty by an
    EXISTS in it, that no document was issued for it, and its deadlines, all in it; a
    non-empty collection adds one."""
    draft = await case.draft()
    await outbox_settled(case.svc)
    with statements(case.svc) as seen:
        r = await case.get(draft["id"])
    assert r.status_code == 200, r.text
    assert len(seen) == 1, seen
    assert not any(reading(seen, t) for t in COLLECTIONS), seen
    assert not reading(seen, "documents"), seen
    assert [d["action"] for d in r.json()["deadlines"]] == ["send"], r.json()["deadlines"]

    ready = await case.ready()
    await outbox_settled(case.svc)
    with statements(case.svc) as seen:
        r = await case.get(ready["id"])
    assert r.status_code == 200, r.text
    assert len(r.json()["materials"]) == 2
    assert len(seen) == 2, seen
    assert len(reading(seen, "referral_materials")) == 1, seen
    assert not reading(seen, "referral_items")
    assert not reading(seen, "cooperation_requests")


async def test_ref_02_a_draft_is_inserted_whole_and_not_read_back(case: Any) -> None:
    """Creating a draft (REF-02) writes the referral once — its first finding with it, no
    UPDATE of the row it just inserted when REF-03's clock starts — and reads no documents
    for it: a new draft has none. REF-08's query first, then at commit one statement writes
    the referral, its deadline, its events and its audit row (issue 22: 2 statements, was 5;
    the query runs before any BEGIN, and the commit's statement is its own transaction)."""
    await outbox_settled(case.svc)
    with statements(case.svc) as seen:
        draft = await case.draft()
    assert draft["documents"] == []
    writes = [s.split(None, 3)[:3] for s, _ in seen if not s.lstrip().startswith("SELECT")]
    assert not any(w[0].upper() == "UPDATE" for w in writes), seen
    assert not reading(seen, "documents"), seen
    assert len(seen) == 2, seen
    assert reading(seen[:1], "referrals"), seen
    written = ("INSERT INTO referrals ", "deadlines", "outbox", "audit_head")
    assert all(t in seen[-1][0] for t in written), seen[-1]


async def test_ref_02_a_draft_with_items_is_inserted_with_them_not_flushed(case: Any) -> None:
    """A draft stating its seized items (REF-02) is written by the record kit, the referral's
    INSERT and one INSERT of all its items, with no flush of either (issue 22: the ORM's flush
    wrote them before); then REF-08's query and the commit's statement: 4."""
    items = [{"name": "软管", "quantity": "1"}, {"name": "水泵", "quantity": "2"}]
    await outbox_settled(case.svc)
    with flushed_inserts(Referral, ReferralItem) as flushed, statements(case.svc) as seen:
        draft = await case.draft(items=items)
    assert [i["name"] for i in draft["items"]] == ["软管", "水泵"], draft["items"]
    assert not flushed, flushed
    writes = [s.split("(")[0].strip() for s, _ in seen if s.lstrip().startswith("INSERT INTO r")]
    assert writes == ["INSERT INTO referrals", "INSERT INTO referral_items"], seen
    assert len(seen) <= 4, seen


async def test_list_page_loads_no_collection(case: Any) -> None:
    """A list page is its count, its rows and their deadlines: however many rows, and none
    of their collections (a summary shows none)."""
    for _ in range(3):
        await case.ready()
    await outbox_settled(case.svc)
    with statements(case.svc) as seen:
        r = await case.svc.client.get("/referrals/outbox", headers=case.sender)
    assert r.status_code == 200, r.text
    assert len(r.json()["items"]) == 3
    assert len(seen) <= 3, seen
    assert not any(reading(seen, t) for t in COLLECTIONS), seen


@pytest.mark.parametrize("sort", ["-created_at", "-found_at", "-sent_at"])
async def test_each_list_sort_has_an_index_in_its_order(case: Any, sort: str) -> None:
    """The page query of the list of everything a party may see ("either party"), first page
    and the page after a cursor, can be read from an index in its order and stopped after
    the page: no sort of every visible row (EXPLAIN with sorts priced out, so the test holds
    on a table of a few rows as on one of a million)."""
    for _ in range(3):
        await case.draft()
    first = await case.svc.client.get(
        "/referrals", params={"sort": sort, "page_size": 2}, headers=case.sender
    )
    assert first.status_code == 200, first.text
    cursor = first.json()["next_cursor"]
    assert cursor
    with statements(case.svc) as seen:
        after = await case.svc.client.get(
            "/referrals",
            params={"sort": sort, "page_size": 2, "cursor": cursor},
            headers=case.sender,
        )
    assert after.status_code == 200, after.text
    assert len(after.json()["items"]) == 1
    (page_query,) = [
        (s, p) for s, p in seen if s.lstrip().startswith("SELECT referrals.") and "LIMIT" in s
    ]
    column = sort.removeprefix("-")
    async with case.svc.ctx.db.engine.connect() as conn:
        await conn.exec_driver_sql("SET enable_sort = off")
        await conn.exec_driver_sql("SET enable_seqscan = off")
        plan = "\n".join(
            row[0] for row in await conn.exec_driver_sql(f"EXPLAIN {page_query[0]}", page_query[1])
        )
        await conn.rollback()
    assert f"ix_referrals_{column}_desc" in plan, plan
    assert "Sort" not in plan, plan
