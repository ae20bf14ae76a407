"""The journey of issue 26, in a real browser against the real services: a town drafts and
sends a referral, the department signs the 送达回证 and answers, the overseer sees it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from xietong_devtools.files_corpus import pdf_bytes

TOWN = "town:lizhi"
DEPT = "dept:ecology-environment"
OTHER_TOWN = "town:baitao"
ASSESSMENT_WAIT_S = 180  # a generous bound on a busy box; the condition ends the wait


async def test_ref_01_town_sends_department_receives_and_answers_overseer_sees(
    desk: Any, tmp_path: Path
) -> None:
    letter = tmp_path / "移送函.pdf"
    letter.write_bytes(pdf_bytes("案件移送函"))  # real PDFs: uploads are inspected
    item_list = tmp_path / "物品清单.pdf"
    item_list.write_bytes(pdf_bytes("涉案物品清单"))

    town = await desk()
    await town.sign_in(TOWN, "handler", name="王小明")
    await town.shot("01-todo-town")

    # The draft: the API refuses what is missing, the form says so beside each field.
    await town.go("/referrals/new")
    await town.shot("02-referral-new")
    await town.page.select_option("#f-matter_code", "ENV-001")
    await town.page.select_option("#f-place_town", TOWN)
    # htmx asks the referral API for the REF-02 proposal as soon as both are chosen.
    await town.page.wait_for_selector("[data-testid=routing]:has-text('区生态环境局')")
    await town.submit("save-draft")
    summary = await town.text("[data-testid=error-summary]")
    assert "缺少必填项" in summary  # the API's own words
    assert await town.page.locator("#f-facts-error").count() == 1
    await town.shot("03-referral-new-refused")

    await town.page.fill("#f-found_at", "2026-12-01T09:30")
    await town.page.fill("#f-facts", "巡查发现某化工企业通过暗管向河道直排污水")
    await town.page.fill("#f-items-0-name", "排污软管")
    await town.page.fill("#f-items-0-quantity", "2")
    await town.page.fill("#f-items-0-unit", "根")
    await town.submit("save-draft")
    referral_id = town.record_id()
    assert "区生态环境局" in await town.text("[data-testid=referral-summary]")

    for kind, path in (("letter", letter), ("item-list", item_list)):
        await town.page.select_option("#f-kind", kind)
        await town.page.set_input_files("#f-file", str(path))
        await town.submit("upload")
    assert await town.page.locator("[data-testid=materials] tbody tr").count() == 2
    await town.shot("04-referral-draft")
    await town.submit("do-send")
    assert "已移送" in await town.text("main")
    await town.shot("05-referral-sent")

    # The department's clerk finds it on the to-do list and signs the 送达回证.
    clerk = await desk()
    await clerk.sign_in(DEPT, "clerk", name="李收发")
    todo = await clerk.text("[data-testid=todo]")
    assert "签收并出具送达回证" in todo
    assert "REF-06" in todo
    await clerk.shot("06-todo-department")
    await clerk.page.click(f"a[href='/referrals/{referral_id}']")
    await clerk.page.wait_for_selector("[data-testid=do-receive]")
    await clerk.shot("07-referral-to-receive")
    await clerk.submit("do-receive")
    assert "李收发" in await clerk.text("[data-testid=receipt]")

    # Its handler answers in writing (REF-07): the form refuses an answer without reasons.
    handler = await desk()
    await handler.sign_in(DEPT, "handler", name="赵经办")
    await handler.go(f"/referrals/{referral_id}")
    await handler.page.check("input[name=decision][value=accept]")
    await handler.submit("do-answer")
    assert await handler.page.locator("#f-reasons-error").count() == 1
    await handler.shot("08-answer-refused")
    await handler.page.fill("#f-reasons", "属本局管辖，决定受理")
    await handler.submit("do-answer")
    assert "属本局管辖" in await handler.text("[data-testid=answer]")
    await handler.shot("09-referral-answered")

    # Another town never sees it.
    other = await desk()
    await other.sign_in(OTHER_TOWN, "handler", name="外镇经办")
    await other.go(f"/referrals/{referral_id}")
    assert await other.page.locator("[data-testid=not-found]").count() == 1
    assert "暗管" not in await other.text("main")
    await other.shot("10-other-town-404")

    # The overseer: the justice bureau reads every referral, and the oversight dashboard
    # shows the department's REF-06/REF-07 deadlines once the oversight service has read
    # their facts from Kafka (a moment after the answer: the page is read again until then).
    bureau = await desk()
    await bureau.sign_in("justice-bureau", "handler", name="司法局督察")
    await bureau.go("/referrals?box=all")
    assert await bureau.page.locator(f"a[href='/referrals/{referral_id}']").count() == 1
    await bureau.go("/oversight")
    assert await bureau.page.locator("[data-testid=oversight-missing]").count() == 0
    loop = asyncio.get_running_loop()
    until = loop.time() + ASSESSMENT_WAIT_S
    while "区生态环境局" not in await bureau.text("[data-testid=assessment]"):
        assert loop.time() < until, "the department's deadlines never reached the assessment"
        await asyncio.sleep(1)
        await bureau.go("/oversight")
    await bureau.shot("11-oversight")
    assert "按期办结" in await bureau.text("[data-testid=assessment]")
