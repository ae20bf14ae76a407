"""ASSIST-03 at the workbench: the town contests a refusal on the request's page (提出异议),
the refusal joins the justice bureau's queue, and the bureau rules on it there naming the
version it read — a ruling form left open while the request changed is refused (412) and
shown again, never applied to what its author did not see. Other units never see the queue."""

from __future__ import annotations

import re

import pytest

from workbench_testing import Direct, Stack, assistance_refused, staff_of

pytestmark = pytest.mark.integration

TOWN = "town:lizhi"
DEPT = "dept:urban-management"
MATTER = "URB-001"
REASON = "所引条款规定的是定密程序，并不禁止向执法机关提供监测数据"


async def test_assist_03_the_town_contests_and_the_justice_bureau_rules_at_the_workbench(
    stack: Stack,
) -> None:
    rid = await assistance_refused(Direct(stack), TOWN, DEPT, MATTER)

    async with staff_of(stack, TOWN, "handler") as town:
        page = await town.get(f"/assistance/{rid}")
        assert 'data-testid="do-contest"' in page.text
        short = await town.post_form(
            f"/assistance/{rid}/contest", {"reason": "不对"}, page=f"/assistance/{rid}"
        )
        assert short.status_code == 422  # a reason nobody could rule on is refused, nothing kept
        assert 'data-testid="contest"' not in short.text
        done = await town.post_form(
            f"/assistance/{rid}/contest", {"reason": REASON}, page=f"/assistance/{rid}"
        )
        assert done.status_code == 303
        page = await town.get(f"/assistance/{rid}")
        assert REASON in page.text
        assert 'data-testid="do-contest"' not in page.text  # once
        assert (await town.get("/assistance/refusals")).status_code == 404

    async with staff_of(stack, DEPT, "handler") as dept:
        assert (await dept.get("/assistance/refusals")).status_code == 404

    async with staff_of(stack, "justice-bureau", "handler") as bureau:
        queue = await bureau.get("/assistance/refusals")
        assert queue.status_code == 200
        assert f'data-testid="refusal-{rid}"' in queue.text
        etag = re.search(
            rf'action="/assistance/refusals/{rid}/ruling".*?name="etag" value="([^"]+)"',
            queue.text,
            re.S,
        )
        assert etag, "the ruling form carries the version read"
        stale = await bureau.post_form(
            f"/assistance/refusals/{rid}/ruling",
            {"decision": "not-upheld", "reason": REASON, "etag": '"0"'},
            page="/assistance/refusals",
        )
        assert stale.status_code == 412  # the request changed since that version: not applied
        ruled = await bureau.post_form(
            f"/assistance/refusals/{rid}/ruling",
            {
                "decision": "not-upheld",
                "reason": REASON,
                "etag": etag.group(1).replace("&#34;", '"'),
            },
            page="/assistance/refusals",
        )
        assert ruled.status_code == 303, ruled.text[-1500:]
        queue = await bureau.get("/assistance/refusals")
        assert f'data-testid="refusal-{rid}"' not in queue.text  # no longer pending
        done = await bureau.get("/assistance/refusals?ruling=not-upheld")
        assert f'data-testid="refusal-{rid}"' in done.text

    async with staff_of(stack, TOWN, "handler") as town:
        page = await town.get(f"/assistance/{rid}")
        assert 'data-testid="ruling"' in page.text
        assert "拒绝理由不成立" in page.text
