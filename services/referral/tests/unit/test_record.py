"""The referral as a record of the kit: its subject, its sort keys, who sees it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from referral.models import Referral
from referral.service.common import REFERRAL
from referral.service.queries import SortKey
from xietong_common.reference import DISTRICT_GOV, OVERSIGHT_ORG


def referral(state: str, **parties: str | None) -> Referral:
    now = datetime(2024, 3, 1, tzinfo=UTC)
    values = {"sender": "town:lizhi", "receiver": "dept:water", "assignee": None, **parties}
    return Referral(id=uuid.UUID(int=1), state=state, created_at=now, updated_at=now, **values)


def test_every_sort_key_of_the_api_orders_the_list() -> None:
    assert {k.value for k in SortKey} == set(REFERRAL.sort_keys())


def test_audit_rows_and_deadlines_keep_the_subject_they_always_had() -> None:
    assert REFERRAL.subject_of(uuid.UUID(int=1)) == "referral:00000000-0000-0000-0000-000000000001"


def test_ref_01_a_draft_is_its_senders_and_a_sent_case_its_receivers_too() -> None:
    draft, sent = referral("draft"), referral("sent")
    withdrawn = referral("withdrawn")
    assert REFERRAL.visible_to(draft, "town:lizhi")
    assert not REFERRAL.visible_to(draft, "dept:water")
    assert not REFERRAL.visible_to(withdrawn, "dept:water")  # never sent, never its
    assert REFERRAL.visible_to(sent, "dept:water")
    assert REFERRAL.visible_to(draft, OVERSIGHT_ORG)
    assert not REFERRAL.visible_to(sent, DISTRICT_GOV)
    assert REFERRAL.visible_to(referral("reported"), DISTRICT_GOV)  # REF-08
    assert REFERRAL.visible_to(referral("assigned", assignee="town:baitao"), "town:baitao")
