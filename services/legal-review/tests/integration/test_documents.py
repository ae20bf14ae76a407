"""The review's official documents as the town issues them: the written opinion (REV-07) and
the one-time notice of missing materials (REV-05), rendered from the review, read back."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from xietong_devtools import pdf_check
from xietong_devtools.testing import RunningService

from .conftest import TOWN, Flow

pytestmark = pytest.mark.integration

NUMBER_OPINION = "涪荔枝审〔2024〕1号"  # the fake clock is 2024-03-01 10:00 China time
NINE_POINTS = ("是否具有管辖权", "程序是否合法规范", "行政执法文书是否完备、规范")


def keep(name: str, pdf: bytes) -> None:
    """XIETONG_KEEP_DOCUMENTS=dir: write the PDF and its first page as PNG there, to look at."""
    where = os.environ.get("XIETONG_KEEP_DOCUMENTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        (Path(where) / f"{name}.pdf").write_bytes(pdf)
        pdf_check.page_image(pdf, scale=1.5).save(Path(where) / f"{name}.png")


async def test_rev_07_the_written_opinion_says_what_the_review_recorded(
    svc: RunningService, flow: Flow
) -> None:
    rid = await flow.reviewed("agree")
    path = f"/reviews/{rid}/documents/opinion.pdf"
    r = await svc.client.get(path, headers=flow.reviewer)
    assert r.status_code == 200, r.text
    pdf = r.content
    keep("review-opinion", pdf)
    text = pdf_check.text(pdf)
    for expected in (
        "重庆市涪陵区荔枝街道办事处",  # 版头 and 署名
        NUMBER_OPINION,
        "法制审核意见书",
        "荔枝街道综合行政执法大队：",  # 主送: the brigade (承办机构)
        "某建材公司（法人）",
        "当事人在江边随意倾倒建筑垃圾约20立方米",
        "拟对当事人罚款50000元",
        "50000.00元",
        *NINE_POINTS,
        "经审核，提出拟同意作出行政执法决定的意见。",  # REV-07 (1), as the notice words it
        "法制审核机构对本审核意见负责",  # REV-08
        "审核人员：wang.reviewer",
        "2024年3月1日",
    ):
        assert pdf_check.compact(expected) in text, expected
    assert pdf_check.outside_type_area(pdf) == []
    assert pdf_check.tofu(pdf, text) == set()
    assert all(f.embedded for f in pdf_check.embedded_fonts(pdf))
    image = pdf_check.page_image(pdf)
    assert pdf_check.ink_ratio(image) > 0.01
    assert pdf_check.red_ratio(image) > 0.001

    again = await svc.client.get(path, headers=svc.auth(TOWN, "head", user="zhao.head"))
    assert again.content == pdf
    detail = (await svc.client.get(f"/reviews/{rid}", headers=flow.handler)).json()
    [doc] = detail["documents"]
    assert doc["number"] == NUMBER_OPINION
    assert doc["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert doc["instance"] == "round-1"
    timeline = (await svc.client.get(f"/reviews/{rid}/timeline", headers=flow.handler)).json()
    issued = [e for e in timeline if e["action"] == "document.issued"]
    assert issued[0]["rule"] == "REV-07"
    assert issued[0]["detail"]["sha256"] == doc["sha256"]


async def test_rev_07_no_opinion_document_before_the_opinion(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit()
    r = await svc.client.get(
        f"/reviews/{review['id']}/documents/opinion.pdf", headers=flow.reviewer
    )
    assert r.status_code == 409
    assert r.json()["type"] == "urn:xietong:problem:document-not-available"
    assert r.json()["rule"] == "REV-07"


async def test_another_town_gets_404_and_the_bureau_waits_for_the_town(
    svc: RunningService, flow: Flow
) -> None:
    rid = await flow.reviewed("agree")
    path = f"/reviews/{rid}/documents/opinion.pdf"
    other = await svc.client.get(path, headers=svc.auth("town:baisheng", "reviewer"))
    assert other.status_code == 404
    bureau = svc.auth("justice-bureau", "admin")
    early = await svc.client.get(path, headers=bureau)
    assert early.status_code == 409
    assert early.json()["type"] == "urn:xietong:problem:document-not-issued"
    issued = await svc.client.get(path, headers=flow.reviewer)
    later = await svc.client.get(path, headers=bureau)
    assert later.status_code == 200
    assert later.content == issued.content


async def test_rev_07_each_round_has_its_opinion_and_a_correction_supersedes(
    svc: RunningService, flow: Flow
) -> None:
    rid = await flow.reviewed(
        "correct-and-resubmit", {"documents": "文书不规范"}, flaws=["补正文书"]
    )
    first = await svc.client.get(f"/reviews/{rid}/documents/opinion.pdf", headers=flow.reviewer)
    assert "予以纠正完善后再送法制审核" in pdf_check.text(first.content)
    assert "需纠正完善的问题：1.补正文书。" in pdf_check.text(first.content)
    fixed = await svc.client.post(
        f"/reviews/{rid}/documents/opinion/corrections",
        json={"reason": "审核要点说明有误"},
        headers=flow.reviewer,
    )
    assert fixed.status_code == 201, fixed.text
    assert fixed.json()["number"] == "涪荔枝审〔2024〕2号"
    assert fixed.json()["supersedes"] == NUMBER_OPINION
    not_theirs = await svc.client.post(
        f"/reviews/{rid}/documents/opinion/corrections",
        json={"reason": "x"},
        headers=svc.auth("justice-bureau", "admin"),
    )
    assert not_theirs.status_code == 403
    old = await svc.client.get(
        f"/reviews/{rid}/documents/opinion.pdf",
        params={"version": hashlib.sha256(first.content).hexdigest()},
        headers=flow.handler,
    )
    assert old.content == first.content
    round_two = await svc.client.get(
        f"/reviews/{rid}/documents/opinion.pdf", params={"round": 2}, headers=flow.reviewer
    )
    assert round_two.status_code == 409  # round 2 is not even submitted


async def test_rev_05_the_notice_lists_everything_missing_and_its_deadline(
    svc: RunningService, flow: Flow
) -> None:
    review = await flow.submit(fine="50000", hearing=True)
    rid = review["id"]
    before = await svc.client.get(
        f"/reviews/{rid}/documents/materials-notice.pdf", headers=flow.reviewer
    )
    assert before.status_code == 409
    notified = await svc.client.post(
        f"/reviews/{rid}/materials-notice",
        json={"missing": ["evidence"], "items": ["现场照片原件"]},
        headers=flow.reviewer,
    )
    assert notified.status_code == 200, notified.text
    r = await svc.client.get(
        f"/reviews/{rid}/documents/materials-notice.pdf", headers=flow.reviewer
    )
    assert r.status_code == 200, r.text
    keep("review-materials-notice", r.content)
    text = pdf_check.text(r.content)
    for expected in (
        "涪荔枝补〔2024〕1号",
        "补正材料通知书",
        "荔枝街道综合行政执法大队：",
        "调查终结报告",
        "重大行政执法决定建议及情况说明",
        "相关证据资料",
        "听证笔录",
        "现场照片原件",
        "应当一次性告知承办机构补正材料，并规定期限提交",  # the rule, as the notice reads
        "2024年3月8日24时前",  # 5 working days from Friday 1 March, to 24:00
    ):
        assert expected in text, expected
    assert pdf_check.tofu(r.content, text) == set()
