"""Every mechanism's screens in a real browser: each screenshotted and checked with axe-core;
the forms show what the APIs refuse; the on-site record works on a 375-px phone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from workbench_testing import (
    Direct,
    Stack,
    assistance_refused,
    deadline_breached,
    ledger_fact,
    this_quarter,
)
from xietong_common.calendar import CHINA_TZ
from xietong_devtools.files_corpus import png

TOWN = "town:lizhi"
WATER = "dept:water"
URBAN = "dept:urban-management"
# A 1×1 PNG with correct chunk checksums, the photo taken on site (uploads are inspected).
PNG = png()


def credit_code() -> str:
    """A unified social credit code with its GB 32100 check character."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    body = "91500102" + "".join(chars[int(c, 16) % 31] for c in uuid.uuid4().hex[:9])
    total = sum(chars.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + chars[(31 - total % 31) % 31]


async def test_info_01_publish_inbox_unread_count_and_read_receipt(desk: Any) -> None:
    clerk = await desk()
    await clerk.sign_in(URBAN, "clerk", name="城管收发")
    await clerk.go("/info/new")
    await clerk.submit("publish")  # nothing filled: the API's refusal beside the fields
    assert await clerk.page.locator("[data-testid=error-summary]").count() == 1
    await clerk.shot("20-info-new-refused")
    await clerk.page.select_option("#f-category", "other")
    await clerk.page.fill("#f-title", "城市管理行政处罚自由裁量基准更新说明")
    await clerk.page.fill("#f-body", "自由裁量基准已修订，请各乡镇街道综合行政执法大队参照执行。")
    await clerk.page.select_option("#f-audience", TOWN)
    await clerk.submit("publish")
    item_id = clerk.record_id()

    town = await desk()
    await town.sign_in(TOWN, "clerk", name="荔枝收发")
    await town.go("/info")
    unread_before = int(await town.text("[data-testid=unread-summary] .count"))
    assert unread_before >= 1
    await town.shot("21-info-inbox")
    await town.go("/info?tab=search&q=裁量基准")
    assert "裁量基准" in await town.text("[data-testid=info-items]")
    await town.shot("22-info-search")
    await town.go(f"/info/items/{item_id}")
    await town.submit("mark-read")
    assert await town.page.locator("[data-testid=mark-read]").count() == 0
    await town.go("/info")
    assert int(await town.text("[data-testid=unread-summary] .count")) == unread_before - 1

    await clerk.go(f"/info/items/{item_id}")
    receipts = await clerk.text("[data-testid=receipts]")
    assert "荔枝街道" in receipts
    assert "未读" not in receipts
    await clerk.shot("23-info-receipts")


async def test_sec_02_a_bad_roster_sheet_shows_each_row_the_api_refuses(
    desk: Any, tmp_path: Path
) -> None:
    sheet = tmp_path / "附件6.csv"
    sheet.write_text(
        "序号,姓名,执法证号,执法证有效期,所属队伍,服务乡镇,职务\n"
        "1,张三,,2027-06-30,不存在的队伍,荔枝街道,队员\n"
        "2,,50010220240002,不是日期,不存在的队伍,荔枝街道,队员\n",
        encoding="utf-8",
    )
    admin = await desk()
    await admin.sign_in(WATER, "admin", name="水利局管理员")
    await admin.go("/secondment")
    await admin.shot("30-secondment-teams")
    await admin.go("/secondment/rosters/import")
    await admin.page.set_input_files("#f-file", str(sheet))
    await admin.submit("do-import")
    rows = admin.page.locator("[data-testid=row-errors] tbody tr")
    assert await rows.count() >= 2
    table = await admin.text("[data-testid=row-errors]")
    assert "2" in table
    assert "3" in table
    await admin.shot("31-roster-import-errors")


async def _issued_order(stack: Stack) -> tuple[str, str]:
    direct = Direct(stack)
    target = await direct.call(
        "joint-inspection",
        "POST",
        "/targets",
        TOWN,
        json={
            "name": "涪陵区荔枝街道示例餐馆",
            "party_kind": "legal-person",
            "id_number": credit_code(),
            "industry": "餐饮",
            "supervision_level": "b",
            "town": TOWN,
        },
    )
    start = datetime.now(UTC) + timedelta(days=3)
    order = await direct.call(
        "joint-inspection",
        "POST",
        "/orders",
        TOWN,
        json={
            "title": "沿街餐饮店综合查一次",
            "method": "on-site",
            "matter_codes": ["URB-001"],
            "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(days=2)).isoformat(),
            "target_ids": [target["id"]],
        },
    )
    for name in ("陈队员", "刘队员"):
        await direct.call(
            "joint-inspection",
            "POST",
            f"/orders/{order['id']}/inspectors",
            TOWN,
            json={"kind": "brigade", "officer_id": f"b-{uuid.uuid4().hex[:8]}", "name": name},
        )
    await direct.call(
        "joint-inspection",
        "PUT",
        f"/orders/{order['id']}/notice-policy",
        TOWN,
        json={
            "policy": "law-forbids",
            "reason": "依法不予公开的检查事项",
            "legal_basis": "《中华人民共和国保守国家秘密法》",
        },
    )
    await direct.call("joint-inspection", "POST", f"/orders/{order['id']}/issue", TOWN)
    return order["id"], target["id"]


async def test_insp_07_the_on_site_record_on_a_375_px_phone(
    desk: Any, stack: Stack, tmp_path: Path
) -> None:
    order_id, _target_id = await _issued_order(stack)
    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)
    phone = await desk(width=375, height=812)
    await phone.sign_in(TOWN, "handler", name="现场检查员")
    await phone.go(f"/inspection/orders/{order_id}")
    await phone.shot("40-order-phone")
    await phone.page.click("[data-testid=onsite-link]")
    await phone.page.wait_for_selector("[data-testid=onsite-form]")
    # Usable at 375 px: nothing wider than the screen, the button within reach.
    overflow = await phone.page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 375, f"the page is {overflow} px wide on a 375-px screen"
    await phone.submit("save-onsite")  # empty: the API's refusal beside the fields
    assert await phone.page.locator("[data-testid=error-summary]").count() == 1
    await phone.shot("41-onsite-refused-phone")
    # The form takes China time, as a clerk on site reads it from the phone's clock.
    # (a minute on: the field has no seconds, and the order was issued seconds ago)
    inspected = datetime.now(CHINA_TZ) + timedelta(minutes=2)
    await phone.page.fill("#f-inspected_at", inspected.strftime("%Y-%m-%dT%H:%M"))
    for box in await phone.page.locator("input[name=inspector_ids]").all():
        await box.check()
    await phone.page.fill("#f-record", "经营场所卫生良好，证照齐全，未发现违法行为。")
    await phone.page.set_input_files("#f-file", str(photo))
    box = await phone.page.locator("[data-testid=save-onsite]").bounding_box()
    assert box
    assert box["width"] <= 375
    assert box["height"] >= 44
    await phone.shot("42-onsite-filled-phone")
    await phone.submit("save-onsite")
    assert "现场检查记录已保存" in await phone.text("main")
    visits = await phone.text("[data-testid=visits]")
    assert "填写现场检查记录" not in visits
    await phone.shot("43-order-recorded-phone")
    order = await Direct(stack).call("joint-inspection", "GET", f"/orders/{order_id}", TOWN)
    assert [v["inspected_at"] for v in order["visits"]] != [None]


async def test_each_mechanisms_screens_draw_and_pass_axe(desk: Any, stack: Stack) -> None:
    direct = Direct(stack)
    plan = await direct.call(
        "joint-inspection",
        "POST",
        "/plans",
        TOWN,
        json={
            "title": "2026年沿街餐饮店综合查一次计划",
            "scenario": "沿街餐饮店",
            "scenario_code": "food-street",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "basis": "level",
            "rules": [
                {"value": "b", "frequency": 2, "proportion": "100"},
                {"frequency": 1, "proportion": "10"},
            ],
            "clean_proportion": "3",
            "matter_codes": ["URB-001"],
        },
    )
    await direct.call("joint-inspection", "POST", f"/plans/{plan['id']}/adopt", TOWN)

    town = await desk()
    await town.sign_in(TOWN, "handler", "leader", name="荔枝经办")
    await town.go("/inspection")
    await town.shot("50-inspection")
    await town.go(f"/inspection/plans/{plan['id']}")
    await town.shot("51-plan")
    await town.submit("draw")
    assert await town.page.locator("[data-testid=entries]").count() == 1
    await town.shot("52-draw-ranked-list")

    await town.go("/reviews/new")
    await town.page.select_option("#f-party-kind", "legal-person")
    await town.page.fill("#f-decision-fine", "50000")
    await town.submit("check-triggers")
    assert "须经法制审核" in await town.text("[data-testid=triggers]")
    await town.shot("60-review-triggers")
    await town.submit("submit-review")
    assert await town.page.locator("[data-testid=error-summary]").count() == 1
    await town.shot("61-review-refused")
    await town.go("/reviews")
    await town.shot("62-review-queue")
    await town.go("/reviews/requests")
    await town.shot("63-review-requests")

    await town.go("/assistance/new")
    await town.submit("save-assistance")
    assert await town.page.locator("[data-testid=error-summary]").count() == 1
    await town.shot("70-assistance-refused")
    await town.page.select_option("#f-matter_code", "WAT-001")
    await town.page.check("input[name=ground][value=technical-support]")
    await town.page.fill("#f-needed", "请协助对河道水样进行检测")
    await town.submit("save-assistance")
    await town.submit("do-submit")
    assert "已提出协助请求" in await town.text("main")
    await town.shot("71-assistance-submitted")

    # English, through the language switch.
    await town.page.click("button[name=lang][value=en]")
    await town.page.wait_for_selector("html[lang=en]")
    assert "To-do" in await town.text("nav")
    await town.shot("80-english")


async def test_sup_01_the_overseer_drills_down_from_the_rates_and_records_a_ruling(
    desk: Any, stack: Stack, kafka_bootstrap: str
) -> None:
    """督察: the rates chart and the table, one unit's facts and breaches, and a ruling whose
    refusal (an excuse without its reason) is shown beside the field."""
    direct = Direct(stack)
    period, quarter_start = this_quarter()
    due_at = max(datetime.now(UTC) - timedelta(hours=2), quarter_start + timedelta(minutes=1))
    request_id = await assistance_refused(direct, TOWN, URBAN, "URB-001")
    await deadline_breached(
        stack, kafka_bootstrap, organisation=URBAN, counterparty=TOWN, due_at=due_at
    )
    fact_id = await ledger_fact(direct, period, URBAN, f"assistance:{request_id}")

    bureau = await desk()
    await bureau.sign_in("justice-bureau", "handler", name="司法局督察")
    await bureau.go(f"/oversight?period={period}")
    assert await bureau.page.locator("#chart-on-time-t").count() == 1
    await bureau.shot("90-oversight-rates")
    await bureau.page.click(f"a[href='/oversight/organisations/{URBAN}?period={period}']")
    await bureau.page.wait_for_selector("[data-testid=breaches]")
    assert "REF-07" in await bureau.text("[data-testid=breaches]")
    await bureau.shot("91-oversight-drill-down")
    await bureau.page.click(f"a[href='/oversight/items/{fact_id}']")
    await bureau.page.wait_for_selector("[data-testid=do-rule]")
    await bureau.page.check("input[name=outcome][value=excused]")
    await bureau.submit("do-rule")
    assert await bureau.page.locator("#f-reason-error").count() == 1
    assert "免责须说明理由" in await bureau.text("[data-testid=error-summary]")
    await bureau.shot("92-ruling-refused")
    await bureau.page.check("input[name=outcome][value=excused]")
    await bureau.page.fill("#f-reason", "协助事项涉及国家秘密，依法不得提供")
    await bureau.submit("do-rule")
    assert "予以免责" in await bureau.text("[data-testid=current-ruling]")
    await bureau.shot("93-ruling-recorded")
