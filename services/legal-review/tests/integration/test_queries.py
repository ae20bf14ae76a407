"""Reads: the review queue per review body (due dates, filters, pages), access per organisation."""

from __future__ import annotations

import pytest

from xietong_devtools.testing import RunningService

from .conftest import TOWN, Flow

pytestmark = pytest.mark.integration


async def test_queue_filters_paginates_and_shows_due_dates(svc: RunningService, flow: Flow) -> None:
    ids = [(await flow.submit())["id"] for _ in range(3)]
    await flow.take(ids[0])
    await svc.client.post(
        f"/reviews/{ids[1]}/materials-notice", json={"missing": ["evidence"]}, headers=flow.reviewer
    )
    page1 = (
        await svc.client.get("/reviews", params={"page_size": 2}, headers=flow.reviewer)
    ).json()
    page2 = (
        await svc.client.get("/reviews", params={"page_size": 2, "page": 2}, headers=flow.reviewer)
    ).json()
    assert page1["total"] == 3
    assert len(page1["items"]) == 2
    assert len(page2["items"]) == 1
    assert {i["id"] for i in page1["items"] + page2["items"]} == set(ids)

    under = (
        await svc.client.get("/reviews", params={"state": "under-review"}, headers=flow.reviewer)
    ).json()
    assert [i["id"] for i in under["items"]] == [ids[0]]
    waiting = (
        await svc.client.get(
            "/reviews", params={"due_before": "2024-03-09T00:00:00Z"}, headers=flow.reviewer
        )
    ).json()
    assert [i["id"] for i in waiting["items"]] == [ids[1]]
    assert waiting["items"][0]["due"][0]["rule"] == "REV-05"
    urgent = (
        await svc.client.get("/reviews", params={"sort": "due_at"}, headers=flow.reviewer)
    ).json()
    assert urgent["items"][0]["id"] == ids[1]
    by_kind = (
        await svc.client.get("/reviews", params={"party_kind": "citizen"}, headers=flow.reviewer)
    ).json()
    assert by_kind["total"] == 0
    bad = await svc.client.get("/reviews", params={"state": "pending"}, headers=flow.reviewer)
    assert bad.status_code == 422
    bad_opinion = await svc.client.get(
        "/reviews", params={"opinion": "maybe"}, headers=flow.reviewer
    )
    assert bad_opinion.status_code == 422


async def test_queue_by_opinion(svc: RunningService, flow: Flow) -> None:
    agreed = await flow.reviewed("agree")
    await flow.submit()
    page = (
        await svc.client.get("/reviews", params={"opinion": "agree"}, headers=flow.reviewer)
    ).json()
    assert [i["id"] for i in page["items"]] == [agreed]


async def test_other_towns_get_404_and_the_justice_bureau_reads_all(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    rid = review["id"]
    other = svc.auth("town:jiangbei", "reviewer", "handler", "head", user="x")
    assert (await svc.client.get(f"/reviews/{rid}", headers=other)).status_code == 404
    assert (await svc.client.post(f"/reviews/{rid}/take", headers=other)).status_code == 404
    assert (await svc.client.get(f"/reviews/{rid}/timeline", headers=other)).status_code == 404
    assert (await svc.client.get("/reviews", headers=other)).json()["items"] == []
    bureau = svc.auth("justice-bureau", "oversight", user="sfj")
    assert (await svc.client.get(f"/reviews/{rid}/timeline", headers=bureau)).status_code == 200
    assert [
        i["id"] for i in (await svc.client.get("/reviews", headers=bureau)).json()["items"]
    ] == [rid]
    # The bureau reads; it does not act on a town's review.
    assert (await svc.client.post(f"/reviews/{rid}/take", headers=bureau)).status_code == 403


async def test_roles_within_the_town(svc: RunningService, flow: Flow) -> None:
    review = await flow.submit()
    no_role = svc.auth(TOWN, user="someone")
    r = await svc.client.post(f"/reviews/{review['id']}/take", headers=no_role)
    assert r.status_code == 403
    unauthenticated = await svc.client.get("/reviews")
    assert unauthenticated.status_code == 401
