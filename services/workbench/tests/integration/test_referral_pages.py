"""案件移送 through the workbench's forms (no browser): each form posts to the real referral
API and shows what it refuses beside the field it names; another organisation's record is a
404 page."""

from __future__ import annotations

import re

import pytest

from workbench_testing import Stack, Staff, staff_of
from xietong_devtools.files_corpus import pdf_bytes

pytestmark = pytest.mark.integration
# A generous bound on a page that lays a document out: seconds on a quiet machine, minutes on a
# busy shared 2-core box (the stack's services warm their render workers as they start).
RENDER_WAIT_S = 300

TOWN = "town:lizhi"
OTHER_TOWN = "town:baitao"
DEPT = "dept:ecology-environment"
MATTER = "ENV-001"  # not delegated to towns: the ecology bureau's
PDF = pdf_bytes("移送材料")  # a real PDF: the services inspect what they are sent


async def draft(town: Staff, **fields: str) -> str:
    values = {
        "matter_code": MATTER,
        "place_town": TOWN,
        "found_at": "2026-12-01T09:30",
        "facts": "巡查发现某企业向河道直排污水",
        "items.0.name": "排污软管",
        "items.0.quantity": "2",
        "items.0.unit": "根",
        "items.1.name": "",
        "items.1.quantity": "",
        "items.1.unit": "",
        "rows": "2",
        "idempotency_key": "",
    } | fields
    response = await town.post_form("/referrals/new", values)
    assert response.status_code == 303, response.text[-3000:]
    found = re.fullmatch(r"/referrals/([0-9a-f-]{36})", response.headers["location"])
    assert found
    return found.group(1)


async def upload(person: Staff, referral_id: str, kind: str) -> None:
    page = await person.get(f"/referrals/{referral_id}")
    response = await person.client.post(
        f"/referrals/{referral_id}/materials",
        data={"csrf_token": Staff.csrf(page.text), "kind": kind, "title": kind},
        files={"file": (f"{kind}.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 303, response.text[-3000:]


async def accepted(stack: Stack) -> str:
    """A referral the town drafted and sent and the department signed for and accepted, as
    their staff do it at the workbench; its page."""
    async with staff_of(stack, TOWN, "handler") as town:
        referral_id = await draft(town)
        await upload(town, referral_id, "letter")
        await upload(town, referral_id, "item-list")
        page = f"/referrals/{referral_id}"
        sent = await town.post_form(f"{page}/send", {}, page=page)
        assert sent.status_code == 303, sent.text[-2000:]
    async with staff_of(stack, DEPT, "clerk") as clerk:
        signed = await clerk.post_form(f"{page}/receive", {"signer_name": "李四"}, page=page)
        assert signed.status_code == 303, signed.text[-2000:]
    async with staff_of(stack, DEPT, "handler") as handler:
        answered = await handler.post_form(
            f"{page}/answer", {"decision": "accept", "reasons": "属本局管辖，决定受理"}, page=page
        )
        assert answered.status_code == 303, answered.text[-2000:]
    return page


async def test_ref_01_a_town_drafts_sends_and_the_department_receives_and_answers(
    stack: Stack,
) -> None:
    async with staff_of(stack, TOWN, "handler") as town:
        referral_id = await draft(town)
        detail = await town.get(f"/referrals/{referral_id}")
        assert "区生态环境局" in detail.text  # REF-02: the proposed receiver, by name
        assert "排污软管" in detail.text
        await upload(town, referral_id, "letter")
        await upload(town, referral_id, "item-list")
        sent = await town.post_form(
            f"/referrals/{referral_id}/send", {}, page=f"/referrals/{referral_id}"
        )
        assert sent.status_code == 303
        assert "已移送" in (await town.get(f"/referrals/{referral_id}")).text

    async with staff_of(stack, DEPT, "clerk") as clerk:
        inbox = await clerk.get("/")
        assert f"/referrals/{referral_id}" in inbox.text  # on the department's to-do list
        assert "签收并出具送达回证" in inbox.text
        assert "REF-06" in inbox.text
        signed = await clerk.post_form(
            f"/referrals/{referral_id}/receive",
            {"signer_name": "李四"},
            page=f"/referrals/{referral_id}",
        )
        assert signed.status_code == 303
        assert "李四" in (await clerk.get(f"/referrals/{referral_id}")).text

    async with staff_of(stack, DEPT, "handler") as handler:
        answered = await handler.post_form(
            f"/referrals/{referral_id}/answer",
            {"decision": "accept", "reasons": "属本局管辖，决定受理"},
            page=f"/referrals/{referral_id}",
        )
        assert answered.status_code == 303
        page = await handler.get(f"/referrals/{referral_id}")
        assert "已受理" in page.text
        assert "属本局管辖" in page.text


async def test_ref_02_the_draft_form_shows_the_apis_refusals_beside_their_fields(
    stack: Stack,
) -> None:
    async with staff_of(stack, TOWN, "handler") as town:
        refused = await town.post_form(
            "/referrals/new",
            {"matter_code": MATTER, "place_town": TOWN, "found_at": "", "facts": "", "rows": "1"},
        )
        assert refused.status_code == 422
        html = refused.text
        assert 'id="f-found_at-error"' in html
        assert 'id="f-facts-error"' in html
        assert "缺少必填项" in html  # the API's own Chinese message
        assert 'aria-invalid="true"' in html


async def test_ref_05_sending_an_own_letter_without_the_item_list_shows_the_apis_reason(
    stack: Stack,
) -> None:
    """Adapted to issue 23: without a letter of its own the platform issues the letter at
    sending (the next test), so the refusal shown is a letter uploaded without its item list."""
    async with staff_of(stack, TOWN, "handler") as town:
        referral_id = await draft(town)
        await upload(town, referral_id, "letter")
        refused = await town.post_form(
            f"/referrals/{referral_id}/send", {}, page=f"/referrals/{referral_id}"
        )
        assert refused.status_code == 422 or refused.status_code == 409
        assert "涉案物品清单" in refused.text
        assert 'data-testid="error-summary"' in refused.text


async def test_ref_05_the_letter_issued_at_sending_is_printed_from_the_record_page(
    stack: Stack,
) -> None:
    """打印文书: the record's documents listed with their numbers, the PDF passed through from
    the referral service (the same bytes for both parties); one not to be had yet is said on
    the page."""
    async with staff_of(stack, TOWN, "handler") as town:
        referral_id = await draft(town)
        sent = await town.post_form(
            f"/referrals/{referral_id}/send",
            {},
            page=f"/referrals/{referral_id}",
            timeout=RENDER_WAIT_S,
        )
        assert sent.status_code == 303
        page = await town.get(f"/referrals/{referral_id}")
        panel = page.text[page.text.index('data-testid="documents"') :]
        assert "案件移送函" in panel
        number = re.search(r"[^\s>]+移〔\d{4}〕\d+号", panel)
        assert number, panel[:3000]
        link = f"/referrals/{referral_id}/documents/referral-letter.pdf"
        assert link in panel
        mine = await town.get(link, timeout=RENDER_WAIT_S)
        assert mine.status_code == 200
        assert mine.headers["content-type"] == "application/pdf"
        assert mine.content.startswith(b"%PDF")

    async with staff_of(stack, DEPT, "clerk") as clerk:
        page = await clerk.get(f"/referrals/{referral_id}")
        assert number.group(0) in page.text
        theirs = await clerk.get(link)
        assert theirs.content == mine.content
        early = await clerk.get(f"/referrals/{referral_id}/documents/service-receipt.pdf")
        assert early.status_code == 303  # no receipt before receipt: said on the page
        assert early.headers["location"] == f"/referrals/{referral_id}#documents"
        assert "尚未签收" in (await clerk.get(f"/referrals/{referral_id}")).text
        unknown = await clerk.get(f"/referrals/{referral_id}/documents/anything.pdf")
        assert unknown.status_code == 404

    async with staff_of(stack, OTHER_TOWN, "handler") as other:
        assert (await other.get(link)).status_code == 404


async def test_another_organisations_referral_is_a_404_page(stack: Stack) -> None:
    async with staff_of(stack, TOWN, "handler") as town:
        referral_id = await draft(town)
    async with staff_of(stack, OTHER_TOWN, "handler") as other:
        page = await other.get(f"/referrals/{referral_id}")
        assert page.status_code == 404
        assert 'data-testid="not-found"' in page.text
        assert "河道" not in page.text
        # Nor through a form: posting a step is refused without showing the record.
        posted = await other.post_form(f"/referrals/{referral_id}/send", {}, page="/referrals")
        assert posted.status_code == 404
        assert "河道" not in posted.text


async def test_a_form_without_its_csrf_token_changes_nothing(stack: Stack) -> None:
    async with staff_of(stack, TOWN, "handler") as town:
        response = await town.client.post(
            "/referrals/new", data={"matter_code": MATTER, "place_town": TOWN, "facts": "x"}
        )
        assert response.status_code == 403
        outbox = await town.get("/referrals?box=outbox")
        assert outbox.status_code == 200


async def test_signed_out_pages_send_the_person_to_sign_in(stack: Stack) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=stack.workbench) as anonymous:
        response = await anonymous.get("/referrals")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin?next=%2Freferrals")


async def test_ref_09_the_handling_party_suspends_resumes_and_extends_at_the_workbench(
    stack: Stack,
) -> None:
    """REF-09 on the referral's page: a filed case's conclusion period suspended with its
    legal basis (a reason nobody could rule on is refused beside the form), resumed, then
    extended; each change shown to the sender too."""
    page = await accepted(stack)
    basis = {"law": "《生态环境行政处罚办法》", "article": "第五十八条"}
    async with staff_of(stack, DEPT, "handler") as handler:
        filed = await handler.post_form(
            f"{page}/file",
            {"case_number": "涪环罚立〔2026〕9号", "procedure": "ordinary"},
            page=page,
        )
        assert filed.status_code == 303, filed.text[-2000:]
        assert 'data-testid="conclusion-period"' in (await handler.get(page)).text
        vague = await handler.post_form(
            f"{page}/suspend", {"reason": "等待", "law": "有关规定", "article": "第1条"}, page=page
        )
        assert vague.status_code == 422  # no real reason, no law by its title: nothing changed
        assert 'data-testid="suspended"' not in vague.text
        reason = "案件需等待司法鉴定结论，暂无法继续调查"
        done = await handler.post_form(f"{page}/suspend", {"reason": reason, **basis}, page=page)
        assert done.status_code == 303, done.text[-2000:]
        shown = (await handler.get(page)).text
        assert 'data-testid="suspended"' in shown
        assert f"{page}/resume" in shown
        assert f"{page}/suspend" not in shown  # suspended already
        resumed = await handler.post_form(
            f"{page}/resume", {"reason": "司法鉴定结论已送达"}, page=page
        )
        assert resumed.status_code == 303, resumed.text[-2000:]
        extended = await handler.post_form(
            f"{page}/extend",
            {"days": "30", "reason": "案情复杂，经负责人批准延长办案期限", **basis},
            page=page,
        )
        assert extended.status_code == 303, extended.text[-2000:]
    async with staff_of(stack, TOWN, "handler") as town:
        seen = (await town.get(page)).text
        assert seen.count('data-testid="period-change"') == 3
        assert "延长 30日" in seen
        assert f"{page}/suspend" not in seen  # the sender only reads


async def test_ref_10_the_handling_party_records_cooperation_not_given_at_the_workbench(
    stack: Stack,
) -> None:
    """REF-10 on the referral's page: the handling party asks the sender to cooperate and,
    the sender giving nothing, records it once with what happened (a bare word is refused
    beside the form); both parties see it, and oversight counts it (its own tests)."""
    page = await accepted(stack)
    async with staff_of(stack, DEPT, "handler") as handler:
        asked = await handler.post_form(
            f"{page}/cooperation-requests", {"request": "请提供现场检查笔录原件"}, page=page
        )
        assert asked.status_code == 303, asked.text[-2000:]
        shown = (await handler.get(page)).text
        found = re.search(
            rf'action="{page}/(cooperation-requests/[0-9a-f-]{{36}}/not-given)"', shown
        )
        assert found, "the handling party can record that it was not given"
        step = found.group(1)
        bare = await handler.post_form(f"{page}/{step}", {"reason": "未给"}, page=page)
        assert bare.status_code == 422
        assert 'data-testid="not-given"' not in bare.text
        done = await handler.post_form(
            f"{page}/{step}", {"reason": "三次电话催要，移送方至今未提供笔录原件"}, page=page
        )
        assert done.status_code == 303, done.text[-2000:]
        shown = (await handler.get(page)).text
        assert 'data-testid="not-given"' in shown
        assert f"{page}/{step}" not in shown  # once
    async with staff_of(stack, TOWN, "handler") as town:
        seen = (await town.get(page)).text
        assert 'data-testid="not-given"' in seen
        assert "三次电话催要" in seen
