"""INSP-06 on the running service: an exemption from advance notice stands on a real legal
basis or instructing document, a notice is not dated before its order, and a merge keeps the
strictest notice policy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .conftest import FIRE, TOWN, Insp, refused

pytestmark = pytest.mark.integration

LAW_FORBIDS = {
    "policy": "law-forbids",
    "reason": "检查涉及国家秘密，依法不得事先公开",
    "legal_basis": "《中华人民共和国保守国家秘密法》",
}


async def test_insp_06_an_exemption_needs_a_real_legal_basis_or_instructing_document(
    insp: Insp,
) -> None:
    target = await insp.target()
    order = await insp.order([target["id"]])
    url = f"/orders/{order['id']}/notice-policy"
    before = await insp.counts()
    for body, missing in (
        ({"policy": "law-forbids", "reason": "x"}, ["reason", "legal_basis"]),
        (
            {"policy": "law-forbids", "reason": "检查涉及国家秘密，依法不得事先公开"},
            ["legal_basis"],
        ),
        ({**LAW_FORBIDS, "legal_basis": "有关规定"}, ["legal_basis"]),
        (
            {
                "policy": "superior-instruction",
                "reason": "暗查",
                "instructing_authority": "区安委办",
            },
            ["reason", "instructing_document"],
        ),
        (
            {
                "policy": "superior-instruction",
                "reason": "区安委办要求开展“四不两直”暗查暗访",
                "instructing_authority": "区安委办",
                "instructing_document": "通知",
            },
            ["instructing_document"],
        ),
    ):
        r = await insp.client.put(url, json=body, headers=insp.h(TOWN))
        problem = await refused(insp, r, 422, "invalid-input", before)
        assert problem["missing"] == missing, (body, problem)
        assert problem["rule"] == "INSP-06"
    r = await insp.client.put(url, json=LAW_FORBIDS, headers=insp.h(TOWN))
    assert r.status_code == 200, r.text
    assert r.json()["notice_legal_basis"] == "《中华人民共和国保守国家秘密法》"
    r = await insp.client.put(
        url,
        json={
            "policy": "superior-instruction",
            "reason": "区安委办要求开展“四不两直”暗查暗访",
            "instructing_authority": "涪陵区安全生产委员会办公室",
            "instructing_document": "涪安委办〔2024〕12号",
        },
        headers=insp.h(TOWN),
    )
    assert r.status_code == 200, r.text
    assert r.json()["notice_instructing_document"] == "涪安委办〔2024〕12号"
    assert r.json()["notice_legal_basis"] is None


async def test_insp_06_a_notice_cannot_be_dated_before_the_order_was_issued(insp: Insp) -> None:
    target = await insp.target()
    order = await insp.issued([target["id"]], notice="notify")
    before = await insp.counts()
    r = await insp.act(
        order["id"],
        f"targets/{target['id']}/advance-notice",
        TOWN,
        {
            "notified_at": (insp.clock.now() - timedelta(days=2)).isoformat(),
            "inspection_time": (insp.clock.now() + timedelta(days=1)).isoformat(),
            "basis": "《重庆市消防条例》",
            "method": "现场检查",
            "channel": "书面告知",
        },
    )
    problem = await refused(insp, r, 422, "inspection-implausible-time", before)
    assert problem["rule"] == "INSP-06"


async def test_insp_06_a_merge_keeps_the_strictest_notice_policy(insp: Insp) -> None:
    target = await insp.target()
    announced = await insp.issued([target["id"]], notice="notify", matters=("WAT-001",))
    secret = await insp.order(
        [target["id"]], org=FIRE, town=TOWN, proposal="消防暗查", matters=("FIR-001",)
    )
    r = await insp.client.put(
        f"/orders/{secret['id']}/notice-policy", json=LAW_FORBIDS, headers=insp.h(FIRE)
    )
    assert r.status_code == 200, r.text
    proposal = (await insp.client.get("/merge-proposals", headers=insp.h("justice-bureau"))).json()[
        "items"
    ][0]
    r = await insp.client.post(
        f"/merge-proposals/{proposal['id']}/decision",
        json={"choice": "accept", "reason": "统筹为一次联合检查"},
        headers=insp.h("justice-bureau", "handler"),
    )
    assert r.json()["state"]["value"] == "merged", r.text
    kept: dict[str, Any] = (
        await insp.client.get(f"/orders/{announced['id']}", headers=insp.h(TOWN))
    ).json()
    assert kept["notice_policy"]["value"] == "law-forbids"
    assert kept["notice_legal_basis"] == "《中华人民共和国保守国家秘密法》"
    before = await insp.counts()
    r = await insp.act(
        announced["id"],
        f"targets/{target['id']}/advance-notice",
        TOWN,
        {
            "notified_at": insp.clock.now().isoformat(),
            "inspection_time": (insp.clock.now() + timedelta(days=1)).isoformat(),
            "basis": "《重庆市消防条例》",
            "method": "现场检查",
            "channel": "书面告知",
        },
    )
    await refused(insp, r, 409, "inspection-advance-notice-forbidden", before)
