"""The request's official documents: the town's letter asking for assistance (ASSIST-01) and
the department's notice of refusal with its legal ground and reasons (ASSIST-03)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xietong_devtools import pdf_check

from .conftest import Assist

pytestmark = pytest.mark.integration


def keep(name: str, pdf: bytes) -> None:
    """XIETONG_KEEP_DOCUMENTS=dir: write the PDF and its first page as PNG there, to look at."""
    where = os.environ.get("XIETONG_KEEP_DOCUMENTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        (Path(where) / f"{name}.pdf").write_bytes(pdf)
        pdf_check.page_image(pdf, scale=1.5).save(Path(where) / f"{name}.png")


async def test_assist_01_the_request_letter_from_the_request_as_submitted(assist: Assist) -> None:
    c = assist.codes
    draft = await assist.draft()
    rid = draft["id"]
    path = f"/assistance-requests/{rid}/documents/request-letter.pdf"
    early = await assist.svc.client.get(path, headers=assist.town)
    assert early.status_code == 409
    assert early.json()["type"] == "urn:xietong:problem:document-not-available"
    await assist.upload(rid, assist.town, name="现场照片.pdf")
    submitted = await assist.post(rid, "submit", assist.town)
    assert submitted.status_code == 200, submitted.text
    waiting = await assist.svc.client.get(path, headers=assist.dept)
    assert waiting.status_code == 409
    assert waiting.json()["type"] == "urn:xietong:problem:document-not-issued"
    r = await assist.svc.client.get(path, headers=assist.town)
    assert r.status_code == 200, r.text
    keep("assistance-request-letter", r.content)
    text = pdf_check.text(r.content)
    department = assist.svc.ctx.directory.require(c.dept).full_name_zh
    town = assist.svc.ctx.directory.require(c.town).full_name_zh
    for expected in (
        town,
        "涪荔枝协〔2024〕1号",
        "执法协助函",
        f"{department}：",
        "认定违法行为需要鉴定、检验、检测等技术支持",  # ASSIST-01 (3), the ground recorded
        "现场照片.pdf",  # what the town attached
        "请协助对焚烧残留物取样检测，出具检测报告",
        "2024年3月8日24时前答复",  # the ASSIST-04 response deadline, as the statute reads
        "不得推诿、刁难",
        "2024年3月1日",
    ):
        assert pdf_check.compact(expected) in text, expected
    assert pdf_check.tofu(r.content, text) == set()
    assert pdf_check.outside_type_area(r.content) == []
    theirs = await assist.svc.client.get(path, headers=assist.dept)
    assert theirs.content == r.content
    other = await assist.svc.client.get(path, headers=assist.h(c.other_town, "handler"))
    assert other.status_code == 404
    detail = (await assist.get(rid)).json()
    assert [d["number"] for d in detail["documents"]] == ["涪荔枝协〔2024〕1号"]


async def test_assist_03_the_refusal_notice_gives_the_legal_ground_and_reasons(
    assist: Assist,
) -> None:
    request = await assist.submitted()
    rid = request["id"]
    path = f"/assistance-requests/{rid}/documents/refusal-notice.pdf"
    before = await assist.svc.client.get(path, headers=assist.dept)
    assert before.status_code == 409
    assert before.json()["rule"] == "ASSIST-03"
    r = await assist.post(
        rid,
        "refuse",
        assist.dept,
        ground="forbidden-by-law",
        law="《中华人民共和国保守国家秘密法》",
        article="第二十八条",
        reason="所需监测数据已定密为秘密级，依法不得提供",
    )
    assert r.status_code == 200, r.text
    got = await assist.svc.client.get(path, headers=assist.dept)
    assert got.status_code == 200, got.text
    keep("assistance-refusal-notice", got.content)
    text = pdf_check.text(got.content)
    for expected in (
        "重庆市涪陵区生态环境局",
        "涪环告〔2024〕1号",
        "不予协助告知书",
        "重庆市涪陵区荔枝街道办事处：",
        "法律、法规、规章等明确禁止",
        "《中华人民共和国保守国家秘密法》第二十八条",
        "所需监测数据已定密为秘密级，依法不得提供",
        "应当及时告知提出协助要求的乡镇（街道），并说明理由",  # ASSIST-03 as the notice says
    ):
        assert expected in text, expected
    assert pdf_check.tofu(got.content, text) == set()
    town_reads = await assist.svc.client.get(path, headers=assist.town)
    assert town_reads.content == got.content
