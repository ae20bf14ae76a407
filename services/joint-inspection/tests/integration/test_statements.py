"""Statements per create (issue 22): a plan is written with its rules by the record kit
(`PLAN.insert`: one INSERT for the plan, one for its rules), not through the ORM's flush; a
regression shows as a count."""

from __future__ import annotations

import pytest

from joint_inspection.models.plans import Plan, PlanRule
from xietong_devtools.testing import flushed_inserts, outbox_settled, statements

from .conftest import Insp
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
