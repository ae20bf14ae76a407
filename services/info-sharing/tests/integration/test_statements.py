"""Statements per create (issue 22): an item's create writes the item with the record kit's one
INSERT (`ITEM.insert`), not through the ORM's flush; a regression shows as a count."""

from __future__ import annotations

import pytest

from info_sharing.models import Item
from xietong_devtools.testing import flushed_inserts, outbox_settled, statements

from .conftest import Info

pytestmark = pytest.mark.integration


async def test_info_01_a_published_item_is_inserted_by_its_kind(info: Info) -> None:
    """Publishing a new item (INFO-01, `publish`) inserts it once, with its kind's INSERT and
    no flush of it; then its publication (state, search words), its deliveries, and at commit
    one statement for its events and audit rows: 7 statements, as with the flush."""
    await outbox_settled(info.svc)
    with flushed_inserts(Item) as flushed, statements(info.svc) as seen:
        item = await info.publish(info.codes.town_a)
    assert item["state"]["value"] == "published", item
    assert not flushed, flushed
    inserts = [s for s, _ in seen if s.lstrip().startswith("INSERT INTO items ")]
    assert len(inserts) == 1, seen
    assert len(seen) <= 7, seen
