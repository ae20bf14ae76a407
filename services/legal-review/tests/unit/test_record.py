"""The review as a record of the kit: its subject, its sort keys, who sees it."""

from __future__ import annotations

import uuid

from legal_review.models import Review
from legal_review.service.common import REVIEW
from legal_review.service.queries import SortKey
from xietong_common.reference import DISTRICT_GOV, OVERSIGHT_ORG


def review(**values: object) -> Review:
    fields: dict[str, object] = {
        "id": uuid.UUID(int=1),
        "state": "submitted",
        "round": 1,
        "town": "town:lizhi",
        "town_justice_office": None,
        "joint_departments": [],
    }
    return Review(**{**fields, **values})


def test_every_sort_key_of_the_api_orders_the_queue() -> None:
    assert {k.value for k in SortKey} == set(REVIEW.sort_keys())


def test_audit_rows_and_deadlines_keep_the_subject_they_always_had() -> None:
    assert REVIEW.subject_of(uuid.UUID(int=1)) == "review:00000000-0000-0000-0000-000000000001"


def test_rev_03_rev_09_the_town_its_joint_departments_and_its_justice_office_see_it() -> None:
    plain = review()
    assert REVIEW.visible_to(plain, "town:lizhi")
    assert REVIEW.visible_to(plain, OVERSIGHT_ORG)
    assert not REVIEW.visible_to(plain, "dept:water")
    assert not REVIEW.visible_to(plain, "town:baitao")
    assert not REVIEW.visible_to(plain, DISTRICT_GOV)
    joint = review(joint_departments=["dept:water"], town_justice_office="justice-office:lizhi")
    assert REVIEW.visible_to(joint, "dept:water")
    assert REVIEW.visible_to(joint, "justice-office:lizhi")
