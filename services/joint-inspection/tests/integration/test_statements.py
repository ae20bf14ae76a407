"""Statements per create (issue 22): a plan is written with its rules, a work order with its
participants, by the record kit (`PLAN.insert`, `ORDER.insert`: one INSERT for the record, one
for its collection's rows), not through the ORM's flush; a regression shows as a count."""

from __future__ import annotations

import pytest

from joint_inspection.models.orders import OrderParticipant, WorkOrder
from joint_inspection.models.plans import Plan, PlanRule
from xietong_devtools.testing import flushed_inserts, outbox_settled, statements

from .conftest import TOWN, WATER, Insp
from .test_plans import plan

pytestmark = pytest.mark.integration


async def test_insp_01_a_drafted_plan_is_inserted_with_its_rules_by_its_kind(insp: Insp) -> None:
    """Drafting a plan (INSP-01) inserts it and its rules, two rules in one INSERT, with the
    kit's statements and no flush of them; at commit, the audit statement: 3, as with the
    flush."""
    rules = [
        {"value": "a", "frequency": 4, "proportion": "50"},
        {"value": None, "frequency": 2, "proportion": "20"},
    ]
    await outbox_settled(insp.svc)
    with flushed_inserts(Plan, PlanRule) as flushed, statements(insp.svc) as seen:
        drafted = await plan(insp, adopt=False, rules=rules)
    assert [r["value"] for r in drafted["rules"]] == ["a", None], drafted
    assert not flushed, flushed
    writes = [s.split("(")[0].strip() for s, _ in seen if s.lstrip().startswith("INSERT INTO p")]
    assert writes == ["INSERT INTO plans", "INSERT INTO plan_rules"], seen
    assert len(seen) <= 3, seen


async def test_insp_04_a_proposed_order_is_inserted_with_its_participants_by_its_kind(
    insp: Insp,
) -> None:
    """A department's proposed order for a town (INSP-04) inserts the order and its two
    participants (the lead, the town's brigade) with the kit's statements, no flush of them;
    its serious-finding flag, an expression read with the row, is read as before. Then its
    consultation deadline, the response's reads and the commit's statement: 11, as with the
    flush."""
    await outbox_settled(insp.svc)
    with flushed_inserts(WorkOrder, OrderParticipant) as flushed, statements(insp.svc) as seen:
        order = await insp.order([], org=WATER, town=TOWN, proposal="拟由大队承担现场检查")
    assert order["state"]["value"] == "proposed", order
    assert sorted(p["org"] for p in order["participants"]) == sorted([WATER, TOWN]), order
    assert not flushed, flushed
    writes = [s.split("(")[0].strip() for s, _ in seen if s.lstrip().startswith("INSERT INTO")]
    assert writes[:2] == ["INSERT INTO work_orders", "INSERT INTO order_participants"], seen
    assert len(seen) <= 11, seen
