"""The referral's official documents as its parties issue them: the referral letter with its
item list (REF-05), the service receipt with its QR code (REF-06), the written answer
(REF-07) and the report to the district government (REF-08), rendered from the referral."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from xietong_devtools import pdf_check

pytestmark = pytest.mark.integration

ITEMS = [
    {
        "name": "冻肉",
        "quantity": "20",
        "unit": "箱",
        "disposed_in_advance": True,
        "disposal_method": "依法变卖",
        "proceeds": "1200.50",
    },
    {"name": "运输车辆", "quantity": "1", "unit": "辆", "description": "渝G·12345"},
]


def keep(name: str, pdf: bytes, pages: int = 1) -> None:
    """XIETONG_KEEP_DOCUMENTS=dir: write the PDF and its first pages as PNG there, to look at."""
    where = os.environ.get("XIETONG_KEEP_DOCUMENTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        (Path(where) / f"{name}.pdf").write_bytes(pdf)
        for page in range(min(pages, len(pdf_check.pages_text(pdf)))):
            pdf_check.page_image(pdf, page, scale=1.5).save(Path(where) / f"{name}-{page + 1}.png")


def name(case: Any, code: str) -> str:
    org = case.svc.ctx.directory.require(code)
    return str(org.full_name_zh)


async def sent_with_issued_letter(case: Any) -> dict[str, Any]:
    """A referral sent with no letter or item list of the sender's own (REF-05)."""
    referral = await case.draft(items=ITEMS)
    assert (await case.upload(referral["id"], "disposal-evidence")).status_code == 201
    r = await case.svc.client.post(f"/referrals/{referral['id']}/send", headers=case.sender)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_ref_05_the_letter_issued_at_sending_lists_the_items_truthfully(case: Any) -> None:
    c = case.codes
    referral = await sent_with_issued_letter(case)
    rid = referral["id"]
    [doc] = referral["documents"]
    path = f"/referrals/{rid}/documents/referral-letter.pdf"
    theirs = await case.svc.client.get(path, headers=case.h(referral["receiver"], "clerk"))
    assert theirs.status_code == 200, theirs.text
    pdf = theirs.content
    keep("referral-letter", pdf, pages=3)
    assert hashlib.sha256(pdf).hexdigest() == doc["sha256"]
    text = pdf_check.text(pdf)
    for expected in (
        name(case, c.town_a),  # 版头 and 署名: the sender
        doc["number"],
        "案件移送函",
        f"{name(case, referral['receiver'])}：",  # 主送: the receiver
        "某某化工有限公司（法人）",
        "巡查发现企业向河道直排污水",
        "2024年3月1日10时00分",  # found, in China time
        "附件：涉案物品清单",
        "冻肉",
        "20箱",
        "已先行处置：依法变卖，所得款项1200.50元",  # REF-05: disposed of, with the proceeds
        "1200.50元",  # the proceeds transferred with the case
        "渝G·12345",
        "不得再行移送",  # REF-08 as the notice words it
        "2024年3月1日",  # 成文日期: the day it was sent
    ):
        assert pdf_check.compact(expected) in text, expected
    assert doc["number"].startswith(str(case.svc.ctx.directory.require(c.town_a).doc_prefix))
    assert pdf_check.tofu(pdf, text) == set()
    assert pdf_check.outside_type_area(pdf) == []
    assert all(f.embedded for f in pdf_check.embedded_fonts(pdf))
    image = pdf_check.page_image(pdf)
    assert pdf_check.ink_ratio(image) > 0.01
    assert pdf_check.red_ratio(image) > 0.001
    mine = await case.svc.client.get(path, headers=case.sender)
    assert mine.content == pdf  # stored, the same bytes every time
    timeline = (await case.svc.client.get(f"/referrals/{rid}/timeline", headers=case.sender)).json()
    issued = [e for e in timeline if e["action"] == "document.issued"]
    assert issued[0]["rule"] == "REF-05"
    assert issued[0]["detail"]["sha256"] == doc["sha256"]


async def test_ref_05_no_letter_before_sending_and_none_for_strangers(case: Any) -> None:
    draft = await case.draft()
    path = f"/referrals/{draft['id']}/documents/referral-letter.pdf"
    r = await case.svc.client.get(path, headers=case.sender)
    assert r.status_code == 409
    assert r.json()["type"] == "urn:xietong:problem:document-not-available"
    referral = await case.sent()  # no letter issued: a stranger is refused before any work
    stranger = await case.svc.client.get(
        f"/referrals/{referral['id']}/documents/referral-letter.pdf",
        headers=case.h(case.codes.town_b, "handler"),
    )
    assert stranger.status_code == 404


async def test_ref_06_the_receiver_issues_the_service_receipt_with_a_qr_code(case: Any) -> None:
    referral = await case.sent()  # the sender uploaded its own letter and item list
    rid, receiver = referral["id"], referral["receiver"]
    path = f"/referrals/{rid}/documents/service-receipt.pdf"
    early = await case.svc.client.get(path, headers=case.h(receiver, "clerk"))
    assert early.status_code == 409  # no receipt before receipt
    assert early.json()["type"] == "urn:xietong:problem:document-not-available"
    assert early.json()["rule"] == "REF-06"
    received = await case.svc.client.post(
        f"/referrals/{rid}/receive", json={"signer_name": "王芳"}, headers=case.h(receiver, "clerk")
    )
    assert received.status_code == 200, received.text
    waiting = await case.svc.client.get(path, headers=case.sender)
    assert waiting.status_code == 409
    assert waiting.json()["type"] == "urn:xietong:problem:document-not-issued"
    r = await case.svc.client.get(path, headers=case.h(receiver, "clerk"))
    assert r.status_code == 200, r.text
    keep("referral-service-receipt", r.content)
    text = pdf_check.text(r.content)
    detail = (await case.get(rid)).json()
    [doc] = detail["documents"]
    for expected in (
        "行政案件移送书送达回证",
        doc["number"],
        name(case, receiver),
        name(case, case.codes.town_a),
        received.json()["receipt_number"],
        "王芳",
        "2024年3月1日10时00分",
        "应当受理并出具行政案件移送书送达回证",  # REF-06 as the notice words it
        f"http://testserver/documents/{doc['content_digest']}",  # the QR code's address
        doc["content_digest"],
    ):
        assert expected in text, expected
    assert pdf_check.tofu(r.content, text) == set()
    verified = await case.svc.client.get(f"/documents/{doc['content_digest']}", headers=case.sender)
    assert verified.status_code == 200
    assert verified.json()["matched"] == "content"
    assert verified.json()["number"] == doc["number"]
    assert verified.json()["subject"] == f"referral:{rid}"
    assert (await case.svc.client.get(path, headers=case.sender)).content == r.content


async def test_ref_07_the_written_answer_and_ref_08_the_report_to_the_district_government(
    case: Any,
) -> None:
    c = case.codes
    referral = await case.received()
    rid, receiver = referral["id"], referral["receiver"]
    answer_path = f"/referrals/{rid}/documents/acceptance-answer.pdf"
    report_path = f"/referrals/{rid}/documents/jurisdiction-report.pdf"
    assert (
        await case.svc.client.get(answer_path, headers=case.h(receiver, "handler"))
    ).status_code == 409
    r = await case.act(
        rid,
        "answer",
        receiver,
        "handler",
        decision="report-to-district-gov",
        reasons="该事项已赋权乡镇",
    )
    assert r.status_code == 200, r.text
    answer = await case.svc.client.get(answer_path, headers=case.h(receiver, "handler"))
    assert answer.status_code == 200, answer.text
    keep("referral-acceptance-answer", answer.content)
    text = pdf_check.text(answer.content)
    for expected in (
        "案件受理情况告知书",
        f"{name(case, c.town_a)}：",
        "不属于本单位管辖",
        "书面报请区政府决定，不再行移送",
        "该事项已赋权乡镇",
        received_number(referral),
    ):
        assert expected in text, expected
    government = case.h("district-gov", "leader")
    waiting = await case.svc.client.get(report_path, headers=government)
    assert waiting.status_code == 409
    report = await case.svc.client.get(report_path, headers=case.h(receiver, "handler"))
    assert report.status_code == 200, report.text
    keep("referral-jurisdiction-report", report.content, pages=2)
    text = pdf_check.text(report.content)
    for expected in (
        "关于案件管辖的请示",
        "重庆市涪陵区人民政府：",
        "该事项已赋权乡镇",
        "认为不属于本单位管辖的，应当书面报请区政府决定，不得再行移送",  # REF-08
        "妥否，请批示。",
        f"抄送：{name(case, c.town_a)}。",
    ):
        assert expected in text, expected
    assert (await case.svc.client.get(report_path, headers=government)).content == report.content


def received_number(referral: dict[str, Any]) -> str:
    return str(referral["receipt_number"])


async def test_ref_07_an_accepted_case_is_answered_so(case: Any) -> None:
    referral = await case.received()
    rid, receiver = referral["id"], referral["receiver"]
    r = await case.act(rid, "answer", receiver, "handler", decision="accept", reasons="属本局管辖")
    assert r.status_code == 200, r.text
    answer = await case.svc.client.get(
        f"/referrals/{rid}/documents/acceptance-answer.pdf", headers=case.h(receiver, "handler")
    )
    text = pdf_check.text(answer.content)
    assert "本单位决定受理该案件，将按照相关法律法规规定的办案程序和时限办结。" in text
    report = await case.svc.client.get(
        f"/referrals/{rid}/documents/jurisdiction-report.pdf", headers=case.h(receiver, "handler")
    )
    assert report.status_code == 409  # accepted: nothing reported
