"""打印文书 on an assistance request's page: the town's letter asking for assistance
(ASSIST-01) offered to the town that issues it, waiting for the department until then, and
passed through from the assistance service as the same bytes for both."""

from __future__ import annotations

import pytest

from workbench_testing import Direct, Stack, staff_of

pytestmark = pytest.mark.integration
# A generous bound on a page that lays a document out: seconds on a quiet machine, minutes on a
# busy shared 2-core box (the stack's services warm their render workers as they start).
RENDER_WAIT_S = 300

TOWN = "town:lizhi"
DEPT = "dept:urban-management"  # owns URB-001, delegated to towns
MATTER = "URB-001"


async def test_assist_01_the_town_issues_its_request_letter_from_the_page(stack: Stack) -> None:
    direct = Direct(stack)
    created = await direct.call(
        "assistance",
        "POST",
        "/assistance-requests",
        TOWN,
        json={"matter_code": MATTER, "ground": "technical-support", "needed": "请协助取样检测"},
    )
    rid = created["id"]
    await direct.call("assistance", "POST", f"/assistance-requests/{rid}/submit", TOWN)
    link = f"/assistance/{rid}/documents/request-letter.pdf"

    async with staff_of(stack, DEPT, "handler") as dept:
        page = await dept.get(f"/assistance/{rid}")
        panel = page.text[page.text.index('data-testid="documents"') :]
        assert "执法协助函" in panel
        assert "待出具" in panel
        assert link not in panel  # the department does not issue the town's letter
        early = await dept.get(link)
        assert early.status_code == 303  # not issued yet: said on the page
        assert early.headers["location"] == f"/assistance/{rid}#documents"

    async with staff_of(stack, TOWN, "handler") as town:
        page = await town.get(f"/assistance/{rid}")
        assert 'data-testid="document-issue"' in page.text
        mine = await town.get(link, timeout=RENDER_WAIT_S)
        assert mine.status_code == 200
        assert mine.headers["content-type"] == "application/pdf"
        assert mine.content.startswith(b"%PDF")
        page = await town.get(f"/assistance/{rid}")
        assert 'data-testid="document-link"' in page.text
        assert "协〔" in page.text  # its number (发文字号), shown on the record

    async with staff_of(stack, DEPT, "handler") as dept:
        assert (await dept.get(link)).content == mine.content
