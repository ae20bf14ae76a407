"""督察 through the workbench's pages (no browser), against the real services: a refusal of
assistance and a missed deadline reach the oversight ledger through Kafka; the justice bureau
opens the assessment, drills down to the department's facts and breaches, and rules on them;
the department replies first; what the oversight API refuses is shown on the page in its own
Chinese words; a unit that is not a party gets the 404 page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workbench_testing import (
    Direct,
    Stack,
    assistance_refused,
    breach_fact,
    deadline_breached,
    ledger_fact,
    staff_of,
    this_quarter,
)
from xietong_common.calendar import CHINA_TZ

pytestmark = pytest.mark.integration

TOWN = "town:lizhi"
OTHER_TOWN = "town:baitao"
DEPT = "dept:urban-management"  # owns URB-001, delegated to towns
MATTER = "URB-001"
BUREAU = "justice-bureau"
REASON = "该批材料系涉密监测数据，依法定程序报批后方可提供"


async def test_sup_01_the_overseer_drills_down_and_rules_the_unit_replies_first(
    stack: Stack, kafka_bootstrap: str
) -> None:
    direct = Direct(stack)
    period, quarter_start = this_quarter()
    due_at = max(datetime.now(UTC) - timedelta(hours=2), quarter_start + timedelta(minutes=1))
    request_id = await assistance_refused(direct, TOWN, DEPT, MATTER)
    subject = await deadline_breached(
        stack, kafka_bootstrap, organisation=DEPT, counterparty=TOWN, due_at=due_at
    )
    refused_id = await ledger_fact(direct, period, DEPT, f"assistance:{request_id}")
    breach_id = await breach_fact(direct, period, DEPT, subject)

    async with staff_of(stack, BUREAU, "handler", name="司法局督察") as bureau:
        # SUP-02: the table, its rates as a chart, each row leading to the unit's facts.
        dashboard = await bureau.get(f"/oversight?period={period}")
        assert dashboard.status_code == 200
        drill = f"/oversight/organisations/{DEPT}?period={period}"
        assert f'href="{drill}"' in dashboard.text
        assert 'id="chart-on-time-t"' in dashboard.text  # the breach made a rate below 100 %
        assert "按期率走势" in dashboard.text
        assert 'data-testid="trend"' in dashboard.text
        # Filtered to towns, the department is not in the table; the export follows the filter.
        towns = await bureau.get(f"/oversight?period={period}&organisation_kind=town")
        assert f'href="{drill}"' not in towns.text
        assert f"/oversight/export?period={period}&amp;organisation_kind=town" in towns.text
        sheet = await bureau.get(f"/oversight/export?period={period}&organisation_kind=dept")
        assert sheet.status_code == 200
        assert sheet.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert sheet.content.startswith(b"PK")  # SUP-02: the workbook, passed through

        page = await bureau.get(drill)
        assert page.status_code == 200
        html = page.text
        assert "区城市管理局" in html or DEPT in html
        facts = html[html.index('data-testid="facts"') :]
        assert f"/oversight/items/{refused_id}" in facts
        assert "不予协助" in facts
        assert "ASSIST-03" in facts
        assert f'href="/assistance/{request_id}"' in facts  # the record, on its own page
        breaches = html[html.index('data-testid="breaches"') : html.index('data-testid="facts"')]
        assert f"/oversight/items/{breach_id}" in breaches
        assert "REF-07" in breaches
        assert "仍未履行" in breaches
        assert "尚未认定" in breaches
        local = due_at.astimezone(CHINA_TZ)
        assert f"{local.year}年{local.month}月{local.day}日" in breaches  # due, in China time
        assert 'id="chart-org-trend-t"' in html
        by_rule = html[html.index('data-testid="by-rule"') : html.index('data-testid="breaches"')]
        assert "REF-07" in by_rule  # the same figures per rule

        # The bureau sees the fact and the ruling form, not the reply form.
        item = await bureau.get(f"/oversight/items/{refused_id}")
        assert 'data-testid="do-rule"' in item.text
        assert "forbidden-by-law" not in item.text  # the ground by its Chinese label
        assert 'data-testid="do-reply"' not in item.text

    async with staff_of(stack, DEPT, "handler", name="城管经办") as dept:
        # SUP-01: the department states its case once, before the ruling.
        path = f"/oversight/items/{refused_id}"
        page = await dept.get(path)
        assert 'data-testid="do-reply"' in page.text
        assert 'data-testid="do-rule"' not in page.text
        short = await dept.post_form(f"{path}/reply", {"text": "不服"}, page=path)
        assert short.status_code == 422
        assert 'id="f-text-error"' in short.text
        assert "陈述申辩须说明理由" in short.text  # the API's own Chinese words
        replied = await dept.post_form(f"{path}/reply", {"text": REASON}, page=path)
        assert replied.status_code == 303
        page = await dept.get(path)
        assert REASON in page.text
        assert 'data-testid="do-reply"' not in page.text  # once only
        # Only the justice bureau rules: the API's refusal is shown, nothing is ruled.
        ruled = await dept.post_form(
            f"{path}/rulings", {"outcome": "excused", "etag": '"0"', "reason": REASON}, page=path
        )
        assert ruled.status_code == 403
        assert 'data-testid="error-summary"' in ruled.text
        assert "尚未认定" in ruled.text

    async with staff_of(stack, BUREAU, "handler", name="司法局督察") as bureau:
        path = f"/oversight/items/{refused_id}"
        page = await bureau.get(path)
        assert REASON in page.text  # the reply, beside the ruling form
        assert 'name="etag" value="&#34;0&#34;"' in page.text  # the version read: none yet
        # An excuse without its reason: refused beside the reason field, in Chinese.
        bare = await bureau.post_form(f"{path}/rulings", {"outcome": "excused"}, page=path)
        assert bare.status_code == 422
        assert 'id="f-reason-error"' in bare.text
        assert "免责须说明理由" in bare.text
        excused = await bureau.post_form(
            f"{path}/rulings",
            {"outcome": "excused", "reason": "协助事项涉及国家秘密，依法不得提供", "etag": '"0"'},
            page=path,
        )
        assert excused.status_code == 303
        page = await bureau.get(path)
        assert "予以免责" in page.text
        # A ruling given on a version no longer current is refused (412), not overwritten.
        stale = await bureau.post_form(
            f"{path}/rulings", {"outcome": "confirmed", "etag": '"0"'}, page=path
        )
        assert stale.status_code == 412
        assert "认定已被他人变更" in stale.text
        assert 'name="etag" value="&#34;1&#34;"' in stale.text  # the version now current
        revised = await bureau.post_form(
            f"{path}/rulings", {"outcome": "confirmed", "etag": '"1"'}, page=path
        )
        assert revised.status_code == 303
        page = await bureau.get(path)
        assert "认定属实" in page.text
        assert "认定记录" in page.text

        # The breach: referred for accountability (追责), then shown so on the drill-down.
        bpath = f"/oversight/items/{breach_id}"
        referred = await bureau.post_form(
            f"{bpath}/rulings",
            {"outcome": "referred-for-accountability", "etag": '"0"'},
            page=bpath,
        )
        assert referred.status_code == 303
        drill = await bureau.get(f"/oversight/organisations/{DEPT}?period={period}")
        breaches = drill.text[drill.text.index('data-testid="breaches"') :]
        assert "移送追责" in breaches

    async with staff_of(stack, OTHER_TOWN, "handler") as other:
        # A unit that is no party sees neither the fact nor the department's figures.
        for path in (f"/oversight/items/{refused_id}", f"/oversight/organisations/{DEPT}"):
            page = await other.get(path)
            assert page.status_code == 404, path
            assert 'data-testid="not-found"' in page.text
            assert REASON not in page.text
        posted = await other.post_form(
            f"/oversight/items/{refused_id}/reply", {"text": REASON}, page="/oversight"
        )
        assert posted.status_code == 404
