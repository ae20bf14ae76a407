"""综合查一次 through the workbench's forms (no browser), against the real joint-inspection
service: a plan drafted without a catalogue scenario (through the API, as another platform
may) is adopted at the workbench only once its town names one (INSP-01)."""

from __future__ import annotations

import pytest

from workbench_testing import Direct, Stack, staff_of

pytestmark = pytest.mark.integration

TOWN = "town:lizhi"
OTHER_TOWN = "town:baitao"


async def test_insp_01_a_draft_without_a_scenario_is_adopted_at_the_workbench_for_one_of_the_catalogue(
    stack: Stack,
) -> None:
    """The draft's page offers the catalogue's scenarios beside the adopt button; adopting
    with none chosen is refused beside the form in the API's words and adopts nothing; with
    one chosen, the draft names it and is adopted. Another town's leader gets the 404 page."""
    direct = Direct(stack)
    plan = await direct.call(
        "joint-inspection",
        "POST",
        "/plans",
        TOWN,
        json={
            "title": "2027年沿街餐饮店综合查一次计划",
            "scenario": "沿街餐饮店",
            "period_start": "2027-01-01",
            "period_end": "2027-06-30",
            "basis": "level",
            "rules": [{"frequency": 1, "proportion": "10"}],
            "clean_proportion": "3",
            "matter_codes": ["URB-001"],
        },
    )
    page = f"/inspection/plans/{plan['id']}"
    async with staff_of(stack, OTHER_TOWN, "handler", "leader") as stranger:
        assert (await stranger.get(page)).status_code == 404
    async with staff_of(stack, TOWN, "handler", "leader") as leader:
        shown = (await leader.get(page)).text
        assert 'name="scenario_code"' in shown
        assert 'value="food-street"' in shown  # the catalogue's scenarios to choose from
        refused = await leader.post_form(f"{page}/adopt", {"scenario_code": ""}, page=page)
        assert refused.status_code == 422
        assert 'name="scenario_code"' in refused.text  # the form again, with the API's words
        still = await direct.call("joint-inspection", "GET", f"/plans/{plan['id']}", TOWN)
        assert still["state"]["value"] == "draft"
        adopted = await leader.post_form(
            f"{page}/adopt", {"scenario_code": "food-street"}, page=page
        )
        assert adopted.status_code == 303, adopted.text[-2000:]
        shown = (await leader.get(page)).text
        assert 'name="scenario_code"' not in shown
    found = await direct.call("joint-inspection", "GET", f"/plans/{plan['id']}", TOWN)
    assert found["scenario_code"] == "food-street"
    assert found["state"]["value"] != "draft"
