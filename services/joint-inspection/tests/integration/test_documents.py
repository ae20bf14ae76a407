"""The inspection's official documents: the work order (INSP-03), the advance notice to a
target (INSP-06) and the report of a serious finding to the district government (INSP-08),
issued by the initiating unit and rendered from the order as recorded."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from xietong_devtools import pdf_check

from .conftest import TOWN, Insp

pytestmark = pytest.mark.integration


def keep(name: str, pdf: bytes) -> None:
    """XIETONG_KEEP_DOCUMENTS=dir: write the PDF and its first page as PNG there, to look at."""
    where = os.environ.get("XIETONG_KEEP_DOCUMENTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        (Path(where) / f"{name}.pdf").write_bytes(pdf)
        pdf_check.page_image(pdf, scale=1.5).save(Path(where) / f"{name}.png")


async def test_insp_03_the_work_order_fixes_targets_number_method_and_inspectors(
    insp: Insp,
) -> None:
    a = await insp.target(address="荔枝街道太白路12号")
    b = await insp.target()
    order = await insp.order([a["id"], b["id"]])
    path = f"/orders/{order['id']}/documents/work-order.pdf"
    early = await insp.client.get(path, headers=insp.h(TOWN))
    assert early.status_code == 409
    assert early.json()["type"] == "urn:xietong:problem:document-not-available"
    issued = await insp.issued([a["id"], b["id"]])
    path = f"/orders/{issued['id']}/documents/work-order.pdf"
    r = await insp.client.get(path, headers=insp.h(TOWN))
    assert r.status_code == 200, r.text
    keep("inspection-work-order", r.content)
    text = pdf_check.text(r.content)
    for expected in (
        "检查任务工单",
        "涪荔枝查〔2024〕1号",  # the document number
        issued["number"],  # the order's own registration number
        "联合检查",
        "现场检查",
        "2个检查对象",
        a["name"],
        b["name"],
        "荔枝街道太白路12号",
        "大队队员",
        "综合执法大队人员",
        "下沉执法力量要接受统一指挥调度",  # INSP-03 as the notice words it
        "依法不予公开",
        "2024年3月1日",
    ):
        assert pdf_check.compact(expected) in text, expected
    assert pdf_check.tofu(r.content, text) == set()
    assert pdf_check.outside_type_area(r.content) == []
    other = await insp.client.get(path, headers=insp.h("town:baisheng"))
    assert other.status_code == 404
    detail = (await insp.client.get(f"/orders/{issued['id']}", headers=insp.h(TOWN))).json()
    assert [d["number"] for d in detail["documents"]] == ["涪荔枝查〔2024〕1号"]


async def test_insp_06_the_advance_notice_tells_the_target_time_basis_and_method(
    insp: Insp,
) -> None:
    a = await insp.target()
    order = await insp.issued([a["id"]], notice="notify")
    oid, tid = order["id"], a["id"]
    path = f"/orders/{oid}/targets/{tid}/documents/advance-notice.pdf"
    before = await insp.client.get(path, headers=insp.h(TOWN))
    assert before.status_code == 409
    assert before.json()["rule"] == "INSP-06"
    r = await insp.act(
        oid,
        f"targets/{tid}/advance-notice",
        TOWN,
        {
            "notified_at": insp.clock.now().isoformat(),
            "inspection_time": (insp.clock.now() + timedelta(days=4)).isoformat(),
            "basis": "《重庆市消防条例》第二十八条",
            "method": "现场检查，查阅台账",
            "channel": "书面告知",
        },
    )
    assert r.status_code == 200, r.text
    got = await insp.client.get(path, headers=insp.h(TOWN))
    assert got.status_code == 200, got.text
    keep("inspection-advance-notice", got.content)
    text = pdf_check.text(got.content)
    for expected in (
        "行政执法检查事先告知书",
        "涪荔枝通〔2024〕1号",
        f"{a['name']}：",  # addressed to the target
        "2024年3月5日10时00分",  # the inspection time told, in China time
        "《重庆市消防条例》第二十八条",
        "现场检查，查阅台账",
        "自行整改纠正",
    ):
        assert expected in text, expected
    stranger = uuid.uuid4()  # not a target of this order
    missing = await insp.client.get(
        f"/orders/{oid}/targets/{stranger}/documents/advance-notice.pdf", headers=insp.h(TOWN)
    )
    assert missing.status_code == 404
    assert missing.json()["type"] == "urn:xietong:problem:document-not-found"


async def test_insp_08_the_serious_report_goes_to_the_district_government(insp: Insp) -> None:
    a = await insp.target()
    order = await insp.issued([a["id"]])
    oid, tid = order["id"], a["id"]
    await insp.visit(order, tid)
    r = await insp.act(
        oid,
        f"targets/{tid}/outcome",
        TOWN,
        {
            "outcome": "serious",
            "description": "片区多家餐馆使用不合格燃气软管",
            "serious_scope": "major-hazard",
            "competent_authority": "dept:emergency",
        },
    )
    assert r.status_code == 200, r.text
    path = f"/orders/{oid}/targets/{tid}/documents/serious-report.pdf"
    assert (await insp.client.get(path, headers=insp.h(TOWN))).status_code == 409
    r = await insp.act(
        oid, f"targets/{tid}/serious-report", TOWN, {"report": "已通报区应急局，现报告区政府"}
    )
    assert r.status_code == 200, r.text
    government = insp.h("district-gov", "admin")
    waiting = await insp.client.get(path, headers=government)
    assert waiting.json()["type"] == "urn:xietong:problem:document-not-issued"
    got = await insp.client.get(path, headers=insp.h(TOWN))
    assert got.status_code == 200, got.text
    keep("inspection-serious-report", got.content)
    text = pdf_check.text(got.content)
    for expected in (
        "关于检查发现重大隐患的报告",  # the title names what was found
        "涪荔枝报〔2024〕1号",
        "重庆市涪陵区人民政府：",
        "重大隐患",
        "片区多家餐馆使用不合格燃气软管",
        "已通报区应急局，现报告区政府",
        "发起单位要及时通报相关行政主管部门，并报告区政府",  # INSP-08 as the notice words it
        "特此报告。",
        "抄送：重庆市涪陵区应急局。",
    ):
        assert expected in text, expected
    assert (await insp.client.get(path, headers=government)).content == got.content
