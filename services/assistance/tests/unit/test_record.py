"""The assistance request as a record of the kit: its subject, its sort keys, who sees it."""

from __future__ import annotations

import uuid

from assistance.models import AssistanceRequest
from assistance.service.common import REQUEST
from assistance.service.queries import SortKey
from xietong_common.reference import DISTRICT_GOV, OVERSIGHT_ORG


def request(state: str) -> AssistanceRequest:
    return AssistanceRequest(
        id=uuid.UUID(int=1), state=state, town="town:lizhi", department="dept:water"
    )


def test_every_sort_key_of_the_api_orders_the_list() -> None:
    assert {k.value for k in SortKey} == set(REQUEST.sort_keys())


def test_audit_rows_and_deadlines_keep_the_subject_they_always_had() -> None:
    assert REQUEST.subject_of(uuid.UUID(int=1)) == "assistance:00000000-0000-0000-0000-000000000001"


def test_assist_01_a_draft_is_the_towns_and_a_submitted_request_the_departments_too() -> None:
    draft, submitted = request("draft"), request("requested")
    assert REQUEST.visible_to(draft, "town:lizhi")
    assert not REQUEST.visible_to(draft, "dept:water")
    assert REQUEST.visible_to(submitted, "dept:water")
    assert REQUEST.visible_to(draft, OVERSIGHT_ORG)
    assert not REQUEST.visible_to(submitted, "town:baitao")
    assert not REQUEST.visible_to(submitted, DISTRICT_GOV)
