"""Statements per request (issue 22): a GET of a request queries none of its empty collections
(officers, materials, extensions, flags), a non-empty one once; a list page none of them; a
draft is written with its kind's one INSERT, its version counter's first value in it."""

from __future__ import annotations

from typing import Any

import pytest

from assistance.models import AssistanceRequest
from xietong_devtools.testing import flushed_inserts, outbox_settled, reading, statements

pytestmark = pytest.mark.integration

COLLECTIONS = (
    "assistance_officers",
    "assistance_materials",
    "assistance_extensions",
    "assistance_obstruction_flags",
)


async def test_get_by_id_queries_only_its_nonempty_collections(assist: Any) -> None:
    draft = await assist.draft()
    await outbox_settled(assist.svc)
    with statements(assist.svc) as seen:
        r = await assist.get(draft["id"])
    assert r.status_code == 200, r.text
    assert len(seen) <= 3, (
        seen
    )  # the request (EXISTS of each collection in it), deadlines, documents
    assert not any(reading(seen, t) for t in COLLECTIONS), seen

    accepted = await assist.accepted()
    await outbox_settled(assist.svc)
    with statements(assist.svc) as seen:
        r = await assist.get(accepted["id"])
    assert r.status_code == 200, r.text
    assert len(r.json()["officers"]) == 1
    assert len(reading(seen, "assistance_officers")) == 1, seen
    assert not reading(seen, "assistance_materials")
    assert not reading(seen, "assistance_extensions")
    assert not reading(seen, "assistance_obstruction_flags")


async def test_list_page_loads_no_collection(assist: Any) -> None:
    for _ in range(2):
        await assist.accepted()
    await outbox_settled(assist.svc)
    with statements(assist.svc) as seen:
        r = await assist.svc.client.get("/assistance-requests", headers=assist.town)
    assert r.status_code == 200, r.text
    assert len(r.json()["items"]) == 2
    assert not any(reading(seen, t) for t in COLLECTIONS), seen


async def test_assist_01_a_draft_is_inserted_by_its_kind_with_its_version(assist: Any) -> None:
    """A town's draft request (ASSIST-01) is inserted with its kind's INSERT, no flush of it,
    its version counter at 1 as the flush would start it (its ETag), and nothing read back for
    its response: the create is one statement, the commit's, which writes the draft and its
    audit row (no BEGIN or COMMIT either: it is its own transaction; issue 22). Then an edit
    is one UPDATE that moves the counter on: the ORM's check of the version it read still
    holds."""
    await outbox_settled(assist.svc)
    with flushed_inserts(AssistanceRequest) as flushed, statements(assist.svc) as seen:
        draft = await assist.draft()
    assert not flushed, flushed
    inserts = [s for s, _ in seen if "INSERT INTO assistance_requests " in s]
    assert len(inserts) == 1, seen
    # Only the commit's statement: a new draft has no deadline or document to read back for
    # its response.
    assert not reading(seen, "deadlines"), seen
    assert not reading(seen, "documents"), seen
    assert len(seen) == 1, seen
    assert "INSERT INTO audit_log" in seen[0][0], seen
    assert (draft["deadlines"], draft["documents"]) == ([], []), draft
    assert draft["version"] == 1, draft
    r = await assist.svc.client.patch(
        f"/assistance-requests/{draft['id']}", json={"urgent": True}, headers=assist.town
    )
    assert r.status_code == 200, r.text
    assert (r.json()["urgent"], r.json()["version"]) == (True, 2), r.json()
