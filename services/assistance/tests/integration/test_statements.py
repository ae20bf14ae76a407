"""Statements per request (issue 22): a GET of a request queries none of its empty collections
(officers, materials, extensions, flags), a non-empty one once; a list page none of them."""

from __future__ import annotations

from typing import Any

import pytest

from xietong_devtools.testing import outbox_settled, reading, statements

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
