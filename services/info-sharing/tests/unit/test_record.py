"""The item as a record of the kit: the subject and audit actions it always had, its states."""

from __future__ import annotations

import uuid

import pytest

from info_sharing.domain.items import ItemState, Step
from info_sharing.errors import InfoInvalidTransition, ItemNotFound
from info_sharing.models import Item
from info_sharing.service.common import ITEM


def test_audit_rows_keep_the_subject_and_actions_they_always_had() -> None:
    assert ITEM.subject_of(uuid.UUID(int=1)) == "item:00000000-0000-0000-0000-000000000001"
    assert ITEM.actions == "info"


def test_the_404_of_an_item_is_the_one_it_always_was() -> None:
    missing = ITEM.missing()
    assert isinstance(missing, ItemNotFound)
    assert missing.detail == "no such item"


def test_info_01_a_published_item_is_not_edited_but_replaced() -> None:
    item = Item(id=uuid.UUID(int=1), state=ItemState.PUBLISHED.value)
    assert ITEM.check(item, Step.SUPERSEDE) is ItemState.SUPERSEDED
    with pytest.raises(InfoInvalidTransition):
        ITEM.check(item, Step.EDIT)
